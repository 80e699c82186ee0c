// sql/001_init.sql enforces the money rules itself: the ledger drives the balance, append-only, never below zero.

import Foundation
import Postgres
import TestSupport
import XCTest

final class SchemaTests: XCTestCase {
    var database: String!
    var db: Connection!

    override func setUpWithError() throws {
        (database, db) = try Fixtures.migratedDatabase("schema")
    }

    override func tearDown() {
        db?.close()
    }

    // MARK: Helpers

    @discardableResult
    private func createUser(_ email: String = "user\(UUID().uuidString.prefix(8).lowercased())@example.com", credits: Int = 0) throws -> Int {
        let id: Int = try db.query("INSERT INTO users (email, password_hash) VALUES ($1, 'scrypt$x') RETURNING id", [email])[0].get("id")
        if credits > 0 {
            try ledger(id, credits, "bonus")
        }
        return id
    }

    @discardableResult
    private func ledger(_ user: Int, _ amount: Int, _ kind: String, generation: UUID? = nil, on connection: Connection? = nil) throws -> Rows {
        try (connection ?? db).query("INSERT INTO transactions (user_id, amount, kind, generation_id) VALUES ($1, $2, $3, $4)",
                                     [user, amount, kind, generation])
    }

    private func createGeneration(_ user: Int, prompt: String = "a red fox", on connection: Connection? = nil) throws -> UUID {
        try (connection ?? db).query("""
            INSERT INTO generations (user_id, batch_id, prompt, model, provider, width, height, seed, credit_cost)
            VALUES ($1, $2, $3, 'flux-schnell', 'builtin', 1024, 1024, $4, 1) RETURNING id
            """, [user, UUID(), prompt, 42])[0].get("id")
    }

    private func credits(_ user: Int) throws -> Int {
        try db.query("SELECT credits FROM users WHERE id = $1", [user])[0].get("credits")
    }

    private func ledgerSum(_ user: Int) throws -> Int {
        try db.query("SELECT coalesce(sum(amount), 0)::int AS s FROM transactions WHERE user_id = $1", [user])[0].get("s")
    }

    private func ledgerCount(_ user: Int) throws -> Int {
        try db.query("SELECT count(*) AS n FROM transactions WHERE user_id = $1", [user])[0].get("n")
    }

    // MARK: Ledger and balance

    func testLedgerRowsMoveTheBalance() throws {
        let user = try createUser()
        XCTAssertEqual(try credits(user), 0)
        try ledger(user, 50, "bonus")
        XCTAssertEqual(try credits(user), 50)
        let generation = try createGeneration(user)
        try ledger(user, -3, "usage", generation: generation)
        try ledger(user, 3, "refund", generation: generation)
        try ledger(user, 500, "purchase")
        try ledger(user, -20, "revoke")
        XCTAssertEqual(try credits(user), 530)
        XCTAssertEqual(try ledgerSum(user), 530)
    }

    func testOverdraftFailsWithCheckViolationAndChangesNothing() throws {
        let user = try createUser(credits: 5)
        let error = assertPostgresError(try ledger(user, -6, "usage"))
        XCTAssertEqual(error?.isCheckViolation, true)
        XCTAssertEqual(error?.constraint, "users_credits_nonnegative")
        XCTAssertEqual(try credits(user), 5)
        XCTAssertEqual(try ledgerCount(user), 1)
    }

    func testOverdraftInsideARequestTransactionLeavesNoGenerationBehind() throws {
        let user = try createUser(credits: 1)
        let error = assertPostgresError(try db.transaction { tx in
            let generation = try createGeneration(user, on: tx)
            try ledger(user, -2, "usage", generation: generation, on: tx)
        })
        XCTAssertEqual(error?.isCheckViolation, true)
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM generations")[0].get("n", as: Int.self), 0)
        XCTAssertEqual(try credits(user), 1)
    }

    func testConcurrentDebitsNeverTakeTheBalanceBelowZero() throws {
        let user = try createUser(credits: 10)
        let successes = Locked(0)
        let checkViolations = Locked(0)
        let otherErrors = Locked<[String]>([])
        let database = self.database!
        runConcurrently(20, prepare: { _ in
            try! Connection(PostgresServer.shared.conninfo(database: database))
        }, body: { _, connection in
            do {
                try connection.transaction { tx in
                    try tx.query("INSERT INTO transactions (user_id, amount, kind) VALUES ($1, -1, 'usage')", [user])
                }
                successes.mutate { $0 += 1 }
            } catch let error as PostgresError where error.isCheckViolation {
                checkViolations.mutate { $0 += 1 }
            } catch {
                otherErrors.mutate { $0.append("\(error)") }
            }
            connection.close()
        })
        XCTAssertEqual(otherErrors.current, [])
        XCTAssertEqual(successes.current, 10)
        XCTAssertEqual(checkViolations.current, 10)
        XCTAssertEqual(try credits(user), 0)
        XCTAssertEqual(try ledgerSum(user), 0)
        XCTAssertEqual(try ledgerCount(user), 11)
    }

    func testLedgerRowsCannotBeUpdated() throws {
        let user = try createUser(credits: 50)
        let error = assertPostgresError(try db.query("UPDATE transactions SET amount = 5000 WHERE user_id = $1", [user]))
        XCTAssertEqual(error?.sqlState, "23000")
        XCTAssertTrue(error?.serverMessage?.contains("append-only") ?? false)
        XCTAssertEqual(try credits(user), 50)
        XCTAssertEqual(try ledgerSum(user), 50)
    }

    func testLedgerRowsCannotBeDeletedExceptWithTheirAccount() throws {
        let user = try createUser(credits: 50)
        let generation = try createGeneration(user)
        try ledger(user, -1, "usage", generation: generation)
        XCTAssertEqual(assertPostgresError(try db.query("DELETE FROM transactions WHERE user_id = $1", [user]))?.sqlState, "23000")
        XCTAssertEqual(try ledgerCount(user), 2)

        XCTAssertEqual(try db.query("DELETE FROM users WHERE id = $1", [user]).affectedRows, 1)
        XCTAssertEqual(try ledgerCount(user), 0)
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM generations")[0].get("n", as: Int.self), 0)
    }

    func testDeletingAGenerationKeepsItsChargeInTheHistory() throws {
        let user = try createUser(credits: 10)
        let generation = try createGeneration(user)
        try ledger(user, -1, "usage", generation: generation)
        XCTAssertEqual(try db.query("DELETE FROM generations WHERE id = $1", [generation]).affectedRows, 1)
        let row = try db.query("SELECT amount, generation_id FROM transactions WHERE kind = 'usage' AND user_id = $1", [user])[0]
        XCTAssertEqual(try row.get("amount", as: Int.self), -1)
        XCTAssertNil(try row.get("generation_id", as: UUID?.self))
        XCTAssertEqual(try credits(user), 9)
    }

    func testGenerationIsRefundedAtMostOnce() throws {
        let user = try createUser(credits: 10)
        let generation = try createGeneration(user)
        try ledger(user, -2, "usage", generation: generation)
        try ledger(user, 2, "refund", generation: generation)
        let error = assertPostgresError(try ledger(user, 2, "refund", generation: generation))
        XCTAssertEqual(error?.isUniqueViolation, true)
        XCTAssertEqual(error?.constraint, "transactions_one_refund_per_generation")
        XCTAssertEqual(try credits(user), 10)
    }

    func testGenerationIsChargedAtMostOnce() throws {
        let user = try createUser(credits: 10)
        let generation = try createGeneration(user)
        try ledger(user, -1, "usage", generation: generation)
        XCTAssertEqual(assertPostgresError(try ledger(user, -1, "usage", generation: generation))?.constraint,
                       "transactions_one_usage_per_generation")
        XCTAssertEqual(try credits(user), 9)
    }

    func testAmountSignMustMatchTheKind() throws {
        let user = try createUser(credits: 10)
        for (amount, kind) in [(1, "usage"), (-1, "refund"), (-5, "bonus"), (3, "revoke"), (0, "grant")] {
            XCTAssertEqual(assertPostgresError(try ledger(user, amount, kind))?.isCheckViolation, true, "\(kind) \(amount)")
        }
        XCTAssertEqual(assertPostgresError(try ledger(user, 1, "gift"))?.constraint, "transactions_kind_valid")
        XCTAssertEqual(try credits(user), 10)
    }

    func testCreditsCanOnlyChangeThroughTheLedger() throws {
        let user = try createUser(credits: 5)
        XCTAssertEqual(assertPostgresError(try db.query("UPDATE users SET credits = 1000 WHERE id = $1", [user]))?.sqlState, "23000")
        XCTAssertEqual(assertPostgresError(try db.query(
            "INSERT INTO users (email, password_hash, credits) VALUES ('rich@example.com', 'x', 100)"))?.sqlState, "23000")
        XCTAssertEqual(try credits(user), 5)

        let before: Date = try db.query("SELECT updated_at FROM users WHERE id = $1", [user])[0].get("updated_at")
        try db.query("UPDATE users SET plan = 'pro' WHERE id = $1", [user])
        let after: Date = try db.query("SELECT updated_at FROM users WHERE id = $1", [user])[0].get("updated_at")
        XCTAssertGreaterThan(after, before)
    }

    // MARK: Other constraints

    func testEmailsAreStoredNormalisedAndUnique() throws {
        try createUser("ada@example.com")
        XCTAssertEqual(assertPostgresError(try createUser("Ada@Example.com"))?.constraint, "users_email_normalized")
        XCTAssertEqual(assertPostgresError(try createUser(" ada2@example.com"))?.constraint, "users_email_normalized")
        XCTAssertEqual(assertPostgresError(try createUser("no-at-sign"))?.constraint, "users_email_shape")
        let duplicate = assertPostgresError(try createUser("ada@example.com"))
        XCTAssertEqual(duplicate?.isUniqueViolation, true)
        XCTAssertEqual(duplicate?.constraint, "users_email_key")
    }

    func testGenerationValuesAreChecked() throws {
        let user = try createUser()
        func insert(prompt: String = "ok", seed: Int = 1, status: String = "queued", width: Int = 512) throws {
            try db.query("""
                INSERT INTO generations (user_id, batch_id, prompt, model, provider, width, height, seed, credit_cost, status)
                VALUES ($1, gen_random_uuid(), $2, 'sdxl', 'builtin', $3, 512, $4, 2, $5)
                """, [user, prompt, width, seed, status])
        }
        XCTAssertNoThrow(try insert(prompt: String(repeating: "🎨", count: 1000), seed: 4_294_967_295))
        XCTAssertEqual(assertPostgresError(try insert(prompt: ""))?.constraint, "generations_prompt_length")
        XCTAssertEqual(assertPostgresError(try insert(prompt: String(repeating: "a", count: 1001)))?.constraint, "generations_prompt_length")
        XCTAssertEqual(assertPostgresError(try insert(seed: 4_294_967_296))?.constraint, "generations_seed_range")
        XCTAssertEqual(assertPostgresError(try insert(seed: -1))?.constraint, "generations_seed_range")
        XCTAssertEqual(assertPostgresError(try insert(status: "done"))?.constraint, "generations_status_valid")
        XCTAssertEqual(assertPostgresError(try insert(width: 0))?.constraint, "generations_size_positive")
        XCTAssertEqual(assertPostgresError(try insert(status: "succeeded"))?.constraint, "generations_succeeded_has_image")
    }

    func testPromptSearchMatchesWords() throws {
        let user = try createUser()
        let fox = try createGeneration(user, prompt: "A red Fox in the snow")
        _ = try createGeneration(user, prompt: "blue whale")
        let found = try db.query("""
            SELECT id FROM generations WHERE user_id = $1 AND prompt_tsv @@ plainto_tsquery('simple', $2)
            ORDER BY created_at DESC, id DESC
            """, [user, "fox snow"]).map { try $0.get("id", as: UUID.self) }
        XCTAssertEqual(found, [fox])
    }

    func testIdempotencyKeysAreUniquePerUser() throws {
        let alice = try createUser(), bob = try createUser()
        let sql = """
            INSERT INTO generations (user_id, batch_id, prompt, model, provider, width, height, seed, credit_cost, idempotency_key)
            VALUES ($1, gen_random_uuid(), 'p', 'sdxl', 'builtin', 512, 512, 1, 2, $2)
            """
        try db.query(sql, [alice, "key-1"])
        try db.query(sql, [bob, "key-1"])
        try db.query(sql, [alice, nil])
        try db.query(sql, [alice, nil])
        XCTAssertEqual(assertPostgresError(try db.query(sql, [alice, "key-1"]))?.constraint, "generations_user_idempotency_key")
    }

    func testReplayedStripeEventHitsThePrimaryKey() throws {
        let insert = "INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3::jsonb)"
        try db.query(insert, ["evt_1", "checkout.session.completed", "{\"id\": \"evt_1\"}"])
        XCTAssertEqual(assertPostgresError(try db.query(insert, ["evt_1", "checkout.session.completed", "{}"]))?.isUniqueViolation, true)
        let user = try createUser()
        try db.query("INSERT INTO transactions (user_id, amount, kind, stripe_event_id) VALUES ($1, 500, 'purchase', 'evt_1')", [user])
        XCTAssertEqual(assertPostgresError(try db.query(
            "INSERT INTO transactions (user_id, amount, kind, stripe_event_id) VALUES ($1, 500, 'purchase', 'evt_1')", [user]))?.isUniqueViolation, true)
        XCTAssertEqual(try credits(user), 500)
    }

    func testACheckoutSessionOrAnInvoiceCreditsOnceWhateverEventBringsIt() throws {
        let user = try createUser()
        let insert = """
            INSERT INTO transactions (user_id, amount, kind, stripe_event_id, stripe_checkout_session_id, stripe_invoice_id)
            VALUES ($1, 2000, 'purchase', $2, $3, $4)
            """
        try db.query(insert, [user, "evt_a", "cs_1", "in_1"])
        XCTAssertEqual(assertPostgresError(try db.query(insert, [user, "evt_b", "cs_1", nil]))?.constraint,
                       "transactions_stripe_checkout_session_key")
        XCTAssertEqual(assertPostgresError(try db.query(insert, [user, "evt_c", nil, "in_1"]))?.constraint,
                       "transactions_stripe_invoice_key")
        try db.query(insert, [user, "evt_d", nil, "in_2"])
        XCTAssertEqual(try credits(user), 4000)
    }

    func testFreeMonthlyCreditsAreAnAllowanceAndANewAccountCountsAsServedThisMonth() throws {
        let user = try createUser()
        try ledger(user, 50, "allowance")
        XCTAssertEqual(assertPostgresError(try ledger(user, -5, "allowance"))?.constraint, "transactions_amount_sign")
        let served: Bool = try db.query("""
            SELECT free_credits_month = (date_trunc('month', now() AT TIME ZONE 'UTC'))::date AS served FROM users WHERE id = $1
            """, [user])[0].get("served")
        XCTAssertTrue(served)
    }

    func testSessionTokenHashMustBeSHA256Sized() throws {
        let user = try createUser()
        let insert = "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, 'csrf', now() + interval '1 day')"
        try db.query(insert, [[UInt8](repeating: 7, count: 32), user])
        XCTAssertEqual(assertPostgresError(try db.query(insert, [[UInt8](repeating: 7, count: 16), user]))?.constraint,
                       "sessions_token_hash_length")
    }
}
