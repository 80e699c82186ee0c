// The one place any error becomes what the client sees: the JSON envelope for API callers,
// OpenAI's error shape on the OpenAI-compatible API, the error page (in the layout, with the
// visitor's header) for browsers. Which one is the path's `Surface`.

import FastCGI
import Foundation
import Logging
import Postgres

struct ErrorMiddleware: Middleware {
    let logger: Logger

    func handle(_ context: inout RequestContext, next: Next) throws -> Reply {
        do {
            return try next(&context)
        } catch {
            return reply(for: classify(error, context), context)
        }
    }

    /// Internals never reach the client: an unexpected error is logged (with the request id)
    /// and becomes a 500, a lost database a 503 (the next request reconnects).
    private func classify(_ error: Error, _ context: RequestContext) -> HTTPError {
        let request = context.request
        switch error {
        case let httpError as HTTPError:
            return httpError
        case let database as PostgresError where database.isConnectionFailure:
            logger.error("[\(context.requestID)] database unavailable during \(request.method) \(request.path): \(database)")
            return .serviceUnavailable
        case let form as FormError:
            return .badRequest(form.description)
        case let json as JSONBodyError:
            return .badRequest(json.description)
        default:
            logger.error("[\(context.requestID)] \(request.method) \(request.path) failed: \(error)")
            return .internalError
        }
    }

    private func reply(for error: HTTPError, _ context: RequestContext) -> Reply {
        var reply: Reply
        switch Surface(context.request) {
        case .api, .webhooks:
            reply = .json(ErrorEnvelope(error), status: error.status)
        case .openAI:
            reply = .json(OpenAIErrorBody(error), status: OpenAIErrorBody.status(error))
        case .pages where error.status == 401:
            // A browser that is not signed in goes to the login page, and comes back after.
            return .redirect(to: Self.loginURL(returningTo: context.request))
        case .pages:
            reply = .page(ErrorPage(error), status: error.status)
        }
        for (name, value) in error.headers { reply.setHeader(name, value) }
        return reply
    }

    /// The reply when even the error step could not run.
    static func internalErrorReply(_ context: RequestContext) -> Reply {
        switch Surface(context.request) {
        case .api, .webhooks: return .json(ErrorEnvelope(.internalError), status: 500)
        case .openAI: return .json(OpenAIErrorBody(.internalError), status: 500)
        case .pages: return .page(ErrorPage(.internalError), status: 500)
        }
    }

    static func loginURL(returningTo request: Request) -> String {
        let back = request.path + (request.queryString.isEmpty ? "" : "?" + request.queryString)
        return "/login?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
    }
}

/// The API's error body: `{"error": {"code": "…", "message": "…"}}`.
struct ErrorEnvelope: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        let code: String
        let message: String
    }

    let error: Detail

    init(_ error: HTTPError) {
        self.error = Detail(code: error.code, message: error.message)
    }
}
