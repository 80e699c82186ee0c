// Turns any error into what the client sees: the JSON envelope for the API, a styled page otherwise.

import FastCGI
import Foundation
import Postgres

enum ErrorResponses {
    static func response(for error: Error, request: Request, app: App) -> Response {
        let httpError = classify(error, request: request, app: app)
        var response: Response
        if wantsJSON(request) {
            response = .json(["error": ["code": httpError.code, "message": httpError.message]], status: httpError.status)
        } else {
            response = app.views.page("error", status: httpError.status, [
                "title": heading(httpError.status),
                "status": httpError.status,
                "heading": heading(httpError.status),
                "message": httpError.message,
            ])
        }
        for (name, value) in httpError.headers { response.setHeader(name, value) }
        return response
    }

    /// Internals never reach the client: an unexpected error is logged and becomes a 500,
    /// a lost database a 503 (the next request reconnects).
    private static func classify(_ error: Error, request: Request, app: App) -> HTTPError {
        switch error {
        case let httpError as HTTPError:
            return httpError
        case let database as PostgresError where database.isConnectionFailure:
            app.logger.error("database unavailable during \(request.method) \(request.path): \(database)")
            return .serviceUnavailable
        case let form as FormError:
            return .badRequest(form.description)
        case let json as JSONBodyError:
            return .badRequest(json.description)
        default:
            app.logger.error("\(request.method) \(request.path) failed: \(error)")
            return .internalError
        }
    }

    static func wantsJSON(_ request: Request) -> Bool {
        if request.path.hasPrefix("/api/") || request.path == "/healthz" { return true }
        let accept = request.header("accept") ?? ""
        return accept.contains("application/json") && !accept.contains("text/html")
    }

    static func heading(_ status: Int) -> String {
        switch status {
        case 400: return "That request did not make sense"
        case 403: return "Not allowed"
        case 404: return "Page not found"
        case 405: return "Method not allowed"
        case 413: return "That upload is too large"
        case 429: return "Slow down a little"
        case 503: return "Back in a moment"
        default: return status >= 500 ? "Something went wrong" : Response.reasonPhrase(status)
        }
    }
}
