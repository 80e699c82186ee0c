// The builtin provider: reproducible, size-exact PNGs that differ clearly between requests.
import XCTest
@testable import Imaging

final class BuiltinGeneratorTests: XCTestCase {
    func testSameRequestGivesByteIdenticalPNG() throws {
        let first = try BuiltinGenerator.draw(prompt: "a lighthouse at dusk", negativePrompt: "fog", seed: 42, width: 512, height: 512)
        let second = try BuiltinGenerator.draw(prompt: "a lighthouse at dusk", negativePrompt: "fog", seed: 42, width: 512, height: 512)
        XCTAssertEqual(first.bytes, second.bytes)
    }

    func testBytesDoNotDependOnWhenTheyAreEncoded() throws {
        // The clock can reach a PNG only through a chunk that holds a time: tIME, text such as
        // ImageMagick's date:create/date:modify (tEXt, zTXt, iTXt) or EXIF (eXIf). So every
        // chunk written must be one that cannot hold one; the first test shows that the rest is
        // a function of the request. (No waiting for the clock to move is needed.)
        let image = try BuiltinGenerator.draw(prompt: "clock", seed: 1, width: 64, height: 64)
        let chunks = Fixtures.chunkTypes(image.bytes)
        XCTAssertEqual(chunks.first, "IHDR")
        XCTAssertEqual(chunks.last, "IEND")
        let timeless: Set = ["IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs"]
        XCTAssertEqual(Set(chunks).subtracting(timeless), [], "chunks written: \(chunks)")
    }

    func testOutputIsAPNGOfExactlyTheRequestedSize() throws {
        for (width, height) in [(512, 512), (1024, 1024), (1024, 768), (768, 1344)] {
            let image = try BuiltinGenerator.draw(prompt: "size check", seed: 3, width: width, height: height)
            XCTAssertTrue(Fixtures.isPNG(image.bytes))
            XCTAssertEqual(image.contentType, "image/png")
            XCTAssertEqual(image.fileExtension, "png")
            XCTAssertEqual(image.width, width)
            XCTAssertEqual(image.height, height)
            let header = try Thumbnailer.inspect(image.bytes)
            XCTAssertEqual(header.width, width)
            XCTAssertEqual(header.height, height)
            XCTAssertEqual(header.format, "PNG")
        }
    }

    func testDifferentPromptsDrawClearlyDifferentPictures() throws {
        let pairs = [("a red fox in the snow", "a red fox in the snow."), ("cyberpunk city at night", "a quiet lake"), ("cat", "dog")]
        for (left, right) in pairs {
            let a = try BuiltinGenerator.draw(prompt: left, seed: 9, width: 256, height: 256)
            let b = try BuiltinGenerator.draw(prompt: right, seed: 9, width: 256, height: 256)
            let share = try Fixtures.differingShare(a.bytes, b.bytes)
            XCTAssertGreaterThan(share, 0.10, "\(left) / \(right): only \(share) of pixels differ")
        }
    }

    func testDifferentSeedsDrawDifferentPictures() throws {
        let a = try BuiltinGenerator.draw(prompt: "mountains", seed: 1, width: 256, height: 256)
        let b = try BuiltinGenerator.draw(prompt: "mountains", seed: 2, width: 256, height: 256)
        XCTAssertGreaterThan(try Fixtures.differingShare(a.bytes, b.bytes), 0.10)
    }

    func testNegativePromptChangesThePicture() throws {
        let a = try BuiltinGenerator.draw(prompt: "forest", seed: 5, width: 256, height: 256)
        let b = try BuiltinGenerator.draw(prompt: "forest", negativePrompt: "blurry", seed: 5, width: 256, height: 256)
        XCTAssertGreaterThan(try Fixtures.differingShare(a.bytes, b.bytes), 0.10)
    }

    func testPromptBoundaryIsPartOfTheHash() throws {
        // Concatenation must not collide: ("ab", "c") and ("a", "bc") are different requests.
        let a = try BuiltinGenerator.draw(prompt: "ab", negativePrompt: "c", seed: 0, width: 128, height: 128)
        let b = try BuiltinGenerator.draw(prompt: "a", negativePrompt: "bc", seed: 0, width: 128, height: 128)
        XCTAssertNotEqual(a.bytes, b.bytes)
    }

    func testRefusesSizesOutsideTheLimits() {
        for (width, height) in [(0, 512), (512, -1), (5000, 512)] {
            XCTAssertThrowsError(try BuiltinGenerator.draw(prompt: "x", seed: 0, width: width, height: height)) { error in
                XCTAssertTrue(error is ImagingError)
            }
        }
    }

    func testSameSeedIsReproducibleAcrossTheWholeSeedRange() throws {
        for seed: UInt32 in [0, 1, UInt32.max] {
            let a = try BuiltinGenerator.draw(prompt: "edge", seed: seed, width: 96, height: 64)
            let b = try BuiltinGenerator.draw(prompt: "edge", seed: seed, width: 96, height: 64)
            XCTAssertEqual(a, b)
        }
    }
}
