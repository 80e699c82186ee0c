// The privacy page names the services this instance's config actually sends data to.

import Foundation
@testable import Pictor
import XCTest

final class PrivacyPageTests: XCTestCase {
    func testTheProcessorsAreTheConfiguredServices() throws {
        XCTAssertEqual(PrivacyPage.processors(Config()), [], "the shipped defaults send nothing anywhere")

        let path = NSTemporaryDirectory() + "pictor-\(UUID().uuidString).conf"
        try """
            [model.dalle]
            label = DALL·E
            provider = openai
            cost = 2
            [model.gpu]
            provider = a1111
            cost = 1
            [provider.a1111]
            url = http://gpu-box:7860
            [smtp]
            url = smtp://mail.example.com:587
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try Config.load(path: path, environment: ["PICTOR_PROVIDER_OPENAI_KEY": "sk-1", "PICTOR_STRIPE_SECRET_KEY": "sk_test_1",
                                                               "PICTOR_STRIPE_WEBHOOK_SECRET": "whsec_1"])
        XCTAssertEqual(PrivacyPage.processors(config).map(\.name),
                       ["A Stable Diffusion server (AUTOMATIC1111 API)", "OpenAI", "Stripe", "Mail server"])
        XCTAssertEqual(PrivacyPage.processors(config).map(\.address), ["gpu-box", "api.openai.com", "api.stripe.com", "mail.example.com"])
        XCTAssertEqual(PrivacyPage.processors(config)[1].purpose, "Makes images from prompts and their settings (DALL·E)")
    }
}
