// `pictor worker` purges expired sessions, ended rate-limit windows and unfinished sign-ins by itself, and logs what it purged.

import Foundation
import Postgres
import TestSupport
import XCTest

final class WorkerHousekeepingTests: XCTestCase {
    func testWorkerPurgesExpiredRowsAndLogsWhatItPurged() throws {
        let stack = try PictorStack(workers: 1)
        defer { stack.stop() }
        let visitor = Browser(base: stack.baseURL)
        XCTAssertEqual(try visitor.signUp(email: "hk-\(UUID().uuidString.prefix(8).lowercased())@example.com").status, 303)
        let db = try Connection(stack.databaseURL)
        defer { db.close() }
        try db.query("""
            INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
            SELECT $1, id, 'csrf', now() - interval '1 minute' FROM users
            """, [[UInt8](repeating: 9, count: 32)])
        try db.query("""
            INSERT INTO rate_limits (key, window_start, count, expires_at)
            VALUES ('generate:user:0', now() - interval '2 minutes', 4, now() - interval '1 minute')
            """)
        let count = { (table: String) -> Int in
            (try? db.query("SELECT count(*)::int AS n FROM \(table)")[0].get("n", as: Int.self)) ?? -1
        }
        XCTAssertEqual(count("sessions"), 2)

        try stack.startJobWorker(arguments: ["--housekeeping-interval", "1"])
        let log = { (try? String(contentsOfFile: stack.state + "/worker-0.log", encoding: .utf8)) ?? "" }
        try stack.waitFor("the worker to log its purge") {
            log().contains("housekeeping purged 1 expired session(s), 1 ended rate-limit window(s), 0 expired emailed link(s), "
                + "0 unfinished provider sign-in(s) and 0 old sent mail(s)")
        }
        XCTAssertEqual(count("sessions"), 1)
        let windows = try db.query("SELECT key FROM rate_limits").map { try $0.get("key", as: String.self) }
        XCTAssertEqual(windows, ["signup:address:127.0.0.1"], "the ended window is gone; the sign-up's live one stays")
        XCTAssertEqual(try visitor.get("/account").status, 200, "the live session still works")
        // Runs with nothing to purge stay quiet.
        sleep(2)
        XCTAssertEqual(log().components(separatedBy: "housekeeping purged").count, 2, log())
    }
}
