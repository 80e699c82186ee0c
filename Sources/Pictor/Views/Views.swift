// Mustache templates, compiled once per process, and the HTML responses they become.

import FastCGI
import Foundation
import Templates

/// The parsed templates plus the values every page shows (site name, asset URLs, year).
public struct Views: Sendable {
    /// Templates the app cannot run without; checked at start so a broken deploy fails loudly.
    static let required = ["layout", "partials/header", "partials/footer", "partials/flash",
                           "landing", "privacy", "terms", "error", "signup", "login", "account", "generate", "generation", "gallery", "partials/gallery-tile", "explore"]

    private let library: TemplateLibrary
    /// What every page shows, converted once.
    private let shared: TemplateScope

    /// Loads every `*.mustache` under `directory`, named by relative path without extension
    /// (`partials/header`).
    public init(directory: String, publicDirectory: String, site: Config.Site, signupBonus: Int = 50) throws {
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
            "signup_bonus": .number(signupBonus), "stylesheet_url": .text(assets.stylesheetURL),
            "icon_url": .text(assets.iconURL), "generation_js_url": .text(assets.generationScriptURL),
            "gallery_js_url": .text(assets.galleryScriptURL), "icons_url": .text(assets.iconsURL),
        ])
    }

    /// Renders a page template into an HTML response with the security headers every page gets.
    public func page(_ template: String, status: Int = 200, _ context: [String: Any]) -> Response {
        // Nil optionals count as absent, so `{{#key}}` sections stay hidden (TemplateValue.swift).
        var values = context
        values["year"] = Self.currentYear()
        return Response.html(library.render(template, values, shared: shared) ?? [], status: status)
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

extension Response {
    /// The Content-Security-Policy of every page: no inline script or style, nothing from
    /// other origins, never framed.
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        + "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

    /// An HTML response with the page-specific security headers (nginx adds `nosniff` and
    /// `Referrer-Policy` to every response).
    public static func html(_ html: [UInt8], status: Int = 200) -> Response {
        Response(status: status, headers: [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Cache-Control", "no-cache"),
        ], body: html)
    }
}
