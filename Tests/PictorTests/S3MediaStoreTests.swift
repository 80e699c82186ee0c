// The S3 backend against an in-memory S3-compatible bucket that checks every signature.

import Foundation
import HTTPClient
@testable import Pictor
import TestSupport
import XCTest

final class S3MediaStoreTests: XCTestCase {
    private var s3: FakeS3!

    override func setUp() { s3 = FakeS3() }
    override func tearDown() { s3.stop() }

    private func store(secretKey: String? = nil, pathStyle: Bool = true) -> S3MediaStore {
        var settings = Config.Storage()
        settings.backend = .s3
        settings.s3Endpoint = s3.endpoint
        settings.s3Bucket = s3.bucket
        settings.s3AccessKey = s3.accessKey
        settings.s3SecretKey = secretKey ?? s3.secretKey
        settings.s3PathStyle = pathStyle
        settings.publicBaseURL = "https://cdn.example/public"
        settings.presignSeconds = 300
        return S3MediaStore(settings: settings, logger: nil)
    }

    func testWriteStoresTheObjectWithItsTypeAndALongImmutableCacheLifetime() throws {
        try store().write([1, 2, 3], key: "ab/abc.png", isPublic: false, contentType: "image/png")
        let object = try XCTUnwrap(s3.object("private/ab/abc.png"))
        XCTAssertEqual(object.bytes, [1, 2, 3])
        XCTAssertEqual(object.contentType, "image/png")
        XCTAssertEqual(object.cacheControl, "public, max-age=31536000, immutable")
        XCTAssertNil(s3.object("public/ab/abc.png"))
        XCTAssertEqual(try store().read("ab/abc.png", isPublic: false), [1, 2, 3])
        XCTAssertNil(try store().read("ab/abc.png", isPublic: true))
    }

    func testPlaceCopiesToTheOtherSideAndRemovesTheOriginal() throws {
        let media = store()
        try media.write([7], key: "ab/one.png", isPublic: false, contentType: "image/png")
        try media.write([8], key: "ab/two.webp", isPublic: true, contentType: "image/webp")
        XCTAssertEqual(try media.place(["ab/one.png", "ab/two.webp", nil, "ab/gone.png"], isPublic: true), ["ab/gone.png"])
        XCTAssertEqual(s3.keys, ["public/ab/one.png", "public/ab/two.webp"])
        XCTAssertEqual(s3.object("public/ab/one.png")?.contentType, "image/png", "a copy keeps its headers")
        XCTAssertEqual(s3.object("public/ab/one.png")?.cacheControl, S3MediaStore.cacheControl)
        XCTAssertTrue(s3.requests.contains { $0.header("x-amz-copy-source") != nil }, "moved server-side, not re-uploaded")
        XCTAssertEqual(media.publicURL(for: "ab/one.png"), "https://cdn.example/public/ab/one.png")
    }

    func testUnpublishMovesToFreshPrivateKeysAndTheOldPublicObjectsAreGone() throws {
        let media = store()
        let old = ["ab/" + String(repeating: "a", count: 32) + ".png", "ab/" + String(repeating: "a", count: 32) + "-256.webp"]
        for key in old { try media.write([1], key: key, isPublic: true, contentType: MediaKey.contentType(of: key)) }
        let new = MediaKey.renamed(old).compactMap { $0 }
        XCTAssertEqual(try media.unpublish(zip(old, new).map { ($0, $1) } + [("ab/nowhere.png", "cd/elsewhere.png")]),
                       ["ab/nowhere.png"])
        XCTAssertEqual(s3.keys, new.map { "private/" + $0 }.sorted())
        XCTAssertEqual(s3.object("private/" + new[1])?.contentType, "image/webp")
    }

    func testDeleteRemovesBothSidesAndDeletingTwiceIsFine() throws {
        let media = store()
        try media.write([1], key: "ab/x.png", isPublic: true, contentType: "image/png")
        try media.write([1], key: "ab/y.png", isPublic: false, contentType: "image/png")
        media.delete(["ab/x.png", "ab/y.png", nil])
        media.delete(["ab/x.png"])
        XCTAssertEqual(s3.keys, [])
    }

    func testAPresignedURLServesTheObjectUntilItExpires() throws {
        let media = store()
        try media.write([9, 9], key: "ab/p.png", isPublic: false, contentType: "image/png")
        let reply = try media.reply(for: "ab/p.png", isPublic: false)
        guard case .redirect(let url) = reply.body else { return XCTFail("\(reply)") }
        XCTAssertTrue(reply.headers.contains { $0.name == "Cache-Control" && $0.value == "private, no-store" })
        XCTAssertTrue(url.hasPrefix(s3.endpoint + "/" + s3.bucket + "/private/ab/p.png?"), url)
        let client = HTTPClient()
        let response = try client.get(url)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, [9, 9])
        XCTAssertEqual(response.header("Content-Type"), "image/png")
        XCTAssertEqual(try client.get(url.replacingOccurrences(of: "p.png", with: "q.png")).status, 403, "bound to its key")
        s3.advanceClock(by: 301)
        let expired = try client.get(url)
        XCTAssertEqual(expired.status, 403)
        XCTAssertTrue(String(decoding: expired.body, as: UTF8.self).contains("<Code>AccessDenied</Code>"))
    }

    func testAWrongSecretKeyIsAStorageError() throws {
        XCTAssertThrowsError(try store(secretKey: "wrong").write([1], key: "ab/w.png", isPublic: false, contentType: "image/png")) {
            XCTAssertTrue("\($0)".contains("SignatureDoesNotMatch"), "\($0)")
        }
        XCTAssertEqual(s3.keys, [])
        let forged = store(secretKey: "wrong").presignedURL("ab/w.png", isPublic: false)
        XCTAssertEqual(try HTTPClient().get(forged).status, 403)
    }

    func testUnsignedRequestsAreRefused() throws {
        try store().write([1], key: "ab/u.png", isPublic: true, contentType: "image/png")
        let response = try HTTPClient().get(s3.endpoint + "/" + s3.bucket + "/public/ab/u.png")
        XCTAssertEqual(response.status, 403)
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains("<Code>AccessDenied</Code>"))
    }

    func testVirtualHostAddressingPutsTheBucketInTheHostName() throws {
        let media = store(pathStyle: false)
        XCTAssertEqual(media.url("public/ab/v.png"), "http://\(s3.bucket).127.0.0.1:\(s3.port)/public/ab/v.png")
        // The name does not resolve here, so send to the fake's address with the Host a client would.
        let signer = SigV4(accessKey: s3.accessKey, secretKey: s3.secretKey, region: "us-east-1")
        let date = Date(), host = "\(s3.bucket).127.0.0.1:\(s3.port)"
        let (amzDate, _) = SigV4.timestamps(date)
        let hash = SigV4.emptyPayloadHash
        let headers = [("Host", host), ("x-amz-content-sha256", hash), ("x-amz-date", amzDate)]
        try store().write([5], key: "ab/v.png", isPublic: true, contentType: "image/png")
        let authorization = signer.authorization(method: "GET", path: "/public/ab/v.png", headers: headers, payloadHash: hash, date: date)
        let response = try HTTPClient().send(HTTPRequest(url: s3.endpoint + "/public/ab/v.png",
                                                         headers: headers + [("Authorization", authorization)]))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, [5])
    }

    /// The fake's own verifier accepts AWS's published GET Object example and nothing altered.
    func testTheFakeAcceptsTheDocumentedGetObjectSignatureOnly() throws {
        let aws = FakeS3(bucket: "examplebucket", accessKey: "AKIAIOSFODNN7EXAMPLE",
                         secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        defer { aws.stop() }
        func get(signature: String, range: String = "bytes=0-9") throws -> HTTPResponse {
            try HTTPClient().send(HTTPRequest(url: aws.endpoint + "/test.txt", headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Range", range),
                ("x-amz-content-sha256", SigV4.emptyPayloadHash), ("x-amz-date", "20130524T000000Z"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                 + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=\(signature)"),
            ]))
        }
        let documented = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        XCTAssertTrue(String(decoding: try get(signature: documented).body, as: UTF8.self).contains("NoSuchKey"),
                      "signed correctly; the object just is not there")
        XCTAssertTrue(String(decoding: try get(signature: documented, range: "bytes=0-10").body, as: UTF8.self)
            .contains("SignatureDoesNotMatch"))
        XCTAssertEqual(try get(signature: String(repeating: "0", count: 64)).status, 403)
    }

    func testConfigNamesTheMissingSetting() throws {
        var storage = Config.Storage()
        XCTAssertThrowsError(try storage.apply(["storage.backend": "s3", "storage.s3_endpoint": "http://x", "storage.s3_bucket": "b",
                                                "storage.s3_access_key": "a", "storage.public_base_url": "https://cdn"])) {
            XCTAssertTrue("\($0)".contains("storage.s3_secret_key"), "\($0)")
        }
        XCTAssertThrowsError(try storage.apply(["storage.backend": "ftp"])) { XCTAssertTrue("\($0)".contains("storage.backend")) }
        var local = Config.Storage()
        try local.apply([:])
        XCTAssertEqual(local.backend, .local)
        XCTAssertEqual(local.presignSeconds, 300)
    }
}
