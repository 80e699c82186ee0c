// The gallery, private media, publishing, search, pagination and bulk delete, through nginx.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class GalleryTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() { stack = try! PictorStack(settings: ["generation.requests_per_minute": "1000"], jobWorkers: 2) }
    override class func tearDown() { stack.stop(); stack = nil }

    private func signedUp() throws -> Browser {
        let browser = Browser(base: stack.baseURL)
        try browser.signUp(email: "gallery-\(UUID().uuidString.prefix(8).lowercased())@example.com")
        return browser
    }

    /// Generates through the form and waits until the image is stored; returns its id.
    private func generate(_ browser: Browser, _ prompt: String, wait: Bool = true) throws -> String {
        let id = try XCTUnwrap(try browser.generate([("prompt", prompt), ("size", "512x512")]).first)
        if wait {
            try stack.waitFor("image \(id)") { (try? self.status(id)) == "succeeded" }
        }
        return id
    }

    private func status(_ id: String) throws -> String {
        try Connection(stack.databaseURL).query("SELECT status FROM generations WHERE id = $1::uuid", [id])[0].get("status")
    }

    private func keys(_ id: String) throws -> [String] {
        let row = try Connection(stack.databaseURL).query("SELECT image_key, thumb_key, thumb_large_key FROM generations WHERE id = $1::uuid", [id])[0]
        return [try row.get("image_key"), try row.get("thumb_key"), try row.get("thumb_large_key")]
    }

    private func anonymous() -> HTTPClient { HTTPClient() }

    func testPrivateImagesReachOnlyTheirOwnerUntilPublished() throws {
        let owner = try signedUp()
        let stranger = try signedUp()
        let id = try generate(owner, "a private lighthouse")
        let files = try keys(id).map { "/media/" + $0 }
        let routes = ["image", "thumbnail", "thumbnail-large"].map { "/generations/\(id)/\($0)" }

        for path in files { XCTAssertEqual(try anonymous().get(stack.baseURL + path).status, 404, "guessing \(path)") }
        for path in routes {
            XCTAssertEqual(try anonymous().get(stack.baseURL + path).status, 404, path)
            XCTAssertEqual(try stranger.get(path).status, 404, path)
            let mine = try owner.get(path)
            XCTAssertEqual(mine.status, 200, path)
            XCTAssertEqual(mine.header("cache-control"), "private, max-age=31536000, immutable")
        }
        XCTAssertEqual(try stranger.get("/generations/" + id).status, 404)

        // Published: straight from nginx to anyone, cacheable for a year.
        XCTAssertEqual(try owner.post("/generations/\(id)/publish", [("public", "1")], csrfFrom: "/generate").status, 303)
        for path in files {
            let response = try anonymous().get(stack.baseURL + path)
            XCTAssertEqual(response.status, 200, path)
            XCTAssertEqual(response.header("cache-control"), "public, max-age=31536000, immutable")
        }
        let page = try Browser(base: stack.baseURL).get("/generations/" + id)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains(#"property="og:image""#))
        XCTAssertTrue(page.text.contains(files[2]))
        XCTAssertFalse(page.text.contains("/publish"), "visitors get no owner actions")

        // Unpublished: private again, under new names, so the public URLs (and what caches keep
        // under them) lead nowhere, even if someone later learns the private files' location.
        XCTAssertEqual(try owner.post("/generations/\(id)/publish", [("public", "0")], csrfFrom: "/generate").status, 303)
        for path in files { XCTAssertEqual(try anonymous().get(stack.baseURL + path).status, 404, path) }
        XCTAssertEqual(try stranger.get("/generations/" + id).status, 404)
        XCTAssertEqual(try owner.get(routes[0]).status, 200)
        let renamed = try keys(id)
        XCTAssertTrue(Set(renamed).isDisjoint(with: files.map { String($0.dropFirst("/media/".count)) }), "\(renamed)")
        for key in renamed {
            XCTAssertTrue(FileManager.default.fileExists(atPath: stack.state + "/media/private/" + key), key)
            XCTAssertFalse(FileManager.default.fileExists(atPath: stack.state + "/media/public/" + key), key)
        }
        for old in files {
            let name = String(old.dropFirst("/media/".count))
            for side in ["public", "private"] {
                XCTAssertFalse(FileManager.default.fileExists(atPath: stack.state + "/media/\(side)/" + name), "\(side)/\(name)")
            }
        }
        XCTAssertTrue(renamed[0].hasSuffix(".png") && renamed[1].hasSuffix("-256.webp") && renamed[2].hasSuffix("-512.webp"),
                      "the names keep their sizes and types: \(renamed)")
    }

    func testOthersCannotPublishOrFavoriteMyImages() throws {
        let owner = try signedUp()
        let id = try generate(owner, "not yours to share")
        let stranger = try signedUp()
        XCTAssertEqual(try stranger.post("/generations/\(id)/publish", [("public", "1")], csrfFrom: "/generate").status, 404)
        XCTAssertEqual(try stranger.post("/generations/\(id)/favorite", [("favorite", "1")], csrfFrom: "/generate").status, 404)
        for path in try keys(id).map({ "/media/" + $0 }) { XCTAssertEqual(try anonymous().get(stack.baseURL + path).status, 404) }
    }

    func testTilesNameTheirDownloadAndShareOneActionForm() throws {
        let browser = try signedUp()
        let ids = [try generate(browser, "a tile with actions"), try generate(browser, "another tile")]
        let page = try browser.get("/gallery").text
        for id in ids {
            let fileExtension = (try keys(id)[0] as NSString).pathExtension
            XCTAssertTrue(page.contains("download=\"pictor-\(id.prefix(8)).\(fileExtension)\""), id)
            for action in ["favorite", "publish", "delete"] {
                XCTAssertTrue(page.contains("form=\"tile-action\" formaction=\"/generations/\(id)/\(action)\""), action)
            }
        }
        XCTAssertEqual(page.components(separatedBy: "name=\"csrf_token\"").count - 1, 3,
                       "the token appears in the log-out, bulk-delete and tile-action forms, not once per tile")

        // What a browser sends for a tile's star: the shared form's fields and the button's value.
        let starred = try browser.post("/generations/\(ids[0])/favorite", [("back", "/gallery"), ("favorite", "1")], csrfFrom: "/gallery")
        XCTAssertEqual(starred.status, 303)
        XCTAssertEqual(starred.header("location"), "/gallery")
        XCTAssertTrue(try browser.get("/gallery?favorites=1").text.contains("a tile with actions"))
    }

    func testGalleryShowsOnlyTheLiveSessionsOwnImages() throws {
        let owner = try signedUp()
        _ = try generate(owner, "a lighthouse only its owner sees", wait: false)
        let other = try signedUp()
        XCTAssertFalse(try other.get("/gallery").text.contains("a lighthouse only its owner sees"))
        let token = try XCTUnwrap(owner.cookies["pictor_session"])
        let db = try Connection(stack.databaseURL)
        let tokenHash = "sha256(convert_to($1, 'UTF8'))"

        // Last extended two hours ago: the page shows the images and slides the expiry again.
        try db.query("UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE token_hash = \(tokenHash)", [token])
        let extended = try owner.get("/gallery")
        XCTAssertEqual(extended.status, 200)
        XCTAssertTrue(extended.text.contains("a lighthouse only its owner sees"))
        XCTAssertTrue(extended.headers(named: "set-cookie").contains { $0.hasPrefix("pictor_session=\(token);") })
        let lastSeen = try db.query("SELECT now() - last_seen_at < interval '1 minute' AS fresh FROM sessions WHERE token_hash = \(tokenHash)", [token])
        XCTAssertEqual(try lastSeen[0].get("fresh", as: Bool.self), true)

        // Expired: logged out, and none of the images leak into the answer.
        try db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = \(tokenHash)", [token])
        let expired = try owner.get("/gallery?q=lighthouse")
        XCTAssertEqual(expired.status, 303)
        XCTAssertEqual(expired.header("location"), "/login?next=%2Fgallery%3Fq%3Dlighthouse")
        XCTAssertFalse(expired.text.contains("lighthouse only"))
        owner.setCookie("pictor_session", nil)
        XCTAssertEqual(try owner.get("/gallery").status, 303)
    }

    func testTilesShowEveryChangeMadeAfterTheyWereFirstShown() throws {
        // Tiles are rendered once and reused while their row is unchanged (TileCache): each
        // change must show on the next load, whichever worker answers it.
        let browser = try signedUp()
        let id = try generate(browser, "a tile that changes")
        let tile = { () throws -> String in
            let page = try browser.get("/gallery").text
            let start = try XCTUnwrap(page.range(of: "<li class=\"tile\">\n  <a class=\"tile-media\" href=\"/generations/\(id)\""))
            return String(page[start.lowerBound..<(page.range(of: "</li>", range: start.upperBound..<page.endIndex)?.upperBound ?? page.endIndex)])
        }
        for _ in 0..<4 { XCTAssertTrue(try tile().contains(#"aria-pressed="false""#)) }  // both workers have it now
        XCTAssertEqual(try browser.post("/generations/\(id)/favorite", [("favorite", "1"), ("back", "/gallery")], csrfFrom: "/gallery").status, 303)
        for _ in 0..<4 { XCTAssertTrue(try tile().contains(#"aria-pressed="true""#)) }
        XCTAssertEqual(try browser.post("/generations/\(id)/publish", [("public", "1"), ("back", "/gallery")], csrfFrom: "/gallery").status, 303)
        for _ in 0..<4 {
            let published = try tile()
            XCTAssertTrue(published.contains(">Unpublish<"))
            XCTAssertTrue(published.contains(#"<span class="pill">Public</span>"#))
            XCTAssertTrue(published.contains("/media/"), "a public image's thumbnail is served by nginx")
        }
        // A change made outside the app (a moderator in psql) shows too.
        try Connection(stack.databaseURL).query("UPDATE generations SET prompt = 'renamed by hand' WHERE id = $1::uuid", [id])
        for _ in 0..<4 { XCTAssertTrue(try tile().contains(">renamed by hand</p>")) }
    }

    func testUnknownModelsAndForgedCursorsAreRefusedClearly() throws {
        let browser = try signedUp()
        _ = try generate(browser, "a tile that stays", wait: false)
        let model = try browser.get("/gallery?model=no-such-model")
        XCTAssertEqual(model.status, 400)
        XCTAssertTrue(model.text.contains("Unknown model `no-such-model`."))
        for cursor in ["garbage", "1_2", "12_not-a-uuid", "_"] {
            let forged = try browser.get("/gallery?cursor=" + cursor)
            XCTAssertEqual(forged.status, 400, cursor)
            XCTAssertTrue(forged.text.contains("is not a cursor this API returned"), cursor)
        }
        XCTAssertTrue(try browser.get("/gallery").text.contains("a tile that stays"), "nothing changed")
    }

    func testSearchFindsPromptWordsAndNothingElse() throws {
        let browser = try signedUp()
        _ = try generate(browser, "a red fox in the snow", wait: false)
        _ = try generate(browser, "a blue whale at night", wait: false)
        let fox = try browser.get("/gallery?q=fox")
        XCTAssertEqual(fox.status, 200)
        XCTAssertTrue(fox.text.contains("a red fox in the snow"))
        XCTAssertFalse(fox.text.contains("a blue whale at night"))
        let none = try browser.get("/gallery?q=giraffe")
        XCTAssertFalse(none.text.contains("a red fox in the snow"))
        XCTAssertFalse(none.text.contains("a blue whale at night"))
        let api = try JSONSerialization.jsonObject(with: Data(browser.get("/api/v1/generations?q=whale").body)) as? [String: Any]
        XCTAssertEqual((api?["data"] as? [[String: Any]])?.map { $0["prompt"] as? String }, ["a blue whale at night"])
    }

    func testPaginationNeverRepeatsOrSkipsWhileImagesArrive() throws {
        let browser = try signedUp()
        var ids: [String] = []
        for index in 0..<30 { ids.append(try generate(browser, "tile number \(index)", wait: false)) }
        let first = try browser.get("/gallery").text
        for index in 0..<3 { _ = try generate(browser, "arrived later \(index)", wait: false) }
        let olderRange = try XCTUnwrap(first.range(of: #"href="(/gallery\?cursor=[^"]+)""#, options: .regularExpression))
        let older = String(first[olderRange].dropFirst(6).dropLast()).replacingOccurrences(of: "&amp;", with: "&")
        let second = try browser.get(older).text
        func shown(_ html: String) -> [String] {
            ids.filter { html.contains("/generations/\($0)\"") }
        }
        XCTAssertEqual(shown(first).count, 24)
        XCTAssertEqual(shown(second).count, 6)
        XCTAssertEqual(Set(shown(first)).intersection(shown(second)), [])
        XCTAssertEqual(Set(shown(first) + shown(second)), Set(ids))
        XCTAssertFalse(second.contains("arrived later"), "new images do not push old ones onto the next page")
    }

    func testBulkDeleteRemovesRowsAndFilesAndRefusesForeignIDs() throws {
        let owner = try signedUp()
        let mine = try (0..<3).map { try generate(owner, "keep or delete \($0)") }
        let stranger = try signedUp()
        let theirs = try generate(stranger, "not the owner's")
        let files = try mine.flatMap(keys)

        let refused = try owner.post("/gallery/delete", [("ids", mine[0]), ("ids", mine[1]), ("ids", theirs)], csrfFrom: "/gallery")
        XCTAssertEqual(refused.status, 404)
        for id in mine + [theirs] { XCTAssertEqual(try status(id), "succeeded", "nothing was deleted") }
        for key in files { XCTAssertTrue(FileManager.default.fileExists(atPath: stack.state + "/media/private/" + key)) }

        let deleted = try owner.post("/gallery/delete", [("ids", mine[0]), ("ids", mine[1]), ("back", "/gallery")], csrfFrom: "/gallery")
        XCTAssertEqual(deleted.status, 303)
        XCTAssertEqual(deleted.header("location"), "/gallery")
        let left = try Connection(stack.databaseURL).query("SELECT count(*)::int AS n FROM generations WHERE id = ANY($1::uuid[])",
                                                           ["{\(mine.joined(separator: ","))}"])[0].get("n", as: Int.self)
        XCTAssertEqual(left, 1)
        for key in try keys(mine[2]) { XCTAssertTrue(FileManager.default.fileExists(atPath: stack.state + "/media/private/" + key)) }
        for key in files.prefix(6) { XCTAssertFalse(FileManager.default.fileExists(atPath: stack.state + "/media/private/" + key)) }
        XCTAssertEqual(try status(theirs), "succeeded")
        XCTAssertTrue(try owner.get("/gallery").text.contains(#"<div class="flash flash-success" role="status">2 images were deleted.</div>"#))
    }

    func testEachTileActionReturnsToTheSameGalleryPageAndSaysWhatHappened() throws {
        let owner = try signedUp()
        let id = try generate(owner, "a tile to act on")
        let back = "/gallery?q=tile&model=sdxl"
        for (action, field, value, message) in [("publish", "public", "1", "The image is public"), ("publish", "public", "0", "The image is private again"),
                                                ("favorite", "favorite", "1", "Added to your favorites."), ("favorite", "favorite", "0", "Removed from your favorites."),
                                                ("delete", "", "", "The image was deleted.")] {
            let answer = try owner.post("/generations/\(id)/\(action)", [(field, value), ("back", back)].filter { !$0.0.isEmpty }, csrfFrom: "/gallery")
            XCTAssertEqual(answer.status, 303, action)
            XCTAssertEqual(answer.header("location"), back, "\(action) stays where it was pressed")
            let next = try owner.get(back).text
            XCTAssertTrue(next.contains(message), "\(action) \(value): \(next)")
            XCTAssertFalse(try owner.get(back).text.contains(message), "shown once")
        }
        XCTAssertEqual(try owner.post("/generations/\(try generate(owner, "another"))/delete", [], csrfFrom: "/gallery").header("location"), "/gallery",
                       "from the image's own page, which is gone, to the gallery")
    }

    func testTheGalleryCanShowOneTilePerRequest() throws {
        let owner = try signedUp()
        let batch = try owner.generate([("prompt", "four lanterns"), ("size", "512x512"), ("count", "4")])
        let single = try XCTUnwrap(try owner.generate([("prompt", "one lantern"), ("size", "512x512")]).first)
        func tiles(_ path: String) throws -> [String] {
            try owner.get(path).text.matches(of: #/<li class="tile">\s*<a class="tile-media" href="/generations/([0-9a-f-]{36})"/#).map { String($0.output.1) }
        }
        XCTAssertEqual(Set(try tiles("/gallery")), Set(batch + [single]))
        let grouped = try tiles("/gallery?group=request")
        XCTAssertEqual(grouped, [single, batch.min()!], "newest first, each request once, by its first image")
        XCTAssertTrue(try owner.get("/gallery?group=request").text.contains(#"name="group" value="request" data-submit-on-change checked"#))
    }

    func testExploreShowsPublicImagesOnly() throws {
        let browser = try signedUp()
        let shared = try generate(browser, "a shared sunrise")
        let hidden = try generate(browser, "a hidden sunset")
        XCTAssertEqual(try browser.post("/generations/\(shared)/publish", [("public", "1")], csrfFrom: "/generate").status, 303)
        let explore = try Browser(base: stack.baseURL).get("/explore")
        XCTAssertEqual(explore.status, 200)
        XCTAssertTrue(explore.text.contains("/generations/\(shared)"))
        XCTAssertFalse(explore.text.contains("/generations/\(hidden)"))
        XCTAssertTrue(explore.text.contains("/generate?remix=\(shared)"))
    }

    func testFavoritesThroughTheAPIAndTheGalleryFilter() throws {
        let browser = try signedUp()
        let starred = try generate(browser, "a starred comet", wait: false)
        _ = try generate(browser, "an ordinary rock", wait: false)
        let token = try browser.csrfToken(on: "/gallery")
        let patched = try browser.send(HTTPRequest(method: "PATCH", url: stack.baseURL + "/api/v1/generations/" + starred,
            headers: [("Content-Type", "application/json"), ("X-CSRF-Token", token)], body: Array(#"{"favorite": true}"#.utf8)))
        XCTAssertEqual(patched.status, 200)
        let favorites = try JSONSerialization.jsonObject(with: Data(browser.get("/api/v1/generations?favorite=true").body)) as? [String: Any]
        XCTAssertEqual((favorites?["data"] as? [[String: Any]])?.map { $0["id"] as? String }, [starred])
        let page = try browser.get("/gallery?favorites=1").text
        XCTAssertTrue(page.contains("a starred comet"))
        XCTAssertFalse(page.contains("an ordinary rock"))
        let withoutToken = try browser.send(HTTPRequest(method: "PATCH", url: stack.baseURL + "/api/v1/generations/" + starred,
            headers: [("Content-Type", "application/json")], body: Array(#"{"public": true}"#.utf8)))
        XCTAssertEqual(withoutToken.status, 403, "a cookie call that changes state needs the CSRF header")
    }
}
