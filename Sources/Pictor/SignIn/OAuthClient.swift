// The provider's side of a sign-in, over libcurl: the consent URL the browser is sent to, the
// code traded for an access token (with the PKCE verifier), and who the person is (Google's
// OpenID Connect userinfo; GitHub's /user and /user/emails).

import Codecs
import Crypto
import Foundation
import HTTPClient

/// Who signed in, as the provider vouches for it.
struct ProviderProfile: Equatable {
    /// The provider's stable id of the person (Google's `sub`, GitHub's user id).
    let subject: String
    /// The address the provider has verified, or nil when it has none verified.
    let verifiedEmail: String?
}

/// Why a sign-in could not be finished on the provider's side. The texts hold no secret, code
/// or token: they go to the log.
enum OAuthError: Error, CustomStringConvertible {
    /// The provider refused the code (used already, expired, or for another app).
    case codeRejected(String)
    /// The provider did not answer, answered 5xx, or did not answer in time.
    case unavailable(String)
    /// The provider answered something Pictor cannot read.
    case unreadableAnswer(String)

    var description: String {
        switch self {
        case .codeRejected(let why): "the code was refused: \(why)"
        case .unavailable(let why): "the provider is unavailable: \(why)"
        case .unreadableAnswer(let why): "the provider's answer could not be read: \(why)"
        }
    }
}

struct OAuthClient {
    let settings: SignInProviderSettings
    let timeout: Double

    /// PKCE (RFC 7636): the challenge is the unpadded base64url SHA-256 of the verifier.
    static func challenge(for verifier: String) -> String { Base64URL.encode(Crypto.sha256(verifier)) }

    /// Where to send the browser: the provider's consent page, which comes back to
    /// `redirectURI` with `code` and `state`.
    func authorizationURL(state: String, verifier: String, redirectURI: String) -> String {
        var query: [(String, String)] = [
            ("response_type", "code"), ("client_id", settings.clientID ?? ""), ("redirect_uri", redirectURI),
            ("scope", settings.scope), ("state", state),
            ("code_challenge", Self.challenge(for: verifier)), ("code_challenge_method", "S256"),
        ]
        // Lets someone with several Google accounts pick one instead of being signed in silently.
        if settings.provider == .google { query.append(("prompt", "select_account")) }
        let separator = settings.authorizeURL.contains("?") ? "&" : "?"
        return settings.authorizeURL + separator + HTTPRequest.formEncoded(query)
    }

    /// Trades the code for an access token.
    func accessToken(code: String, verifier: String, redirectURI: String) throws -> String {
        let form: [(String, String)] = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", settings.clientID ?? ""), ("client_secret", settings.clientSecret ?? ""), ("code_verifier", verifier),
        ]
        let response = try send(HTTPRequest(method: "POST", url: settings.tokenURL, headers: [
            ("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded"), ("User-Agent", "Pictor"),
        ], body: Array(HTTPRequest.formEncoded(form).utf8)))
        guard response.status < 500 else { throw OAuthError.unavailable("the token endpoint answered HTTP \(response.status)") }
        let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(response.body))
        // GitHub reports a bad code with 200 and an `error` field; Google with 400 `invalid_grant`.
        if let error = answer?.error {
            throw OAuthError.codeRejected(error + (answer?.errorDescription.map { " (\($0))" } ?? ""))
        }
        guard (200..<300).contains(response.status) else { throw OAuthError.codeRejected("HTTP \(response.status)") }
        guard let token = answer?.accessToken, !token.isEmpty else { throw OAuthError.unreadableAnswer("no access_token") }
        return token
    }

    /// Who the token belongs to, and their verified address.
    func profile(accessToken token: String) throws -> ProviderProfile {
        switch settings.provider {
        case .google:
            let info: GoogleUserinfo = try get(settings.profileURL, token: token)
            let verified = info.emailVerified == true
            return ProviderProfile(subject: info.sub, verifiedEmail: verified ? info.email : nil)
        case .github:
            let user: GitHubUser = try get(settings.profileURL + "/user", token: token)
            let emails: [GitHubEmail] = try get(settings.profileURL + "/user/emails", token: token)
            let primary = emails.first { $0.primary && $0.verified }
            return ProviderProfile(subject: String(user.id), verifiedEmail: primary?.email)
        }
    }

    private func get<Answer: Decodable>(_ url: String, token: String) throws -> Answer {
        var headers = [("Authorization", "Bearer " + token), ("User-Agent", "Pictor")]
        headers += settings.provider == .github
            ? [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
            : [("Accept", "application/json")]
        let response = try send(HTTPRequest(method: "GET", url: url, headers: headers))
        guard (200..<300).contains(response.status) else {
            if response.status >= 500 { throw OAuthError.unavailable("\(url) answered HTTP \(response.status)") }
            throw OAuthError.unreadableAnswer("\(url) answered HTTP \(response.status)")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body))
        } catch {
            throw OAuthError.unreadableAnswer("\(url) sent JSON of another shape")
        }
    }

    private func send(_ request: HTTPRequest) throws -> HTTPResponse {
        do {
            return try HTTPClient(connectTimeout: min(5, timeout), timeout: timeout, maxResponseBytes: 256 << 10).send(request)
        } catch let error as HTTPClientError {
            throw OAuthError.unavailable(error.isTimeout ? "no answer within \(String(format: "%g", timeout)) s" : error.message)
        }
    }

    // MARK: The providers' answers (only the fields read)

    private struct TokenAnswer: Decodable {
        let accessToken: String?
        let error: String?
        let errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token", error, errorDescription = "error_description"
        }
    }

    private struct GoogleUserinfo: Decodable {
        let sub: String
        let email: String?
        let emailVerified: Bool?

        enum CodingKeys: String, CodingKey { case sub, email, emailVerified = "email_verified" }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sub = try container.decode(String.self, forKey: .sub)
            email = try container.decodeIfPresent(String.self, forKey: .email)
            // OpenID Connect says boolean; some deployments have sent the string "true".
            if let flag = try? container.decodeIfPresent(Bool.self, forKey: .emailVerified) {
                emailVerified = flag
            } else {
                emailVerified = (try? container.decodeIfPresent(String.self, forKey: .emailVerified)) == "true"
            }
        }
    }

    private struct GitHubUser: Decodable {
        let id: Int64
    }

    private struct GitHubEmail: Decodable {
        let email: String
        let primary: Bool
        let verified: Bool
    }
}
