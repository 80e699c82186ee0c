// The view models of /gallery and /explore.

import Templates

/// `/gallery`: the user's images as tiles (rendered HTML, see TileCache), with filters.
struct GalleryPage: PageModel {
    static let template = "gallery"
    let title = "Your gallery"
    let nav: NavItem? = .gallery

    struct ModelFilter: TemplateModel {
        let name: String
        let selected: Bool
        var templateFields: TemplateFields { ["name": .text(name), "selected": .flag(selected)] }
    }

    /// The search words as typed.
    var search: String?
    var models: [ModelFilter]
    var favoritesOnly: Bool
    /// One tile per request (`?group=request`).
    var onePerRequest: Bool
    /// Any filter is on (the empty state says so).
    var filtered: Bool
    /// Each tile's HTML.
    var tiles: [[UInt8]]
    var olderURL: String?
    var newestURL: String?
    /// This page's address, where tile actions come back to.
    var back: String

    var templateFields: TemplateFields {
        var fields: TemplateFields = [
            "favorites_only": .flag(favoritesOnly), "one_per_request": .flag(onePerRequest), "filtered": .flag(filtered), "has_items": .flag(!tiles.isEmpty),
            "tiles": .list(tiles.map { .markup($0) }), "back": .text(back),
        ]
        fields.add("q", search)
        fields.add("models", models)
        fields.add("older_url", olderURL)
        fields.add("newest_url", newestURL)
        return fields
    }
}

/// `/explore`: everyone's public images.
struct ExplorePage: PageModel {
    static let template = "explore"
    let title = "Explore"
    let nav: NavItem? = .explore
    /// Tile values (see GalleryPages.tile).
    var items: [TemplateFields]
    var olderURL: String?
    var newestURL: String?

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["has_items": .flag(!items.isEmpty), "items": .list(items.map { .fields($0) })]
        fields.add("older_url", olderURL)
        fields.add("newest_url", newestURL)
        return fields
    }
}
