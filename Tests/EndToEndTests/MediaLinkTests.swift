// Private images on pages at signed links nginx checks itself: served without the pool, cached
// no longer than they work, refused when altered or expired, dead once the file is deleted or
// moved by publishing; the pool's owner-checked routes unchanged.

import Codecs
import Crypto
import Foundation
import HTTPClient
import Imaging
import Postgres
import TestSupport
import XCTest

final class MediaLinkTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() { stack = try! PictorStack(settings: ["generation.requests_per_minute": "1000"], jobWorkers: 1) }
    override class func tearDown() { stack.stop(); stack = nil }

    /// As nginx/site.conf.in sends them, for as long as the link lasts at the least.
    private static let cacheControl = "private, max-age=1800, immutable"
    private var thumbnailType: String { Imaging.supportsWebP ? "image/webp" : "image/jpeg" }

    // MARK: - Helpers

    private func signedUp(on stack: PictorStack? = nil) throws -> Browser {
        let browser = Browser(base: (stack ?? self.stack).baseURL)
        try browser.signUp(email: "links-\(UUID().uuidString.prefix(8).lowercased())@example.com")
        return browser
    }

    /// Generates one image through the form and waits until it is stored; returns its id.
    private func generate(_ browser: Browser, _ prompt: String, on stack: PictorStack? = nil) throws -> String {
        let stack = stack ?? self.stack
        let id = try XCTUnwrap(try browser.generate([("prompt", prompt), ("size", "512x512")]).first)
        try stack.waitFor("image \(id)") { (try? self.row(id, on: stack).get("status")) == "succeeded" }
        return id
    }

    private func row(_ id: String, on stack: PictorStack? = nil) throws -> Row {
        try Connection((stack ?? self.stack).databaseURL)
            .query("SELECT status, batch_id::text, image_key, thumb_key, thumb_large_key FROM generations WHERE id = $1::uuid", [id])[0]
    }

    /// The image, thumbnail and large thumbnail keys.
    private func keys(_ id: String) throws -> [String] {
        let row = try row(id)
        return [try row.get("image_key"), try row.get("thumb_key"), try row.get("thumb_large_key")]
    }

    /// The signed links in a page, by the key they point at (`&amp;` as the page escapes it).
    private func signedLinks(in html: String) -> [String: String] {
        var links: [String: String] = [:]
        for match in html.matches(of: #/(/private-media/([0-9a-f/]+[^"?\s]*)\?e=[0-9]+&amp;s=[A-Za-z0-9_-]+)/#) {
            links[String(match.output.2)] = match.output.1.replacingOccurrences(of: "&amp;", with: "&")
        }
        return links
    }

    /// What anyone holding the URL gets: no cookie, no key.
    private func fetch(_ path: String) throws -> HTTPResponse { try HTTPClient().get(stack.baseURL + path) }

    /// A link signed the way nginx checks it (computed here, apart from Pictor's own code).
    private func sign(_ path: String, expires: Int) throws -> String {
        let secret = try XCTUnwrap(stack.linkSecret)
        let signature = Base64URL.encode(Crypto.md5(Array("\(expires)\(path) \(secret)".utf8)))
        return path + "?e=\(expires)&s=" + signature
    }

    /// The pool's access-log lines ("method=GET path=/path status=200 …") written since the log had
    /// `offset` bytes, up to a marker request sent now: any request the pool answered before the
    /// marker is logged before it.
    private func poolRequests(since offset: Int) throws -> [String] {
        let marker = "/marker-" + UUID().uuidString.lowercased()
        XCTAssertEqual(try fetch(marker).status, 404)
        try stack.waitFor("the marker in the pool's log") { stack.pictorLog().contains(marker) }
        let log = stack.pictorLog().utf8.dropFirst(offset)
        let lines = String(decoding: log, as: UTF8.self).split(separator: "\n")
        let requests = lines.compactMap { $0.firstMatch(of: #/method=(GET|HEAD|POST|PATCH|DELETE) path=(/\S*) status=([0-9]{3}) /#) }
            .map { "\($0.output.1) \($0.output.2) \($0.output.3)" }
        XCTAssertEqual(requests.last, "GET \(marker) 404")
        return Array(requests.dropLast())
    }

    // MARK: - Tests

    func testAGalleryAndItsThumbnailsCostThePoolOneRequest() throws {
        let owner = try signedUp()
        let ids = try (0..<2).map { try generate(owner, "a signed lighthouse \($0)") }
        let before = stack.pictorLog().utf8.count
        let page = try owner.get("/gallery")
        XCTAssertEqual(page.status, 200)
        let links = signedLinks(in: page.text)
        let now = Int(Date().timeIntervalSince1970)
        for id in ids {
            let files = try keys(id)
            XCTAssertFalse(page.text.contains("/generations/\(id)/thumbnail"), "no thumbnail through the pool")
            for (key, type) in zip(files, ["image/png", thumbnailType, thumbnailType]) {
                let link = try XCTUnwrap(links[key], "\(key) is linked signed: \(page.text)")
                let expires = try XCTUnwrap(Int(try XCTUnwrap(link.firstMatch(of: #/e=([0-9]+)/#)).output.1))
                XCTAssertTrue((now + 3600 - 5...now + 7200 + 5).contains(expires), "expires in one to two hours: \(expires - now) s")
                let response = try fetch(link)
                XCTAssertEqual(response.status, 200, link)
                XCTAssertEqual(response.header("content-type"), type, link)
                XCTAssertEqual(response.header("cache-control"), Self.cacheControl, link)
                XCTAssertEqual(response.body, try XCTUnwrap(FileManager.default.contents(atPath: stack.state + "/media/private/" + key)).map { $0 })
            }
        }
        XCTAssertEqual(try poolRequests(since: before), ["GET /gallery 200"], "the page went through the pool, its images did not")
    }

    func testAPagesLinksStayTheSameWithinTheHourSoBrowsersCacheThem() throws {
        let owner = try signedUp()
        let id = try generate(owner, "the same link twice")
        let thumb = try keys(id)[1]
        let hour = { Int(Date().timeIntervalSince1970) / 3600 }
        let started = hour()
        let first = signedLinks(in: try owner.get("/gallery").text)[thumb]
        let second = signedLinks(in: try owner.get("/gallery").text)[thumb]
        XCTAssertNotNil(first)
        if hour() == started { XCTAssertEqual(first, second) }
    }

    func testTheImagePageAndTheWorkspaceLinkPrivateImagesSigned() throws {
        let owner = try signedUp()
        let id = try generate(owner, "a signed workspace")
        let files = try keys(id)
        let batch: String = try row(id).get("batch_id")
        let imagePage = signedLinks(in: try owner.get("/generations/" + id).text)
        XCTAssertNotNil(imagePage[files[0]], "the full image on its page")
        let workspace = signedLinks(in: try owner.get("/generate?batch=" + batch).text)
        XCTAssertNotNil(workspace[files[0]], "Download in the workspace")
        XCTAssertNotNil(workspace[files[2]], "the large thumbnail in the workspace")
        for link in Array(imagePage.values) + Array(workspace.values) { XCTAssertEqual(try fetch(link).status, 200, link) }
    }

    func testAlteredOrExpiredLinksAreRefusedWithAPage() throws {
        let owner = try signedUp()
        let id = try generate(owner, "do not tamper")
        let files = try keys(id)
        let link = try XCTUnwrap(signedLinks(in: try owner.get("/gallery").text)[files[1]])
        XCTAssertEqual(try fetch(link).status, 200)
        let expires = try XCTUnwrap(Int(try XCTUnwrap(link.firstMatch(of: #/e=([0-9]+)/#)).output.1))
        let signature = String(try XCTUnwrap(link.firstMatch(of: #/s=([A-Za-z0-9_-]+)/#)).output.1)
        let flipped = (signature.first == "A" ? "B" : "A") + signature.dropFirst()

        let forged = [
            "/private-media/\(files[1])?e=\(expires)&s=\(flipped)",              // another signature
            "/private-media/\(files[1])?e=\(expires + 3600)&s=\(signature)",     // a later expiry
            "/private-media/\(files[0])?e=\(expires)&s=\(signature)",            // another file
            "/private-media/\(files[1])?e=\(expires)",                           // no signature
            "/private-media/\(files[1])",                                        // nothing
        ]
        for path in forged {
            let response = try fetch(path)
            XCTAssertEqual(response.status, 403, path)
            XCTAssertEqual(response.header("content-type"), "text/html", path)
            XCTAssertTrue(response.text.contains("This link does not work"), path)
            XCTAssertEqual(response.header("cache-control"), "no-store", "an error is never cached")
        }
        XCTAssertEqual(try fetch(try sign("/private-media/" + files[0], expires: expires)).status, 200,
                       "signed apart from Pictor, the same way: nginx takes it")

        let expired = try fetch(try sign("/private-media/" + files[1], expires: Int(Date().timeIntervalSince1970) - 60))
        XCTAssertEqual(expired.status, 410)
        XCTAssertEqual(expired.header("content-type"), "text/html")
        XCTAssertTrue(expired.text.contains("This link has expired"))
        XCTAssertEqual(expired.header("cache-control"), "no-store")
    }

    func testADeletedImagesLinksFindNothing() throws {
        let owner = try signedUp()
        let id = try generate(owner, "soon deleted")
        let links = signedLinks(in: try owner.get("/gallery").text)
        let files = try keys(id)
        for key in files { XCTAssertEqual(try fetch(try XCTUnwrap(links[key])).status, 200) }

        XCTAssertEqual(try owner.post("/gallery/delete", [("ids", id), ("back", "/gallery")], csrfFrom: "/gallery").status, 303)
        for key in files {
            let response = try fetch(try XCTUnwrap(links[key]))
            XCTAssertEqual(response.status, 404, key)
            XCTAssertEqual(response.header("content-type"), "text/html")
            XCTAssertEqual(response.header("cache-control"), "no-store")
        }
    }

    func testPublishingAndUnpublishingEndTheOldPrivateLinks() throws {
        let owner = try signedUp()
        let id = try generate(owner, "private, then public, then private")
        let files = try keys(id)
        let privateLinks = signedLinks(in: try owner.get("/gallery").text)
        for key in files { XCTAssertEqual(try fetch(try XCTUnwrap(privateLinks[key])).status, 200) }

        // Public: the files move to media/public under the same names; the signed links lead nowhere.
        XCTAssertEqual(try owner.post("/generations/\(id)/publish", [("public", "1")], csrfFrom: "/generate").status, 303)
        let gallery = try owner.get("/gallery").text
        XCTAssertTrue(signedLinks(in: gallery).isEmpty, "a public image is linked at /media/")
        for key in files {
            XCTAssertEqual(try fetch(privateLinks[key]!).status, 404, "the old private link of \(key)")
            XCTAssertTrue(gallery.contains("/media/" + key))
            XCTAssertEqual(try fetch("/media/" + key).status, 200)
        }

        // Private again, under new names: neither the old private links nor the public URLs work.
        XCTAssertEqual(try owner.post("/generations/\(id)/publish", [("public", "0")], csrfFrom: "/generate").status, 303)
        let renamed = try keys(id)
        let newLinks = signedLinks(in: try owner.get("/gallery").text)
        for (old, new) in zip(files, renamed) {
            XCTAssertNotEqual(old, new)
            XCTAssertEqual(try fetch(privateLinks[old]!).status, 404, "the first private link of \(old)")
            XCTAssertEqual(try fetch("/media/" + old).status, 404)
            XCTAssertEqual(try fetch(try XCTUnwrap(newLinks[new])).status, 200, "the new private link")
        }
    }

    func testThePoolRoutesStillCheckTheOwner() throws {
        let owner = try signedUp()
        let stranger = try signedUp()
        let id = try generate(owner, "routes for API clients")
        for file in ["image", "thumbnail", "thumbnail-large"] {
            let path = "/generations/\(id)/\(file)"
            XCTAssertEqual(try fetch(path).status, 404, path)
            XCTAssertEqual(try stranger.get(path).status, 404, path)
            XCTAssertEqual(try owner.get(path).status, 200, path)
        }
        let api = try JSONSerialization.jsonObject(with: Data(try owner.get("/api/v1/generations/" + id).body)) as? [String: Any]
        XCTAssertEqual(api?["thumbnail_url"] as? String, "/generations/\(id)/thumbnail", "the API's URLs do not expire")
    }

    func testWithoutASecretPagesLinkPrivateImagesThroughThePool() throws {
        let plain = try PictorStack(settings: ["storage.link_secret": ""], workers: 1, jobWorkers: 1)
        defer { plain.stop() }
        XCTAssertNil(plain.linkSecret)
        let owner = try signedUp(on: plain)
        let id = try generate(owner, "no secret configured", on: plain)
        let page = try owner.get("/gallery").text
        XCTAssertTrue(signedLinks(in: page).isEmpty)
        XCTAssertTrue(page.contains("/generations/\(id)/thumbnail"))
        XCTAssertEqual(try owner.get("/generations/\(id)/thumbnail").status, 200)
        XCTAssertEqual(try HTTPClient().get(plain.baseURL + "/private-media/aa/bb.png?e=1&s=x").status, 404,
                       "nginx has no such location: the pool answers")
    }
}
