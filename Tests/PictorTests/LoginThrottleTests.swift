// Login throttling against real PostgreSQL: failures from one address cannot lock the owner out
// from another, and every way of typing one email counts against one account.

import Foundation
import Crypto
@testable import Pictor
import Postgres
import TestSupport
import XCTest

final class LoginThrottleTests: XCTestCase {
    private var db: Connection!
    private var throttle: LoginThrottle!

    override func setUpWithError() throws {
        let name = try PostgresServer.shared.createDatabase(prefix: "throttle")
        db = try Connection(PostgresServer.shared.conninfo(database: name))
        try Migrator(connection: db, directory: PictorPaths.root + "/sql").migrate()
        var accounts = Config.Accounts()
        accounts.loginMaxFailures = 3
        throttle = LoginThrottle(db: db, config: accounts)
    }

    override func tearDown() { db?.close() }

    func testAnAttackersFailuresDoNotLockTheOwnerOutFromAnotherAddress() throws {
        for _ in 0..<10 { try throttle.recordFailure(email: "victim@example.com", address: "203.0.113.9") }
        XCTAssertThrowsError(try throttle.check(email: "victim@example.com", address: "203.0.113.9")) { error in
            XCTAssertEqual((error as? HTTPError)?.status, 429, "the guessing address is refused")
        }
        let delay = try throttle.check(email: "victim@example.com", address: "198.51.100.7")
        XCTAssertGreaterThan(delay, 0, "the account under attack is slowed down")
        XCTAssertLessThanOrEqual(delay, LoginThrottle.maxDelay, "but never refused or held for long")
        XCTAssertEqual(try throttle.check(email: "someone.else@example.com", address: "198.51.100.7"), 0)
    }

    func testOneAddressGuessingManyAccountsIsRefused() throws {
        for index in 0..<3 { try throttle.recordFailure(email: "user\(index)@example.com", address: "203.0.113.9") }
        XCTAssertThrowsError(try throttle.check(email: "user9@example.com", address: "203.0.113.9"))
    }

    func testEveryWayOfTypingAnEmailIsOneKey() {
        let key = LoginThrottle.emailKey("victim@example.com")
        for variant in ["victim@example.com\n", "\rvictim@example.com", "VICTIM@example.com\r\n", " Victim@Example.COM\t"] {
            XCTAssertEqual(LoginThrottle.emailKey(variant), key, variant.debugDescription)
        }
        XCTAssertEqual(LoginThrottle.emailKey("not an email\n"), "not an email", "a non-address is trimmed the same way")
    }

    func testTheDelayGrowsPastTheLimitAndIsCapped() {
        XCTAssertEqual(LoginThrottle.delay(failures: 2, limit: 3), 0)
        XCTAssertEqual(LoginThrottle.delay(failures: 3, limit: 3), 0.25)
        XCTAssertEqual(LoginThrottle.delay(failures: 5, limit: 3), 0.75)
        XCTAssertEqual(LoginThrottle.delay(failures: 500, limit: 3), LoginThrottle.maxDelay)
    }

    func testASuccessfulLoginClearsTheAccountsCountButNotTheAddresss() throws {
        for _ in 0..<2 { try throttle.recordFailure(email: "a@example.com", address: "203.0.113.9") }
        try throttle.recordFailure(email: "b@example.com", address: "203.0.113.9")
        try throttle.recordSuccess(email: "a@example.com", address: "203.0.113.9")
        XCTAssertThrowsError(try throttle.check(email: "c@example.com", address: "203.0.113.9"), "the address still has 3 failures")
        XCTAssertEqual(try throttle.check(email: "a@example.com", address: "198.51.100.7"), 0)
    }
}
