// Redirects: the 303 after a form post, and the one handlers throw to send people elsewhere.

import FastCGI

/// Thrown by a handler to answer with a redirect (e.g. to /login when not logged in).
public struct Redirect: Error {
    public let location: String
    public init(to location: String) { self.location = location }
}

extension Response {
    /// 303 See Other: the browser follows with a GET, so a reload never re-posts the form.
    public static func redirect(to location: String) -> Response {
        Response(status: 303, headers: [("Location", location), ("Cache-Control", "no-store")], body: [])
    }
}

/// A `next` parameter is only followed when it is a path on this site (no open redirects).
func safeLocalPath(_ candidate: String?) -> String? {
    guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
          !candidate.contains(where: { $0.isNewline }) else { return nil }
    return candidate
}
