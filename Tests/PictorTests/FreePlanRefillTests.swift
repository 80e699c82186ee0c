// The Free plan's monthly credits against real PostgreSQL: up to the plan's credits, never above,
// once per account per month, however many workers run it at once.

import Foundation
import Postgres
import Synchronization
@testable import Pictor
import TestSupport
import XCTest

final class FreePlanRefillTests: XCTestCase {
    var conninfo: String!
    var db: Connection!
    let billing = Billing()

    override func setUpWithError() throws {
        (conninfo, db) = try TestDatabase.migrated("refill")
    }

    override func tearDown() {
        db?.close()
    }

    /// An account on `plan` with `credits`, last served in an earlier month (nil: never).
    private func account(plan: String = "free", credits: Int, servedMonthsAgo: Int? = 1) throws -> Int64 {
        let id: Int64 = try db.query("INSERT INTO users (email, password_hash, plan) VALUES ($1, 'scrypt$x', $2) RETURNING id",
                                     ["refill-\(UUID().uuidString.prefix(8).lowercased())@example.com", plan])[0].get("id")
        if credits > 0 { try Ledger(db: db).append(userID: id, amount: credits, kind: .bonus, reason: nil) }
        try served(id, monthsAgo: servedMonthsAgo)
        return id
    }

    private func served(_ id: Int64, monthsAgo: Int?) throws {
        try db.query("""
            UPDATE users SET free_credits_month = (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => $2))::date
            WHERE id = $1
            """, [id, monthsAgo])
    }

    private func balance(_ id: Int64) throws -> Int {
        try db.query("SELECT credits FROM users WHERE id = $1", [id])[0].get("credits")
    }

    private func allowances(_ id: Int64) throws -> [Int] {
        try db.query("SELECT amount FROM transactions WHERE user_id = $1 AND kind = 'allowance' ORDER BY id", [id]).map { try $0.get("amount") }
    }

    func testFreeAccountsAreToppedUpToTheirPlansCreditsNeverAbove() throws {
        let low = try account(credits: 10), empty = try account(credits: 0, servedMonthsAgo: nil)
        let full = try account(credits: 50), rich = try account(credits: 80), paid = try account(plan: "pro", credits: 3)
        let result = try FreePlanRefill(db: db, billing: billing).run()
        XCTAssertEqual(result, FreePlanRefill.Result(served: 4, toppedUp: 2))
        XCTAssertEqual(try [low, empty, full, rich, paid].map(balance), [50, 50, 50, 80, 3])
        XCTAssertEqual(try allowances(low), [40])
        XCTAssertEqual(try allowances(empty), [50])
        let reason: String = try db.query("SELECT reason FROM transactions WHERE user_id = $1 AND kind = 'allowance'", [low])[0].get("reason")
        XCTAssertTrue(reason.hasPrefix("Free plan credits for "), reason)
        XCTAssertEqual(try MoneyInvariant.violations(in: db), [])
    }

    func testASecondRunInTheSameMonthAddsNothingAndTheNextMonthAddsAgain() throws {
        let id = try account(credits: 5)
        XCTAssertEqual(try FreePlanRefill(db: db, billing: billing).run().toppedUp, 1)
        try Ledger(db: db).append(userID: id, amount: -30, kind: .revoke, reason: "spent")
        XCTAssertEqual(try FreePlanRefill(db: db, billing: billing).run(), FreePlanRefill.Result())
        XCTAssertEqual(try balance(id), 20)

        try served(id, monthsAgo: 1)   // as if the calendar had turned
        XCTAssertEqual(try FreePlanRefill(db: db, billing: billing).run().toppedUp, 1)
        XCTAssertEqual(try balance(id), 50)
        XCTAssertEqual(try allowances(id), [45, 30])
    }

    func testANewAccountsSignUpBonusIsItsFirstMonth() throws {
        let id: Int64 = try db.query("INSERT INTO users (email, password_hash) VALUES ('new-refill@example.com', 'scrypt$x') RETURNING id")[0].get("id")
        XCTAssertEqual(try FreePlanRefill(db: db, billing: billing).run(), FreePlanRefill.Result())
        XCTAssertEqual(try allowances(id), [])
    }

    func testWorkersRunningAtOnceServeEachAccountOnce() throws {
        let ids = try (0..<120).map { _ in try account(credits: Int.random(in: 0...60)) }
        let conninfo = self.conninfo!
        let billing = self.billing
        let results = Mutex<[FreePlanRefill.Result]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            guard let connection = try? Connection(conninfo),
                  let result = try? FreePlanRefill(db: connection, billing: billing, batchSize: 7).run() else { return }
            results.withLock { $0.append(result) }
            connection.close()
        }
        let all = results.withLock { $0 }
        XCTAssertEqual(all.count, 4)
        XCTAssertEqual(all.map(\.served).reduce(0, +), 120)
        for id in ids {
            XCTAssertLessThanOrEqual(try allowances(id).count, 1)
            XCTAssertGreaterThanOrEqual(try balance(id), 50)
        }
        XCTAssertEqual(try MoneyInvariant.violations(in: db), [])
    }
}
