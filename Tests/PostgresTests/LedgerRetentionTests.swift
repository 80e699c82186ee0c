// sql/002: deleting an account keeps its payments anonymised, the ledger stays append-only, and
// deleting an image finds its ledger rows through an index.

import Foundation
import Postgres
import TestSupport
import XCTest

final class LedgerRetentionTests: XCTestCase {
    var db: Connection!

    override func setUpWithError() throws {
        db = try Fixtures.migratedDatabase("retention").connection
    }

    override func tearDown() {
        db?.close()
    }

    private func createUser() throws -> Int {
        try db.query("INSERT INTO users (email, password_hash) VALUES ($1, 'scrypt$x') RETURNING id",
                     ["user\(UUID().uuidString.prefix(8).lowercased())@example.com"])[0].get("id")
    }

    @discardableResult
    private func ledger(_ user: Int?, _ amount: Int, _ kind: String, generation: UUID? = nil, stripeEvent: String? = nil) throws -> Int64 {
        try db.query("""
            INSERT INTO transactions (user_id, amount, kind, generation_id, stripe_event_id) VALUES ($1, $2, $3, $4, $5) RETURNING id
            """, [user, amount, kind, generation, stripeEvent])[0].get("id")
    }

    private func createGeneration(_ user: Int) throws -> UUID {
        try db.query("""
            INSERT INTO generations (user_id, batch_id, prompt, model, provider, width, height, seed, credit_cost)
            VALUES ($1, gen_random_uuid(), 'a red fox', 'sdxl', 'builtin', 512, 512, 1, 2) RETURNING id
            """, [user])[0].get("id")
    }

    private func count(_ sql: String, _ params: [PostgresEncodable?] = []) throws -> Int {
        try db.query("SELECT count(*)::int AS n FROM " + sql, params)[0].get("n")
    }

    /// (id, kind, amount, stripe_event_id) of the anonymised rows, by id.
    private func anonymousRows() throws -> [String] {
        try db.query("SELECT id, kind, amount, stripe_event_id FROM transactions WHERE user_id IS NULL ORDER BY id").map {
            "\(try $0.get("id", as: Int64.self)) \(try $0.get("kind", as: String.self)) \(try $0.get("amount", as: Int.self)) "
                + (try $0.get("stripe_event_id", as: String?.self) ?? "-")
        }
    }

    /// A user who signed up, bought, subscribed, generated (charged and refunded), and was
    /// granted and revoked credits; returns the user and the ids of their payment rows.
    private func userWithHistory() throws -> (user: Int, payments: [Int64]) {
        let user = try createUser()
        try ledger(user, 50, "bonus")
        let purchase = try ledger(user, 500, "purchase", stripeEvent: "evt_pack")
        let subscription = try ledger(user, 2000, "subscription", stripeEvent: "evt_invoice")
        let generation = try createGeneration(user)
        try ledger(user, -2, "usage", generation: generation)
        try ledger(user, 2, "refund", generation: generation)
        try ledger(user, 10, "grant")
        try ledger(user, -5, "revoke")
        try db.query("INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, 'c', now() + interval '1 day')",
                     [[UInt8](repeating: 1, count: 32), user])
        return (user, [purchase, subscription])
    }

    // MARK: Deleting an account

    func testDeletingAUserKeepsTheirPaymentsAnonymisedAndRemovesTheRest() throws {
        let (user, payments) = try userWithHistory()
        let other = try createUser()
        try ledger(other, 50, "bonus")
        try ledger(other, 500, "purchase", stripeEvent: "evt_other")

        XCTAssertEqual(try db.query("DELETE FROM users WHERE id = $1", [user]).affectedRows, 1)

        XCTAssertEqual(try anonymousRows(), ["\(payments[0]) purchase 500 evt_pack", "\(payments[1]) subscription 2000 evt_invoice"])
        XCTAssertEqual(try count("transactions WHERE user_id = $1", [user]), 0)
        XCTAssertEqual(try count("generations WHERE user_id = $1", [user]), 0)
        XCTAssertEqual(try count("sessions WHERE user_id = $1", [user]), 0)
        XCTAssertEqual(try count("transactions WHERE user_id = $1", [other]), 2)
        XCTAssertEqual(try db.query("SELECT credits FROM users WHERE id = $1", [other])[0].get("credits", as: Int.self), 550)
        // A replayed Stripe event of the deleted account still cannot credit anyone twice.
        XCTAssertEqual(assertPostgresError(try ledger(other, 500, "purchase", stripeEvent: "evt_pack"))?.constraint,
                       "transactions_stripe_event_id_key")
    }

    func testAnonymisedPaymentsCannotBeChangedOrDeleted() throws {
        let (user, _) = try userWithHistory()
        try db.query("DELETE FROM users WHERE id = $1", [user])
        let before = try anonymousRows()
        let other = try createUser()
        for sql in ["UPDATE transactions SET amount = 1 WHERE user_id IS NULL",
                    "UPDATE transactions SET reason = 'edited' WHERE user_id IS NULL",
                    "UPDATE transactions SET user_id = \(other) WHERE user_id IS NULL",
                    "DELETE FROM transactions WHERE user_id IS NULL"] {
            XCTAssertEqual(assertPostgresError(try db.query(sql))?.sqlState, "23000", sql)
        }
        XCTAssertEqual(try anonymousRows(), before)
    }

    func testLiveRowsCannotBeUnlinkedDeletedOrTruncated() throws {
        let (user, _) = try userWithHistory()
        let rows = try count("transactions WHERE user_id = $1", [user])
        for sql in ["UPDATE transactions SET user_id = NULL WHERE user_id = \(user) AND kind = 'purchase'",
                    "UPDATE transactions SET amount = amount WHERE user_id = \(user)",
                    "DELETE FROM transactions WHERE user_id = \(user) AND kind = 'bonus'",
                    "TRUNCATE transactions", "TRUNCATE users CASCADE"] {
            XCTAssertEqual(assertPostgresError(try db.query(sql))?.sqlState, "23000", sql)
        }
        XCTAssertEqual(try count("transactions WHERE user_id = $1", [user]), rows)
        XCTAssertEqual(try db.query("SELECT credits FROM users WHERE id = $1", [user])[0].get("credits", as: Int.self), 2555)
    }

    func testARowWithoutAUserCannotBeInserted() throws {
        XCTAssertEqual(assertPostgresError(try ledger(nil, 500, "purchase"))?.sqlState, "23000")
        XCTAssertEqual(assertPostgresError(try ledger(nil, 50, "grant"))?.constraint, "transactions_user_or_payment")
        XCTAssertEqual(try count("transactions"), 0)
    }

    // MARK: Deleting an image

    func testDeletingAGenerationFindsItsLedgerRowsThroughTheIndex() throws {
        let user = try createUser()
        try ledger(user, 5000, "grant")
        // Enough rows that a sequential scan would cost more than the index, as in production.
        try db.query("""
            INSERT INTO generations (user_id, batch_id, prompt, model, provider, width, height, seed, credit_cost)
            SELECT $1, gen_random_uuid(), 'p' || n, 'sdxl', 'builtin', 512, 512, n, 1 FROM generate_series(1, 3000) n
            """, [user])
        try db.query("INSERT INTO transactions (user_id, amount, kind, generation_id) SELECT $1, -1, 'usage', id FROM generations",
                     [user])
        try db.execute("ANALYZE transactions")
        let generation: UUID = try db.query("SELECT id FROM generations ORDER BY id LIMIT 1")[0].get("id")

        // The foreign key's action runs this statement, planned once for any id.
        try db.execute("SET plan_cache_mode = force_generic_plan")
        try db.execute("PREPARE unlink(uuid) AS UPDATE ONLY transactions SET generation_id = NULL WHERE $1 = generation_id")
        let plan = try db.queryPlanningEachTime("EXPLAIN EXECUTE unlink('\(generation)')").map { try $0.get(0, as: String.self) }
            .joined(separator: "\n")
        XCTAssertTrue(plan.contains("Index Scan using transactions_generation_id_idx"), plan)
        try db.execute("RESET plan_cache_mode")

        // And the real delete reads the ledger through an index only. The session's counters also
        // hold earlier statements not yet flushed to the shared statistics, hence the difference.
        try db.transaction { tx in
            let scans = { () throws -> (seq: Int, index: Int) in
                let row = try tx.query("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'transactions'")[0]
                return (try row.get("seq_scan"), try row.get("idx_scan"))
            }
            let before = try scans()
            XCTAssertEqual(try tx.query("DELETE FROM generations WHERE id = $1", [generation]).affectedRows, 1)
            let after = try scans()
            XCTAssertEqual(after.seq - before.seq, 0)
            XCTAssertGreaterThan(after.index - before.index, 0)
        }
        XCTAssertEqual(try count("transactions WHERE generation_id IS NULL AND kind = 'usage'"), 1)
    }
}
