// Reads who claims to be asking: a Bearer API key or the session cookie.

import Foundation

/// The credential a request carries. Checking it costs a database lookup, which is made on
/// first use (`RequestContext.session()`, `apiUser()`): a page may send it in the same round
/// trip as its own query (`requireUser(with:)`), and pages that show no account make none.
enum Credential: Sendable, Equatable {
    case none
    case sessionCookie(String)
    case apiKey(String)
    /// An `Authorization` header that is not `Bearer <key>`.
    case malformed
}

struct AuthenticationMiddleware: Middleware {
    func handle(_ context: inout RequestContext, next: Next) throws -> Reply {
        context.credential = Self.credential(authorization: context.request.header("authorization"),
                                             sessionToken: context.cookies[SessionStore.cookieName])
        return try next(&context)
    }

    /// A Bearer key wins over a cookie: programs send keys, and a key has no ambient authority
    /// for CSRF to guard.
    static func credential(authorization: String?, sessionToken: String?) -> Credential {
        if let authorization {
            // The scheme is case-insensitive (RFC 9110 §11.1): `bearer pk_…` is a key too.
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return .malformed }
            let key = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return key.isEmpty ? .malformed : .apiKey(key)
        }
        if let sessionToken, !sessionToken.isEmpty { return .sessionCookie(sessionToken) }
        return .none
    }
}
