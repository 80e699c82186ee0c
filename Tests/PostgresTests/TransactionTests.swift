// transaction { }: commit, rollback on a thrown error or a failed statement, savepoints when nested.

import Foundation
import Postgres
import XCTest

final class TransactionTests: XCTestCase {
    struct Boom: Error {}

    var db: Connection!

    override func setUpWithError() throws {
        db = try Fixtures.emptyDatabase("tx").connection
        try db.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")
    }

    override func tearDown() {
        db?.close()
    }

    private func ids() throws -> [Int] {
        try db.query("SELECT id FROM items ORDER BY id").map { try $0.get("id") }
    }

    func testTransactionCommitsItsWorkAndReturnsTheBodysValue() throws {
        let value = try db.transaction { tx -> String in
            try tx.query("INSERT INTO items VALUES ($1, $2)", [1, "one"])
            try tx.query("INSERT INTO items VALUES ($1, $2)", [2, "two"])
            return "done"
        }
        XCTAssertEqual(value, "done")
        XCTAssertEqual(try ids(), [1, 2])
        XCTAssertFalse(db.isInTransaction)
    }

    func testTransactionRollsBackAndRethrowsWhenTheBodyThrows() throws {
        XCTAssertThrowsError(try db.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1, $2)", [1, "one"])
            throw Boom()
        }) { error in
            XCTAssertTrue(error is Boom)
        }
        XCTAssertEqual(try ids(), [])
        XCTAssertFalse(db.isInTransaction)
    }

    func testFailedStatementRollsBackTheWholeTransaction() throws {
        try db.query("INSERT INTO items VALUES (1, 'existing')")
        let error = assertPostgresError(try db.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1, $2)", [2, "two"])
            try tx.query("INSERT INTO items VALUES ($1, $2)", [1, "duplicate"])
        })
        XCTAssertEqual(error?.isUniqueViolation, true)
        XCTAssertEqual(try ids(), [1])
        XCTAssertFalse(db.isInTransaction)
    }

    func testSwallowedStatementErrorStillRollsBackInsteadOfCommitting() throws {
        let error = assertPostgresError(try db.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1, $2)", [1, "one"])
            _ = try? tx.query("INSERT INTO items VALUES ($1, $2)", [1, "again"])
        })
        XCTAssertEqual(error?.sqlState, "25P02")
        XCTAssertEqual(try ids(), [])
        XCTAssertFalse(db.isInTransaction)
    }

    func testIsInTransactionIsTrueOnlyInsideTheBody() throws {
        XCTAssertFalse(db.isInTransaction)
        XCTAssertThrowsError(try db.transaction { tx in
            XCTAssertTrue(tx.isInTransaction)
            _ = try? tx.query("SELECT 1/0")
            XCTAssertTrue(tx.isInTransaction, "a failed transaction stays open until rolled back")
            throw Boom()
        })
        XCTAssertFalse(db.isInTransaction)
    }

    func testNestedTransactionFailureUndoesOnlyTheInnerWork() throws {
        try db.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1, $2)", [1, "outer"])
            XCTAssertThrowsError(try tx.transaction { inner in
                try inner.query("INSERT INTO items VALUES ($1, $2)", [2, "inner"])
                try inner.query("INSERT INTO items VALUES ($1, $2)", [1, "clash"])
            })
            try tx.transaction { inner in
                try inner.query("INSERT INTO items VALUES ($1, $2)", [3, "inner ok"])
            }
            try tx.query("INSERT INTO items VALUES ($1, $2)", [4, "outer again"])
        }
        XCTAssertEqual(try ids(), [1, 3, 4])
    }

    func testOuterRollbackAlsoUndoesCommittedInnerWork() throws {
        XCTAssertThrowsError(try db.transaction { tx in
            try tx.transaction { inner in
                try inner.query("INSERT INTO items VALUES ($1, $2)", [1, "inner"])
            }
            throw Boom()
        })
        XCTAssertEqual(try ids(), [])
    }

    func testRolledBackTransactionLeavesTheConnectionReusable() throws {
        XCTAssertThrowsError(try db.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1, $2)", [1, "one"])
            throw Boom()
        })
        try db.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1, $2)", [1, "one"])
        }
        XCTAssertEqual(try ids(), [1])
    }
}
