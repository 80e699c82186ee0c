// Random and mutated FastCGI records straight to the pool's socket, and malformed HTTP through
// nginx (bench/fuzz-fastcgi.py; bench/fuzz.sh runs it for minutes): no worker crashes, none
// keeps a connection, and the pool answers throughout.

import Foundation
import HTTPClient
import TestSupport
import XCTest

final class EdgeFuzzTests: XCTestCase {
    func testMalformedRecordsAndRequestsNeitherCrashNorLeak() throws {
        let stack = try PictorStack()
        defer { stack.stop() }
        try stack.waitFor("two workers") { stack.workerPIDs().count == 2 }
        let workers = stack.workerPIDs()
        /// What a process's open descriptors point at (`socket:[…]`, `pipe:[…]`, paths).
        func descriptors(_ pid: Int32) -> [String] {
            let directory = "/proc/\(pid)/fd"
            return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).map {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)) ?? "?"
            }
        }
        let port = try XCTUnwrap(URL(string: stack.baseURL)?.port)

        let output = try runCommand("/usr/bin/env", ["python3", PictorStack.root + "/bench/fuzz-fastcgi.py",
                                                     "--socket", stack.socketPath, "--http", "127.0.0.1:\(port)",
                                                     "--seconds", "8", "--seed", "20261205"])
        XCTAssertTrue(output.contains("the pool still answers"), output)
        XCTAssertFalse(stack.pictorLog().contains("died"), "no worker crashed:\n" + stack.pictorLog().suffix(3000))
        XCTAssertEqual(stack.workerPIDs(), workers, "the same workers serve")
        XCTAssertTrue(stack.pictorLog().contains("does not speak FastCGI as nginx does"), "refusals are logged")
        // nginx closes its idle kept connections after 4 s. A worker's own sockets (not the
        // ones both inherit from the master) are then at most one PostgreSQL connection per
        // thread (4); a leak would be hundreds.
        Thread.sleep(forTimeInterval: 5)
        let sockets = workers.map { Set(descriptors($0).filter { $0.hasPrefix("socket:") }) }
        let inherited = sockets[0].intersection(sockets[1])
        for (pid, own) in zip(workers, sockets.map { $0.subtracting(inherited) }) {
            XCTAssertLessThanOrEqual(own.count, 4, "worker \(pid) keeps no connection: \(descriptors(pid))")
        }
        XCTAssertEqual(try HTTPClient(connectTimeout: 2, timeout: 10).get(stack.baseURL + "/healthz").status, 200)
    }
}
