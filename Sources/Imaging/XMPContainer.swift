// XMP in PNG and WebP files where XMP readers look for it. ImageMagick 6 (Debian 12's) writes a
// PNG's XMP as a "Raw profile type xmp" text chunk that few readers know, and writes none into
// WebP; so these two formats get the standard containers from this file, placed in the encoded
// bytes without touching the pixels. JPEG's APP1 segment is written by MagickWand itself.

import Codecs

enum XMPContainer {
    // MARK: PNG

    /// The PNG with `packet` in an iTXt chunk keyed `XML:com.adobe.xmp` right after IHDR, and
    /// any XMP it carried before removed.
    static func embed(_ packet: [UInt8], inPNG png: [UInt8]) throws -> [UInt8] {
        var chunks = try pngChunks(png)
        guard chunks.first?.type == "IHDR" else { throw ImagingError("not a PNG: no IHDR chunk") }
        chunks.removeAll { isXMP($0) }
        let text = Array("XML:com.adobe.xmp".utf8) + [0, 0, 0, 0, 0] + packet   // keyword, flags, language, translated keyword
        chunks.insert((type: "iTXt", data: text), at: 1)
        var out = Array(png.prefix(8))
        for chunk in chunks {
            let type = Array(chunk.type.utf8)
            out += bigEndian(UInt32(chunk.data.count)) + type + chunk.data + bigEndian(CRC32.checksum(type + chunk.data))
        }
        return out
    }

    /// The XMP packet of a PNG's iTXt `XML:com.adobe.xmp` chunk, if it has one.
    static func packet(inPNG png: [UInt8]) throws -> [UInt8]? {
        guard let chunk = try pngChunks(png).first(where: { $0.type == "iTXt" && $0.data.starts(with: Array("XML:com.adobe.xmp\0".utf8)) }) else {
            return nil
        }
        // "XML:com.adobe.xmp\0", compression flag and method, language\0, translated keyword\0, text.
        let data = chunk.data
        guard data.count > 19, data[18] == 0 else { return nil }   // compressed: not written by Pictor
        guard let language = data[20...].firstIndex(of: 0), let translated = data[(language + 1)...].firstIndex(of: 0) else { return nil }
        return Array(data[(translated + 1)...])
    }

    private static func isXMP(_ chunk: (type: String, data: [UInt8])) -> Bool {
        (chunk.type == "iTXt" && chunk.data.starts(with: Array("XML:com.adobe.xmp\0".utf8)))
            || (["tEXt", "zTXt", "iTXt"].contains(chunk.type) && chunk.data.starts(with: Array("Raw profile type xmp\0".utf8)))
    }

    private static func pngChunks(_ png: [UInt8]) throws -> [(type: String, data: [UInt8])] {
        var chunks: [(type: String, data: [UInt8])] = [], offset = 8
        while offset + 12 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            guard offset + 12 + length <= png.count else { throw ImagingError("a PNG chunk runs past the end of the file") }
            let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            chunks.append((type, Array(png[offset + 8..<offset + 8 + length])))
            offset += 12 + length
            if type == "IEND" { break }
        }
        return chunks
    }

    // MARK: WebP

    /// The WebP in its extended form (VP8X) with `packet` in an `XMP ` chunk and the XMP flag
    /// set; a simple (VP8 or VP8L) file gains the VP8X header its canvas size needs.
    static func embed(_ packet: [UInt8], inWebP webp: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        var chunks = try riffChunks(webp)
        chunks.removeAll { $0.fourCC == "XMP " }
        if chunks.first?.fourCC == "VP8X" {
            chunks[0].data[0] |= 0x04
        } else {
            guard let image = chunks.first, image.fourCC == "VP8 " || image.fourCC == "VP8L" else {
                throw ImagingError("not a WebP image: no VP8, VP8L or VP8X chunk first")
            }
            // VP8L keeps an "alpha is used" bit after its signature and 28 bits of size.
            let alpha = image.fourCC == "VP8L" && image.data.count >= 5 && image.data[4] & 0x10 != 0
            var header: [UInt8] = [0x04 | (alpha ? 0x10 : 0), 0, 0, 0]
            header += littleEndian24(width - 1) + littleEndian24(height - 1)
            chunks.insert((fourCC: "VP8X", data: header), at: 0)
        }
        chunks.append((fourCC: "XMP ", data: packet))
        var body = Array("WEBP".utf8)
        for chunk in chunks {
            body += Array(chunk.fourCC.utf8) + littleEndian32(UInt32(chunk.data.count)) + chunk.data
            if chunk.data.count % 2 == 1 { body.append(0) }
        }
        return Array("RIFF".utf8) + littleEndian32(UInt32(body.count)) + body
    }

    /// The payload of a WebP's `XMP ` chunk, if it has one.
    static func packet(inWebP webp: [UInt8]) throws -> [UInt8]? {
        try riffChunks(webp).first { $0.fourCC == "XMP " }?.data
    }

    private static func riffChunks(_ webp: [UInt8]) throws -> [(fourCC: String, data: [UInt8])] {
        guard webp.count >= 12, webp.starts(with: Array("RIFF".utf8)), Array(webp[8..<12]) == Array("WEBP".utf8) else {
            throw ImagingError("not a WebP file")
        }
        var chunks: [(fourCC: String, data: [UInt8])] = [], offset = 12
        while offset + 8 <= webp.count {
            let size = Int(webp[offset + 4]) | Int(webp[offset + 5]) << 8 | Int(webp[offset + 6]) << 16 | Int(webp[offset + 7]) << 24
            guard offset + 8 + size <= webp.count else { throw ImagingError("a WebP chunk runs past the end of the file") }
            chunks.append((String(decoding: webp[offset..<offset + 4], as: UTF8.self), Array(webp[offset + 8..<offset + 8 + size])))
            offset += 8 + size + size % 2
        }
        return chunks
    }

    // MARK: Bytes

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    private static func littleEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)]
    }

    private static func littleEndian24(_ value: Int) -> [UInt8] {
        [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff)]
    }
}
