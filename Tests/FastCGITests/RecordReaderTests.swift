// FastCGI records read off one end of a socket pair, as a worker thread reads what nginx sends.

@testable import FastCGI
import Foundation
import XCTest

final class RecordReaderTests: XCTestCase {
    private var ends: [Int32] = [-1, -1]
    private var reader = RecordReader()

    override func setUpWithError() throws {
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends), 0)
        reader.use(ends[0])
    }

    override func tearDown() {
        ends.forEach { close($0) }
    }

    private typealias RecordType = RecordReader.RecordType

    /// Writes what nginx would send, then hangs up its sending side so a reader waiting for
    /// more sees the end instead of blocking.
    private func send(_ bytes: [UInt8], thenHangUp: Bool = true) {
        XCTAssertEqual(bytes.withUnsafeBytes { write(ends[1], $0.baseAddress!, $0.count) }, bytes.count)
        if thenHangUp { shutdown(ends[1], Int32(SHUT_WR)) }
    }

    /// Everything the reader wrote back.
    private func answer() -> [UInt8] {
        shutdown(ends[0], Int32(SHUT_WR))
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while case let count = read(ends[1], &chunk, chunk.count), count > 0 { bytes += chunk.prefix(count) }
        return bytes
    }

    private func pair(_ name: String, _ value: String) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 128 ? [UInt8(count)] : [UInt8(0x80 | count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
        }
        return length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
    }

    private func begin(_ id: UInt16, role: UInt8 = 1, keep: Bool = true) -> [UInt8] {
        RecordReader.record(RecordType.beginRequest, id, [0, role, keep ? 1 : 0, 0, 0, 0, 0, 0])
    }

    private func request(_ id: UInt16, params: [UInt8], body: [UInt8] = []) -> [UInt8] {
        begin(id) + RecordReader.record(RecordType.params, id, params) + RecordReader.record(RecordType.params, id, [])
            + (body.isEmpty ? [] : RecordReader.record(RecordType.stdin, id, body)) + RecordReader.record(RecordType.stdin, id, [])
    }

    func testAWholeRequestIsReadWithItsParamsAndBody() throws {
        let params = pair("REQUEST_METHOD", "POST") + pair("CONTENT_LENGTH", "5") + pair("HTTP_X_LONG", String(repeating: "v", count: 300))
        send(request(7, params: params, body: Array("hello".utf8)), thenHangUp: false)
        let request = try reader.readRequest(limit: 100)
        XCTAssertEqual(request.id, 7)
        XCTAssertTrue(request.keepConnection)
        XCTAssertEqual(request.params["REQUEST_METHOD"], "POST")
        XCTAssertEqual(request.params["HTTP_X_LONG"]?.count, 300, "a 4-byte length")
        XCTAssertEqual(request.body, .body(Array("hello".utf8)))
        XCTAssertFalse(reader.hasUnreadBytes)
    }

    func testABodyOverTheLimitIsReadAndDroppedSoTheConnectionStaysUsable() throws {
        send(request(1, params: pair("CONTENT_LENGTH", "300"), body: [UInt8](repeating: 65, count: 300))
             + request(2, params: pair("REQUEST_METHOD", "GET")))
        XCTAssertEqual(try reader.readRequest(limit: 100).body, .tooLarge)
        let next = try reader.readRequest(limit: 100)
        XCTAssertEqual(next.id, 2)
        XCTAssertEqual(next.params["REQUEST_METHOD"], "GET")
    }

    func testAPairClaimingMoreBytesThanItHasIsRefused() {
        // The params libfcgi aborted on: lengths near 2^31 in a record a few bytes long.
        let huge: [UInt8] = [0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xf0, 65, 66]
        send(request(1, params: huge))
        XCTAssertThrowsError(try reader.readRequest(limit: 100)) { error in
            guard case RecordReader.Failure.refused(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "a malformed name-value pair in the params")
        }
        XCTAssertNil(RecordReader.pairs([5, 0, 65]), "a name cut short")
    }

    func testParamsBeyondTheBoundAreRefusedBeforeTheyAreKept() {
        let piece = RecordReader.record(RecordType.params, 1, [UInt8](repeating: 0, count: 65000))
        var bytes = begin(1)
        for _ in 0..<5 { bytes += piece }
        let writer = Thread { [ends, bytes] in
            // The reader stops reading part-way: no SIGPIPE when the test closes its end.
            _ = bytes.withUnsafeBytes { Glibc.send(ends[1], $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        writer.start()
        XCTAssertThrowsError(try reader.readRequest(limit: 100)) { error in
            guard case RecordReader.Failure.refused(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "params larger than 262144 bytes")
        }
    }

    func testManagementRecordsAreAnsweredOnTheWay() throws {
        send(RecordReader.record(RecordType.getValues, 0, pair("FCGI_MPXS_CONNS", "") + pair("FCGI_MAX_REQS", ""))
             + RecordReader.record(200, 0, [])
             + request(3, params: pair("REQUEST_METHOD", "GET")), thenHangUp: false)
        XCTAssertEqual(try reader.readRequest(limit: 100).id, 3)
        XCTAssertEqual(answer(), RecordReader.record(RecordType.getValuesResult, 0, pair("FCGI_MPXS_CONNS", "0"))
                                 + RecordReader.record(RecordType.unknownType, 0, [200, 0, 0, 0, 0, 0, 0, 0]))
    }

    func testARoleOtherThanResponderAndASecondRequestAreRefusedWithEndRequest() throws {
        // An authorizer, then request 5 interleaved with request 4's params (multiplexing).
        send(begin(9, role: 2) + begin(4) + RecordReader.record(RecordType.params, 4, pair("REQUEST_METHOD", "GET"))
             + begin(5) + RecordReader.record(RecordType.params, 4, []) + RecordReader.record(RecordType.stdin, 4, []),
             thenHangUp: false)
        XCTAssertEqual(try reader.readRequest(limit: 100).id, 4)
        XCTAssertEqual(answer(), RecordReader.endRequest(9, protocolStatus: 3) + RecordReader.endRequest(5, protocolStatus: 1))
    }

    func testAnAbortedRequestOrAnotherVersionClosesTheConnection() {
        send(begin(1) + RecordReader.record(RecordType.abortRequest, 1, []))
        XCTAssertThrowsError(try reader.readRequest(limit: 100))
        tearDown()
        try? setUpWithError()
        send([2, 1, 0, 1, 0, 0, 0, 0])
        XCTAssertThrowsError(try reader.readRequest(limit: 100)) { error in
            guard case RecordReader.Failure.refused(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "record version 2")
        }
    }

    func testAConnectionClosedBetweenRequestsIsNotAnError() {
        send([])
        XCTAssertThrowsError(try reader.readRequest(limit: 100)) { error in
            guard case RecordReader.Failure.closed = error else { return XCTFail("\(error)") }
        }
    }
}
