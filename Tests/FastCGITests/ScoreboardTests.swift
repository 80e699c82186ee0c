// The pool's shared counters: what a worker's slot adds up, and what survives the worker.

@testable import FastCGI
import XCTest

final class ScoreboardTests: XCTestCase {
    func testASlotCountsRequestsByRouteStatusClassAndDuration() throws {
        let board = try XCTUnwrap(Scoreboard.create(slots: 4, routes: ["GET /gallery"]))
        XCTAssertEqual(board.routes, ["GET /gallery", "other"])
        let index = try XCTUnwrap(board.reserveSlot())
        board.assign(index, to: 4242)
        let slot = Scoreboard.Slot(board: board, index: index)
        slot.begin(threads: 2)
        XCTAssertFalse(slot.requestStarted(threads: 2))
        XCTAssertTrue(slot.requestStarted(threads: 2), "the second of two threads busy leaves none idle")
        slot.requestFinished(route: "GET /gallery", status: 200, seconds: 0.003, slow: false)
        slot.requestFinished(route: "GET /unknown", status: 404, seconds: 7, slow: true)
        slot.connectionAccepted()

        let snapshot = board.snapshot()
        XCTAssertEqual(snapshot.workers, [Scoreboard.Worker(pid: 4242, startedAt: snapshot.workers.first?.startedAt ?? 0, state: .serving,
                                                            threads: 2, busyThreads: 0, requests: 2)])
        let gallery = snapshot.routes[0], other = snapshot.routes[1]
        XCTAssertEqual(gallery.byStatusClass, [0, 1, 0, 0, 0])
        XCTAssertEqual(gallery.byDuration.first, 1, "3 ms is in the 5 ms bucket")
        XCTAssertEqual(other.byStatusClass, [0, 0, 0, 1, 0], "an unknown route counts as other")
        XCTAssertEqual(other.byDuration[Scoreboard.latencyBuckets.count - 1], 1, "7 s is in the 10 s bucket")
        XCTAssertEqual(other.secondsTotal, 7, accuracy: 0.001)
        XCTAssertEqual(snapshot.allThreadsBusy, 1)
        XCTAssertEqual(snapshot.slowRequests, 1)
        XCTAssertEqual(snapshot.acceptedConnections, 1)
    }

    func testCountersOutliveTheWorkerAndItsReplacementCountsOn() throws {
        let board = try XCTUnwrap(Scoreboard.create(slots: 2, routes: ["GET /"]))
        let first = try XCTUnwrap(board.reserveSlot())
        board.assign(first, to: 100)
        XCTAssertEqual(board.snapshot().workers.map(\.state), [.starting])
        Scoreboard.Slot(board: board, index: first).requestFinished(route: "GET /", status: 200, seconds: 0.01, slow: false)
        board.release(first)
        board.count(.recycles)
        XCTAssertEqual(board.snapshot().workers, [], "the worker is gone")
        XCTAssertEqual(board.snapshot().routes[0].count, 1, "what it counted is not")

        let second = try XCTUnwrap(board.reserveSlot())
        XCTAssertEqual(second, first, "a freed slot is taken again")
        board.assign(second, to: 101)
        Scoreboard.Slot(board: board, index: second).requestFinished(route: "GET /", status: 200, seconds: 0.01, slow: false)
        XCTAssertEqual(board.snapshot().routes[0].count, 2, "and counts on from there")
        XCTAssertEqual(board.snapshot().recycles, 1)
        _ = try XCTUnwrap(board.reserveSlot())
        XCTAssertNil(board.reserveSlot(), "no slot left: the next worker runs uncounted")
    }

    func testRequestLogValuesAreBareOrQuotedOnOneLine() {
        XCTAssertEqual(RequestLogLine.value("/gallery"), "/gallery")
        XCTAssertEqual(RequestLogLine.value("GET /generations/{id}"), "\"GET /generations/{id}\"")
        XCTAssertEqual(RequestLogLine.value("a\"b\\c\nd"), "\"a\\\"b\\\\c\\x0ad\"")
        XCTAssertEqual(RequestLogLine.value(""), "\"\"")
    }
}
