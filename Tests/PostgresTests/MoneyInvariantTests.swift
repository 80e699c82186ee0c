// TestSupport's MoneyInvariant, which runs after every test that used a database, names each user it finds broken.

import Foundation
import Postgres
import TestSupport
import XCTest

final class MoneyInvariantTests: XCTestCase {
    func testNamesEveryUserWhoseBalanceDisagreesWithTheirLedger() throws {
        let db = try Fixtures.migratedDatabase("invariant").connection
        defer { db.close() }
        for email in ["ada@example.com", "bob@example.com", "cy@example.com"] {
            try db.query("""
                WITH u AS (INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id)
                INSERT INTO transactions (user_id, amount, kind) SELECT id, 50, 'bonus' FROM u
                """, [email])
        }
        XCTAssertEqual(try MoneyInvariant.violations(in: db), [])

        // Only a superuser switching the guards off can break it; the schema itself never lets it happen.
        try db.execute("ALTER TABLE users DISABLE TRIGGER users_guard_credits")
        try db.execute("ALTER TABLE users DROP CONSTRAINT users_credits_nonnegative")
        try db.query("UPDATE users SET credits = 60 WHERE email = 'bob@example.com'")
        try db.query("UPDATE users SET credits = -50 WHERE email = 'cy@example.com'")
        let ids: [Int64] = try db.query("SELECT id FROM users ORDER BY id").map { try $0.get("id") }
        XCTAssertEqual(try MoneyInvariant.violations(in: db), [
            "user \(ids[1]) <bob@example.com> has 60 credits but ledger rows summing to 50",
            "user \(ids[2]) <cy@example.com> has -50 credits but ledger rows summing to 50",
        ])

        // Put right, or the check after this test would fail it too.
        try db.query("UPDATE users SET credits = 50")
        XCTAssertEqual(try MoneyInvariant.violations(in: db), [])
    }

    func testADatabaseWithoutThePictorSchemaHasNothingToCheck() throws {
        let db = try Fixtures.emptyDatabase("invariant").connection
        defer { db.close() }
        try db.execute("CREATE TABLE users (id int)")
        XCTAssertEqual(try MoneyInvariant.violations(in: db), [])
    }
}
