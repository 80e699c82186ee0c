// Who is asking: the session cookie for browsers, a Bearer API key for programs, looked up in
// PostgreSQL on first use (AuthenticationMiddleware only read the credential).

import Crypto
import Foundation
import FastCGI
import Postgres

extension RequestContext {
    /// The anonymous visitor's CSRF cookie, used by forms shown before login (sign-up, login).
    static let anonymousCSRFCookie = "pictor_csrf"

    /// The browser session from the cookie, looked up once per request. An extended session
    /// gets its cookie again, so the browser's expiry slides with the database's.
    mutating func session() throws -> Session? {
        if let loadedSession { return loadedSession }
        var session: Session?
        if let token = cookies[SessionStore.cookieName], !token.isEmpty {
            session = try SessionStore(db: db()).find(token: token)
        }
        remember(session)
        return session
    }

    /// The signed-in user; a 401 otherwise, which sends a browser to the login page.
    mutating func requireUser() throws -> User {
        if let user = try session()?.user { return user }
        throw HTTPError.unauthorized("Log in to see this page.")
    }

    /// The logged-in user and the rows of a statement about them, asked for in one round trip:
    /// `statement` is made for an `Owner`, which is the cookie's session (resolved by
    /// PostgreSQL in the same snapshot as the session lookup), or the user once the session is
    /// already known. A page that needs nothing else from the database but its list of the
    /// user's things saves a wait on PostgreSQL this way.
    mutating func requireUser(with statement: (Owner) -> Statement) throws -> (user: User, rows: Rows) {
        guard loadedSession == nil, let token = cookies[SessionStore.cookieName],
              let hash = SessionStore.hash(token: token),
              case let alongside = statement(.session(tokenHash: hash)), !alongside.planEachTime
        else {
            // Known already, not logged in, or a statement planned for its values (a search),
            // which is only planned well knowing whose images it searches: one after the other.
            let user = try requireUser()
            return (user, try db().run(statement(.user(user.id))))
        }
        let results = try db().pipeline([SessionStore.lookup(hash), alongside])
        let session = try SessionStore(db: db()).session(from: results[0], tokenHash: hash)
        remember(session)
        guard let user = session?.user else { throw HTTPError.unauthorized("Log in to see this page.") }
        return (user, results[1])
    }

    private mutating func remember(_ session: Session?) {
        if let session, session.extended, let token = cookies[SessionStore.cookieName] {
            responseCookies.append(Cookie.set(SessionStore.cookieName, token, maxAge: SessionStore.lifetime, secure: request.isHTTPS))
        }
        loadedSession = .some(session)
        if let session { knownUserID = session.user.id }
    }

    /// The API caller: a Bearer key, else the session cookie (whose CSRF header the pipeline
    /// already checked for state-changing calls) where the path's `Surface` accepts one.
    /// 401 with the envelope otherwise.
    mutating func apiUser() throws -> User {
        switch credential {
        case .apiKey(let secret):
            guard let user = try APIKeyStore(db: db()).authenticate(secret: secret) else {
                throw HTTPError.unauthorized("The API key is missing, malformed or revoked.")
            }
            knownUserID = user.id
            return user
        case .malformed:
            throw HTTPError.unauthorized("The API key is missing, malformed or revoked.")
        case .sessionCookie, .none:
            if Surface(request).acceptsSessionCookie, let user = try session()?.user { return user }
            throw HTTPError.unauthorized("Send an API key as `Authorization: Bearer pk_…`.")
        }
    }

    /// Who may see private things: the key's owner for API callers, else the session's user.
    mutating func viewerID() throws -> Int64? {
        switch credential {
        case .apiKey, .malformed: return try apiUser().id
        case .sessionCookie, .none: return try session()?.user.id
        }
    }

    /// The token forms must echo: the session's when logged in, else the anonymous cookie's
    /// (created on first use).
    mutating func csrfToken() throws -> String {
        if let session = try session() { return session.csrfToken }
        if let existing = cookies[Self.anonymousCSRFCookie], existing.utf8.count == 43 { return existing }
        let token = Crypto.randomToken(bytes: 32)
        responseCookies.append(Cookie.set(Self.anonymousCSRFCookie, token, maxAge: nil, secure: request.isHTTPS))
        return token
    }
}
