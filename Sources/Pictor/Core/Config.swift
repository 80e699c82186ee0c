// Pictor's configuration: one file sysadmins read and edit, loaded once per process.

import Foundation

/// Everything configurable. Loaded once at start and passed to what needs it.
public struct Config: Sendable {
    public struct Server: Sendable {
        public var listen = "var/run/pictor.sock"
        public var listenMode: mode_t = 0o660
        public var workers = 2
        /// Per worker. Pages are CPU and PostgreSQL work: threads beyond what the cores can run
        /// at once only queue (and hold more PostgreSQL connections).
        public var threads = 4
        public var maxRequests = 10_000
        public var maxBodyBytes = 10 << 20
        public var gracefulTimeout = 30.0
        /// How long a stopping worker goes on answering on the connections nginx keeps open,
        /// waiting for nginx to close them (nginx's upstream keepalive_time bounds that).
        public var drainTimeout = 10.0
        /// Requests taking at least this many seconds are logged as slow (0: never).
        public var slowRequest = 5.0
        public var accessLog = true
        public var logLevel = "info"
    }

    public struct Site: Sendable {
        public var name = "Pictor"
        public var publicURL = "http://127.0.0.1:8080"
        public var operatorName = "the operators of this Pictor instance"
        public var contactEmail = "privacy@example.com"
        public var legalUpdated = "2026-12-05"
    }

    public struct Accounts: Sendable {
        /// Credits a new account starts with (a `bonus` ledger row).
        public var signupBonus = 50
        /// Failed logins allowed per client address, and per (account, address), in one window;
        /// past it on one account from everywhere, attempts are slowed, not refused (LoginThrottle).
        public var loginMaxFailures = 10
        /// The throttling window, in seconds.
        public var loginWindow = 900
        /// Sign-up attempts allowed per client address (an IPv6 /64) per hour, across all processes.
        public var signupPerHour = 5
        /// A balance falling below this sends one low-credit email (0: never).
        public var lowCreditThreshold = 5
        /// Grant the sign-up bonus only once the address is verified (the link sent at sign-up),
        /// so throwaway addresses get no free credits.
        public var bonusAfterVerification = false
    }

    /// Outgoing mail (`[smtp]`). Without a URL, `pictor worker` writes mail to its log instead.
    public struct Mail: Sendable {
        /// `smtp://host:587` (STARTTLS when offered) or `smtps://host:465`.
        public var url: String?
        public var username: String?
        /// From `PICTOR_SMTP_PASSWORD`, normally.
        public var password: String?
        /// The From header: `Pictor <noreply@example.com>` or a bare address.
        public var from = "Pictor <noreply@localhost>"
        /// Refuse to send over an unencrypted connection (a server that offers no STARTTLS).
        public var requireTLS = false
        /// Seconds one SMTP conversation may take.
        public var timeout = 30.0
        /// Seconds after queueing when a mail that could not be sent is given up (logged as an error).
        public var giveUpAfter = 86_400

        /// The address inside `from`, for the SMTP envelope.
        public var fromAddress: String {
            guard let open = from.lastIndex(of: "<"), let close = from.lastIndex(of: ">"), open < close else {
                return from.trimmingCharacters(in: .whitespaces)
            }
            return String(from[from.index(after: open)..<close])
        }
    }

    public struct GenerationPolicy: Sendable {
        /// Generation requests per user per minute, across all processes.
        public var requestsPerMinute = 10
        /// Seconds a worker may spend on one job before it is failed and refunded.
        public var jobTimeout = 120
        /// Seconds a claimed job stays claimed; a job whose worker died is retried after it.
        public var lease = 300
        /// Tries before a job whose workers keep dying is failed and refunded.
        public var maxAttempts = 3
    }

    public struct Paths: Sendable {
        public var templates = "templates"
        /// Stylesheet, icons: served by nginx at /static/; read here only to version their URLs.
        public var publicFiles = "public"
        public var migrations = "sql"
        public var media = "var/media"
        /// Passwords refused as too common, one a line (read once at start).
        public var commonPasswords = "data/common-passwords.txt"
    }

    public var server = Server()
    public var site = Site()
    public var accounts = Accounts()
    public var mail = Mail()
    /// Origins whose pages may call the APIs with a key (`api.cors_origins`; none by default).
    public var corsOrigins: [String] = []
    /// The content check of prompts (`[moderation]`).
    public var moderation = ModerationSettings()
    /// Signing in with Google and GitHub (`[oauth.google]`, `[oauth.github]`).
    public var signIn = SignInSettings()
    public var generation = GenerationPolicy()
    /// The providers the offered models use (`[provider.NAME]` sections; `builtin` needs none).
    public var providers = [ProviderSettings.builtin]
    public var databaseURL = "postgresql:///pictor"
    public var paths = Paths()
    /// Plans, packs and the Stripe account (`[plan.NAME]`, `[pack.NAME]`, `[stripe]`).
    public var billing = Billing()
    public var storage = Storage()
    /// The models offered, in the file's order (`[model.NAME]` sections).
    public var models = ImageModel.defaults
    /// Why configured models are not offered (a provider without its URL or key); `pictor serve`
    /// and `pictor worker` log them at start.
    public var notices: [String] = []
    /// Where the config came from, for messages.
    public var source = "defaults"

    public init() {}

    /// Every key the file may set (and the environment may override).
    static let keys = [
        "server.listen", "server.listen_mode", "server.workers", "server.threads",
        "server.max_requests", "server.max_body_bytes", "server.graceful_timeout", "server.drain_timeout", "server.slow_request",
        "server.access_log", "server.log_level",
        "site.name", "site.public_url", "site.operator_name", "site.contact_email", "site.legal_updated",
        "accounts.signup_bonus", "accounts.login_max_failures", "accounts.login_window", "accounts.signup_per_hour",
        "accounts.low_credit_threshold", "accounts.bonus_after_verification",
        "api.cors_origins",
        "smtp.url", "smtp.username", "smtp.password", "smtp.from", "smtp.require_tls", "smtp.timeout", "smtp.give_up_after",
        "generation.requests_per_minute", "generation.job_timeout", "generation.lease", "generation.max_attempts",
        "database.url",
        "paths.templates", "paths.public", "paths.migrations", "paths.media", "paths.common_passwords",
    ] + Storage.keys + BillingSettings.stripeKeys + ModerationSettings.keys + SignInSettings.keys

    /// Loads the file at `path` (if it exists or was asked for explicitly) and then the
    /// environment overrides. Unknown keys and bad values are errors, so a typo never
    /// silently falls back to a default.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config {
        var file = try ConfigFile(text: "", path: "")
        var config = Config()
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigError(description: "cannot read config file \(path)")
            }
            file = try ConfigFile(text: text, path: path)
            config.source = path
            if let unknown = file.values.keys.sorted().first(where: {
                !keys.contains($0) && !ModelSettings.isSectionKey($0) && !BillingSettings.isSectionKey($0)
            }) {
                throw ConfigError(description: "\(path): unknown setting '\(unknown)'")
            }
        }
        file.values = BillingSettings.withDefaults(file.values, lines: &file.lines)
        file.applyEnvironment(environment, knownKeys: keys + ModelSettings.environmentKeys(for: file.values)
                                  + BillingSettings.environmentKeys(for: file.values, lines: file.lines))
        try config.apply(file.values)
        try config.storage.apply(file.values)
        (config.models, config.providers, config.notices) = try ModelSettings.resolve(file.values, lines: file.lines)
        let billingNotices: [String]
        (config.billing, billingNotices) = try BillingSettings.resolve(file.values, lines: file.lines)
        config.notices += billingNotices
        let signInNotices: [String]
        (config.signIn, signInNotices) = try SignInSettings.resolve(file.values)
        config.notices += signInNotices
        guard config.server.drainTimeout >= 0, config.server.drainTimeout < config.server.gracefulTimeout else {
            // Else the master would kill a draining worker with requests still in flight.
            throw ConfigError(description: "server.drain_timeout (\(config.server.drainTimeout) s) must be at least 0 and shorter than server.graceful_timeout (\(config.server.gracefulTimeout) s)")
        }
        guard config.generation.lease > config.generation.jobTimeout else {
            // Otherwise a job still running would be reclaimed and drawn twice.
            throw ConfigError(description: "generation.lease (\(config.generation.lease) s) must be longer than generation.job_timeout (\(config.generation.jobTimeout) s)")
        }
        return config
    }

    private mutating func apply(_ values: [String: String]) throws {
        let reader = ValueReader(values: values)
        reader.string("server.listen", into: &server.listen)
        try reader.mode("server.listen_mode", into: &server.listenMode)
        try reader.int("server.workers", into: &server.workers, range: 1...256)
        try reader.int("server.threads", into: &server.threads, range: 1...1024)
        try reader.int("server.max_requests", into: &server.maxRequests, range: 0...Int.max)
        try reader.int("server.max_body_bytes", into: &server.maxBodyBytes, range: 1024...(1 << 30))
        try reader.double("server.graceful_timeout", into: &server.gracefulTimeout)
        try reader.double("server.drain_timeout", into: &server.drainTimeout)
        try reader.double("server.slow_request", into: &server.slowRequest)
        try reader.bool("server.access_log", into: &server.accessLog)
        reader.string("server.log_level", into: &server.logLevel)
        reader.string("site.name", into: &site.name)
        reader.string("site.public_url", into: &site.publicURL)
        reader.string("site.operator_name", into: &site.operatorName)
        reader.string("site.contact_email", into: &site.contactEmail)
        reader.string("site.legal_updated", into: &site.legalUpdated)
        try reader.int("accounts.signup_bonus", into: &accounts.signupBonus, range: 0...1_000_000)
        try reader.int("accounts.login_max_failures", into: &accounts.loginMaxFailures, range: 1...10_000)
        try reader.int("accounts.login_window", into: &accounts.loginWindow, range: 1...86_400)
        try reader.int("accounts.signup_per_hour", into: &accounts.signupPerHour, range: 1...1_000_000)
        try reader.int("accounts.low_credit_threshold", into: &accounts.lowCreditThreshold, range: 0...1_000_000)
        try reader.bool("accounts.bonus_after_verification", into: &accounts.bonusAfterVerification)
        try applyMail(reader)
        try applyModeration(reader)
        try applyCORS(reader)
        try reader.int("generation.requests_per_minute", into: &generation.requestsPerMinute, range: 1...100_000)
        try reader.int("generation.job_timeout", into: &generation.jobTimeout, range: 1...3600)
        try reader.int("generation.lease", into: &generation.lease, range: 5...86_400)
        try reader.int("generation.max_attempts", into: &generation.maxAttempts, range: 1...100)
        reader.string("database.url", into: &databaseURL)
        reader.string("paths.templates", into: &paths.templates)
        reader.string("paths.public", into: &paths.publicFiles)
        reader.string("paths.migrations", into: &paths.migrations)
        reader.string("paths.media", into: &paths.media)
        reader.string("paths.common_passwords", into: &paths.commonPasswords)
    }
}

extension Config {
    fileprivate mutating func applyMail(_ reader: ValueReader) throws {
        var url = "", username = "", password = ""
        reader.string("smtp.url", into: &url)
        reader.string("smtp.username", into: &username)
        reader.string("smtp.password", into: &password)
        if !url.isEmpty {
            guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else {
                throw ConfigError(description: "smtp.url must start with smtp:// (STARTTLS, port 587) or smtps:// (port 465), got '\(url)'")
            }
            mail.url = url
        }
        mail.username = username.isEmpty ? nil : username
        mail.password = password.isEmpty ? nil : password
        reader.string("smtp.from", into: &mail.from)
        guard mail.fromAddress.contains("@"), !mail.from.contains("\r"), !mail.from.contains("\n") else {
            throw ConfigError(description: "smtp.from must be an address such as Pictor <noreply@example.com>, got '\(mail.from)'")
        }
        try reader.bool("smtp.require_tls", into: &mail.requireTLS)
        try reader.double("smtp.timeout", into: &mail.timeout)
        try reader.int("smtp.give_up_after", into: &mail.giveUpAfter, range: 60...(30 * 86_400))
    }
}

extension Config {
    /// `https://app.example.com, http://localhost:3000`, or `*`: exact origins, as browsers send them.
    fileprivate mutating func applyCORS(_ reader: ValueReader) throws {
        var text = ""
        reader.string("api.cors_origins", into: &text)
        corsOrigins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for origin in corsOrigins where origin != "*" {
            let rest = origin.hasPrefix("https://") ? origin.dropFirst(8) : origin.hasPrefix("http://") ? origin.dropFirst(7) : nil
            guard let rest, !rest.isEmpty, !rest.contains("/") else {
                throw ConfigError(description: "api.cors_origins: '\(origin)' is not an origin such as https://app.example.com (no path, no trailing slash)")
            }
        }
    }

    fileprivate mutating func applyModeration(_ reader: ValueReader) throws {
        reader.string("moderation.blocklist", into: &moderation.blocklist)
        try reader.bool("moderation.external", into: &moderation.external)
        reader.string("moderation.url", into: &moderation.url)
        while moderation.url.hasSuffix("/") { moderation.url.removeLast() }
        guard moderation.url.hasPrefix("https://") || moderation.url.hasPrefix("http://") else {
            throw ConfigError(description: "moderation.url must start with https:// or http://, got '\(moderation.url)'")
        }
        var key = ""
        reader.string("moderation.key", into: &key)
        moderation.key = key.isEmpty ? nil : key
        reader.string("moderation.model", into: &moderation.model)
        try reader.double("moderation.timeout", into: &moderation.timeout)
        var policy = moderation.failOpen ? "open" : "closed"
        reader.string("moderation.on_failure", into: &policy)
        guard ["open", "closed"].contains(policy) else {
            throw ConfigError(description: "moderation.on_failure must be open or closed, got '\(policy)'")
        }
        moderation.failOpen = policy == "open"
        if moderation.external, moderation.key == nil, moderation.url == "https://api.openai.com" {
            throw ConfigError(description: "moderation.external is on but OpenAI's endpoint needs a key: set PICTOR_MODERATION_KEY")
        }
    }
}

/// Typed reads of config values with errors that name the setting.
fileprivate struct ValueReader {
    let values: [String: String]

    func string(_ key: String, into target: inout String) {
        if let value = values[key] { target = value }
    }

    func int(_ key: String, into target: inout Int, range: ClosedRange<Int>) throws {
        guard let text = values[key] else { return }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(value) else {
            throw ConfigError(description: "\(key) must be a whole number in \(range.lowerBound)…\(range.upperBound), got '\(text)'")
        }
        target = value
    }

    func double(_ key: String, into target: inout Double) throws {
        guard let text = values[key] else { return }
        guard let value = Double(text), value >= 0 else {
            throw ConfigError(description: "\(key) must be a number of seconds, got '\(text)'")
        }
        target = value
    }

    func bool(_ key: String, into target: inout Bool) throws {
        guard let text = values[key]?.lowercased() else { return }
        switch text {
        case "on", "true", "yes", "1": target = true
        case "off", "false", "no", "0": target = false
        default: throw ConfigError(description: "\(key) must be on or off, got '\(text)'")
        }
    }

    func mode(_ key: String, into target: inout mode_t) throws {
        guard let text = values[key] else { return }
        guard let value = mode_t(text, radix: 8), value <= 0o777 else {
            throw ConfigError(description: "\(key) must be an octal file mode such as 0660, got '\(text)'")
        }
        target = value
    }
}
