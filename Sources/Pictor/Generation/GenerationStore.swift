// Creating, reading and deleting generations; credits move in the same transactions.

import Crypto
import Foundation
import Postgres

struct GenerationStore {
    /// The channel idle workers LISTEN on: a NOTIFY wakes them the moment a job is queued.
    static let jobsChannel = "pictor_jobs"

    let db: Connection

    /// Everything a new request goes through, for the API and the form alike: validation, the
    /// idempotent replay, the per-user rate limit, the content check, then `create`. Each step refuses before
    /// anything is charged. A retry with the same Idempotency-Key and body gets the first
    /// answer without counting against the rate limit: it asks for nothing new.
    /// `requestID` (the request's X-Request-ID) goes with each job to its provider.
    func start(_ raw: GenerationInput.Raw, userID: Int64, config: Config, moderator: PromptModerator,
               idempotencyKey: String?, requestID: String? = nil) throws -> [Generation] {
        let input = try GenerationInput(raw, models: config.models)
        let model = config.models.first { $0.name == input.model }!
        if let idempotencyKey, let earlier = try replay(userID: userID, key: idempotencyKey, requestHash: input.requestHash) {
            return earlier
        }
        try GenerationLimits.checkRate(userID: userID, db: db, config: config.generation)
        // After the rate limit, so refused prompts count in it; before anything is charged or sent.
        try moderator.check(input.prompt, userID: userID)
        return try create(userID: userID, input: input, model: model, idempotencyKey: idempotencyKey,
                          lowCredit: LowCreditAlert(config), requestID: requestID)
    }

    /// Queues `input.count` generations and debits their cost, all or nothing: the usage rows
    /// and the jobs commit together, and the ledger refuses a balance below zero (402).
    /// The same `idempotencyKey` with the same request returns the first call's generations.
    /// A balance the charge takes below the low-credit threshold queues that email in the same transaction.
    func create(userID: Int64, input: GenerationInput, model: ImageModel, idempotencyKey: String?,
                lowCredit: LowCreditAlert? = nil, requestID: String? = nil) throws -> [Generation] {
        let requestHash = input.requestHash
        if let idempotencyKey, let earlier = try replay(userID: userID, key: idempotencyKey, requestHash: requestHash) {
            return earlier
        }
        do {
            return try db.transaction { db in
                let batch = UUID()
                var created: [Generation] = []
                for index in 0..<input.count {
                    let row = try db.query("""
                        INSERT INTO generations AS g (user_id, batch_id, prompt, negative_prompt, model, provider, width, height,
                                                      seed, credit_cost, public, idempotency_key, request_hash, request_id)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                        RETURNING \(Generation.columns)
                        """, [userID, batch, input.prompt, input.negativePrompt, model.name, model.provider, input.width, input.height,
                              Int64((UInt64(input.seed) + UInt64(index)) % (1 << 32)), model.creditCost, input.isPublic,
                              index == 0 ? idempotencyKey : nil, requestHash, requestID])[0]
                    let generation = try Generation(row: row)
                    try Ledger(db: db).charge(generation, reason: "\(model.name) \(input.width)x\(input.height)")
                    created.append(generation)
                }
                try lowCredit?.afterDebit(userID: userID, amount: model.creditCost * input.count, db: db)
                try db.query("SELECT pg_notify($1, '')", [Self.jobsChannel])
                return created
            }
        } catch let error as PostgresError where error.isUniqueViolation && idempotencyKey != nil {
            // A concurrent request with the same key won; answer with its generations.
            guard let earlier = try replay(userID: userID, key: idempotencyKey!, requestHash: requestHash) else { throw error }
            return earlier
        } catch LedgerError.insufficientCredits {
            throw HTTPError(402, code: "insufficient_credits",
                            message: "This needs \(model.creditCost * input.count) credits and your balance is lower. Buy more on /pricing.")
        }
    }

    private func replay(userID: Int64, key: String, requestHash: [UInt8]) throws -> [Generation]? {
        guard let first = try db.query("""
            SELECT \(Generation.columns), g.request_hash FROM generations g WHERE g.user_id = $1 AND g.idempotency_key = $2
            """, [userID, key]).first else { return nil }
        guard try first.get("request_hash", as: [UInt8].self) == requestHash else {
            throw HTTPError(409, code: "conflict", message: "This Idempotency-Key was already used with a different request.")
        }
        let batch: UUID = try first.get("batch_id")
        return try db.query("SELECT \(Generation.columns) FROM generations g WHERE g.batch_id = $1 ORDER BY g.seed, g.id", [batch])
            .map(Generation.init(row:))
    }

    /// The user's generation, or nil (someone else's is as good as missing).
    func find(id: UUID, userID: Int64) throws -> Generation? {
        try db.query("SELECT \(Generation.columns) FROM generations g WHERE g.id = $1 AND g.user_id = $2", [id, userID])
            .first.map(Generation.init(row:))
    }

    /// Which of a user's generations a list shows.
    struct Filter {
        /// Words that must all appear in the prompt (full-text, the GIN index on prompt_tsv).
        var words: String?
        var model: String?
        var favoritesOnly = false
        /// One image per request: its first (the others are on that image's page).
        var onePerRequest = false
        /// Only the images of this request.
        var batchID: UUID?
    }

    /// Newest first after `cursor` (keyset on created_at, id: stable while new ones arrive).
    func list(userID: Int64, filter: Filter = Filter(), after cursor: ListCursor?, limit: Int) throws -> Page {
        try Self.page(db.run(Self.listStatement(owner: .user(userID), filter: filter, after: cursor, limit: limit)), limit: limit)
    }

    /// The statement behind `list`, for sending with others (read its rows with `page(_:limit:)`).
    static func listStatement(owner: Owner, filter: Filter, after cursor: ListCursor?, limit: Int) -> Statement {
        var query = PageQuery()
        switch owner {
        case .user(let id): query.add("g.user_id = $", id)
        case .session(let hash): query.add("g.user_id = " + SessionStore.liveUserID, hash)
        }
        // NFC, as prompts are stored (GenerationInput), so é matches é however it was typed.
        if let words = filter.words?.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines),
           !words.isEmpty {
            query.add("g.prompt_tsv @@ plainto_tsquery('simple', $)", words)
            query.planEachTime = true
        }
        if let model = filter.model { query.add("g.model = $", model) }
        if filter.favoritesOnly { query.add("g.favorite") }
        // The batch's first image as pages order them: the same created_at, the lowest id.
        if let batch = filter.batchID { query.add("g.batch_id = $", batch) }
        if filter.onePerRequest { query.add("NOT EXISTS (SELECT 1 FROM generations b WHERE b.batch_id = g.batch_id AND b.id < g.id)") }
        return pageStatement(query, after: cursor, limit: limit)
    }

    /// Everyone's public images, newest first (the explore feed).
    func explore(after cursor: ListCursor?, limit: Int) throws -> Page {
        var query = PageQuery()
        query.add("g.public AND g.status = 'succeeded'")
        return try Self.page(db.run(Self.pageStatement(query, after: cursor, limit: limit)), limit: limit)
    }

    /// A page of a list, and the cursor of the next page if there is one.
    typealias Page = (items: [Generation], next: ListCursor?)

    /// The WHERE clause of a list, holding only the conditions that apply. Each combination of
    /// filters is its own prepared statement, so PostgreSQL settles on one generic plan per
    /// combination instead of planning every request again (as `$n IS NULL OR …` would force);
    /// searches are the exception (`planEachTime`).
    struct PageQuery {
        private(set) var conditions: [String] = []
        private(set) var values: [PostgresEncodable?] = []
        /// Plan with the actual values each time rather than reuse a plan (searches: whether
        /// the word index or the date index is faster depends on the word).
        var planEachTime = false

        /// Adds a condition; each `$` in it takes the next parameter number, for `values` in order.
        mutating func add(_ condition: String, _ values: PostgresEncodable...) {
            var numbered = ""
            var pending = values[...]
            for character in condition {
                if character == "$", let value = pending.popFirst() {
                    self.values.append(value)
                    numbered += "$\(self.values.count)"
                } else {
                    numbered.append(character)
                }
            }
            precondition(pending.isEmpty, "more values than parameters in \(condition)")
            conditions.append(numbered)
        }
    }

    /// One keyset page, newest first; a row beyond `limit` tells that there is a next page.
    private static func pageStatement(_ query: PageQuery, after cursor: ListCursor?, limit: Int) -> Statement {
        var query = query
        if let cursor {
            query.add("(g.created_at, g.id) < (timestamptz 'epoch' + $::bigint * interval '1 microsecond', $::uuid)",
                      cursor.micros, cursor.id)
        }
        // The row limit is written into the statement, not passed: with `LIMIT $n` the planner
        // cannot cost a generic plan (it assumes a tenth of a large user's rows) and plans every
        // request anew. Rounded up to a multiple of 25 so a handful of statements serve every
        // page size; the rows past `limit + 1` only confirm there is a next page.
        let fetch = (limit + 1 + 24) / 25 * 25
        return Statement("""
            SELECT \(Generation.columns), (extract(epoch FROM g.created_at) * 1000000)::bigint AS micros
            FROM generations g
            WHERE \(query.conditions.joined(separator: " AND "))
            ORDER BY g.created_at DESC, g.id DESC
            LIMIT \(fetch)
            """, query.values, planEachTime: query.planEachTime)
    }

    /// The page in the rows of a list statement.
    static func page(_ rows: Rows, limit: Int) throws -> Page {
        (try rows.prefix(limit).map(Generation.init(row:)), try nextCursor(rows, limit: limit))
    }

    /// Where the page after the first `limit` rows of a list statement starts, if there is one.
    static func nextCursor(_ rows: Rows, limit: Int) throws -> ListCursor? {
        guard rows.count > limit, limit > 0 else { return nil }
        let last = rows[limit - 1]
        return ListCursor(micros: try last.get("micros"), id: try last.get("id"))
    }

    /// Deletes the user's generation and returns it (its files are the caller's to remove).
    func delete(id: UUID, userID: Int64) throws -> Generation? {
        try delete(ids: [id], userID: userID)?.first
    }

    /// Deletes several of the user's generations at once, or none: if any id is not theirs
    /// (or does not exist) nothing changes. Unfinished ones are refunded. Returns the deleted.
    func delete(ids: [UUID], userID: Int64) throws -> [Generation]? {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [] }
        let list = "{" + unique.map { $0.postgresText }.joined(separator: ",") + "}"
        return try db.transaction { db -> [Generation]? in
            let rows = try db.query("""
                SELECT \(Generation.columns) FROM generations g WHERE g.id = ANY($1::uuid[]) AND g.user_id = $2 FOR UPDATE
                """, [list, userID]).map(Generation.init(row:))
            guard rows.count == unique.count else { return nil }
            for generation in rows where !generation.isFinished {
                try Ledger(db: db).refund(generation, reason: "deleted before it finished")
            }
            try db.query("DELETE FROM generations WHERE id = ANY($1::uuid[]) AND user_id = $2", [list, userID])
            return rows
        }
    }

    /// The user's images of one request, in the order pages show them.
    func batch(id: UUID, userID: Int64) throws -> [Generation] {
        try db.query("""
            SELECT \(Generation.columns) FROM generations g WHERE g.batch_id = $1 AND g.user_id = $2 ORDER BY g.created_at, g.id
            """, [id, userID]).map(Generation.init(row:))
    }

    /// The user's latest distinct prompts, newest first, each with the latest image made from it
    /// (to reuse its settings). Read from the latest 50 images: cheap, and enough to find a few.
    func recentPrompts(userID: Int64, limit: Int) throws -> [(id: String, prompt: String)] {
        let rows = try db.query("""
            SELECT g.id, g.prompt FROM generations g WHERE g.user_id = $1 ORDER BY g.created_at DESC, g.id DESC LIMIT 50
            """, [userID])
        var seen = Set<String>(), recent: [(id: String, prompt: String)] = []
        for row in rows where recent.count < limit {
            let prompt: String = try row.get("prompt")
            guard seen.insert(prompt).inserted else { continue }
            recent.append((try row.get("id", as: UUID.self).uuidString.lowercased(), prompt))
        }
        return recent
    }

    /// The images made by the same request as `generation` that the viewer may see, in order.
    func batch(of generation: Generation, viewerID: Int64?) throws -> [Generation] {
        try db.query("""
            SELECT \(Generation.columns) FROM generations g WHERE g.batch_id = $1 AND (g.public OR g.user_id = $2)
            ORDER BY g.created_at, g.id
            """, [generation.batchID, viewerID]).map(Generation.init(row:))
    }

    /// A generation the viewer may see: their own, or anyone's public one.
    func findVisible(id: UUID, viewerID: Int64?) throws -> Generation? {
        try db.query("""
            SELECT \(Generation.columns) FROM generations g WHERE g.id = $1 AND (g.public OR g.user_id = $2)
            """, [id, viewerID]).first.map(Generation.init(row:))
    }
}

/// An opaque page cursor: `<created_at in µs>_<id>`.
struct ListCursor: Equatable {
    let micros: Int64
    let id: UUID

    var token: String { "\(micros)_\(id.postgresText)" }

    init(micros: Int64, id: UUID) {
        self.micros = micros
        self.id = id
    }

    /// Times a cursor may name: from 1970 to the end of year 9999, which PostgreSQL's timestamps
    /// hold; a wilder number would overflow there (a 500) instead of being refused here (a 400).
    static let microsRange: ClosedRange<Int64> = 0...253_402_300_799_999_999

    init(token: String) throws {
        let parts = token.split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), Self.microsRange.contains(micros),
              let id = UUID(uuidString: String(parts[1])) else {
            throw HTTPError.badRequest("`cursor` is not a cursor this API returned.")
        }
        self.init(micros: micros, id: id)
    }
}
