// Thumbnails, inspection and upscaling of well-formed images.
import XCTest
@testable import Imaging

final class ThumbnailerTests: XCTestCase {
    private func assertThumbnail(_ image: EncodedImage, _ width: Int, _ height: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(image.width, width, file: file, line: line)
        XCTAssertEqual(image.height, height, file: file, line: line)
        if Imaging.supportsWebP {
            XCTAssertTrue(Fixtures.isWebP(image.bytes), file: file, line: line)
            XCTAssertEqual(image.contentType, "image/webp", file: file, line: line)
            XCTAssertEqual(image.fileExtension, "webp", file: file, line: line)
        } else {
            XCTAssertTrue(Fixtures.isJPEG(image.bytes), file: file, line: line)
            XCTAssertEqual(image.contentType, "image/jpeg", file: file, line: line)
        }
        // The header of the encoded file agrees with what we claim.
        let header = try Thumbnailer.inspect(image.bytes)
        XCTAssertEqual(header.width, width, file: file, line: line)
        XCTAssertEqual(header.height, height, file: file, line: line)
    }

    func testWebPIsAvailableWithDebianImageMagick() {
        // Debian 12's libmagickcore-6.q16-6 ships the WebP coder; if this fails the fallback
        // still works, but the install script lacks a package.
        XCTAssertTrue(Imaging.supportsWebP)
    }

    func testSquarePNGGivesThumbnailsOf256And512() throws {
        let thumbnails = try Thumbnailer.thumbnails(of: Fixtures.png(1024, 1024))
        XCTAssertEqual(thumbnails.count, 2)
        try assertThumbnail(thumbnails[0], 256, 256)
        try assertThumbnail(thumbnails[1], 512, 512)
        XCTAssertLessThan(thumbnails[0].bytes.count, thumbnails[1].bytes.count)
    }

    func testLandscapeAndPortraitKeepTheirAspectRatio() throws {
        let landscape = try Thumbnailer.thumbnails(of: Fixtures.png(1024, 768))
        try assertThumbnail(landscape[0], 256, 192)
        try assertThumbnail(landscape[1], 512, 384)
        let portrait = try Thumbnailer.thumbnails(of: Fixtures.png(768, 1344))
        try assertThumbnail(portrait[0], 146, 256)  // 768 × 256/1344 = 146.3
        try assertThumbnail(portrait[1], 293, 512)  // 768 × 512/1344 = 292.6
    }

    func testResultsFollowTheRequestedOrder() throws {
        let thumbnails = try Thumbnailer.thumbnails(of: Fixtures.png(1024, 1024), longSides: [512, 128, 256])
        XCTAssertEqual(thumbnails.map(\.width), [512, 128, 256])
    }

    func testSmallImageIsNeverUpscaled() throws {
        let thumbnails = try Thumbnailer.thumbnails(of: Fixtures.png(200, 100))
        try assertThumbnail(thumbnails[0], 200, 100)
        try assertThumbnail(thumbnails[1], 200, 100)
    }

    func testThumbnailLooksLikeTheOriginal() throws {
        let original = Fixtures.png(512, 512)
        let thumbnail = try Thumbnailer.thumbnails(of: original, longSides: [512])[0]
        // Same size, so pixels line up: lossy WebP at q80 may wobble, never change the picture.
        XCTAssertLessThan(try Fixtures.differingShare(original, thumbnail.bytes, margin: 40), 0.01)
    }

    func testFallsBackToJPEGWhenAskedForIt() throws {
        let thumbnails = try Thumbnailer.thumbnails(of: Fixtures.png(1024, 768), longSides: [256, 512], as: .jpeg)
        XCTAssertTrue(thumbnails.allSatisfy { Fixtures.isJPEG($0.bytes) })
        XCTAssertEqual(thumbnails.map(\.contentType), ["image/jpeg", "image/jpeg"])
        XCTAssertEqual(thumbnails.map(\.fileExtension), ["jpg", "jpg"])
        XCTAssertEqual(thumbnails.map(\.width), [256, 512])
        XCTAssertEqual(thumbnails.map(\.height), [192, 384])
    }

    func testLargeJPEGDecodesReducedButKeepsExactAspectRatio() throws {
        let jpeg = try Fixtures.jpeg(2000, 1500)
        XCTAssertEqual(try Thumbnailer.inspect(jpeg).format, "JPEG")
        let thumbnails = try Thumbnailer.thumbnails(of: jpeg)
        try assertThumbnail(thumbnails[0], 256, 192)
        try assertThumbnail(thumbnails[1], 512, 384)
    }

    func testWebPInputIsAccepted() throws {
        try XCTSkipUnless(Imaging.supportsWebP)
        let webp = try Thumbnailer.thumbnails(of: Fixtures.png(600, 400), longSides: [600])[0].bytes
        XCTAssertEqual(try Thumbnailer.inspect(webp).format, "WEBP")
        let thumbnails = try Thumbnailer.thumbnails(of: webp)
        try assertThumbnail(thumbnails[0], 256, 171)
        try assertThumbnail(thumbnails[1], 512, 341)
    }

    func testEXIFOrientationIsAppliedAndMetadataStripped() throws {
        // Orientation 6 = "rotate 90° clockwise to display": a 400×200 file shows as 200×400.
        let rotated = Fixtures.withEXIFOrientation(try Fixtures.jpeg(400, 200), 6)
        XCTAssertEqual(try Thumbnailer.inspect(rotated).width, 400)
        for format in [ImageFormat.jpeg, .webp] where format == .jpeg || Imaging.supportsWebP {
            let thumbnail = try Thumbnailer.thumbnails(of: rotated, longSides: [256], as: format)[0]
            XCTAssertEqual(thumbnail.width, 128)
            XCTAssertEqual(thumbnail.height, 256)
            let header = try Thumbnailer.inspect(thumbnail.bytes)
            XCTAssertEqual([header.width, header.height], [128, 256])
            XCTAssertNil(thumbnail.bytes.firstRange(of: Array("Exif".utf8)), "EXIF left in \(format)")
        }
    }

    func testInspectReadsSizeAndFormat() throws {
        let header = try Thumbnailer.inspect(Fixtures.png(1024, 768))
        XCTAssertEqual(header.width, 1024)
        XCTAssertEqual(header.height, 768)
        XCTAssertEqual(header.format, "PNG")
    }

    func testUpscaleDoublesBothSidesAsPNG() throws {
        let upscaled = try Thumbnailer.upscale2x(Fixtures.png(300, 200))
        XCTAssertTrue(Fixtures.isPNG(upscaled.bytes))
        XCTAssertEqual(upscaled.contentType, "image/png")
        XCTAssertEqual([upscaled.width, upscaled.height], [600, 400])
        let header = try Thumbnailer.inspect(upscaled.bytes)
        XCTAssertEqual([header.width, header.height], [600, 400])
    }

    func testUpscaleOfJPEGGivesPNG() throws {
        let upscaled = try Thumbnailer.upscale2x(try Fixtures.jpeg(320, 240))
        XCTAssertTrue(Fixtures.isPNG(upscaled.bytes))
        XCTAssertEqual([upscaled.width, upscaled.height], [640, 480])
    }

    func testUpscaleRefusesAResultBeyondTheLimits() {
        XCTAssertThrowsError(try Thumbnailer.upscale2x(Fixtures.pngHeader(width: 9000, height: 100))) { error in
            XCTAssertTrue((error as? ImagingError)?.message.contains("exceeds") == true, "\(error)")
        }
    }
}

extension ThumbnailerTests {
    func testAnimatedWebPBecomesItsFirstFrame() throws {
        try XCTSkipUnless(Imaging.supportsWebP)
        let animated = try Fixtures.animatedWebP(frames: [(255, 0, 0), (0, 0, 255)], width: 64, height: 48)
        XCTAssertNotNil(animated.firstRange(of: Array("ANIM".utf8)), "fixture is not animated")
        let thumbnail = try Thumbnailer.thumbnails(of: animated, longSides: [32])[0]
        XCTAssertEqual([thumbnail.width, thumbnail.height], [32, 24])
        XCTAssertNil(thumbnail.bytes.firstRange(of: Array("ANIM".utf8)))
        let pixels = try Magick.decodeRGB(thumbnail.bytes).rgb
        XCTAssertGreaterThan(pixels[0], 200)  // red, the first frame
        XCTAssertLessThan(pixels[2], 60)
    }
}
