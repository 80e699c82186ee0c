// /gallery (your images: search, filters, favorites, publish, bulk delete) and /explore.

import FastCGI
import Foundation
import Templates

enum GalleryPages {
    static let pageSize = 24

    @Sendable static func gallery(_ context: inout RequestContext) throws -> Reply {
        let query = try context.query()
        let models = context.app.config.models
        var filter = GenerationStore.Filter()
        filter.words = query["q"]
        if let model = query["model"], !model.isEmpty {
            guard models.contains(where: { $0.name == model }) else { throw HTTPError.badRequest("Unknown model `\(model)`.") }
            filter.model = model
        }
        filter.favoritesOnly = query["favorites"] == "1"
        filter.onePerRequest = query["group"] == "request"
        let cursor = try query["cursor"].map(ListCursor.init(token:))
        // The session and the page's images come back in one round trip.
        let (_, rows) = try context.requireUser { owner in
            GenerationStore.listStatement(owner: owner, filter: filter, after: cursor, limit: pageSize)
        }
        let publicURL = context.app.config.site.publicURL, views = context.app.views
        let links = PageMediaLinks(media: context.app.media)
        // Rows are decoded only for tiles this worker has not rendered from the same row before
        // with links of the same expiry.
        let tiles = try context.app.galleryTiles.tiles(for: Array(rows.prefix(pageSize)), linksExpire: links.expires) { missing in
            views.fragments("partials/gallery-tile", try missing.map { tile(try Generation(row: $0), publicURL: publicURL, links: links) })
        }
        let next = try GenerationStore.nextCursor(rows, limit: pageSize)
        let request = context.request
        return .page(GalleryPage(
            search: filter.words, models: models.map { GalleryPage.ModelFilter(name: $0.name, selected: $0.name == filter.model) },
            favoritesOnly: filter.favoritesOnly, onePerRequest: filter.onePerRequest,
            filtered: !(filter.words ?? "").isEmpty || filter.model != nil || filter.favoritesOnly || filter.onePerRequest,
            tiles: tiles,
            olderURL: next.map { pageURL("/gallery", query: query, cursor: $0.token) },
            newestURL: cursor == nil ? nil : pageURL("/gallery", query: query, cursor: nil),
            back: request.path + (request.queryString.isEmpty ? "" : "?" + request.queryString)))
    }

    /// One tile's values (its page and remix links are made from the id in the template).
    /// Typed fields rather than a dictionary: a page has 24 of them.
    static func tile(_ generation: Generation, publicURL: String, links: PageMediaLinks) -> TemplateFields {
        let id = generation.idString
        var values: TemplateFields = [
            "id": .text(id), "status": .text(generation.status.rawValue), "status_label": .text(generation.status.label),
            "prompt": .text(generation.prompt),
            "model": .text(generation.model), "created": .text(Format.day(generation.createdAt)),
        ]
        switch generation.status {
        case .queued, .running: values.add("is_pending", true)
        case .failed: values.add("is_failed", true)
        case .succeeded: values.add("is_succeeded", true)
        }
        if let url = generation.pageURL(.thumbnail, links: links) { values.add("thumb_url", .text(url)) }
        if let url = generation.pageURL(.thumbnailLarge, links: links) { values.add("thumb_large_url", .text(url)) }
        if let url = generation.pageURL(.image, links: links) {
            values.add("image_url", .text(url))
            values.add("download_name", .text(generation.downloadName))
        }
        if generation.favorite { values.add("favorite", true) }
        if generation.isPublic {
            values.add("public", true)
            values.add("share_url", .text(publicURL + "/generations/" + id))
        }
        return values
    }

    /// The same list with another cursor, keeping the filters.
    static func pageURL(_ path: String, query: FormData, cursor: String?) -> String {
        var items = URLComponents()
        items.queryItems = query.pairs.filter { $0.name != "cursor" }.map { URLQueryItem(name: $0.name, value: $0.value) }
        if let cursor { items.queryItems?.append(URLQueryItem(name: "cursor", value: cursor)) }
        let encoded = items.percentEncodedQuery ?? ""
        return encoded.isEmpty ? path : path + "?" + encoded
    }

    @Sendable static func explore(_ context: inout RequestContext) throws -> Reply {
        let query = try context.query()
        let cursor = try query["cursor"].map(ListCursor.init(token:))
        let page = try GenerationStore(db: context.db()).explore(after: cursor, limit: pageSize)
        let publicURL = context.app.config.site.publicURL, links = PageMediaLinks(media: context.app.media)
        return .page(ExplorePage(
            items: page.items.map { tile($0, publicURL: publicURL, links: links) },
            olderURL: page.next.map { pageURL("/explore", query: query, cursor: $0.token) },
            newestURL: cursor == nil ? nil : "/explore"))
    }

    /// Bulk delete: all of the selected images, or none if any is not the user's.
    @Sendable static func deleteSelected(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let form = try context.form()
        let ids = try form.all("ids").map { text -> UUID in
            guard let id = UUID(uuidString: text) else { throw HTTPError.badRequest("`\(text)` is not an image id.") }
            return id
        }
        guard let deleted = try GenerationStore(db: context.db()).delete(ids: ids, userID: user.id) else {
            throw HTTPError.notFound("Some of the selected images are not in your gallery; nothing was deleted.")
        }
        for generation in deleted { context.app.media.delete(generation.fileKeys) }
        context.notify(.imagesDeleted, count: deleted.count)
        return .redirect(to: safeLocalPath(form["back"]) ?? "/gallery")
    }

    @Sendable static func publish(_ context: inout RequestContext) throws -> Reply {
        try curate(&context, notice: { $0["public"] == "1" ? .published : .unpublished }) { curation, form, id, userID in
            try curation.setPublic(form["public"] == "1", id: id, userID: userID)
        }
    }

    @Sendable static func favorite(_ context: inout RequestContext) throws -> Reply {
        try curate(&context, notice: { $0["favorite"] == "1" ? .favorited : .unfavorited }) { curation, form, id, userID in
            try curation.setFavorite(form["favorite"] == "1", id: id, userID: userID)
        }
    }

    /// The owner changes one flag from a form, then goes back where they were.
    private static func curate(_ context: inout RequestContext, notice: (FormData) -> Notice,
                               _ change: (Curation, FormData, UUID, Int64) throws -> Generation?) throws -> Reply {
        let user = try context.requireUser()
        let form = try context.form()
        let id = try GenerationAPI.generationID(context)
        guard try change(Curation(db: context.db(), media: context.app.media, logger: context.app.logger), form, id, user.id) != nil else {
            throw HTTPError.notFound("There is no such image.")
        }
        context.notify(notice(form))
        return .redirect(to: safeLocalPath(form["back"]) ?? "/generations/" + id.uuidString.lowercased())
    }
}
