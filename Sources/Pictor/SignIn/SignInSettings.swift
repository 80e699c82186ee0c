// `[oauth.google]` and `[oauth.github]` in the config file: the OAuth apps people may sign in
// with, and where those providers' endpoints are (configurable, so tests use a local fake).

import Foundation

/// A provider people can sign in with.
public enum SignInProvider: String, CaseIterable, Sendable {
    case google
    case github

    /// The provider's name as people know it.
    var label: String {
        switch self {
        case .google: "Google"
        case .github: "GitHub"
        }
    }
}

/// One provider's OAuth app and endpoints.
public struct SignInProviderSettings: Sendable {
    public let provider: SignInProvider
    /// The OAuth app's client id and secret; the provider is offered only with both.
    public var clientID: String?
    public var clientSecret: String?
    /// Where the browser is sent to consent.
    public var authorizeURL: String
    /// Where Pictor trades the code for an access token.
    public var tokenURL: String
    /// Google: the OpenID Connect userinfo endpoint. GitHub: the REST API's base (`/user`,
    /// `/user/emails`).
    public var profileURL: String

    public var isConfigured: Bool { clientID != nil && clientSecret != nil }

    /// The scopes asked for: who the person is and their verified address, nothing more.
    var scope: String {
        switch provider {
        case .google: "openid email profile"
        case .github: "read:user user:email"
        }
    }

    init(_ provider: SignInProvider) {
        self.provider = provider
        switch provider {
        case .google:
            authorizeURL = "https://accounts.google.com/o/oauth2/v2/auth"
            tokenURL = "https://oauth2.googleapis.com/token"
            profileURL = "https://openidconnect.googleapis.com/v1/userinfo"
        case .github:
            authorizeURL = "https://github.com/login/oauth/authorize"
            tokenURL = "https://github.com/login/oauth/access_token"
            profileURL = "https://api.github.com"
        }
    }
}

/// Every sign-in provider's settings, and how long a provider may take to answer.
public struct SignInSettings: Sendable {
    public var google = SignInProviderSettings(.google)
    public var github = SignInProviderSettings(.github)
    /// Seconds each call to a provider (token, profile) may take.
    public var timeout = 10.0

    public init() {}

    public subscript(provider: SignInProvider) -> SignInProviderSettings {
        switch provider {
        case .google: google
        case .github: github
        }
    }

    /// The providers offered on /login and /signup, in a fixed order.
    var configured: [SignInProviderSettings] { SignInProvider.allCases.map { self[$0] }.filter(\.isConfigured) }

    static let providerFields = ["client_id", "client_secret", "authorize_url", "token_url", "profile_url"]
    static let keys = ["oauth.timeout"] + SignInProvider.allCases.flatMap { provider in
        providerFields.map { "oauth.\(provider.rawValue).\($0)" }
    }

    /// Reads the `oauth.*` values; returns notices for a provider set up by half.
    static func resolve(_ values: [String: String]) throws -> (settings: SignInSettings, notices: [String]) {
        var settings = SignInSettings()
        var notices: [String] = []
        if let text = values["oauth.timeout"] {
            guard let seconds = Double(text), seconds > 0, seconds <= 120 else {
                throw ConfigError(description: "oauth.timeout must be a number of seconds up to 120, got '\(text)'")
            }
            settings.timeout = seconds
        }
        for provider in SignInProvider.allCases {
            var entry = SignInProviderSettings(provider)
            func value(_ field: String) -> String? { values["oauth.\(provider.rawValue).\(field)"].flatMap { $0.isEmpty ? nil : $0 } }
            entry.clientID = value("client_id")
            entry.clientSecret = value("client_secret")
            for (field, path) in [("authorize_url", \SignInProviderSettings.authorizeURL), ("token_url", \.tokenURL), ("profile_url", \.profileURL)] {
                guard var url = value(field) else { continue }
                while url.hasSuffix("/") { url.removeLast() }
                guard url.hasPrefix("https://") || url.hasPrefix("http://"), URLComponents(string: url)?.host != nil else {
                    throw ConfigError(description: "oauth.\(provider.rawValue).\(field) must be a URL starting with https:// (or http:// for a local test server), got '\(url)'")
                }
                entry[keyPath: path] = url
            }
            let variable = "PICTOR_OAUTH_\(provider.rawValue.uppercased())_CLIENT_SECRET"
            if entry.clientID != nil, entry.clientSecret == nil {
                notices.append("sign-in with \(provider.label) is off: oauth.\(provider.rawValue).client_id is set but not its client_secret (\(variable))")
            } else if entry.clientID == nil, entry.clientSecret != nil {
                notices.append("sign-in with \(provider.label) is off: \(variable) is set but not oauth.\(provider.rawValue).client_id")
            }
            switch provider {
            case .google: settings.google = entry
            case .github: settings.github = entry
            }
        }
        return (settings, notices)
    }
}
