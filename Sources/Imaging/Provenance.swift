// The machine-readable "made by a generative system" mark every stored image carries (EU AI Act
// Art. 50(2)): an XMP packet with IPTC's DigitalSourceType, the generator and the creation time,
// written into the file with MagickWand.
internal import CMagickWand
import Foundation

/// What an image says about how it was made.
public struct ProvenanceMark: Sendable, Equatable {
    /// IPTC's digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/).
    public enum SourceType: String, Sendable {
        /// Made by a model trained on sampled content: every real AI provider's output.
        case trainedAlgorithmicMedia
        /// Made by an algorithm without such a model: the builtin offline preview drawings.
        case algorithmicMedia

        public var uri: String { "http://cv.iptc.org/newscodes/digitalsourcetype/" + rawValue }
    }

    public var sourceType: SourceType
    /// The software and model that made it, e.g. "Pictor (My Pictor) — FLUX.1 schnell".
    public var creatorTool: String
    public var createdAt: Date

    public init(sourceType: SourceType, creatorTool: String, createdAt: Date) {
        self.sourceType = sourceType
        self.creatorTool = creatorTool
        self.createdAt = createdAt
    }

    /// The XMP packet: well-formed RDF/XML with every value escaped.
    public var xmp: String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let description = sourceType == .trainedAlgorithmicMedia ? "AI-generated image" : "Computer-generated image"
        return """
            <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?>
            <x:xmpmeta xmlns:x="adobe:ns:meta/">
             <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
              <rdf:Description rdf:about=""
                xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
                xmlns:xmp="http://ns.adobe.com/xap/1.0/"
                xmlns:dc="http://purl.org/dc/elements/1.1/"
                Iptc4xmpExt:DigitalSourceType="\(Self.escaped(sourceType.uri))"
                xmp:CreatorTool="\(Self.escaped(creatorTool))"
                xmp:CreateDate="\(formatter.string(from: createdAt))">
               <dc:description><rdf:Alt><rdf:li xml:lang="x-default">\(Self.escaped(description + " (" + creatorTool + ")"))</rdf:li></rdf:Alt></dc:description>
              </rdf:Description>
             </rdf:RDF>
            </x:xmpmeta>
            <?xpacket end="w"?>
            """
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // XML 1.0 cannot hold most control characters, even escaped.
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

public enum Provenance {
    /// The image with `mark` as its XMP, any earlier XMP (which might say otherwise) replaced.
    /// PNG and WebP get the standard container in their bytes, pixels untouched; a JPEG is
    /// re-encoded by MagickWand at quality 92 with the mark in its APP1 segment.
    public static func mark(_ bytes: [UInt8], with mark: ProvenanceMark) throws -> EncodedImage {
        let header = try Magick.ping(bytes)
        let packet = Array(mark.xmp.utf8)
        let marked: [UInt8]
        switch header.format {
        case .png: marked = try XMPContainer.embed(packet, inPNG: bytes)
        case .webp: marked = try XMPContainer.embed(packet, inWebP: bytes, width: header.width, height: header.height)
        case .jpeg:
            let wand = try Magick.newWand()
            defer { _ = DestroyMagickWand(wand) }
            try Magick.read(bytes, format: .jpeg, into: wand)
            try set(mark, on: wand)
            marked = try Magick.encode(wand, as: .jpeg, quality: 92)
        }
        return EncodedImage(bytes: marked, format: header.format, width: header.width, height: header.height)
    }

    /// The XMP packet stored in an image, or nil if it has none.
    public static func xmp(of bytes: [UInt8]) throws -> String? {
        let header = try Magick.ping(bytes)
        switch header.format {
        case .png: return try XMPContainer.packet(inPNG: bytes).map { String(decoding: $0, as: UTF8.self) }
        case .webp: return try XMPContainer.packet(inWebP: bytes).map { String(decoding: $0, as: UTF8.self) }
        case .jpeg: break
        }
        let wand = try Magick.newWand()
        defer { _ = DestroyMagickWand(wand) }
        try Magick.read(bytes, format: header.format, into: wand)
        var length = 0
        guard let profile = MagickGetImageProfile(wand, "xmp", &length), length > 0 else { return nil }
        defer { _ = MagickRelinquishMemory(profile) }
        return String(decoding: UnsafeBufferPointer(start: profile, count: length), as: UTF8.self)
    }

    /// Attaches the mark to the wand's image, to be written by the next encode.
    static func set(_ mark: ProvenanceMark, on wand: OpaquePointer) throws {
        let packet = Array(mark.xmp.utf8)
        let ok = packet.withUnsafeBytes { MagickSetImageProfile(wand, "xmp", $0.baseAddress, $0.count) }
        guard ok == MagickTrue else { throw Magick.error(wand, "could not attach the XMP metadata") }
    }
}
