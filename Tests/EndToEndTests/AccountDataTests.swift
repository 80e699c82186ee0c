// "Your data" through the whole stack: the export holds the account's generations and images and
// nothing of anyone else's; deleting the account removes it, its sessions, keys, generations and
// files, cancels its subscription at (fake) Stripe, and keeps only anonymised payments.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class AccountDataTests: XCTestCase {
    nonisolated(unsafe) static var stripe: FakeStripe!
    nonisolated(unsafe) static var stack: PictorStack!
    var stack: PictorStack { Self.stack }

    override class func setUp() {
        stripe = FakeStripe(prices: ["price_pro", "price_pack"])
        stack = try! PictorStack(settings: [
            "stripe.api_base": stripe.url, "stripe.secret_key": stripe.secretKey, "stripe.webhook_secret": stripe.webhookSecret,
            "plan.free.price": "0", "plan.free.credits": "50",
            "plan.pro.price": "29", "plan.pro.credits": "2000", "plan.pro.stripe_price": "price_pro",
            "pack.small.price": "5", "pack.small.credits": "100", "pack.small.stripe_price": "price_pack",
            "generation.requests_per_minute": "1000",
        ], jobWorkers: 1)
    }

    override class func tearDown() {
        stack.stop()
        stripe.stop()
    }

    private func database() throws -> Connection { try Connection(stack.databaseURL) }

    /// A user with finished generations (one of them public) and a browser signed in as them.
    private func userWithImages(_ prompts: [String]) throws -> (user: APIUser, browser: Browser, ids: [String]) {
        let user = try APIUser.create(on: stack)
        var ids: [String] = []
        for (index, prompt) in prompts.enumerated() {
            let body = #"{"prompt": "\#(prompt)", "model": "flux-schnell", "width": 512, "height": 512, "public": \#(index == 0)}"#
            let id = try XCTUnwrap(user.object(user.post(body))["id"] as? String)
            XCTAssertEqual(try user.finished(id)["status"] as? String, "succeeded")
            ids.append(id)
        }
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.logIn(email: user.email, password: "long enough password").status, 303)
        return (user, browser, ids)
    }

    /// The archive's entries (name → bytes), read and CRC-checked by Python's zipfile.
    private func unzip(_ bytes: [UInt8]) throws -> [String: [UInt8]] {
        let path = NSTemporaryDirectory() + "export-\(UUID().uuidString).zip"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
            import base64, json, sys, zipfile
            archive = zipfile.ZipFile(sys.argv[1])
            assert archive.testzip() is None, "a CRC does not match"
            print(json.dumps({info.filename: base64.b64encode(archive.read(info)).decode() for info in archive.infolist()}))
            """
        let output = try runCommand("/usr/bin/python3", ["-c", script, path])
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String])
        return entries.mapValues { Array(Data(base64Encoded: $0) ?? Data()) }
    }

    func testTheExportHoldsTheAccountsGenerationsAndImagesAndNothingOfOthers() throws {
        let (user, browser, ids) = try userWithImages(["a lighthouse at dusk", "a red fox in snow"])
        let (_, _, _) = try userWithImages(["somebody else's secret prompt"])

        let download = try browser.get("/account/export")
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(download.header("Content-Type"), "application/zip")
        XCTAssertTrue(download.header("Content-Disposition")?.hasPrefix("attachment; filename=\"pictor-data-") ?? false)
        let entries = try unzip(download.body)
        XCTAssertEqual(Set(entries.keys), Set(["pictor-data.json"] + ids.map { "images/\($0).png" }))
        let json = String(decoding: try XCTUnwrap(entries["pictor-data.json"]), as: UTF8.self)
        XCTAssertFalse(json.contains("somebody else"), "nothing of another account")
        XCTAssertFalse(json.contains("scrypt"), "no password hash")
        XCTAssertFalse(json.contains(user.key), "no API key secret")
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual((document["profile"] as? [String: Any])?["email"] as? String, user.email)
        let generations = try XCTUnwrap(document["generations"] as? [[String: Any]])
        XCTAssertEqual(generations.map { $0["prompt"] as? String }, ["a lighthouse at dusk", "a red fox in snow"])
        XCTAssertEqual(generations.map { $0["archive_path"] as? String }, ids.map { "images/\($0).png" })
        XCTAssertEqual((document["api_keys"] as? [[String: Any]])?.map { $0["name"] as? String }, ["tests"])
        XCTAssertEqual((document["ledger"] as? [[String: Any]])?.count, 3, "the bonus and two charges")
        for id in ids {
            let served = try user.get("/api/v1/generations/" + id)
            let imageURL = try XCTUnwrap(user.object(served)["image_url"] as? String)
            XCTAssertEqual(entries["images/\(id).png"], try user.get(imageURL).body, "the stored image, byte for byte")
        }

        let api = try user.get("/api/v1/me/export")
        XCTAssertEqual(api.status, 200)
        let apiDocument = try user.object(api)
        XCTAssertEqual((apiDocument["generations"] as? [[String: Any]])?.count, 2)
        XCTAssertNil((apiDocument["generations"] as? [[String: Any]])?.first?["archive_path"])
        XCTAssertEqual(try Browser(base: stack.baseURL).get("/account/export").status, 303, "signed out: to the login page")
    }

    func testDeletingTheAccountRemovesItsDataAndFilesAndKeepsOnlyAnonymisedPayments() throws {
        let (user, browser, ids) = try userWithImages(["a public castle", "a private garden"])
        let userID: Int64 = try database().query("SELECT id FROM users WHERE email = $1", [user.email])[0].get("id")
        // A pack bought and a subscription running, through Stripe's webhooks.
        for (event, object) in [
            ("evt_pack_\(userID)", ["id": "cs_pack_\(userID)", "mode": "payment", "payment_status": "paid", "client_reference_id": "\(userID)",
                                    "customer": "cus_\(userID)", "metadata": ["user_id": "\(userID)", "pictor_pack": "small"]] as [String: Any]),
            ("evt_sub_\(userID)", ["id": "cs_sub_\(userID)", "mode": "subscription", "payment_status": "paid", "client_reference_id": "\(userID)",
                                   "customer": "cus_\(userID)", "subscription": "sub_\(userID)", "invoice": "in_\(userID)",
                                   "metadata": ["user_id": "\(userID)", "pictor_plan": "pro"]]),
        ] {
            let body = FakeStripe.event(event, type: "checkout.session.completed", object: object)
            let delivered = try HTTPClient().send(HTTPRequest(method: "POST", url: stack.baseURL + "/webhooks/stripe",
                                                              headers: [("Stripe-Signature", Self.stripe.signature(for: body))], body: body))
            XCTAssertEqual(delivered.status, 200, delivered.text)
        }
        let files = try ids.map { try XCTUnwrap(user.object(user.get("/api/v1/generations/" + $0))["image_url"] as? String) }
        XCTAssertEqual(try files.map { try user.get($0).status }, [200, 200])

        let wrong = try browser.post("/account/delete", [("password", "not my password at all")], csrfFrom: "/account")
        XCTAssertEqual(wrong.status, 403)
        XCTAssertTrue(wrong.text.contains("nothing was deleted"))
        XCTAssertEqual(try database().query("SELECT count(*)::int AS n FROM users WHERE id = $1", [userID])[0].get("n", as: Int.self), 1)

        let deleted = try browser.post("/account/delete", [("password", "long enough password")], csrfFrom: "/account")
        XCTAssertEqual(deleted.status, 303)
        XCTAssertEqual(deleted.header("Location"), "/login")
        XCTAssertTrue(try browser.get("/login").text.contains("Your account, its images and its data were deleted."), "said on the next page")
        XCTAssertEqual(Self.stripe.cancelledSubscriptions, ["sub_\(userID)"])

        XCTAssertEqual(try browser.get("/account").status, 303, "the session is gone")
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: user.email, password: "long enough password").status, 401)
        XCTAssertEqual(try user.get("/api/v1/me").status, 401, "the API key is gone")
        for url in files {
            XCTAssertEqual(try HTTPClient().get(url.hasPrefix("http") ? url : stack.baseURL + url).status, 404, url)
        }
        let stored = (FileManager.default.enumerator(atPath: stack.state + "/media")?.allObjects as? [String] ?? [])
        XCTAssertFalse(stored.contains { name in files.contains { $0.hasSuffix(name) && name.hasSuffix(".png") } }, "\(stored)")

        let db = try database()
        for table in ["generations", "sessions", "api_keys", "account_tokens"] {
            XCTAssertEqual(try db.query("SELECT count(*)::int AS n FROM \(table) WHERE user_id = $1", [userID])[0].get("n", as: Int.self), 0, table)
        }
        let kept = try db.query("SELECT amount, user_id FROM transactions WHERE stripe_event_id LIKE $1 ORDER BY id", ["evt_%_\(userID)"])
        XCTAssertEqual(try kept.map { try $0.get("amount", as: Int.self) }, [100, 2000], "payments stay in the books")
        XCTAssertTrue(kept.allSatisfy { $0.isNull("user_id") }, "no longer tied to the person")
        let payloads: [String] = try db.query("SELECT payload::text AS p FROM stripe_events WHERE id LIKE $1", ["evt_%_\(userID)"]).map { try $0.get("p") }
        XCTAssertEqual(payloads.count, 2)
        XCTAssertTrue(payloads.allSatisfy { !$0.contains("cus_\(userID)") && $0.contains("anonymised") }, "\(payloads)")
        let mail = try db.query("SELECT kind, user_id FROM email_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1", [user.email])
        XCTAssertEqual(try mail.first?.get("kind", as: String.self), "account_deleted")
        let sums = try db.query("""
            SELECT count(*)::int AS n FROM users u WHERE u.credits <> (SELECT coalesce(sum(amount), 0) FROM transactions t WHERE t.user_id = u.id)
            """)
        XCTAssertEqual(try sums[0].get("n", as: Int.self), 0, "the ledger still equals every remaining balance")
        XCTAssertTrue(try String(contentsOfFile: stack.state + "/pictor.log", encoding: .utf8).contains("account \(userID) deleted at its owner's request"))
    }
}
