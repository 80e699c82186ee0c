// The application: config, templates and routes, built once per worker process.

import FastCGI
import Foundation
import Logging
import Crypto
import Postgres

/// Everything a worker process builds once and shares between its threads (all immutable).
public final class App: Sendable {
    public let config: Config
    public let views: Views
    let hasher = PasswordHasher()
    public let media: MediaStore
    let galleryTiles = TileCache()
    let waitSlots: WaitSlots
    let router: Router
    let logger: Logger

    public init(config: Config, logger: Logger) throws {
        self.config = config
        self.logger = logger
        media = MediaStore(root: config.paths.media)
        waitSlots = WaitSlots(threads: config.server.threads)
        views = try Views(directory: config.paths.templates, publicDirectory: config.paths.publicFiles, site: config.site,
                          signupBonus: config.accounts.signupBonus)
        var router = Router()
        Pages.register(in: &router)
        Health.register(in: &router)
        AccountPages.register(in: &router)
        AccountAPI.register(in: &router)
        GenerationAPI.register(in: &router)
        GenerationPages.register(in: &router)
        GalleryPages.register(in: &router)
        MediaAccess.register(in: &router)
        APIDocument.register(in: &router, publicDirectory: config.paths.publicFiles)
        self.router = router
    }

    /// A responder for one request thread, with its own database connection.
    public func makeResponder() -> Responder {
        AppResponder(app: self, database: DatabaseHandle(url: config.databaseURL))
    }
}

/// Routes a request, runs the handler and turns any thrown error into a response.
struct AppResponder: Responder {
    let app: App
    let database: DatabaseHandle

    func respond(to request: Request) -> Response {
        var context = RequestContext(request: request, app: app, database: database)
        do {
            switch app.router.match(method: request.method, path: request.path) {
            case .found(let handler, let parameters):
                context.parameters = parameters
                try CSRF.verify(&context)
                var response = try handler(&context)
                for cookie in context.responseCookies { response.addHeader("Set-Cookie", cookie) }
                return response
            case .methodNotAllowed(let allowed):
                throw HTTPError.methodNotAllowed(allowed: allowed)
            case .notFound:
                throw HTTPError.notFound()
            }
        } catch let redirect as Redirect {
            return .redirect(to: redirect.location)
        } catch {
            return ErrorResponses.response(for: error, request: request, app: app)
        }
    }

    func payloadTooLarge(_ request: Request) -> Response {
        ErrorResponses.response(for: HTTPError.payloadTooLarge, request: request, app: app)
    }

    func badRequest(_ request: Request, reason: String) -> Response {
        ErrorResponses.response(for: HTTPError.badRequest(reason), request: request, app: app)
    }
}
