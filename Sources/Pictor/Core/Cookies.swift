// Set-Cookie values with the attributes every Pictor cookie needs.

/// Builds `Set-Cookie` header values.
enum Cookie {
    /// An HttpOnly, SameSite=Lax cookie for the whole site; `Secure` when the request came
    /// over HTTPS. `maxAge` nil makes a browser-session cookie.
    static func set(_ name: String, _ value: String, maxAge: Int?, secure: Bool, path: String = "/") -> String {
        var cookie = "\(name)=\(value); Path=\(path); HttpOnly; SameSite=Lax"
        if let maxAge { cookie += "; Max-Age=\(maxAge)" }
        if secure { cookie += "; Secure" }
        return cookie
    }

    /// Tells the browser to drop the cookie.
    static func clear(_ name: String, secure: Bool, path: String = "/") -> String {
        set(name, "", maxAge: 0, secure: secure, path: path)
    }
}
