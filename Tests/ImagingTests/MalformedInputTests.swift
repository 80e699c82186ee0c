// Bad bytes of every kind end in an ImagingError, never a crash or a huge allocation.
import XCTest
@testable import Imaging

final class MalformedInputTests: XCTestCase {
    private func assertRefused(_ bytes: [UInt8], mentioning text: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        for operation in [
            { _ = try Thumbnailer.thumbnails(of: bytes) },
            { _ = try Thumbnailer.upscale2x(bytes) },
        ] {
            XCTAssertThrowsError(try operation(), file: file, line: line) { error in
                guard let error = error as? ImagingError else {
                    return XCTFail("not an ImagingError: \(error)", file: file, line: line)
                }
                XCTAssertFalse(error.message.isEmpty, file: file, line: line)
                XCTAssertFalse(error.message.contains(".c/"), "leaks a source path: \(error)", file: file, line: line)
                if let text {
                    XCTAssertTrue(error.message.contains(text), "\(error.message)", file: file, line: line)
                }
            }
        }
    }

    func testEmptyBytesAreRefused() {
        assertRefused([], mentioning: "empty")
        XCTAssertThrowsError(try Thumbnailer.inspect([]))
    }

    func testGarbageBytesAreRefused() {
        var random = DeterministicRandom(hashing: [[1]])
        let garbage = (0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        assertRefused(garbage, mentioning: "not a PNG, JPEG or WebP")
        assertRefused(Array("<svg xmlns='http://www.w3.org/2000/svg'/>".utf8))
        XCTAssertThrowsError(try Thumbnailer.inspect(garbage))
    }

    func testMagicBytesAloneAreRefused() {
        assertRefused([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        assertRefused([0xFF, 0xD8, 0xFF, 0xE0])
        assertRefused(Array("RIFF\0\0\0\0WEBPVP8 ".utf8))
    }

    func testTruncatedPNGIsRefused() {
        let png = Fixtures.png(512, 512)
        assertRefused(Array(png[0..<png.count / 2]))
    }

    func testTruncatedJPEGIsRefused() throws {
        let jpeg = try Fixtures.jpeg(512, 512)
        assertRefused(Array(jpeg[0..<jpeg.count / 2]))
    }

    func testCorruptedPNGDataIsRefused() {
        var png = Fixtures.png(256, 256)
        for index in stride(from: 200, to: png.count - 100, by: 97) { png[index] ^= 0x5A }
        assertRefused(png)
    }

    func testAbsurdDimensionsAreRefusedBeforeAnyPixelIsAllocated() {
        let bomb = Fixtures.pngHeader(width: 100_000, height: 100_000)  // 10 gigapixels
        let before = Fixtures.peakMemory()
        assertRefused(bomb, mentioning: "exceeds")
        XCTAssertThrowsError(try Thumbnailer.inspect(bomb))
        // 10^10 pixels would need 80 GB; the refusal must not even touch a megabyte-scale buffer.
        XCTAssertLessThan(Fixtures.peakMemory() - before, 32 << 20)
    }

    func testTooManyPixelsAreRefusedEvenWithinTheSideLimit() {
        assertRefused(Fixtures.pngHeader(width: 16_000, height: 16_000), mentioning: "exceeds")
    }

    func testNonsenseThumbnailSizesAreRefused() {
        XCTAssertThrowsError(try Thumbnailer.thumbnails(of: Fixtures.png(64, 64), longSides: []))
        XCTAssertThrowsError(try Thumbnailer.thumbnails(of: Fixtures.png(64, 64), longSides: [0]))
        XCTAssertThrowsError(try Thumbnailer.thumbnails(of: Fixtures.png(64, 64), longSides: [-256]))
    }
}
