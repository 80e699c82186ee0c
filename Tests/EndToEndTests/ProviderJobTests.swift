// Jobs on real providers through the whole stack: nginx, the pool, `pictor worker`, a local
// fake of each provider's API. Every failure ends failed with the credits back and no file left.

import Foundation
import HTTPClient
import Imaging
import TestSupport
import XCTest

final class ProviderConcurrencyTests: XCTestCase {
    func testASlowProviderNeverHoldsUpAnotherProvidersJobs() throws {
        let fake = FakeA1111()
        defer { fake.stop() }
        // One call at a time to the slow GPU box: its queue backs up, the builtin model's doesn't.
        let stack = try PictorStack(settings: PictorStack.builtinModels.merging([
            "provider.a1111.url": fake.url, "provider.a1111.concurrency": "1",
            "model.gpu.provider": "a1111", "model.gpu.cost": "1", "model.gpu.sizes": "512x512",
            "generation.requests_per_minute": "1000",
        ]) { $1 }, jobWorkers: 1)
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        let slow = try (0..<3).map { index in
            try user.object(user.post(#"{"prompt": "[slow] queued \#(index)", "model": "gpu", "width": 512, "height": 512}"#))["id"] as! String
        }
        let quick = try user.object(user.post(#"{"prompt": "drawn at once", "model": "flux-schnell", "width": 512, "height": 512}"#))["id"] as! String
        let done = try user.finished(quick, seconds: 5)
        XCTAssertEqual(done["status"] as? String, "succeeded")
        let waiting = try slow.map { try user.object(user.get("/api/v1/generations/" + $0))["status"] as? String }
        XCTAssertEqual(waiting.filter { $0 == "queued" }.count, 2, "one slow call in flight, two waiting: \(waiting)")
        for id in slow { XCTAssertEqual(try user.finished(id, seconds: 30)["status"] as? String, "succeeded") }
        XCTAssertEqual(fake.server.requests.count, 3)
    }

    func testAReloadOffersANewModelAndTheWorkerDrawsIt() throws {
        let stack = try PictorStack(jobWorkers: 1)
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        XCTAssertEqual(try user.post(#"{"prompt": "a cat", "model": "sketch"}"#).status, 400)

        let config = try String(contentsOfFile: stack.configPath, encoding: .utf8)
        try (config + "\n[model.sketch]\nlabel = Quick sketch\nprovider = builtin\ncost = 2\nsizes = 512x512\n")
            .write(toFile: stack.configPath, atomically: true, encoding: .utf8)
        let oldWorkers = stack.workerPIDs()
        stack.signalMaster(SIGHUP)
        kill(stack.jobWorkers[0].processIdentifier, SIGHUP)
        try stack.waitFor("the pool to reload") { Set(stack.workerPIDs()).isDisjoint(with: oldWorkers) && stack.workerPIDs().count == 2 }

        let models = try user.object(user.get("/api/v1/models"))["data"] as! [[String: Any]]
        XCTAssertEqual(models.map { $0["name"] as? String }, ["sketch"], "the file's models replace the builtin defaults")
        XCTAssertEqual(models.first?["label"] as? String, "Quick sketch")
        let id = try user.object(user.post(#"{"prompt": "a cat", "model": "sketch", "width": 512, "height": 512}"#))["id"] as! String
        let done = try user.finished(id)
        XCTAssertEqual(done["status"] as? String, "succeeded", "the reloaded worker knows the new model")
        XCTAssertEqual(try user.books().balance, 48)
        XCTAssertTrue(stack.jobWorkers[0].isRunning)
    }

    func testAModelWhoseProviderHasNoKeyIsNotOfferedAndServeSaysWhy() throws {
        let stack = try PictorStack(settings: PictorStack.builtinModels.merging([
            "model.dalle.provider": "openai", "model.dalle.cost": "5",
        ]) { $1 })
        defer { stack.stop() }
        XCTAssertTrue(stack.pictorLog().contains("model dalle is not offered: provider openai has no key (set PICTOR_PROVIDER_OPENAI_KEY)"),
                      stack.pictorLog())
        let user = try APIUser.create(on: stack)
        let models = try user.object(user.get("/api/v1/models"))["data"] as! [[String: Any]]
        XCTAssertEqual(models.map { $0["name"] as? String }, ["flux-schnell", "sdxl", "flux-schnell-hd"])
        let refused = try user.post(#"{"prompt": "a cat", "model": "dalle"}"#)
        XCTAssertEqual(refused.status, 400)
        XCTAssertTrue(refused.text.contains("Unknown model"), refused.text)
        XCTAssertEqual(try user.books().balance, 50)
    }
}
