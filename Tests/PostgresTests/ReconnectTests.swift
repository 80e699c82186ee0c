// PostgreSQL restarting under a live Connection: idle sessions reconnect, interrupted work fails loudly once.

import Foundation
import Postgres
import Synchronization
import TestSupport
import XCTest

final class ReconnectTests: XCTestCase {
    var database: String!
    var db: Connection!

    override func setUpWithError() throws {
        (database, db) = try Fixtures.emptyDatabase("reconnect")
        try db.execute("CREATE TABLE hits (n int NOT NULL)")
    }

    override func tearDownWithError() throws {
        db?.close()
        // Whatever a test did to the shared server, leave it running for the next one.
        try PostgresServer.shared.start()
    }

    private func backendPID(_ connection: Connection) throws -> Int {
        try connection.query("SELECT pg_backend_pid() AS pid")[0].get("pid")
    }

    /// Ends the session `pid` from another connection as soon as it is inside pg_sleep, i.e. in
    /// the middle of a statement.
    private func terminateOnceSleeping(_ pid: Int) -> Terminator {
        Terminator(pid: pid, conninfo: PostgresServer.shared.conninfo(database: database))
    }

    func testIdleConnectionReconnectsBeforeTheFirstStatementAfterARestart() throws {
        let before = try backendPID(db)
        XCTAssertEqual(try db.query("SELECT $1::int AS n", [1])[0].get("n", as: Int.self), 1)

        try PostgresServer.shared.restart()

        // The first call after the restart succeeds: the idle check saw the server's goodbye
        // and reconnected before sending anything.
        XCTAssertEqual(try db.query("SELECT $1::int AS n", [2])[0].get("n", as: Int.self), 2)
        XCTAssertNotEqual(try backendPID(db), before)
        // The new session got the same settings and an empty statement cache.
        XCTAssertEqual(try db.query("SHOW TimeZone")[0].get(0, as: String.self), "UTC")
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM pg_prepared_statements")[0].get("n", as: Int.self), 4)
    }

    func testExecuteAlsoReconnectsAfterARestart() throws {
        try PostgresServer.shared.restart()
        try db.execute("INSERT INTO hits VALUES (1)")
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 1)
    }

    func testServerDownThrowsConnectionLostUntilItIsBack() throws {
        try PostgresServer.shared.stop()
        let error = assertPostgresError(try db.query("SELECT 1"))
        XCTAssertEqual(error?.kind, .connectionLost)
        XCTAssertEqual(error?.isConnectionFailure, true)
        // Still down: every call says so rather than hanging or crashing.
        XCTAssertEqual(assertPostgresError(try db.query("SELECT 1"))?.kind, .connectionLost)

        try PostgresServer.shared.start()
        XCTAssertEqual(try db.query("SELECT 1 AS one")[0].get("one", as: Int.self), 1)
    }

    func testRestartDuringATransactionFailsItAndTheNextCallReconnects() throws {
        let error = assertPostgresError(try db.transaction { tx in
            try tx.query("INSERT INTO hits VALUES ($1)", [1])
            try PostgresServer.shared.restart()
            try tx.query("INSERT INTO hits VALUES ($1)", [2])
        })
        XCTAssertEqual(error?.kind, .connectionLost)
        XCTAssertFalse(db.isInTransaction)
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 0)
    }

    func testTransactionBodyCannotContinueOnAFreshSessionAfterALostOne() throws {
        let error = assertPostgresError(try db.transaction { tx in
            try tx.query("INSERT INTO hits VALUES ($1)", [1])
            try PostgresServer.shared.restart()
            _ = try? tx.query("INSERT INTO hits VALUES ($1)", [2])
            // Must not reconnect here: the first insert is gone with the old session.
            try tx.query("INSERT INTO hits VALUES ($1)", [3])
        })
        XCTAssertEqual(error?.kind, .connectionLost)
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 0)
    }

    func testSwallowedConnectionLossMakesCommitThrowInsteadOfReportingSuccess() throws {
        let error = assertPostgresError(try db.transaction { tx in
            try tx.query("INSERT INTO hits VALUES ($1)", [1])
            try PostgresServer.shared.restart()
            _ = try? tx.query("INSERT INTO hits VALUES ($1)", [2])
        })
        XCTAssertEqual(error?.kind, .connectionLost)
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 0)
    }

    func testStatementCutOffMidFlightThrowsConnectionLostAndIsNotRetried() throws {
        let pid = try backendPID(db)
        let terminator = terminateOnceSleeping(pid)

        let started = Date()
        let error = assertPostgresError(try db.query(
            "WITH i AS (INSERT INTO hits VALUES (1) RETURNING n) SELECT pg_sleep(20), n FROM i"))
        XCTAssertTrue(terminator.endedItMidStatement(), "the backend was never seen inside pg_sleep")
        XCTAssertEqual(error?.kind, .connectionLost)
        // libpq reads the server's FATAL (57P01) and then EOF, and reports the closed socket,
        // without a SQLSTATE; `isConnectionFailure` is the test callers should use.
        XCTAssertEqual(error?.message, "server closed the connection unexpectedly")
        XCTAssertNil(error?.sqlState)
        XCTAssertEqual(error?.isConnectionFailure, true)
        // A silent retry would have slept another 20 seconds.
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)

        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 0)
        XCTAssertNotEqual(try backendPID(db), pid)
    }

    func testPipelineCutOffMidFlightThrowsConnectionLostAndTheNextCallReconnects() throws {
        let pid = try backendPID(db)
        let terminator = terminateOnceSleeping(pid)

        let error = assertPostgresError(try db.pipeline([
            Statement("INSERT INTO hits VALUES (1)"),
            Statement("SELECT pg_sleep(20)"),
            Statement("SELECT 1 AS one"),
        ]))
        XCTAssertTrue(terminator.endedItMidStatement(), "the backend was never seen inside pg_sleep")
        XCTAssertEqual(error?.kind, .connectionLost)
        XCTAssertEqual(error?.isConnectionFailure, true)
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 0)
        XCTAssertEqual(try db.pipeline([Statement("SELECT 2 AS two")])[0][0].get("two", as: Int.self), 2)
        XCTAssertNotEqual(try backendPID(db), pid)
    }
}

/// Ends one backend from a connection and thread of its own, once that backend is seen waiting
/// inside pg_sleep (or the deadline passes, so a test never hangs on a statement that never started).
private final class Terminator: Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let sawItSleeping = Mutex(false)

    init(pid: Int, conninfo: String, timeout: Double = 10) {
        Thread { [self] in
            defer { finished.signal() }
            guard let killer = try? Connection(conninfo) else { return }
            defer { killer.close() }
            let sleeping = (try? waitUntil("the backend to be inside pg_sleep", timeout: timeout) {
                let rows = try killer.query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'", [pid])
                return try rows[0].get("n", as: Int.self) == 1
            }) != nil
            sawItSleeping.withLock { $0 = sleeping }
            _ = try? killer.query("SELECT pg_terminate_backend($1)", [pid])
        }.start()
    }

    /// Waits for the thread to finish; true if it ended the backend while it was mid-statement.
    func endedItMidStatement() -> Bool {
        guard finished.wait(timeout: .now() + 30) == .success else { return false }
        return sawItSleeping.withLock { $0 }
    }
}
