// The AI-generated mark: written into PNG, JPEG and WebP where other tools look for XMP, and
// read back with its source type, generator and time; hostile labels stay well-formed XML.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Imaging
import XCTest

final class ProvenanceTests: XCTestCase {
    let mark = ProvenanceMark(sourceType: .trainedAlgorithmicMedia, creatorTool: "Pictor (My Pictor) — FLUX.1 schnell",
                              createdAt: Date(timeIntervalSince1970: 1_780_000_000))

    func testEachFormatCarriesTheMarkWhereXMPReadersLook() throws {
        var formats: [(ImageFormat, [UInt8], [UInt8])] = [
            (.png, Fixtures.png(64, 48), Array("XML:com.adobe.xmp".utf8)),
            (.jpeg, try Fixtures.jpeg(64, 48), Array("http://ns.adobe.com/xap/1.0/\0".utf8)),
        ]
        if Imaging.supportsWebP {
            formats.append((.webp, try Thumbnailer.thumbnails(of: Fixtures.png(64, 48), longSides: [64], as: .webp)[0].bytes, Array("XMP ".utf8)))
        }
        for (format, original, marker) in formats {
            let marked = try Provenance.mark(original, with: mark)
            XCTAssertEqual(ImageFormat(sniffing: marked.bytes), format)
            XCTAssertEqual([marked.width, marked.height], [64, 48])
            XCTAssertEqual(try Magick.decodeRGB(marked.bytes).width, 64, "\(format): still decodes")
            XCTAssertNotNil(marked.bytes.firstRange(of: marker), "\(format): the standard XMP container")
            let xmp = try XCTUnwrap(try Provenance.xmp(of: marked.bytes), "\(format)")
            XCTAssertTrue(xmp.contains(#"Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia""#), xmp)
            XCTAssertTrue(xmp.contains(#"xmp:CreatorTool="Pictor (My Pictor) — FLUX.1 schnell""#), xmp)
            XCTAssertTrue(xmp.contains(#"xmp:CreateDate="2026-05-28T20:26:40Z""#), xmp)
        }
    }

    func testAPNGStaysLosslessAndAnEarlierMarkIsReplaced() throws {
        let original = Fixtures.png(64, 48)
        let first = try Provenance.mark(original, with: mark)
        XCTAssertEqual(try Magick.decodeRGB(first.bytes).rgb, try Magick.decodeRGB(original).rgb, "the same pixels")
        var preview = mark
        preview.sourceType = .algorithmicMedia
        let xmp = try XCTUnwrap(try Provenance.xmp(of: Provenance.mark(first.bytes, with: preview).bytes))
        XCTAssertTrue(xmp.contains("digitalsourcetype/algorithmicMedia"))
        XCTAssertFalse(xmp.contains("trainedAlgorithmicMedia"), "no contradicting mark is left")
    }

    func testLabelsAreEscapedIntoWellFormedXML() throws {
        let hostile = ProvenanceMark(sourceType: .trainedAlgorithmicMedia, creatorTool: #"<b>"A&B"</b> 'x'"# + "\u{1}", createdAt: Date())
        let packet = hostile.xmp
        XCTAssertTrue(packet.contains(#"xmp:CreatorTool="&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt; &apos;x&apos; ""#), packet)
        let body = packet.components(separatedBy: "\n").filter { !$0.hasPrefix("<?xpacket") }.joined(separator: "\n")
        XCTAssertTrue(XMLParser(data: Data(body.utf8)).parse(), "well-formed")
    }
}
