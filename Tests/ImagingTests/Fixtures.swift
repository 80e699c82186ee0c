// Test fixtures: pictures made with the module itself, hand-crafted hostile files, pixel maths.
import XCTest
@testable import Imaging

enum Fixtures {
    /// A builtin picture as PNG; cached because drawing is the slow part of these tests.
    static func png(_ width: Int, _ height: Int, prompt: String = "fixture") -> [UInt8] {
        cache.withLock { cache in
            let key = "\(prompt)|\(width)x\(height)"
            if let bytes = cache[key] { return bytes }
            let bytes = try! BuiltinGenerator.draw(prompt: prompt, seed: 7, width: width, height: height).bytes
            cache[key] = bytes
            return bytes
        }
    }

    /// The same picture re-encoded as JPEG at full size (thumbnails never upscale).
    static func jpeg(_ width: Int, _ height: Int) throws -> [UInt8] {
        try Thumbnailer.thumbnails(of: png(width, height), longSides: [max(width, height)], as: .jpeg)[0].bytes
    }

    private static let cache = Locked([String: [UInt8]]())

    /// A PNG whose header claims `width`×`height` with valid CRCs and a tiny (empty) IDAT, so
    /// only a size check — not a checksum or syntax error — can stop it.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        var ihdr = bigEndian(width) + bigEndian(height)
        ihdr += [8, 2, 0, 0, 0]  // 8-bit RGB, deflate, adaptive filter, no interlace
        // zlib stream holding one empty stored block; Adler-32 of nothing is 1.
        let idat: [UInt8] = [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc32(typeAndData))
    }

    /// The chunk types of a PNG, in file order.
    static func chunkTypes(_ png: [UInt8]) -> [String] {
        var types = [String](), at = 8
        while at + 8 <= png.count {
            let length = png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
            types.append(String(decoding: png[at + 4..<at + 8], as: UTF8.self))
            at += 12 + length
        }
        return types
    }

    /// Inserts an EXIF APP1 segment with only an Orientation tag right after the JPEG's SOI.
    static func withEXIFOrientation(_ jpeg: [UInt8], _ orientation: UInt8) -> [UInt8] {
        let tiff: [UInt8] = Array("MM".utf8) + [0x00, 0x2A] + bigEndian(8)
            + [0x00, 0x01]                                   // one IFD entry
            + [0x01, 0x12, 0x00, 0x03] + bigEndian(1)        // Orientation, SHORT, count 1
            + [0x00, orientation, 0x00, 0x00] + bigEndian(0) // value, then no next IFD
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = UInt16(payload.count + 2)
        return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + Array(jpeg[2...])
    }

    /// A WebP with one flat-coloured frame per entry, written by ImageMagick itself.
    static func animatedWebP(frames: [(UInt8, UInt8, UInt8)], width: Int, height: Int) throws -> [UInt8] {
        let pixels = frames.map { r, g, b in [UInt8]((0..<width * height).flatMap { _ in [r, g, b] }) }
        return try Picture(rgbFrames: pixels, width: width, height: height).encodedFrames(as: .webp)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// Share of pixels whose largest channel difference exceeds `margin` (of 255).
    static func differingShare(_ a: [UInt8], _ b: [UInt8], margin: Int = 48) throws -> Double {
        let left = try Magick.decodeRGB(a), right = try Magick.decodeRGB(b)
        XCTAssertEqual(left.width, right.width)
        XCTAssertEqual(left.height, right.height)
        var differing = 0
        for pixel in stride(from: 0, to: left.rgb.count, by: 3) {
            let delta = (0..<3).map { abs(Int(left.rgb[pixel + $0]) - Int(right.rgb[pixel + $0])) }.max()!
            if delta > margin { differing += 1 }
        }
        return Double(differing) / Double(left.rgb.count / 3)
    }

    static func isWebP(_ bytes: [UInt8]) -> Bool {
        bytes.count > 12 && Array(bytes[0..<4]) == Array("RIFF".utf8) && Array(bytes[8..<12]) == Array("WEBP".utf8)
    }

    static func isJPEG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0xFF, 0xD8, 0xFF]) }

    static func isPNG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) }

    /// Peak resident memory of this process in bytes.
    static func peakMemory() -> Int {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }
}

/// A value behind a lock, for the fixture cache shared by concurrently running tests;
/// `@unchecked`: `value` is only touched under `lock`.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
