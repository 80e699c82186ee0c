// Mustache templates, compiled once per process, and the one path every page takes to HTML:
// its view model inside the layout, with the visitor's header.

import FastCGI
import Foundation
import Templates

/// A page's view model: which template it fills and what the layout shows around it.
protocol PageModel: TemplateModel, Sendable {
    /// The template under templates/, without `.mustache`.
    static var template: String { get }
    /// The `<title>`, before " · site name".
    var title: String { get }
    /// The meta description, for pages worth finding.
    var description: String? { get }
    /// The main-menu item this page belongs to.
    var nav: NavItem? { get }
}

extension PageModel {
    var description: String? { nil }
    var nav: NavItem? { nil }
}

/// The main menu's items (the header marks the current one).
enum NavItem: String, Sendable {
    case generate, gallery, explore, pricing
}

/// A message shown once at the top of a page.
struct Flash: TemplateModel, Sendable {
    enum Kind: String, Sendable { case success, info, error }
    let kind: Kind
    let message: String

    var templateFields: TemplateFields { ["kind": .text(kind.rawValue), "message": .text(message)] }
}

/// The parsed templates plus the values every page shows (site name, asset URLs).
struct Views: Sendable {
    /// Templates the app cannot run without; checked at start so a broken deploy fails loudly.
    static let required = ["layout", "partials/header", "partials/footer", "partials/flash", "partials/gallery-tile",
                           LandingPage.template, PrivacyPage.template, TermsPage.template, ErrorPage.template,
                           SignupPage.template, LoginPage.template, AccountPage.template, GeneratePage.template,
                           GenerationPage.template, GalleryPage.template, ExplorePage.template,
                           PricingPage.template, CheckoutResultPage.template, ForgotPasswordPage.template,
                           ResetPasswordPage.template, EmailVerifiedPage.template]

    private let library: TemplateLibrary
    /// What every page shows, converted once.
    private let shared: TemplateScope
    /// The pages' Content-Security-Policy, with the other sites forms may lead to.
    private let contentSecurityPolicy: String

    /// Loads every `*.mustache` under `directory`, named by relative path without extension
    /// (`partials/header`).
    init(directory: String, publicDirectory: String, site: Config.Site, signupBonus: Int = 50,
         bonusAfterVerification: Bool = false, formTargets: [String] = []) throws {
        contentSecurityPolicy = Response.contentSecurityPolicy(formTargets: formTargets)
        let library: TemplateLibrary
        do {
            library = try TemplateLibrary(directory: directory)
        } catch {
            throw ConfigError(description: "\(error)")
        }
        if let missing = Self.required.first(where: { !library.contains($0) }) {
            throw ConfigError(description: "template \(missing).mustache is missing from \(directory)")
        }
        self.library = library
        let assets = StaticAssets(publicDirectory: publicDirectory)
        shared = library.scope([
            "site_name": .text(site.name), "operator_name": .text(site.operatorName),
            "contact_email": .text(site.contactEmail), "legal_updated": .text(site.legalUpdated),
            "signup_bonus": .number(signupBonus), "bonus_after_verification": .flag(bonusAfterVerification),
            "stylesheet_url": .text(assets.stylesheetURL),
            "icon_url": .text(assets.iconURL), "generation_js_url": .text(assets.generationScriptURL),
            "gallery_js_url": .text(assets.galleryScriptURL), "generate_js_url": .text(assets.generateScriptURL),
            "icons_url": .text(assets.iconsURL),
        ])
    }

    /// The page's HTML response: its fields, then what the layout reads (title, menu, the
    /// signed-in visitor's email, balance and CSRF token for the logout form, the year, the
    /// notice the last action left).
    func render(_ page: any PageModel, status: Int, viewer: Session?, notice: Flash? = nil) -> Response {
        var fields = page.templateFields
        // A page's own message (a form's error) wins over the one the last action left.
        if !fields.contains("flash") { fields.add("flash", notice) }
        fields.add("title", .text(page.title))
        fields.add("description", page.description)
        if let nav = page.nav { fields.add("nav", .fields([nav.rawValue: true])) }
        if let viewer {
            fields.add("user", .fields(["email": .text(viewer.user.email), "credits": .text(Format.number(viewer.user.credits))]))
            fields.add("csrf_token", .text(viewer.csrfToken))
        }
        fields.add("year", .number(Self.currentYear()))
        var response = Response.html(library.render(type(of: page).template, fields, shared: shared) ?? [], status: status,
                                     contentSecurityPolicy: contentSecurityPolicy)
        // A signed-in page holds the account's data: kept by no cache, the browser's included.
        if viewer != nil { response.setHeader("Cache-Control", "private, no-store") }
        return response
    }

    /// Renders pieces of a page on their own (gallery tiles), for a page to show as `.markup`.
    func fragments(_ template: String, _ items: [TemplateFields]) -> [[UInt8]] {
        library.render(template, each: items, shared: shared) ?? items.map { _ in [] }
    }

    private static func currentYear() -> Int {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        return Int(parts.tm_year) + 1900
    }
}
