// The page as Pictor builds it for its own engine: tiles as typed fields rendered with
// `render(_:each:)` and shown as markup (GalleryPages), the page as a dictionary (today's
// handlers) or as a typed view model (where the handlers are going).

import Templates

struct PictorForms {
    let library: TemplateLibrary
    let shared: TemplateScope

    init(directory: String) throws {
        library = try TemplateLibrary(directory: directory)
        shared = library.scope([
            "site_name": .text(site.siteName), "operator_name": .text(site.operatorName),
            "contact_email": .text(site.contactEmail), "legal_updated": .text(site.legalUpdated),
            "signup_bonus": .number(site.signupBonus), "stylesheet_url": .text(site.stylesheetURL),
            "icon_url": .text(site.iconURL), "generation_js_url": .text(site.generationJSURL),
            "gallery_js_url": .text(site.galleryJSURL), "icons_url": .text(site.iconsURL),
        ])
    }

    /// GalleryPages.tile.
    static func tile(_ item: Item) -> TemplateFields {
        var values: TemplateFields = [
            "id": .text(item.id), "status": .text(item.status.rawValue), "prompt": .text(item.prompt),
            "model": .text(item.model), "created": .text(item.created),
        ]
        switch item.status {
        case .queued, .running: values.add("is_pending", true)
        case .failed: values.add("is_failed", true)
        case .succeeded: values.add("is_succeeded", true)
        }
        if let url = item.thumbURL { values.add("thumb_url", .text(url)) }
        if let url = item.thumbLargeURL { values.add("thumb_large_url", .text(url)) }
        if let url = item.imageURL {
            values.add("image_url", .text(url))
            values.add("download_name", item.downloadName)
        }
        if item.favorite { values.add("favorite", true) }
        if item.isPublic {
            values.add("public", true)
            values.add("share_url", item.shareURL)
        }
        return values
    }

    func freshTiles() -> [[UInt8]] {
        library.render("partials/gallery-tile", each: items.map(Self.tile), shared: shared) ?? []
    }

    /// GalleryPages.gallery + RequestContext.page + Views.page, as dictionaries.
    func dictionaryPage(tiles: [[UInt8]]) -> [UInt8] {
        let values: [String: Any] = [
            "title": page.title,
            "nav": ["gallery": true],
            "q": String?.none as Any,
            "models": page.models.map { name -> [String: Any] in ["name": name] },
            "favorites_only": false,
            "filtered": false,
            "tiles": TemplateValue.list(tiles.map { .markup($0) }),
            "has_items": !tiles.isEmpty,
            "older_url": page.olderURL,
            "newest_url": String?.none as Any,
            "back": page.back,
            "user": ["email": page.email, "credits": page.credits],
            "csrf_token": page.csrfToken,
            "year": page.year,
        ]
        return library.render("gallery", values, shared: shared) ?? []
    }

    /// The same page as a typed view model.
    func typedPage(tiles: [[UInt8]]) -> [UInt8] {
        library.render("gallery", GalleryView(tiles: tiles).templateFields, shared: shared) ?? []
    }
}

private struct GalleryView: TemplateModel {
    struct User: TemplateModel {
        let email: String, credits: String
        var templateFields: TemplateFields { ["email": .text(email), "credits": .text(credits)] }
    }

    struct Model: TemplateModel {
        let name: String, selected: Bool
        var templateFields: TemplateFields { ["name": .text(name), "selected": .flag(selected)] }
    }

    let tiles: [[UInt8]]

    var templateFields: TemplateFields {
        var fields: TemplateFields = [
            "title": .text(page.title), "nav": .fields(["gallery": true]),
            "favorites_only": false, "filtered": false, "tiles": .list(tiles.map { .markup($0) }),
            "has_items": .flag(!tiles.isEmpty), "older_url": .text(page.olderURL), "back": .text(page.back),
            "csrf_token": .text(page.csrfToken), "year": .number(page.year),
        ]
        fields.add("models", page.models.map { Model(name: $0, selected: false) })
        fields.add("user", User(email: page.email, credits: page.credits))
        return fields
    }
}
