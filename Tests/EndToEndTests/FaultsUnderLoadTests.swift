// One fault after another while people keep using the service: a pool worker and a job worker
// killed outright, PostgreSQL restarted, nginx reloaded. After each the service recovers by
// itself, and at the end the books, the files and the queue are all consistent.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class FaultsUnderLoadTests: XCTestCase {
    private var fake: FakeA1111!
    private var stack: PictorStack!

    override func setUpWithError() throws {
        fake = FakeA1111()
        stack = try PictorStack(settings: [
            "provider.a1111.url": fake.url, "model.gpu.provider": "a1111", "model.gpu.cost": "2", "model.gpu.sizes": "512x512",
            "model.flux-schnell.provider": "builtin", "model.flux-schnell.cost": "1",
            // The fake's slow job takes 3 s: room for a busy machine before it would time out.
            "generation.lease": "8", "generation.job_timeout": "7", "generation.requests_per_minute": "1000",
        ], jobWorkers: 1)
    }

    override func tearDown() {
        stack.stop()
        fake.stop()
    }

    /// Waits until `count` requests in a row succeed: the service is back.
    private func recovered(_ what: String) throws {
        let client = HTTPClient(connectTimeout: 2, timeout: 10)
        var inARow = 0
        try stack.waitFor("the service to recover after \(what)", seconds: 60) {
            inARow = (try? client.get(stack.baseURL + "/healthz").status) == 200 ? inARow + 1 : 0
            return inARow >= 20
        }
    }

    func testTheServiceRecoversByItselfFromEachFaultAndStaysConsistent() throws {
        let user = try APIUser.create(on: stack)
        _ = try runCommand(PictorStack.binary, ["admin", "grant", "--config", stack.configPath, "--email", user.email,
                                                "--amount", "1000", "--reason", "load"])
        let url = stack.baseURL + "/api/v1/generations", auth = user.auth
        // People looking, and people generating, all along.
        let looking = LoadGenerator(url: stack.baseURL + "/api/v1/generations?limit=5", threads: 2)
        // About as many images a second as one job worker makes here, so the queue stays short.
        let generating = LoadGenerator(threads: 1) { client in
            Thread.sleep(forTimeInterval: 0.5)
            return try client.send(HTTPRequest(method: "POST", url: url, headers: [auth, ("Content-Type", "application/json")],
                                               body: Array(#"{"prompt": "a lighthouse under load"}"#.utf8)))
        }
        try stack.waitFor("the load to be answered") { looking.answered >= 50 && generating.answered >= 5 }

        // 1. A pool worker killed outright: the master starts another.
        let worker = try XCTUnwrap(stack.workerPIDs().first)
        kill(worker, SIGKILL)
        try stack.waitFor("a replacement pool worker") { stack.workerPIDs().count == 2 && !stack.workerPIDs().contains(worker) }
        try recovered("a killed pool worker")

        // 2. The job worker killed in the middle of a job: its lease runs out and the next worker
        //    (systemd's Restart=on-failure here) finishes the job, charged once.
        let slow = try user.object(user.post(#"{"prompt": "[slow] interrupted", "model": "gpu", "width": 512, "height": 512}"#))
        let slowID = try XCTUnwrap(slow["id"] as? String)
        try stack.waitFor("the slow job to start") {
            (try? user.object(user.get("/api/v1/generations/" + slowID))["status"] as? String) == "running"
        }
        kill(stack.jobWorkers[0].processIdentifier, SIGKILL)
        try stack.startJobWorker()
        XCTAssertEqual(try user.finished(slowID, seconds: 60)["status"] as? String, "succeeded")

        // 3. PostgreSQL restarted: requests fail while it is down, then every process reconnects.
        try PostgresServer.shared.restart()
        try recovered("a PostgreSQL restart")
        XCTAssertEqual(try user.get("/api/v1/generations?limit=1").status, 200)

        // 4. nginx reloaded (new nginx workers, the old ones finish their requests).
        let nginxPID = try XCTUnwrap(Int32(try String(contentsOfFile: stack.state + "/nginx.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(nginxPID, SIGHUP)
        try recovered("an nginx reload")

        _ = looking.finish()
        let (statuses, _) = generating.finish()
        XCTAssertGreaterThan(statuses[202] ?? 0, 10, "\(statuses)")
        try assertConsistent()
    }

    /// Nothing left running past its lease, every image's files on disk, the books balanced.
    private func assertConsistent() throws {
        let db = try Connection(stack.databaseURL)
        try stack.waitFor("the queue to drain", seconds: 90) {
            ((try? db.query("SELECT count(*)::int AS n FROM generations WHERE status IN ('queued', 'running')")[0]
                .get("n", as: Int.self)) ?? 1) == 0
        }
        let stale = try db.query("SELECT count(*)::int AS n FROM generations WHERE status = 'running' AND lease_expires_at < now()")
        XCTAssertEqual(try stale[0].get("n", as: Int.self), 0, "no job stays running past its lease")
        let files = try db.query("""
            SELECT public, image_key, thumb_key, thumb_large_key FROM generations WHERE status = 'succeeded'
            """)
        XCTAssertGreaterThan(files.count, 10)
        for row in files {
            let folder = stack.state + "/media/" + (try row.get("public", as: Bool.self) ? "public/" : "private/")
            for column in ["image_key", "thumb_key", "thumb_large_key"] {
                let key: String = try row.get(column)
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder + key), "\(column) \(key) is on disk")
            }
        }
        XCTAssertEqual(try MoneyInvariant.violations(in: db), [], "every balance is the sum of its ledger rows")
    }
}
