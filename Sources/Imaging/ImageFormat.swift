// The three formats Pictor reads and writes, recognised by their magic bytes.

/// PNG, JPEG or WebP. Anything else is refused before ImageMagick sees it: ImageMagick
/// guesses among dozens of coders (SVG, MVG, PostScript…) from the bytes, a well-known attack
/// surface, so Pictor sniffs the format itself and forces the matching coder.
package enum ImageFormat: String, Sendable {
    case png, jpeg, webp

    /// Recognises the format from the first bytes; nil for anything else.
    init?(sniffing bytes: [UInt8]) {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)),
                  Array(bytes[8..<12]) == Array("WEBP".utf8) {
            self = .webp
        } else {
            return nil
        }
    }

    var contentType: String { "image/\(rawValue)" }

    var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    /// ImageMagick's coder name.
    var magick: String { rawValue.uppercased() }

    /// Width and height from a PNG's IHDR (always the first chunk), without any decoder.
    /// PNG allows sides up to 2^31, and ImageMagick refuses such files silently, with no reason
    /// given; reading the 8 bytes here lets Pictor say why it refused.
    static func pngDeclaredSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func uint32(at offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (uint32(at: 16), uint32(at: 20))
    }
}
