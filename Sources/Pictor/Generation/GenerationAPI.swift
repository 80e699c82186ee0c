// The generations JSON API: create (optionally waiting), read, list, delete, update; models; ledger.

import FastCGI
import Foundation
import Postgres

enum GenerationAPI {
    /// 202 with the generation (or `{"data": [...]}` for count > 1) while any image is still on
    /// its way, 200 once all are finished (a replay of finished work with its Idempotency-Key).
    /// `Prefer: wait=N` (N ≤ 60) waits up to N seconds for them, when a wait slot is free (see
    /// WaitSlots; `Preference-Applied` tells whether it waited).
    @Sendable static func create(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        let raw = try context.request.json(GenerationInput.Raw.self)
        // Every header is checked before anything is charged.
        let idempotencyKey = try APIRequest.idempotencyKey(context.request)
        let wait = try APIRequest.waitSeconds(context.request)
        var generations = try GenerationStore(db: context.db())
            .start(raw, userID: user.id, config: context.app.config, moderator: context.app.moderator, idempotencyKey: idempotencyKey,
                   requestID: context.requestID)
        var waited = false
        if let wait {
            let db = try context.db(), started = generations
            if let finished = try context.app.waitSlots.withSlot({ try waitForResults(started, seconds: wait, userID: user.id, db: db) }) {
                generations = finished
                waited = true
            }
        }
        // 200 once every image is finished: after a wait, or for a replay of finished work.
        let status = generations.allSatisfy(\.isFinished) ? 200 : 202
        var reply: Reply
        if generations.count == 1 {
            reply = Reply.json(GenerationObject(generations[0], media: context.app.media), status: status)
                .header("Location", "/api/v1/generations/" + generations[0].idString)
        } else {
            reply = .json(GenerationBatch(data: generations.map { GenerationObject($0, media: context.app.media) }), status: status)
        }
        if waited, let wait { reply.setHeader("Preference-Applied", "wait=\(wait)") }
        return reply
    }

    @Sendable static func show(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        guard let generation = try GenerationStore(db: context.db()).find(id: try generationID(context), userID: user.id) else {
            throw HTTPError.notFound("There is no such generation.")
        }
        // A client polling an image revalidates instead of downloading it again.
        return Reply.json(GenerationObject(generation, media: context.app.media)).withValidator()
    }

    @Sendable static func list(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        let query = try context.query()
        let limit = try APIRequest.pageLimit(query["limit"])
        let cursor = try query["cursor"].map(ListCursor.init(token:))
        var filter = GenerationStore.Filter()
        filter.words = query["q"]
        filter.model = query["model"].flatMap { $0.isEmpty ? nil : $0 }
        switch query["favorite"] {
        case nil, "false": break
        case "true": filter.favoritesOnly = true
        default: throw HTTPError.badRequest("`favorite` must be true or false.")
        }
        if let batch = query["batch_id"] {
            guard let id = UUID(uuidString: batch) else { throw HTTPError.badRequest("`batch_id` must be a batch id (a UUID).", field: "batch_id") }
            filter.batchID = id
        }
        let page = try GenerationStore(db: context.db()).list(userID: user.id, filter: filter, after: cursor, limit: limit)
        return .json(ListPage(data: page.items.map { GenerationObject($0, media: context.app.media) }, nextCursor: page.next?.token))
    }

    @Sendable static func delete(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        guard let deleted = try GenerationStore(db: context.db()).delete(id: try generationID(context), userID: user.id) else {
            throw HTTPError.notFound("There is no such generation.")
        }
        context.app.media.delete(deleted.fileKeys)
        return .empty()
    }

    /// `{"public": bool}` and/or `{"favorite": bool}`.
    @Sendable static func update(_ context: inout RequestContext) throws -> Reply {
        /// Each field may be left out, but not sent as null: the document says boolean.
        struct Changes: Decodable {
            var `public`: Bool?
            var favorite: Bool?

            enum CodingKeys: String, CodingKey { case `public`, favorite }

            init(from decoder: Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                for key in [CodingKeys.public, .favorite] where container.contains(key) {
                    if try container.decodeNil(forKey: key) {
                        throw HTTPError.badRequest("`\(key.stringValue)` must be true or false, not null.", field: key.stringValue)
                    }
                }
                `public` = try container.decodeIfPresent(Bool.self, forKey: .public)
                favorite = try container.decodeIfPresent(Bool.self, forKey: .favorite)
            }
        }
        let user = try context.apiUser()
        let id = try generationID(context)
        let changes = try context.request.json(Changes.self)
        guard changes.public != nil || changes.favorite != nil else {
            throw HTTPError.badRequest("Send `public` and/or `favorite` (true or false).")
        }
        let curation = Curation(db: try context.db(), media: context.app.media, logger: context.app.logger)
        var generation = try GenerationStore(db: context.db()).find(id: id, userID: user.id)
        if generation != nil, let favorite = changes.favorite { generation = try curation.setFavorite(favorite, id: id, userID: user.id) }
        if generation != nil, let isPublic = changes.public { generation = try curation.setPublic(isPublic, id: id, userID: user.id) }
        guard let generation else { throw HTTPError.notFound("There is no such generation.") }
        return .json(GenerationObject(generation, media: context.app.media))
    }

    @Sendable static func models(_ context: inout RequestContext) throws -> Reply {
        .json(ModelList(data: context.app.config.models.map(ModelObject.init)))
    }

    @Sendable static func transactions(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        let query = try context.query()
        let limit = try APIRequest.pageLimit(query["limit"])
        var before: Int64?
        if let cursor = query["cursor"] {
            // Digits only, as the API writes them: Int64 would also read "+5".
            guard cursor.allSatisfy(\.isASCII), cursor.allSatisfy(\.isNumber), let id = Int64(cursor), id > 0 else {
                throw HTTPError.badRequest("`cursor` is not a cursor this API returned.", field: "cursor")
            }
            before = id
        }
        let entries = try Ledger(db: context.db()).entries(userID: user.id, before: before, limit: limit + 1)
        let page = entries.prefix(limit)
        return .json(ListPage(data: page.map(TransactionObject.init),
                              nextCursor: entries.count > limit ? page.last.map { String($0.id) } : nil))
    }

    /// The `{id}` of the route as a generation id; anything else is as good as missing.
    static func generationID(_ context: RequestContext) throws -> UUID {
        guard let text = context.parameters["id"], text.count == 36, let id = UUID(uuidString: text) else {
            throw HTTPError.notFound("There is no such generation.")
        }
        return id
    }

    /// Polls until every generation is finished or the time is up (the request thread waits;
    /// N is capped at 60 s).
    static func waitForResults(_ generations: [Generation], seconds: Int, userID: Int64, db: Connection) throws -> [Generation] {
        let deadline = Date().addingTimeInterval(Double(seconds))
        let store = GenerationStore(db: db)
        var current = generations
        while !current.allSatisfy(\.isFinished), Date() < deadline {
            usleep(100_000)
            current = try current.map { try store.find(id: $0.id, userID: userID) ?? $0 }
        }
        return current
    }
}

/// Headers and query parameters the API reads, checked with errors that say what is wrong.
enum APIRequest {
    static func pageLimit(_ text: String?) throws -> Int {
        guard let text else { return 20 }
        guard let limit = Int(text), (1...100).contains(limit) else { throw HTTPError.badRequest("`limit` must be between 1 and 100.") }
        return limit
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.header("idempotency-key") else { return nil }
        guard (1...255).contains(key.utf8.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw HTTPError.badRequest("`Idempotency-Key` must be 1–255 visible ASCII characters.")
        }
        return key
    }

    /// `Prefer: wait=N`, N from 0 to 60.
    static func waitSeconds(_ request: Request) throws -> Int? {
        guard let prefer = request.header("prefer") else { return nil }
        for part in prefer.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == "wait" else { continue }
            guard let seconds = Int(pair[1]), (0...60).contains(seconds) else {
                throw HTTPError.badRequest("`Prefer: wait=N` takes N from 0 to 60 seconds.")
            }
            return seconds
        }
        return nil
    }
}
