// Where image files live: the side a row says, new names on unpublishing, and a missing file
// reported rather than ignored.

import Foundation
@testable import Pictor
import XCTest

final class LocalMediaStoreTests: XCTestCase {
    private var root = ""
    private var media: LocalMediaStore { LocalMediaStore(root: root) }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "media-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    private func exists(_ key: String, isPublic: Bool) -> Bool {
        FileManager.default.fileExists(atPath: media.path(for: key, isPublic: isPublic))
    }

    func testPlacingMovesFilesToTheRowsSideAndReportsMissingOnes() throws {
        try media.write([1], key: "ab/moved.png", isPublic: false, contentType: "image/png")
        try media.write([2], key: "ab/there.png", isPublic: true, contentType: "image/png")
        let missing = try media.place(["ab/moved.png", "ab/there.png", "ab/gone.png", nil], isPublic: true)
        XCTAssertEqual(missing, ["ab/gone.png"])
        XCTAssertTrue(exists("ab/moved.png", isPublic: true))
        XCTAssertFalse(exists("ab/moved.png", isPublic: false))
        XCTAssertTrue(exists("ab/there.png", isPublic: true), "a file already in place stays")
    }

    func testRenamedKeysShareOneNewBaseAndKeepTheirSuffixes() throws {
        let old: [String?] = ["ab/" + String(repeating: "a", count: 32) + ".png",
                              "ab/" + String(repeating: "a", count: 32) + "-256.webp", nil]
        let new = MediaKey.renamed(old)
        XCTAssertNil(new[2])
        let image = try XCTUnwrap(new[0]), thumb = try XCTUnwrap(new[1])
        XCTAssertTrue(image.hasSuffix(".png") && thumb.hasSuffix("-256.webp"))
        XCTAssertEqual(image.dropLast(4), thumb.dropLast(9), "one base name")
        XCTAssertNotEqual(image, old[0])
    }

    func testUnpublishingMovesToNewPrivateNamesAndReportsMissingFiles() throws {
        try media.write([1], key: "ab/old.png", isPublic: true, contentType: "image/png")
        let missing = try media.unpublish([("ab/old.png", "cd/new.png"), ("ab/lost.png", "cd/new-256.webp")])
        XCTAssertEqual(missing, ["ab/lost.png"])
        XCTAssertTrue(exists("cd/new.png", isPublic: false))
        XCTAssertFalse(exists("ab/old.png", isPublic: true), "the public name leads nowhere")
        XCTAssertFalse(exists("cd/new.png", isPublic: true))
    }

    func testAFailedUnpublishLeavesTheFilesWhereTheyWere() throws {
        try media.write([1], key: "ab/old.png", isPublic: true, contentType: "image/png")
        // A regular file where the private directory should be: nothing can be created under it.
        try Data().write(to: URL(fileURLWithPath: root + "/private"))
        XCTAssertThrowsError(try media.unpublish([("ab/old.png", "cd/new.png")]))
        XCTAssertTrue(exists("ab/old.png", isPublic: true))
    }
}
