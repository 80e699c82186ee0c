// Each provider against a local fake of its API: the image on success, and on every failure a
// short reason that says the credits came back and never carries the key.

@testable import Pictor
import Foundation
import Imaging
import Synchronization
import TestSupport
import XCTest

/// A request for `prompt`, due in `seconds`.
private func request(_ prompt: String, width: Int = 512, height: Int = 384, seconds: Double = 10,
                     resume: String? = nil, accepted: (@Sendable (String) -> Void)? = nil) -> ProviderRequest {
    var request = ProviderRequest(prompt: prompt, negativePrompt: "blurry", providerModel: "flux-schnell", width: width,
                                  height: height, seed: 7, steps: 4, deadline: Date().addingTimeInterval(seconds))
    request.resumeJobID = resume
    request.onAccepted = accepted
    return request
}

private func settings(_ kind: ProviderKind, url: String, key: String?, timeout: Double = 5) -> ProviderSettings {
    var settings = ProviderSettings(name: kind.rawValue, kind: kind, url: url, key: key)
    settings.timeout = timeout
    settings.connectTimeout = 2
    settings.pollInterval = 0.05
    return settings
}

/// The reason of the ProviderError `body` throws, checked to never contain `secret`.
private func reason(_ secret: String?, _ body: () throws -> [UInt8]) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as ProviderError {
        if let secret { XCTAssertFalse(error.reason.contains(secret), "the key leaked: \(error.reason)") }
        return error.reason
    } catch {
        XCTFail("not a ProviderError: \(error)")
        return nil
    }
}

private func size(_ bytes: [UInt8]) throws -> [Int] {
    let header = try Thumbnailer.inspect(bytes)
    return [header.width, header.height]
}

final class PixelAPIProviderTests: XCTestCase {
    nonisolated(unsafe) static var fake: FakePixelAPI!
    override class func setUp() { fake = FakePixelAPI() }
    override class func tearDown() { fake.stop() }
    var provider: PixelAPIProvider { PixelAPIProvider(settings: settings(.pixelapi, url: Self.fake.url, key: Self.fake.key, timeout: 2)) }

    func testSubmitsPollsAndDownloadsTheImageAndReportsTheJobID() throws {
        let accepted = Mutex<[String]>([])
        let bytes = try provider.generate(request("a lighthouse") { id in accepted.withLock { $0.append(id) } })
        XCTAssertEqual(try size(bytes), [512, 384])
        let ids = accepted.withLock { $0 }
        XCTAssertEqual(ids.count, 1)
        XCTAssertTrue(ids[0].hasPrefix("gen_"))
        let submit = try XCTUnwrap(Self.fake.server.requests.last { $0.method == "POST" && String(decoding: $0.body, as: UTF8.self).contains("a lighthouse") })
        XCTAssertEqual(submit.header("Authorization"), "Bearer px-test-key")
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(submit.body)) as? [String: Any])
        XCTAssertEqual(body["model"] as? String, "flux-schnell")
        XCTAssertEqual(body["negative_prompt"] as? String, "blurry")
        XCTAssertEqual([body["width"] as? Int, body["height"] as? Int, body["seed"] as? Int, body["steps"] as? Int], [512, 384, 7, 4])
        let polls = Self.fake.server.requests.filter { $0.target == "/v1/image/" + ids[0] }
        XCTAssertEqual(polls.count, 2, "pending once, then completed")
        let download = try XCTUnwrap(Self.fake.server.requests.last { $0.target == "/files/\(ids[0]).png" })
        XCTAssertNil(download.header("Authorization"), "the key goes to the API only, never to an image link")
    }

    func testAResumedJobIsPolledNotSubmittedAgain() throws {
        let accepted = Mutex<String?>(nil)
        _ = try provider.generate(request("first try") { id in accepted.withLock { $0 = id } })
        let id = try XCTUnwrap(accepted.withLock { $0 })
        let submitted = Self.fake.submissions
        let bytes = try provider.generate(request("first try", resume: id) { _ in XCTFail("a resumed job is not accepted again") })
        XCTAssertEqual(try size(bytes), [512, 384])
        XCTAssertEqual(Self.fake.submissions, submitted)
    }

    func testEveryFailureIsAShortReasonWithTheCreditsBack() {
        let key = Self.fake.key
        XCTAssertEqual(reason(key) { try provider.generate(request("[fail] a cat")) },
                       "The image service failed (it answered HTTP 500). Your credits were returned.")
        XCTAssertEqual(reason(key) { try provider.generate(request("[failed] a cat")) },
                       "The image service could not make this image: The model could not draw this prompt.. Your credits were returned.")
        XCTAssertEqual(reason(key) { try provider.generate(request("[hang] a cat")) },
                       "The image service did not answer in time. Your credits were returned.")
        XCTAssertEqual(reason(key) { try provider.generate(request("[busyforever] a cat", seconds: 3)) },
                       "The image service is busy. Your credits were returned.")
        let wrongKey = PixelAPIProvider(settings: settings(.pixelapi, url: Self.fake.url, key: "px-wrong-secret"))
        XCTAssertEqual(reason("px-wrong-secret") { try wrongKey.generate(request("a cat")) },
                       "The image service failed (it refused this instance's key). Your credits were returned.")
    }

    func testGarbageBytesComeBackForTheJobToRefuse() throws {
        let bytes = try provider.generate(request("[garbage] a cat"))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "this is not an image at all")
    }

    func testA429IsRetriedAfterItsRetryAfter() throws {
        let started = Date()
        let bytes = try provider.generate(request("[busy] once"))
        XCTAssertEqual(try size(bytes), [512, 384])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 1, "waited the Retry-After second")
    }
}

final class OpenAIImagesProviderTests: XCTestCase {
    nonisolated(unsafe) static var fake: FakeOpenAIImages!
    override class func setUp() { fake = FakeOpenAIImages() }
    override class func tearDown() { fake.stop() }
    var provider: OpenAIImagesProvider { OpenAIImagesProvider(settings: settings(.openai, url: Self.fake.url, key: Self.fake.key, timeout: 2)) }

    func testAsksForBase64AndDecodesIt() throws {
        let bytes = try provider.generate(request("a red fox"))
        XCTAssertEqual(try size(bytes), [512, 384])
        let sent = try XCTUnwrap(Self.fake.server.requests.last { String(decoding: $0.body, as: UTF8.self).contains("a red fox") })
        XCTAssertEqual(sent.target, "/v1/images/generations")
        XCTAssertEqual(sent.header("Authorization"), "Bearer sk-test-key")
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
        XCTAssertEqual(body["model"] as? String, "flux-schnell")
        XCTAssertEqual(body["size"] as? String, "512x384")
        XCTAssertEqual(body["n"] as? Int, 1)
        XCTAssertEqual(body["response_format"] as? String, "b64_json")
        XCTAssertNil(body["negative_prompt"], "not part of the OpenAI Images API")
    }

    func testAcceptsAURLAnswerAndGptImageModelsGetNoResponseFormat() throws {
        XCTAssertEqual(try size(provider.generate(request("[url] a fox"))), [512, 384])
        var gptRequest = request("gpt image fox")
        gptRequest = ProviderRequest(prompt: gptRequest.prompt, negativePrompt: "", providerModel: "gpt-image-1", width: 512,
                                     height: 384, seed: 1, steps: 4, deadline: gptRequest.deadline)
        _ = try provider.generate(gptRequest)
        let sent = try XCTUnwrap(Self.fake.server.requests.last { String(decoding: $0.body, as: UTF8.self).contains("gpt image fox") })
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
        XCTAssertNil(body["response_format"], "gpt-image models refuse the field and always answer base64")
    }

    func testEveryFailureIsAShortReasonWithTheCreditsBack() {
        let key = Self.fake.key
        XCTAssertEqual(reason(key) { try provider.generate(request("[fail] a cat")) },
                       "The image service failed (it answered HTTP 500). Your credits were returned.")
        XCTAssertEqual(reason(key) { try provider.generate(request("[hang] a cat")) },
                       "The image service did not answer in time. Your credits were returned.")
        XCTAssertEqual(reason(key) { try provider.generate(request("[badbase64] a cat")) },
                       "The image service sent something that is not an image. Your credits were returned.")
        XCTAssertEqual(reason(key) { try provider.generate(request("[refused] a cat")) },
                       "The image service refused this prompt. Your credits were returned.")
        XCTAssertEqual(reason(key) { try provider.generate(request("[busyforever] a cat", seconds: 3)) },
                       "The image service is busy. Your credits were returned.")
        let wrongKey = OpenAIImagesProvider(settings: settings(.openai, url: Self.fake.url, key: "sk-wrong-secret"))
        XCTAssertEqual(reason("sk-wrong-secret") { try wrongKey.generate(request("a cat")) },
                       "The image service failed (it refused this instance's key). Your credits were returned.")
        var capped = settings(.openai, url: Self.fake.url, key: key)
        capped.maxResponseBytes = 1 << 20
        XCTAssertEqual(reason(key) { try OpenAIImagesProvider(settings: capped).generate(request("[huge] a cat")) },
                       "The image service failed (its answer was larger than 1048576 bytes). Your credits were returned.")
    }

    func testGarbageBytesComeBackForTheJobToRefuse() throws {
        let bytes = try provider.generate(request("[garbage] a cat"))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "this is not an image at all")
        XCTAssertThrowsError(try ImageJob.check(bytes, width: 512, height: 384)) { error in
            XCTAssertEqual((error as? ProviderError)?.reason, ProviderError.notAnImage.reason)
        }
    }

    func testAnImageOfAnotherShapeIsRefused() throws {
        let bytes = try provider.generate(request("[wrongsize] a cat"))
        XCTAssertEqual(try size(bytes), [256, 384])
        XCTAssertThrowsError(try ImageJob.check(bytes, width: 512, height: 384)) { error in
            XCTAssertEqual((error as? ProviderError)?.reason,
                           "The image service sent a 256×384 image for a 512×384 request. Your credits were returned.")
        }
        XCTAssertEqual(try ImageJob.check(FakeImagesAccess.png(1024, 768), width: 512, height: 384).0, 1024, "twice the size is the same class")
    }

    func testALocalServerNeedsNoKey() throws {
        let local = FakeOpenAIImages(key: nil)
        defer { local.stop() }
        let provider = OpenAIImagesProvider(settings: settings(.openai, url: local.url, key: nil))
        XCTAssertEqual(try size(provider.generate(request("a local fox"))), [512, 384])
        XCTAssertNil(local.server.requests.last?.header("Authorization"))
    }
}

final class A1111ProviderTests: XCTestCase {
    nonisolated(unsafe) static var fake: FakeA1111!
    override class func setUp() { fake = FakeA1111() }
    override class func tearDown() { fake.stop() }
    var provider: A1111Provider { A1111Provider(settings: settings(.a1111, url: Self.fake.url, key: nil, timeout: 2)) }

    func testDrawsAndUpscalesWithItsOwnUpscaler() throws {
        let bytes = try provider.generate(request("a castle"))
        XCTAssertEqual(try size(bytes), [512, 384])
        let upscaled = try XCTUnwrap(provider.upscale2x(bytes, request: request("a castle")))
        XCTAssertEqual(try size(upscaled), [1024, 768])
        let sent = try XCTUnwrap(Self.fake.server.requests.last)
        XCTAssertEqual(sent.target, "/sdapi/v1/extra-single-image")
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
        XCTAssertEqual(body["upscaling_resize"] as? Int, 2)
        XCTAssertEqual(body["upscaler_1"] as? String, A1111Provider.upscaler)
    }

    func testEveryFailureIsAShortReasonWithTheCreditsBack() {
        XCTAssertEqual(reason(nil) { try provider.generate(request("[fail] a cat")) },
                       "The image service failed (it answered HTTP 500). Your credits were returned.")
        XCTAssertEqual(reason(nil) { try provider.generate(request("[hang] a cat")) },
                       "The image service did not answer in time. Your credits were returned.")
        XCTAssertEqual(reason(nil) { try provider.generate(request("[badbase64] a cat")) },
                       "The image service sent something that is not an image. Your credits were returned.")
        XCTAssertEqual(reason(nil) { try provider.generate(request("[busyforever] a cat", seconds: 3)) },
                       "The image service is busy. Your credits were returned.")
        let nobody = A1111Provider(settings: settings(.a1111, url: "http://127.0.0.1:1", key: nil))
        XCTAssertEqual(reason(nil) { try nobody.generate(request("a cat")) },
                       "The image service failed (it could not be reached). Your credits were returned.")
    }

    func testADataURLAnswerIsDecoded() throws {
        let png = FakeImagesAccess.png(64, 32)
        XCTAssertEqual(try A1111Provider.decodeImage("data:image/png;base64," + Data(png).base64EncodedString()), png)
    }
}

/// Small PNGs for checks that need no fake.
enum FakeImagesAccess {
    static func png(_ width: Int, _ height: Int) -> [UInt8] {
        (try? BuiltinGenerator.draw(prompt: "fixture", seed: 1, width: width, height: height).bytes) ?? []
    }
}
