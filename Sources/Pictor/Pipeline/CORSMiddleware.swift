// Cross-origin calls to the JSON API (`/api/`) and the OpenAI-compatible one (`/v1/`), for a
// browser app of an API customer: only from the origins in `api.cors_origins` (none by default),
// only with a key in `Authorization` — credentials (cookies) are never allowed cross-origin.

import FastCGI

struct CORSMiddleware: Middleware {
    /// Exact origins (`https://app.example.com`), or `*` for any.
    let origins: [String]

    static let allowedMethods = "GET, HEAD, POST, PATCH, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, Idempotency-Key, Prefer, If-None-Match"
    static let exposedHeaders = "Location, Retry-After, ETag, Preference-Applied, X-Request-ID"

    func handle(_ context: inout RequestContext, next: Next) throws -> Reply {
        let request = context.request
        guard !origins.isEmpty, request.path.hasPrefix("/api/") || request.path.hasPrefix("/v1/"),
              let origin = request.header("origin"), let allowed = allow(origin) else {
            return try next(&context)
        }
        if request.method == "OPTIONS", request.header("access-control-request-method") != nil {
            return Reply.empty(status: 204)
                .header("Access-Control-Allow-Origin", allowed)
                .header("Access-Control-Allow-Methods", Self.allowedMethods)
                .header("Access-Control-Allow-Headers", Self.allowedHeaders)
                .header("Access-Control-Max-Age", "600")
                .header("Vary", "Origin")
        }
        return try next(&context)
            .header("Access-Control-Allow-Origin", allowed)
            .header("Access-Control-Expose-Headers", Self.exposedHeaders)
            .header("Vary", "Origin")
    }

    /// The value of Access-Control-Allow-Origin for this origin, or nil if it may not call.
    private func allow(_ origin: String) -> String? {
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }
}
