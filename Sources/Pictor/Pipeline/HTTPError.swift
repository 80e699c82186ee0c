// The one error type handlers throw; rendered in one place as an HTML page or the JSON envelope.

/// An error that maps to an HTTP status and the API's `{"error": {"code", "message"}}` envelope.
public struct HTTPError: Error, Equatable, Sendable {
    public let status: Int
    /// snake_case code from the API contract, e.g. `invalid_request`.
    public let code: String
    /// Human text, safe to show to the client.
    public let message: String
    public var headers: [String: String] = [:]
    /// The request field at fault, when one is (`prompt`, `size`…). The native envelope leaves
    /// it out; the OpenAI-compatible one shows it as `param`, under that API's field names.
    public var field: String?

    public init(_ status: Int, code: String, message: String, headers: [String: String] = [:], field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.field = field
    }

    public static func badRequest(_ message: String, code: String = "invalid_request", field: String? = nil) -> HTTPError {
        HTTPError(400, code: code, message: message, field: field)
    }
    public static func notFound(_ message: String = "The page you asked for does not exist.") -> HTTPError {
        HTTPError(404, code: "not_found", message: message)
    }
    public static func methodNotAllowed(allowed: [String]) -> HTTPError {
        HTTPError(405, code: "method_not_allowed", message: "This address does not accept that method.",
                  headers: ["Allow": allowed.joined(separator: ", ")])
    }
    /// Not signed in (or a bad key): API callers get 401, browsers the login page (ErrorMiddleware).
    public static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(401, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer"])
    }
    public static let payloadTooLarge = HTTPError(413, code: "payload_too_large", message: "The request body is too large.")
    public static let internalError = HTTPError(500, code: "internal_error",
                                                message: "Something went wrong on our side. Please try again.")
    public static let serviceUnavailable = HTTPError(503, code: "service_unavailable",
                                                     message: "The service is briefly unavailable. Please try again in a moment.",
                                                     headers: ["Retry-After": "5"])
}
