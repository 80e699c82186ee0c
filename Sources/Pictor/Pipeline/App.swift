// The application: config, templates and the pipeline, built once per worker process, and the
// responder each request thread answers with.

import Crypto
import FastCGI
import Foundation
import Logging

/// Everything a worker process builds once and shares between its threads (all immutable, or
/// synchronised inside: the tile cache, the wait slots).
public final class App: Sendable {
    public let config: Config
    let views: Views
    let hasher = PasswordHasher()
    let commonPasswords: CommonPasswords
    /// The content check of prompts, its blocklist read once at start.
    let moderator: PromptModerator
    let media: any MediaStorage
    let galleryTiles = TileCache()
    let waitSlots: WaitSlots
    let pipeline: Pipeline
    let logger: Logger

    public init(config: Config, logger: Logger) throws {
        self.config = config
        self.logger = logger
        media = makeMediaStorage(config, logger: logger)
        waitSlots = WaitSlots(threads: config.server.threads)
        commonPasswords = try CommonPasswords(contentsOfFile: config.paths.commonPasswords)
        moderator = try PromptModerator(settings: config.moderation, logger: logger)
        views = try Views(directory: config.paths.templates, publicDirectory: config.paths.publicFiles, site: config.site,
                          signupBonus: config.accounts.signupBonus, bonusAfterVerification: config.accounts.bonusAfterVerification,
                          formTargets: Self.formTargets(config))
        pipeline = Pipeline(router: try Router(Routes.all(config: config)), logger: logger, corsOrigins: config.corsOrigins)
    }

    /// The other sites a form's redirect may lead to: the configured sign-in providers' consent
    /// pages, and Stripe's Checkout and billing portal once payments are on.
    static func formTargets(_ config: Config) -> [String] {
        let providers = config.signIn.configured.compactMap { settings -> String? in
            guard let url = URLComponents(string: settings.authorizeURL), let scheme = url.scheme, let host = url.host else { return nil }
            return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
        }
        let stripe = config.billing.stripe.isConfigured ? StripeClient.hostedPageOrigins : []
        var seen = Set<String>()
        return (providers + stripe).filter { seen.insert($0).inserted }
    }

    /// Every route as `METHOD /pattern`, the labels the pool counts requests by (Response.route).
    public var routeLabels: [String] {
        Routes.all(config: config).map { $0.method + " " + $0.pattern }
    }

    /// A responder for one request thread, with its own database connection.
    public func makeResponder() -> Responder {
        AppResponder(app: self, database: DatabaseHandle(url: config.databaseURL))
    }
}

/// Runs each request through the pipeline and renders the reply.
struct AppResponder: Responder {
    let app: App
    let database: DatabaseHandle

    func respond(to request: Request) -> Response {
        var context = RequestContext(request: request, app: app, database: database)
        return app.pipeline.run(&context).response(&context)
    }

    func payloadTooLarge(_ request: Request) -> Response {
        refuse(request, .payloadTooLarge)
    }

    func badRequest(_ request: Request, reason: String) -> Response {
        refuse(request, .badRequest(reason))
    }

    private func refuse(_ request: Request, _ error: HTTPError) -> Response {
        var context = RequestContext(request: request, app: app, database: database)
        return app.pipeline.refuse(error, &context).response(&context)
    }
}
