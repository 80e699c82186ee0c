// The error page every HTML error (404, 500, …) is shown with, inside the usual layout.

import FastCGI
import Templates

struct ErrorPage: PageModel {
    static let template = "error"
    let status: Int
    let message: String

    init(_ error: HTTPError) {
        status = error.status
        message = error.message
    }

    var title: String { heading }

    var heading: String {
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

    var templateFields: TemplateFields {
        ["status": .number(status), "heading": .text(heading), "message": .text(message)]
    }
}
