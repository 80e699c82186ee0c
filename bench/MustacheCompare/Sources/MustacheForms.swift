// The same page for swift-mustache, in the three context forms it can read: plain structs
// (looked up by reflection), dictionaries, and types that answer lookups by name
// (`MustacheParent`). Tiles are rendered one by one with the tile template and shown
// unescaped, as Pictor does, so both engines do the same work on the same files.

import Mustache

/// A context form: how one tile and the page around the rendered tiles are given.
struct MustacheForm {
    let name: String
    let tile: (Item) -> Any
    let page: ([String]) -> Any
}

extension MustacheForm {
    /// Property names are the template's names, since reflection finds fields by label.
    static let reflection = MustacheForm(name: "structs (reflection)", tile: { MirrorTile($0) }, page: { MirrorPage(tiles: $0) })
    static let dictionaries = MustacheForm(name: "dictionaries", tile: dictionaryTile, page: dictionaryPage)
    static let parents = MustacheForm(name: "MustacheParent", tile: { ParentTile(item: $0) }, page: { ParentPage(tiles: $0) })
}

// MARK: Reflection

private struct MirrorTile {
    let id, status, prompt, model, created: String
    let is_pending, is_failed, is_succeeded: Bool
    let thumb_url, thumb_large_url, image_url, download_name: String?
    let favorite, `public`: Bool
    let share_url: String?
    let icons_url = site.iconsURL

    init(_ item: Item) {
        id = item.id; status = item.status.rawValue; prompt = item.prompt; model = item.model; created = item.created
        is_pending = item.status == .queued || item.status == .running
        is_failed = item.status == .failed
        is_succeeded = item.status == .succeeded
        thumb_url = item.thumbURL; thumb_large_url = item.thumbLargeURL
        image_url = item.imageURL; download_name = item.downloadName
        favorite = item.favorite; `public` = item.isPublic; share_url = item.shareURL
    }
}

private struct MirrorPage {
    struct Nav { let gallery = true }
    struct User { let email = page.email, credits = page.credits }
    struct Model { let name: String }

    let title = page.title
    let nav = Nav()
    let models = page.models.map(Model.init)
    let favorites_only = false, filtered = false
    let tiles: [String]
    let has_items: Bool
    let older_url = page.olderURL
    let q: String? = nil, newest_url: String? = nil
    let back = page.back
    let user = User()
    let csrf_token = page.csrfToken
    let year = page.year
    let site_name = site.siteName, stylesheet_url = site.stylesheetURL, icon_url = site.iconURL
    let gallery_js_url = site.galleryJSURL, icons_url = site.iconsURL

    init(tiles: [String]) {
        self.tiles = tiles
        has_items = !tiles.isEmpty
    }
}

// MARK: Dictionaries

/// Built once per process, as Views.init does for Pictor.
private let siteDictionary: [String: Any] = [
    "site_name": site.siteName, "operator_name": site.operatorName, "contact_email": site.contactEmail,
    "legal_updated": site.legalUpdated, "signup_bonus": site.signupBonus, "stylesheet_url": site.stylesheetURL,
    "icon_url": site.iconURL, "generation_js_url": site.generationJSURL, "gallery_js_url": site.galleryJSURL,
    "icons_url": site.iconsURL,
]

private func dictionaryTile(_ item: Item) -> Any {
    var values: [String: Any] = [
        "id": item.id, "status": item.status.rawValue, "prompt": item.prompt, "model": item.model,
        "created": item.created, "icons_url": site.iconsURL,
    ]
    switch item.status {
    case .queued, .running: values["is_pending"] = true
    case .failed: values["is_failed"] = true
    case .succeeded: values["is_succeeded"] = true
    }
    if let url = item.thumbURL { values["thumb_url"] = url }
    if let url = item.thumbLargeURL { values["thumb_large_url"] = url }
    if let url = item.imageURL {
        values["image_url"] = url
        values["download_name"] = item.downloadName
    }
    if item.favorite { values["favorite"] = true }
    if item.isPublic {
        values["public"] = true
        values["share_url"] = item.shareURL
    }
    return values
}

private func dictionaryPage(_ tiles: [String]) -> Any {
    siteDictionary.merging([
        "title": page.title, "nav": ["gallery": true],
        "models": page.models.map { name -> [String: Any] in ["name": name] },
        "favorites_only": false, "filtered": false, "tiles": tiles, "has_items": !tiles.isEmpty,
        "older_url": page.olderURL, "back": page.back,
        "user": ["email": page.email, "credits": page.credits], "csrf_token": page.csrfToken, "year": page.year,
    ] as [String: Any]) { _, own in own }
}

// MARK: MustacheParent

/// What every page shows, answered by name.
private func siteChild(named name: String) -> Any? {
    switch name {
    case "site_name": return site.siteName
    case "operator_name": return site.operatorName
    case "contact_email": return site.contactEmail
    case "legal_updated": return site.legalUpdated
    case "signup_bonus": return site.signupBonus
    case "stylesheet_url": return site.stylesheetURL
    case "icon_url": return site.iconURL
    case "generation_js_url": return site.generationJSURL
    case "gallery_js_url": return site.galleryJSURL
    case "icons_url": return site.iconsURL
    default: return nil
    }
}

private struct ParentTile: MustacheParent {
    let item: Item

    func child(named name: String) -> Any? {
        switch name {
        case "id": return item.id
        case "status": return item.status.rawValue
        case "prompt": return item.prompt
        case "model": return item.model
        case "created": return item.created
        case "is_pending": return item.status == .queued || item.status == .running
        case "is_failed": return item.status == .failed
        case "is_succeeded": return item.status == .succeeded
        case "thumb_url": return item.thumbURL
        case "thumb_large_url": return item.thumbLargeURL
        case "image_url": return item.imageURL
        case "download_name": return item.downloadName
        case "favorite": return item.favorite
        case "public": return item.isPublic
        case "share_url": return item.shareURL
        default: return siteChild(named: name)
        }
    }
}

private struct ParentPage: MustacheParent {
    struct Nav: MustacheParent {
        func child(named name: String) -> Any? { name == "gallery" ? true : nil }
    }

    struct User: MustacheParent {
        func child(named name: String) -> Any? {
            switch name {
            case "email": return page.email
            case "credits": return page.credits
            default: return nil
            }
        }
    }

    struct Model: MustacheParent {
        let name: String
        func child(named key: String) -> Any? { key == "name" ? name : nil }
    }

    let tiles: [String]

    func child(named name: String) -> Any? {
        switch name {
        case "title": return page.title
        case "nav": return Nav()
        case "models": return page.models.map(Model.init)
        case "favorites_only", "filtered": return false
        case "tiles": return tiles
        case "has_items": return !tiles.isEmpty
        case "older_url": return page.olderURL
        case "back": return page.back
        case "user": return User()
        case "csrf_token": return page.csrfToken
        case "year": return page.year
        default: return siteChild(named: name)
        }
    }
}
