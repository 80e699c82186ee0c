// Two Pictor pools (as two hosts would run them) behind one nginx upstream, two job workers,
// one PostgreSQL: nothing a host needs lives in another's memory.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class ScaleOutTests: XCTestCase {
    private var stack: PictorStack!

    override func setUpWithError() throws {
        stack = try PictorStack(jobWorkers: 2, pools: 2)
    }

    override func tearDown() {
        stack.stop()
        stack = nil
    }

    func testBothPoolsServeAndEveryJobIsDoneExactlyOnce() throws {
        let client = HTTPClient(connectTimeout: 2, timeout: 10)
        for _ in 0..<40 { XCTAssertEqual(try client.get(stack.baseURL + "/terms").status, 200) }
        for pool in 0..<2 {
            XCTAssertTrue(stack.pictorLog(pool: pool).contains("path=/terms status=200"), "pool \(pool + 1) answered some")
        }

        // Signed up on one pool, used on either: sessions and keys are in PostgreSQL.
        let user = try APIUser.create(on: stack)
        var ids: [String] = []
        for index in 0..<3 {
            let created = try user.post(#"{"prompt": "a harbour at dawn \#(index)", "count": 4}"#)
            XCTAssertEqual(created.status, 202, created.text)
            ids += try XCTUnwrap(try user.object(created)["data"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        }
        XCTAssertEqual(ids.count, 12)
        for id in ids { XCTAssertEqual(try user.finished(id)["status"] as? String, "succeeded") }

        // Each job claimed once, by one of the two workers, and charged once.
        let db = try Connection(stack.databaseURL)
        let jobs = try db.query("SELECT count(*)::int AS jobs, max(attempts) AS most FROM generations")[0]
        XCTAssertEqual(try jobs.get("jobs", as: Int.self), 12)
        XCTAssertEqual(try jobs.get("most", as: Int.self), 1, "no job was claimed twice")
        let books = try user.books()
        XCTAssertEqual(books.usages, 12)
        XCTAssertEqual(books.refunds, 0)
        XCTAssertEqual(books.balance, 50 - 12)
        XCTAssertEqual(books.ledger, books.balance)
    }

    func testWhenOnePoolIsKilledNginxFailsOverLosingOnlyWhatWasInFlight() throws {
        let load = LoadGenerator(url: stack.baseURL + "/terms", threads: 8)
        try stack.waitFor("the load to be answered") { load.answered >= 100 }
        let (master, workers) = stack.poolPIDs(0)
        XCTAssertEqual(workers.count, 2)
        for pid in [master] + workers { kill(pid, SIGKILL) }
        let atKill = load.answered
        try stack.waitFor("requests answered by the other pool", seconds: 30) { load.answered >= atKill + 300 }
        let (statuses, errors) = load.finish()
        XCTAssertEqual(errors, [])
        let failed = statuses.filter { $0.key != 200 }.values.reduce(0, +)
        XCTAssertLessThanOrEqual(failed, 8, "at most the requests in flight at the kill (one per client thread): \(statuses)")

        // Afterwards everything works, writes included, on the pool that is left.
        let user = try APIUser.create(on: stack)
        let created = try user.post(#"{"prompt": "after the failover"}"#)
        XCTAssertEqual(created.status, 202, created.text)
        XCTAssertEqual(try user.finished(try XCTUnwrap(try user.object(created)["id"] as? String))["status"] as? String, "succeeded")
        let client = HTTPClient(connectTimeout: 2, timeout: 10)
        for _ in 0..<20 { XCTAssertEqual(try client.get(stack.baseURL + "/healthz").status, 200) }
    }
}
