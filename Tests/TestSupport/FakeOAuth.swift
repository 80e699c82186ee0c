// A local authorization server for Google (OpenID Connect) and GitHub (OAuth apps), speaking their
// wire formats, so sign-in tests run the real flow through nginx:
//   Google: GET /google/authorize → 302 to redirect_uri with code and state; POST /google/token
//   (form, client secret in the body, PKCE verifier checked; a bad code is 400 invalid_grant);
//   GET /google/userinfo (Bearer) → {sub, email, email_verified, name}.
//   GitHub: GET /github/login/oauth/authorize; POST /github/login/oauth/access_token (a bad code
//   is 200 with {"error": "bad_verification_code"}, as GitHub answers); GET /github/api/user and
//   /github/api/user/emails (Bearer).
// Who "is signed in at the provider" is set by the test (`consent(as:)`); codes work once and
// for one redirect_uri and challenge. `tokenEndpoint` makes the token call fail (500) or hang.

import Codecs
import Crypto
import Foundation

public final class FakeOAuth: Sendable {
    /// A person at the provider.
    public struct Person: Sendable {
        public let subject: String
        public let email: String
        public let verified: Bool
        public init(subject: String, email: String, verified: Bool = true) {
            self.subject = subject
            self.email = email
            self.verified = verified
        }
    }

    public enum TokenEndpoint: Sendable { case working, failing, hanging }

    public let server: TestHTTPServer
    public static let clientID = ["google": "google-client-id.apps.example", "github": "Iv1.github-client-id"]
    public static let clientSecret = ["google": "GOCSPX-google-secret-do-not-leak", "github": "github-secret-do-not-leak-0123456789"]

    private struct Grant: Sendable {
        let provider: String
        let redirectURI: String
        let challenge: String
        let person: Person
        var used = false
    }

    private struct State: Sendable {
        var consenting: [String: Person] = [:]
        var denying: Set<String> = []
        var grants: [String: Grant] = [:]
        var tokens: [String: Person] = [:]
        var tokenEndpoint = TokenEndpoint.working
        /// The PKCE verifiers of token requests that passed every check.
        var verifiedExchanges = 0
    }

    private let state = Locked(State())

    public init() {
        let state = state
        server = TestHTTPServer { request in Self.handle(request, state) }
    }

    public func stop() { server.stop() }
    public func url(_ path: String) -> String { server.url(path) }

    /// The config settings for both providers pointing at this fake.
    public func settings(timeout: Double = 2) -> [String: String] {
        [
            "oauth.google.client_id": Self.clientID["google"]!, "oauth.google.client_secret": Self.clientSecret["google"]!,
            "oauth.google.authorize_url": url("/google/authorize"), "oauth.google.token_url": url("/google/token"),
            "oauth.google.profile_url": url("/google/userinfo"),
            "oauth.github.client_id": Self.clientID["github"]!, "oauth.github.client_secret": Self.clientSecret["github"]!,
            "oauth.github.authorize_url": url("/github/login/oauth/authorize"),
            "oauth.github.token_url": url("/github/login/oauth/access_token"), "oauth.github.profile_url": url("/github/api"),
            "oauth.timeout": String(timeout),
        ]
    }

    /// The person who consents at `provider` from now on.
    public func consent(_ provider: String, as person: Person) {
        state.withLock { $0.consenting[provider] = person; $0.denying.remove(provider) }
    }

    /// The person at `provider` presses "Cancel".
    public func deny(_ provider: String) { state.withLock { _ = $0.denying.insert(provider) } }

    public func setTokenEndpoint(_ behaviour: TokenEndpoint) { state.withLock { $0.tokenEndpoint = behaviour } }

    public var verifiedExchanges: Int { state.withLock { $0.verifiedExchanges } }

    // MARK: The endpoints

    private static func handle(_ request: ReceivedRequest, _ state: Locked<State>) -> ScriptedResponse {
        let (path, query) = split(request.target)
        switch (request.method, path) {
        case ("GET", "/google/authorize"): return authorize("google", query, state)
        case ("GET", "/github/login/oauth/authorize"): return authorize("github", query, state)
        case ("POST", "/google/token"): return token("google", request, state)
        case ("POST", "/github/login/oauth/access_token"): return token("github", request, state)
        case ("GET", "/google/userinfo"):
            guard let person = bearer(request, state) else { return FakeImages.json(["error": "invalid_token"], status: 401) }
            return FakeImages.json(["sub": person.subject, "email": person.email, "email_verified": person.verified, "name": "Test Person"])
        case ("GET", "/github/api/user"):
            guard let person = bearer(request, state) else { return FakeImages.json(["message": "Bad credentials"], status: 401) }
            return FakeImages.json(["id": Int(person.subject)!, "login": "octo\(person.subject)", "name": NSNull(), "email": NSNull()])
        case ("GET", "/github/api/user/emails"):
            guard let person = bearer(request, state) else { return FakeImages.json(["message": "Bad credentials"], status: 401) }
            // A second, verified address that is not the primary one: only the primary counts.
            return FakeImages.json([
                ["email": "other-\(person.subject)@users.noreply.example", "primary": false, "verified": true, "visibility": NSNull()],
                ["email": person.email, "primary": true, "verified": person.verified, "visibility": "private"],
            ])
        default:
            return FakeImages.json(["error": "not_found"], status: 404)
        }
    }

    private static func authorize(_ provider: String, _ query: [String: String], _ state: Locked<State>) -> ScriptedResponse {
        guard query["response_type"] == "code", query["client_id"] == clientID[provider], let redirect = query["redirect_uri"],
              let challenge = query["code_challenge"], query["code_challenge_method"] == "S256", let requestState = query["state"] else {
            return ScriptedResponse(status: 400, reason: "Bad Request", body: Array("invalid authorization request".utf8))
        }
        let separator = redirect.contains("?") ? "&" : "?"
        let answer: [(String, String)]
        if state.withLock({ $0.denying.contains(provider) }) {
            answer = [("error", "access_denied"), ("error_description", "The user denied the request"), ("state", requestState)]
        } else {
            guard let person = state.withLock({ $0.consenting[provider] }) else {
                return ScriptedResponse(status: 400, reason: "Bad Request", body: Array("nobody signed in at the fake".utf8))
            }
            let code = Crypto.randomToken(bytes: 16)
            state.withLock { $0.grants[code] = Grant(provider: provider, redirectURI: redirect, challenge: challenge, person: person) }
            answer = [("code", code), ("state", requestState)]
        }
        let location = redirect + separator + answer.map { "\($0.0)=\(percentEncoded($0.1))" }.joined(separator: "&")
        return ScriptedResponse(status: 302, reason: "Found", headers: [("Location", location)])
    }

    private static func token(_ provider: String, _ request: ReceivedRequest, _ state: Locked<State>) -> ScriptedResponse {
        switch state.withLock({ $0.tokenEndpoint }) {
        case .failing: return FakeImages.json(["error": "internal_failure"], status: 500)
        case .hanging: Thread.sleep(forTimeInterval: 6)
        case .working: break
        }
        let form = formFields(String(decoding: request.body, as: UTF8.self))
        func refuse(_ error: String) -> ScriptedResponse {
            // GitHub answers 200 with an error object; Google 400 (RFC 6749 §5.2).
            FakeImages.json(["error": error, "error_description": "refused by the fake"], status: provider == "github" ? 200 : 400)
        }
        guard form["client_id"] == clientID[provider], form["client_secret"] == clientSecret[provider] else {
            return refuse(provider == "github" ? "incorrect_client_credentials" : "invalid_client")
        }
        let badCode = provider == "github" ? "bad_verification_code" : "invalid_grant"
        guard form["grant_type"] == "authorization_code", let code = form["code"], let verifier = form["code_verifier"] else {
            return refuse("invalid_request")
        }
        let person: Person? = state.withLock { state in
            guard var grant = state.grants[code], !grant.used, grant.provider == provider,
                  grant.redirectURI == form["redirect_uri"],
                  Base64URL.encode(Crypto.sha256(verifier)) == grant.challenge else { return nil }
            grant.used = true
            state.grants[code] = grant
            state.verifiedExchanges += 1
            return grant.person
        }
        guard let person else { return refuse(badCode) }
        let token = (provider == "github" ? "gho_" : "ya29.") + Crypto.randomToken(bytes: 24)
        state.withLock { $0.tokens[token] = person }
        var answer: [String: Any] = ["access_token": token, "token_type": "bearer", "scope": provider == "github" ? "read:user,user:email" : "openid email profile"]
        if provider == "google" { answer["expires_in"] = 3599; answer["id_token"] = "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl" }
        return FakeImages.json(answer)
    }

    private static func bearer(_ request: ReceivedRequest, _ state: Locked<State>) -> Person? {
        guard let header = request.header("Authorization"), header.hasPrefix("Bearer ") else { return nil }
        return state.withLock { $0.tokens[String(header.dropFirst(7))] }
    }

    // MARK: Form and query strings

    private static func split(_ target: String) -> (String, [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
        return (String(target[..<mark]), formFields(String(target[target.index(after: mark)...])))
    }

    /// `a=1&b=x+y` → ["a": "1", "b": "x y"], as form bodies and query strings are encoded.
    public static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    private static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }
}
