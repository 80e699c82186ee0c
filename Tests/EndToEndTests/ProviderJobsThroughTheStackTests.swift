// Real providers through the whole stack: a model per provider, jobs queued through nginx, run by
// `pictor worker` against each fake. A success stores an image; every failure ends failed with
// the credits back and no file left in storage.

import Foundation
import HTTPClient
import Imaging
import TestSupport
import XCTest

final class ProviderJobsThroughTheStackTests: XCTestCase {
    nonisolated(unsafe) static var pixel: FakePixelAPI!
    nonisolated(unsafe) static var openai: FakeOpenAIImages!
    nonisolated(unsafe) static var a1111: FakeA1111!
    nonisolated(unsafe) static var stack: PictorStack!
    var stack: PictorStack { Self.stack }

    override class func setUp() {
        pixel = FakePixelAPI()
        openai = FakeOpenAIImages()
        a1111 = FakeA1111()
        stack = try! PictorStack(settings: [
            "model.flux.provider": "pixelapi", "model.flux.provider_model": "flux-schnell", "model.flux.cost": "1",
            "model.flux.sizes": "512x512", "provider.pixelapi.url": pixel.url, "provider.pixelapi.key": pixel.key,
            "provider.pixelapi.poll_interval": "0.1",
            "model.dalle.provider": "openai", "model.dalle.cost": "2", "model.dalle.sizes": "512x512",
            "provider.openai.url": openai.url, "provider.openai.key": openai.key!,
            "model.gpu-hd.provider": "a1111", "model.gpu-hd.cost": "3", "model.gpu-hd.upscale": "2",
            "model.gpu-hd.sizes": "512x384", "provider.a1111.url": a1111.url,
            "generation.job_timeout": "4", "generation.lease": "6", "generation.requests_per_minute": "1000",
        ], jobWorkers: 1)
    }

    override class func tearDown() {
        stack.stop()
        [pixel.server, openai.server, a1111.server].forEach { $0.stop() }
    }

    /// Every stored file (both sides of the media directory).
    private func storedFiles() -> [String] {
        let root = stack.state + "/media"
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [])
            .filter { !$0.hasSuffix("/") && ($0.hasSuffix(".png") || $0.hasSuffix(".webp") || $0.hasSuffix(".jpg")) }
    }

    func testEachProviderMakesARealImage() throws {
        let user = try APIUser.create(on: stack)
        for (model, cost) in [("flux", 1), ("dalle", 2)] {
            let id = try user.object(user.post(#"{"prompt": "a lighthouse", "model": "\#(model)", "width": 512, "height": 512}"#))["id"] as! String
            let done = try user.finished(id, seconds: 20)
            XCTAssertEqual(done["status"] as? String, "succeeded", "\(model): \(done)")
            XCTAssertEqual(done["credit_cost"] as? Int, cost)
            let image = try user.get(done["image_url"] as! String)
            XCTAssertEqual(image.status, 200)
            let header = try Thumbnailer.inspect(image.body)
            XCTAssertEqual([header.width, header.height], [512, 512], model)
        }
        XCTAssertEqual(try user.books().balance, 47)
    }

    func testEveryFileOfAnImageIsMarkedAsAIGeneratedAndTheDownloadCarriesIt() throws {
        let user = try APIUser.create(on: stack)
        for (model, source, tool) in [("dalle", "trainedAlgorithmicMedia", "Pictor (Pictor) — dalle"),
                                      ("flux", "trainedAlgorithmicMedia", "Pictor (Pictor) — flux")] {
            let id = try user.object(user.post(#"{"prompt": "a lighthouse", "model": "\#(model)", "width": 512, "height": 512}"#))["id"] as! String
            let done = try user.finished(id, seconds: 20)
            XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
            for field in ["image_url", "thumbnail_url", "thumbnail_large_url"] {
                let file = try user.get(try XCTUnwrap(done[field] as? String))
                XCTAssertEqual(file.status, 200)
                let xmp = try XCTUnwrap(try Provenance.xmp(of: file.body), "\(model) \(field)")
                XCTAssertTrue(xmp.contains("Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/digitalsourcetype/\(source)\""), xmp)
                XCTAssertTrue(xmp.contains("xmp:CreatorTool=\"\(tool)\""), xmp)
                XCTAssertTrue(xmp.contains("xmp:CreateDate=\"20"), xmp)
            }
        }
    }

    func testTheHDModelIsUpscaledByTheProviderAndThePageTellsTheTrueSize() throws {
        let user = try APIUser.create(on: stack)
        let id = try user.object(user.post(#"{"prompt": "a castle", "model": "gpu-hd", "width": 512, "height": 384}"#))["id"] as! String
        let done = try user.finished(id, seconds: 20)
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
        let header = try Thumbnailer.inspect(user.get(done["image_url"] as! String).body)
        XCTAssertEqual([header.width, header.height], [1024, 768])
        XCTAssertTrue(Self.a1111.server.requests.contains { $0.target == "/sdapi/v1/extra-single-image" })
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.logIn(email: user.email, password: "long enough password").status, 303)
        let page = try browser.get("/generations/" + id).text
        XCTAssertTrue(page.contains("1024 × 768 (drawn at 512 × 384, upscaled 2×)"), page)
    }

    func testEveryFailureEndsFailedWithTheCreditsBackAndNothingStored() throws {
        let cases = [
            ("flux", "[fail] a cat", "The image service failed (it answered HTTP 500). Your credits were returned."),
            ("flux", "[failed] a cat", "The image service could not make this image: The model could not draw this prompt.. Your credits were returned."),
            ("flux", "[hang] a cat", "The image service did not answer in time. Your credits were returned."),
            ("flux", "[garbage] a cat", "The image service sent something that is not an image. Your credits were returned."),
            ("flux", "[busyforever] a cat", "The image service is busy. Your credits were returned."),
            ("dalle", "[badbase64] a cat", "The image service sent something that is not an image. Your credits were returned."),
            ("dalle", "[refused] a cat", "The image service refused this prompt. Your credits were returned."),
            ("dalle", "[wrongsize] a cat", "The image service sent a 256×512 image for a 512×512 request. Your credits were returned."),
            ("dalle", "[hang] a cat", "The image service did not answer in time. Your credits were returned."),
        ]
        let before = Set(storedFiles())
        let user = try APIUser.create(on: stack)
        let ids = try cases.map { model, prompt, _ in
            try user.object(user.post(#"{"prompt": "\#(prompt)", "model": "\#(model)", "width": 512, "height": 512}"#))["id"] as! String
        }
        for (id, (model, prompt, reason)) in zip(ids, cases) {
            let done = try user.finished(id, seconds: 30)
            XCTAssertEqual(done["status"] as? String, "failed", "\(model) \(prompt)")
            XCTAssertEqual(done["error"] as? String, reason, "\(model) \(prompt)")
            XCTAssertTrue(done["image_url"] is NSNull)
        }
        let books = try user.books()
        XCTAssertEqual(books.balance, 50)
        XCTAssertEqual(books.ledger, 50)
        XCTAssertEqual(books.refunds, cases.count)
        XCTAssertEqual(Set(storedFiles()), before, "no file of a failed job is left")
    }
}
