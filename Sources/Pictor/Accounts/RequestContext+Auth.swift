// Who is asking: the session cookie for browsers, a Bearer API key for programs.

import Crypto
import Foundation
import FastCGI
import Postgres

extension RequestContext {
    /// The anonymous visitor's CSRF cookie, used by forms shown before login (sign-up, login).
    static let anonymousCSRFCookie = "pictor_csrf"

    /// The browser session from the cookie, looked up once per request. An extended session
    /// gets its cookie again, so the browser's expiry slides with the database's.
    public mutating func session() throws -> Session? {
        if let loadedSession { return loadedSession }
        var session: Session?
        if let token = request.cookies[Sessions.cookieName], !token.isEmpty {
            session = try Sessions(db: db()).find(token: token)
        }
        remember(session)
        return session
    }

    /// The logged-in user, or a redirect to the login page that comes back here afterwards.
    public mutating func requireUser() throws -> User {
        if let user = try session()?.user { return user }
        throw loginRedirect()
    }

    /// The logged-in user and the rows of a statement about them, asked for in one round trip:
    /// `statement` is made for an `Owner`, which is the cookie's session (resolved by
    /// PostgreSQL in the same snapshot as the session lookup), or the user once the session is
    /// already known. A page that needs nothing else from the database but its list of the
    /// user's things saves a wait on PostgreSQL this way.
    mutating func requireUser(with statement: (Owner) -> Statement) throws -> (user: User, rows: Rows) {
        guard loadedSession == nil, let token = request.cookies[Sessions.cookieName], let hash = Sessions.hash(token: token),
              case let alongside = statement(.session(tokenHash: hash)), !alongside.planEachTime
        else {
            // Known already, not logged in, or a statement planned for its values (a search),
            // which is only planned well knowing whose images it searches: one after the other.
            let user = try requireUser()
            return (user, try db().run(statement(.user(user.id))))
        }
        let results = try db().pipeline([Sessions.lookup(hash), alongside])
        let session = try Sessions(db: db()).session(from: results[0], tokenHash: hash)
        remember(session)
        guard let user = session?.user else { throw loginRedirect() }
        return (user, results[1])
    }

    private mutating func remember(_ session: Session?) {
        if let session, session.extended, let token = request.cookies[Sessions.cookieName] {
            responseCookies.append(Cookie.set(Sessions.cookieName, token, maxAge: Sessions.lifetime, secure: request.isHTTPS))
        }
        loadedSession = .some(session)
    }

    private func loginRedirect() -> Redirect {
        let back = request.path + (request.queryString.isEmpty ? "" : "?" + request.queryString)
        return Redirect(to: "/login?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
    }

    /// The API caller: a Bearer key, else the session cookie (whose CSRF header the central
    /// check already verified for state-changing calls). 401 with the envelope otherwise.
    public mutating func apiUser() throws -> User {
        if let authorization = request.header("authorization") {
            guard authorization.hasPrefix("Bearer "),
                  let user = try APIKeys(db: db()).authenticate(secret: String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            else { throw HTTPError.unauthorized("The API key is missing, malformed or revoked.") }
            return user
        }
        if let user = try session()?.user { return user }
        throw HTTPError.unauthorized("Send an API key as `Authorization: Bearer pk_…`.")
    }

    /// The token forms must echo: the session's when logged in, else the anonymous cookie's
    /// (created on first use).
    mutating func csrfToken() throws -> String {
        if let session = try session() { return session.csrfToken }
        if let existing = request.cookies[Self.anonymousCSRFCookie], existing.utf8.count == 43 { return existing }
        let token = Crypto.randomToken(bytes: 32)
        responseCookies.append(Cookie.set(Self.anonymousCSRFCookie, token, maxAge: nil, secure: request.isHTTPS))
        return token
    }
}

extension HTTPError {
    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(401, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer"])
    }
}
