// The body rules: exact Content-Length, a size limit, and refusal of malformed lengths.

@testable import FastCGI
import XCTest

final class BodyReaderTests: XCTestCase {
    /// A source that hands out `data` in chunks of at most `chunk` bytes and counts reads.
    private final class Source {
        var data: [UInt8]
        var offset = 0
        let chunk: Int
        init(_ data: [UInt8], chunk: Int = 7) { self.data = data; self.chunk = chunk }
        func read(_ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int32 {
            let n = min(count, chunk, data.count - offset)
            for i in 0..<n { buffer[i] = data[offset + i] }
            offset += n
            return Int32(n)
        }
    }

    func testReadsExactlyContentLengthAcrossChunks() {
        let source = Source(Array("hello, world".utf8))
        XCTAssertEqual(BodyReader.read(declaredLength: "12", limit: 100, readChunk: source.read), .body(Array("hello, world".utf8)))
    }

    func testMissingOrEmptyLengthMeansNoBody() {
        let source = Source(Array("ignored".utf8))
        XCTAssertEqual(BodyReader.read(declaredLength: "", limit: 100, readChunk: source.read), .body([]))
        XCTAssertEqual(BodyReader.read(declaredLength: nil, limit: 100, readChunk: source.read), .body([]))
    }

    func testOversizeBodyIsRefusedAndDrained() {
        let source = Source([UInt8](repeating: 1, count: 5000), chunk: 1000)
        XCTAssertEqual(BodyReader.read(declaredLength: "5000", limit: 4096, readChunk: source.read), .tooLarge)
        XCTAssertEqual(source.offset, 5000, "the whole body is read off the connection")
    }

    func testMalformedLengthsAreRefused() {
        for bad in ["abc", "-1", "1e3", " 5"] {
            let source = Source([])
            guard case .malformed = BodyReader.read(declaredLength: bad, limit: 100, readChunk: source.read) else {
                return XCTFail("\(bad) accepted")
            }
        }
    }

    func testBodyShorterThanDeclaredIsRefused() {
        let source = Source(Array("short".utf8))
        XCTAssertEqual(BodyReader.read(declaredLength: "10", limit: 100, readChunk: source.read),
                       .malformed("The request body ended before Content-Length bytes."))
    }
}
