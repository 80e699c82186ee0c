// Images in an S3-compatible bucket (the in-memory fake), through nginx: stored by the worker,
// private ones handed out as short-lived signed URLs, public ones linked at the CDN address.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class StorageS3Tests: XCTestCase {
    nonisolated(unsafe) static var s3: FakeS3!
    nonisolated(unsafe) static var stack: PictorStack!
    var stack: PictorStack { Self.stack }
    var s3: FakeS3 { Self.s3 }
    static let cdn = "https://cdn.pictor.example/public"

    override class func setUp() {
        s3 = FakeS3()
        stack = try! PictorStack(settings: [
            "generation.requests_per_minute": "1000",
            "storage.backend": "s3", "storage.s3_endpoint": s3.endpoint, "storage.s3_bucket": s3.bucket,
            "storage.s3_access_key": s3.accessKey, "storage.s3_secret_key": s3.secretKey,
            "storage.s3_region": s3.region, "storage.s3_path_style": "on", "storage.public_base_url": cdn,
            "storage.presign_seconds": "120",
        ], jobWorkers: 1)
    }

    override class func tearDown() {
        stack.stop(); stack = nil
        s3.stop(); s3 = nil
    }

    private func signedUp() throws -> Browser {
        let browser = Browser(base: stack.baseURL)
        try browser.signUp(email: uniqueEmail("s3"))
        return browser
    }

    private func generate(_ browser: Browser, _ prompt: String) throws -> String {
        let id = try XCTUnwrap(try browser.generate([("prompt", prompt), ("size", "512x512")]).first)
        try stack.waitFor("image \(id)") { (try? self.status(id)) == "succeeded" }
        return id
    }

    private func status(_ id: String) throws -> String {
        try Connection(stack.databaseURL).query("SELECT status FROM generations WHERE id = $1::uuid", [id])[0].get("status")
    }

    private func keys(_ id: String) throws -> [String] {
        let row = try Connection(stack.databaseURL).query("SELECT image_key, thumb_key, thumb_large_key FROM generations WHERE id = $1::uuid", [id])[0]
        return [try row.get("image_key"), try row.get("thumb_key"), try row.get("thumb_large_key")]
    }

    func testImagesLiveInTheBucketAndFollowPublishingAndDeletion() throws {
        let owner = try signedUp(), stranger = try signedUp()
        let id = try generate(owner, "a lighthouse kept in a bucket")
        let files = try keys(id)
        XCTAssertEqual(Set(s3.keys), Set(files.map { "private/" + $0 }), "stored privately, nothing public")
        XCTAssertEqual(s3.object("private/" + files[0])?.contentType, "image/png")
        XCTAssertEqual(s3.object("private/" + files[1])?.contentType, "image/webp")
        XCTAssertEqual(s3.object("private/" + files[0])?.cacheControl, "public, max-age=31536000, immutable")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stack.state + "/media/private/" + files[0]))

        // The owner is sent to a signed URL the bucket honours; anyone else finds nothing.
        let mine = try owner.get("/generations/\(id)/image")
        XCTAssertEqual(mine.status, 303)
        XCTAssertEqual(mine.header("cache-control"), "private, no-store")
        let signed = try XCTUnwrap(mine.header("location"))
        XCTAssertTrue(signed.hasPrefix(s3.endpoint + "/" + s3.bucket + "/private/" + files[0] + "?"), signed)
        XCTAssertTrue(signed.contains("X-Amz-Expires=120"))
        let fetched = try HTTPClient().get(signed)
        XCTAssertEqual(fetched.status, 200)
        XCTAssertEqual(fetched.body, s3.object("private/" + files[0])?.bytes)
        XCTAssertEqual(try stranger.get("/generations/\(id)/image").status, 404)
        XCTAssertEqual(try HTTPClient().get(stack.baseURL + "/generations/\(id)/image").status, 404)

        // Published: moved to public/ and linked at the CDN address.
        XCTAssertEqual(try owner.post("/generations/\(id)/publish", [("public", "1")], csrfFrom: "/generate").status, 303)
        XCTAssertEqual(Set(s3.keys), Set(files.map { "public/" + $0 }))
        let page = try Browser(base: stack.baseURL).get("/generations/" + id)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains(Self.cdn + "/" + files[0]), "the image is linked at the public base URL")
        XCTAssertTrue(page.text.contains(#"content="\#(Self.cdn)/\#(files[2])""#), "og:image is already absolute")
        XCTAssertEqual(try stranger.get("/generations/\(id)/image").header("location"), Self.cdn + "/" + files[0])

        // Unpublished: private again under new names; the public objects are gone.
        XCTAssertEqual(try owner.post("/generations/\(id)/publish", [("public", "0")], csrfFrom: "/generate").status, 303)
        let renamed = try keys(id)
        XCTAssertTrue(Set(renamed).isDisjoint(with: files))
        XCTAssertEqual(Set(s3.keys), Set(renamed.map { "private/" + $0 }))

        // Deleted: nothing left in the bucket.
        XCTAssertEqual(try owner.post("/generations/\(id)/delete", [], csrfFrom: "/generate").status, 303)
        XCTAssertEqual(s3.keys, [])
    }
}
