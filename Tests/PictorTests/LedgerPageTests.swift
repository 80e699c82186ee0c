// Ledger.entries against real PostgreSQL: whole history in order, pages read through the user's
// index without sorting, and a kind this build does not know is an error.

import Foundation
import Postgres
@testable import Pictor
import TestSupport
import XCTest

final class LedgerPageTests: XCTestCase {
    var db: Connection!

    override func setUpWithError() throws {
        db = try TestDatabase.migrated("ledger").connection
    }

    override func tearDown() {
        db?.close()
    }

    /// 1000 users with 5 rows each plus one with `extra` more, interleaved as signups and
    /// purchases would be; statistics gathered. Returns the busy user.
    private func seed(extra: Int) throws -> Int64 {
        try db.query("INSERT INTO users (email, password_hash) SELECT 'u' || n || '@example.com', 'x' FROM generate_series(1, 1000) n")
        let busy: Int64 = try db.query("SELECT min(id) AS id FROM users")[0].get("id")
        try db.query("""
            INSERT INTO transactions (user_id, amount, kind)
            SELECT u.id, 1, 'grant' FROM generate_series(1, 5) round, users u,
                   generate_series(1, CASE WHEN u.id = $1 THEN 1 + $2 / 5 ELSE 1 END) k
            ORDER BY round, u.id, k
            """, [busy, extra])
        try db.execute("ANALYZE transactions")
        return busy
    }

    /// Every entry of the user, page after page as the account page and the API fetch them.
    private func allPages(_ user: Int64, limit: Int) throws -> [Int64] {
        var ids: [Int64] = []
        var before: Int64?
        while true {
            let page = try Ledger(db: db).entries(userID: user, before: before, limit: limit)
            ids += page.map(\.id)
            guard page.count == limit else { return ids }
            before = page.last?.id
        }
    }

    func testPagesCoverTheWholeHistoryNewestFirst() throws {
        let user = try seed(extra: 600)
        let expected: [Int64] = try db.query("SELECT id FROM transactions WHERE user_id = $1 ORDER BY id DESC", [user]).map { try $0.get("id") }
        XCTAssertEqual(expected.count, 605)
        XCTAssertEqual(try allPages(user, limit: 50), expected)
        XCTAssertEqual(try Ledger(db: db).entries(userID: user + 1, before: nil, limit: 50).count, 5)
    }

    func testPagesReadTheUsersIndexInOrderWithoutSorting() throws {
        let user = try seed(extra: 600)
        // Enough runs that PostgreSQL decides between a plan for any values and one per call.
        for _ in 0..<8 { _ = try allPages(user, limit: 50) }
        let statements = try db.queryPlanningEachTime("""
            SELECT name, statement, generic_plans FROM pg_prepared_statements
            WHERE statement LIKE '%FROM transactions WHERE user_id = $1%ORDER BY id DESC%'
              AND statement NOT LIKE '%pg_prepared_statements%'
            ORDER BY statement
            """)
        XCTAssertEqual(statements.count, 2, "one statement for the first page, one for the pages after a cursor")
        try db.execute("SET plan_cache_mode = force_generic_plan")
        defer { try? db.execute("RESET plan_cache_mode") }
        for row in statements {
            let name: String = try row.get("name"), sql: String = try row.get("statement")
            XCTAssertGreaterThan(try row.get("generic_plans", as: Int.self), 0, "settled on one plan for every call: \(sql)")
            let arguments = sql.contains("$3") ? "\(user), 1000000, 51" : "\(user), 51"
            let plan = try db.queryPlanningEachTime("EXPLAIN EXECUTE \(name)(\(arguments))")
                .map { try $0.get(0, as: String.self) }.joined(separator: "\n")
            XCTAssertTrue(plan.contains("Index Scan using transactions_user_id_idx on transactions"), plan)
            XCTAssertTrue(plan.contains(sql.contains("$3") ? "Index Cond: ((user_id = $1) AND (id < $2))" : "Index Cond: (user_id = $1)"), plan)
            XCTAssertFalse(plan.contains("Sort"), plan)
        }
    }

    func testAKindThisBuildDoesNotKnowIsAnError() throws {
        let user = try seed(extra: 0)
        // As if a newer release had added a kind: the row is real money, so it must not be shown as something else.
        try db.execute("ALTER TABLE transactions DROP CONSTRAINT transactions_kind_valid, DROP CONSTRAINT transactions_amount_sign")
        try db.query("INSERT INTO transactions (user_id, amount, kind) VALUES ($1, 5, 'gift')", [user])
        XCTAssertThrowsError(try Ledger(db: db).entries(userID: user, before: nil, limit: 10)) { error in
            XCTAssertEqual((error as? PostgresError)?.kind, .decoding)
            XCTAssertTrue("\(error)".contains("gift"), "\(error)")
        }
    }
}
