// A generation request's rules, checked before anything is charged: each broken one is a 400
// naming the field.

@testable import Pictor
import XCTest

final class GenerationInputTests: XCTestCase {
    private let models = ImageModel.defaults

    private func input(_ configure: (inout GenerationInput.Raw) -> Void) throws -> GenerationInput {
        var raw = GenerationInput.Raw()
        raw.prompt = "a fox"
        configure(&raw)
        return try GenerationInput(raw, models: models)
    }

    private func refusal(_ configure: (inout GenerationInput.Raw) -> Void) -> HTTPError? {
        do {
            _ = try input(configure)
            return nil
        } catch {
            return error as? HTTPError
        }
    }

    func testDefaultsFillWhatWasLeftOut() throws {
        let made = try input { $0.prompt = "  a fox \n" }
        XCTAssertEqual(made.prompt, "a fox")
        XCTAssertEqual(made.model, "flux-schnell")
        XCTAssertEqual([made.width, made.height], [1024, 1024])
        XCTAssertEqual(made.count, 1)
        XCTAssertFalse(made.isPublic)
    }

    func testPromptsAreStoredInNFCSoSearchesFindThemHoweverTyped() throws {
        let decomposed = try input { $0.prompt = "cafe\u{301} au lait"; $0.negative_prompt = "nai\u{308}ve" }
        XCTAssertEqual(Array(decomposed.prompt.unicodeScalars), Array("caf\u{E9} au lait".unicodeScalars))
        XCTAssertEqual(Array(decomposed.negativePrompt.unicodeScalars), Array("na\u{EF}ve".unicodeScalars))
    }

    func testPromptRules() {
        XCTAssertEqual(refusal { $0.prompt = " \n " }?.code, "invalid_prompt")
        XCTAssertEqual(refusal { $0.prompt = nil }?.code, "invalid_prompt")
        XCTAssertEqual(refusal { $0.prompt = String(repeating: "é", count: 1001) }?.code, "invalid_prompt")
        XCTAssertNil(refusal { $0.prompt = String(repeating: "é", count: 1000) })
        XCTAssertEqual(refusal { $0.prompt = "bell\u{7}" }?.message, "The prompt contains control characters.")
        XCTAssertNil(refusal { $0.prompt = "two\nlines\tand a tab" })
        XCTAssertEqual(refusal { $0.negative_prompt = String(repeating: "x", count: 1001) }?.code, "invalid_request")
    }

    func testModelSizeCountAndSeedMustBeOnesTheModelOffers() {
        XCTAssertEqual(refusal { $0.model = "dall-e" }?.message,
                       "Unknown model `dall-e`. Known models: flux-schnell, sdxl, flux-schnell-hd.")
        XCTAssertEqual(refusal { $0.model = "flux-schnell-hd"; $0.width = 1344; $0.height = 768 }?.message,
                       "flux-schnell-hd cannot make 1344x768 images. Allowed sizes: 512x512, 1024x1024, 1024x768, 768x1024.")
        for count in [0, 5, -1] { XCTAssertEqual(refusal { $0.count = count }?.status, 400, "count \(count)") }
        for seed: Int64 in [-1, 4_294_967_296] { XCTAssertEqual(refusal { $0.seed = seed }?.status, 400, "seed \(seed)") }
        XCTAssertNil(refusal { $0.seed = 4_294_967_295 })
    }

    func testARetryWithoutASeedIsTheSameRequest() throws {
        let first = try input { _ in }, second = try input { _ in }
        XCTAssertEqual(first.requestHash, second.requestHash, "each draws its own seed, but asked for the same thing")
        XCTAssertNotEqual(try input { $0.seed = 1 }.requestHash, try input { $0.seed = 2 }.requestHash)
        XCTAssertNotEqual(first.requestHash, try input { $0.count = 2 }.requestHash)
    }

    func testFormFieldsThatDoNotParseAre400sNotDefaults() {
        XCTAssertThrowsError(try GenerationInput.raw(fromForm: ["prompt": "x", "size": "big"]))
        XCTAssertThrowsError(try GenerationInput.raw(fromForm: ["prompt": "x", "seed": "7.5"]))
        XCTAssertThrowsError(try GenerationInput.raw(fromForm: ["prompt": "x", "count": "two"]))
        let raw = try? GenerationInput.raw(fromForm: ["prompt": "x", "size": "768x1024", "seed": " ", "public": "on"])
        XCTAssertEqual(raw?.width, 768)
        XCTAssertEqual(raw?.height, 1024)
        XCTAssertNil(raw?.seed, "an empty seed field means random")
        XCTAssertEqual(raw?.public, true)
    }
}
