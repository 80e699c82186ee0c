// Prices and costs as pages show them, from the plans and models in the config.

@testable import Pictor
import XCTest

final class PricingTests: XCTestCase {
    func testPlanPricesAndCreditsAreShownAsPeopleReadThem() {
        XCTAssertEqual(Plan.defaults.map(\.displayPrice), ["$0", "$9", "$29", "$79"])
        XCTAssertEqual(Plan.defaults.map(\.displayCredits), ["50", "500", "2,000", "8,000"])
        XCTAssertEqual(Plan(id: "x", name: "X", priceCents: 950, monthlyCredits: 1).displayPrice, "$9.50")
        XCTAssertEqual(Plan(id: "x", name: "X", priceCents: 905, monthlyCredits: 1).displayPrice, "$9.05")
    }

    func testModelCostsMatchTheContract() {
        XCTAssertEqual(ImageModel.defaults.map(\.creditCost), [1, 2, 3])
        XCTAssertEqual(ImageModel.defaults.map(\.costLabel), ["1 credit", "2 credits", "3 credits"])
        XCTAssertEqual(ImageModel.defaults.map(\.upscale), [false, false, true], "the -hd model is upscaled 2x")
    }

    func testTheLandingPageOffersTheConfiguredModelsAndPlans() throws {
        let config = Config()
        let page = LandingPage(config: config)
        XCTAssertEqual(page.models.map(\.model.name), ["flux-schnell", "sdxl", "flux-schnell-hd"])
        XCTAssertEqual(page.plans.map(\.plan.name), ["Free", "Starter", "Pro", "Business"])
        XCTAssertTrue(page.previewMode, "the shipped models are all drawn offline")
    }
}
