// Renders the real gallery page (24 tiles, the values GalleryPages passes) in a loop and
// prints microseconds per render: the template engine's share of a /gallery request, when
// every tile is rendered afresh and when all come from the tile cache (GalleryPages).
//
//   swift run -c release template-bench [templates-directory] [renders]

import Foundation
import Templates

let arguments = CommandLine.arguments
let directory = arguments.count > 1 ? arguments[1] : "templates"
let renders = arguments.count > 2 ? Int(arguments[2]) ?? 20_000 : 20_000

let library = try TemplateLibrary(directory: directory)

/// One gallery tile, shaped like GalleryPages.tile's for a succeeded private image.
func tile(_ index: Int) -> TemplateFields {
    let id = "0000" + String(index + 1000) + "-aaaa-4bbb-8ccc-5ddd6eee7fff"  // ids come from the database as text
    var fields: TemplateFields = [
        "id": .text(id), "status": "succeeded", "is_succeeded": true,
        "prompt": .text("seeded image \(index) of a fox & a \"lighthouse\" at dusk"), "model": "flux-schnell",
        "created": "25 Nov 2026",
        "thumb_url": .text("/generations/\(id)/thumbnail"), "thumb_large_url": .text("/generations/\(id)/thumbnail-large"),
        "image_url": .text("/generations/\(id)/image"), "download_name": .text("pictor-\(id.prefix(8)).png"),
    ]
    if index % 3 == 0 { fields.add("favorite", true) }
    return fields
}

/// Every tile rendered afresh, as on a gallery's first showing in a worker.
func freshTiles() -> [TemplateValue] {
    (library.render("partials/gallery-tile", each: (0..<24).map(tile)) ?? []).map(TemplateValue.markup)
}

/// The page's own values plus what Views.page adds to every page.
func pageValues(_ tiles: [TemplateValue]) -> [String: Any] {
    [
        "title": "Your gallery", "nav": ["gallery": true],
        "user": ["email": "someone@example.com", "credits": "1,234"], "csrf_token": "2UaD-WpvdfX1-RuJ82qEYmYIuUp1ncXHzO1i_TzYnt0",
        "models": [["name": "flux-schnell"], ["name": "sdxl"]], "favorites_only": false, "filtered": false,
        "tiles": TemplateValue.list(tiles), "has_items": true, "older_url": "/gallery?cursor=1764000000000000_0000",
        "back": "/gallery", "site_name": "Pictor", "year": 2026, "operator_name": "Pictor", "signup_bonus": 50,
        "stylesheet_url": "/static/pictor.css?v=0123456789ab", "icon_url": "/static/favicon.svg?v=0123456789ab",
        "gallery_js_url": "/static/gallery.js?v=0123456789ab", "icons_url": "/static/icons.svg?v=0123456789ab",
    ]
}

// Building the values is part of every request, so it is measured with the render, and alone.
func microseconds(_ body: () -> Int) -> Double {
    var bytes = 0
    for _ in 0..<200 { bytes &+= body() }
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<renders { bytes &+= body() }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000 / Double(renders)
    return bytes == 0 ? 0 : elapsed
}

let cached = freshTiles()
let page = library.render("gallery", pageValues(cached))?.count ?? 0
let total = microseconds { library.render("gallery", pageValues(freshTiles()))?.count ?? 0 }
let values = microseconds { (0..<24).map(tile).count + pageValues([]).count }
let reused = microseconds { library.render("gallery", pageValues(cached))?.count ?? 0 }
print(String(format: "gallery page (24 tiles, %d bytes): %.1f µs per page, of which building the values %.1f µs; "
             + "%.1f µs with every tile from the cache (%d renders)", page, total, values, reused, renders))
