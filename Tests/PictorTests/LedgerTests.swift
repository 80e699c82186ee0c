// The ledger against real PostgreSQL: charges, refunds and the balance move together, never
// below zero and never twice; and nothing but Ledger writes the ledger.

import Foundation
import Crypto
@testable import Pictor
import Postgres
import TestSupport
import XCTest

final class LedgerTests: XCTestCase {
    private var db: Connection!

    override func setUpWithError() throws {
        let name = try PostgresServer.shared.createDatabase(prefix: "ledger")
        db = try Connection(PostgresServer.shared.conninfo(database: name))
        try Migrator(connection: db, directory: PictorPaths.root + "/sql").migrate()
    }

    override func tearDown() { db?.close() }

    private func user(credits: Int) throws -> User {
        try AccountStore(db: db, hasher: PasswordHasher(n: 1 << 10, r: 8, p: 1)).create(email: "u\(UUID().uuidString.prefix(8))@example.com",
                                                                                 password: "long enough", signupBonus: credits,
                                                                                 commonPasswords: CommonPasswords([]))
    }

    private func balance(_ user: User) throws -> Int { try AccountStore(db: db).find(id: user.id)!.credits }

    /// A generation row to charge (the ledger links usage and refunds to one).
    private func generation(of user: User, cost: Int) throws -> Generation {
        try Generation(row: db.query("""
            INSERT INTO generations AS g (user_id, batch_id, prompt, model, provider, width, height, seed, credit_cost)
            VALUES ($1, gen_random_uuid(), 'p', 'sdxl', 'builtin', 64, 64, 1, $2) RETURNING \(Generation.columns)
            """, [user.id, cost])[0])
    }

    func testChargeAndRefundMoveTheBalanceWithTheirRows() throws {
        let user = try user(credits: 5)
        let job = try generation(of: user, cost: 2)
        try Ledger(db: db).charge(job, reason: "sdxl")
        XCTAssertEqual(try balance(user), 3)
        try Ledger(db: db).refund(job, reason: "failed")
        XCTAssertEqual(try balance(user), 5)
        XCTAssertEqual(try Ledger(db: db).sum(userID: user.id), 5)
        XCTAssertEqual(try Ledger(db: db).entries(userID: user.id, before: nil, limit: 10).map(\.kind), [.refund, .usage, .bonus])
    }

    func testAChargeTheBalanceDoesNotCoverChangesNothing() throws {
        let user = try user(credits: 1)
        let job = try generation(of: user, cost: 2)
        XCTAssertThrowsError(try Ledger(db: db).charge(job, reason: "sdxl")) { error in
            XCTAssertEqual(error as? LedgerError, .insufficientCredits)
        }
        XCTAssertEqual(try balance(user), 1)
        XCTAssertEqual(try Ledger(db: db).entries(userID: user.id, before: nil, limit: 10).count, 1)
    }

    func testAGenerationIsRefundedAtMostOnce() throws {
        let user = try user(credits: 5)
        let job = try generation(of: user, cost: 2)
        try Ledger(db: db).charge(job, reason: "sdxl")
        try Ledger(db: db).refund(job, reason: "failed")
        XCTAssertThrowsError(try Ledger(db: db).refund(job, reason: "failed again"))
        XCTAssertEqual(try balance(user), 5)
    }

    func testFreeGenerationsWriteNoRows() throws {
        let user = try user(credits: 5)
        let job = try generation(of: user, cost: 0)
        try Ledger(db: db).charge(job, reason: "free")
        try Ledger(db: db).refund(job, reason: "free")
        XCTAssertEqual(try Ledger(db: db).entries(userID: user.id, before: nil, limit: 10).count, 1)
    }

    /// Money moves in one place: no other source file writes the ledger or a balance.
    func testOnlyLedgerWritesTransactionsOrBalances() throws {
        let sources = PictorPaths.root + "/Sources"
        let writes = try NSRegularExpression(pattern: #"(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+transactions|SET\s+credits\b"#,
                                             options: [.caseInsensitive])
        var offenders: [String] = []
        for case let file as String in FileManager.default.enumerator(atPath: sources)! where file.hasSuffix(".swift") {
            guard file != "Pictor/Accounts/Ledger.swift" else { continue }
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            if writes.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { offenders.append(file) }
        }
        XCTAssertEqual(offenders, [], "only Ledger.swift may write transactions or users.credits")
    }
}
