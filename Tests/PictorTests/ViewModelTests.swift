// Page view models rendered with the shipped templates: what each state of a page shows.

import FastCGI
@testable import Pictor
import XCTest

final class ViewModelTests: XCTestCase {
    private func html(_ page: some PageModel) throws -> String {
        try TestApp.make().views.render(page, status: 200, viewer: nil).text
    }

    private func generationPage(_ generation: Generation, isOwner: Bool = true) -> GenerationPage {
        GenerationPage(title: "Your image", generation: generation, isOwner: isOwner, siteName: "Pictor",
                       publicURL: "https://pictor.example", links: PageMediaLinks(media: LocalMediaStore(root: "/nonexistent")))
    }

    func testAPendingImageRefreshesItselfAndAFinishedOneDoesNot() throws {
        XCTAssertTrue(try html(generationPage(Samples.generation(status: .running))).contains(#"http-equiv="refresh" content="2""#))
        XCTAssertFalse(try html(generationPage(Samples.generation())).contains(#"http-equiv="refresh""#))
    }

    func testOnlyPublicImagesCarryShareLinksAndOpenGraphTags() throws {
        let shared = try html(generationPage(Samples.generation(isPublic: true)))
        XCTAssertTrue(shared.contains(#"<meta property="og:image" content="https://pictor.example/media/ab/abcdef-512.webp">"#))
        XCTAssertTrue(shared.contains("https://pictor.example/generations/0a1b2c3d-0000-4000-8000-00000000abcd"))
        let private_ = try html(generationPage(Samples.generation()))
        XCTAssertFalse(private_.contains("og:image"))
        XCTAssertFalse(private_.contains("https://pictor.example/generations/"))
    }

    func testAFailedImageShowsWhyAndThePromptIsEscaped() throws {
        let page = try html(generationPage(Samples.generation(status: .failed, error: "The image provider did not answer in time.")))
        XCTAssertTrue(page.contains("The image provider did not answer in time."))
        XCTAssertTrue(page.contains("a lighthouse &lt;at&gt; dusk"))
        XCTAssertFalse(page.contains("<at>"))
    }

    func testTheGenerateFormMarksTheChoicesAndALowBalance() throws {
        let page = GeneratePage(
            form: .init(prompt: "fox", seed: "7"), balance: "1",
            models: ImageModel.defaults.map { .init(model: $0, checked: $0.name == "sdxl") },
            sizes: [.init(value: "1024x1024", label: "square", selected: false), .init(value: "512x512", label: "small", selected: true)],
            counts: [.init(value: "1", label: "1", selected: true)], previewMode: true, credits: 1, total: 2, price: 2, count: 1)
        let form = try html(page)
        XCTAssertTrue(form.contains(#"value="sdxl" checked"#))
        XCTAssertTrue(form.contains(#"<option value="512x512" selected>small</option>"#))
        XCTAssertTrue(form.contains(#"value="7""#))
        XCTAssertTrue(form.contains(#"class="btn btn-primary btn-block" href="/pricing""#), "a low balance makes buying the main action")
        XCTAssertTrue(form.contains("Total: <strong data-total>2 credits</strong>"))
        XCTAssertFalse(form.contains("data-cost-warning hidden"), "2 credits are not covered by a balance of 1")
    }

    func testTheAccountLedgerShowsCreditsAndDebits() throws {
        let rows = [LedgerEntry(id: 2, amount: -3, kind: .usage, reason: "sdxl 1024x1024", createdAt: Samples.created),
                    LedgerEntry(id: 1, amount: 50, kind: .bonus, reason: nil, createdAt: Samples.created)]
        let page = AccountPage(planName: "Free", billingPortal: false, memberSince: "25 Nov 2026", ledger: rows.map(AccountPage.LedgerRow.init),
                               apiKeys: [], apiBase: "https://pictor.example")
        let account = try html(page)
        XCTAssertTrue(account.contains("+50"))
        XCTAssertTrue(account.contains("−3"))
        XCTAssertTrue(account.contains("sdxl 1024x1024"))
        XCTAssertTrue(account.contains("Sign-up bonus"))
    }

    func testTheTermsQuoteTheConfiguredRateLimit() throws {
        XCTAssertTrue(try html(TermsPage(requestsPerMinute: 7)).contains("currently 7 generation requests a minute"))
    }
}
