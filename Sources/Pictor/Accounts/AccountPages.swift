// Sign-up, login, logout and the account page (ledger, password, API keys).

import FastCGI
import Foundation
import Postgres

enum AccountPages {
    // MARK: Sign-up and login

    @Sendable static func signupForm(_ context: inout RequestContext) throws -> Reply {
        if try context.session() != nil { return .redirect(to: "/account") }
        return .page(SignupPage(form: CredentialsForm(csrfToken: try context.csrfToken(), next: nextPath(context),
                                                      providers: SignInPages.providerButtons(context.app.config))))
    }

    /// Answers a new address and a taken one alike (the login page with the same notice, no
    /// session), so sign-up cannot tell anyone which addresses have accounts.
    @Sendable static func signup(_ context: inout RequestContext) throws -> Reply {
        let form = try context.form()
        let email = form["email"] ?? ""
        let password = form["password"] ?? ""
        let app = context.app
        func refuse(_ error: HTTPError) throws -> Reply {
            let page = SignupPage(form: CredentialsForm(csrfToken: try context.csrfToken(), email: email, error: error.message,
                                                        next: safeLocalPath(form["next"]), providers: SignInPages.providerButtons(app.config)))
            var reply = Reply.page(page, status: error.status)
            for (name, value) in error.headers { reply.setHeader(name, value) }
            return reply
        }
        do {
            // Checked before counting, so that only sign-ups that could create an account count.
            _ = try Credentials.normalizedEmail(email)
            try Credentials.validatePassword(password, common: app.commonPasswords)
            try SignupLimit(db: context.db(), config: app.config.accounts).admit(address: context.request.remoteAddress)
            let config = app.config
            _ = try AccountStore(db: context.db(), hasher: app.hasher)
                .create(email: email, password: password,
                        signupBonus: config.accounts.bonusAfterVerification ? 0 : config.accounts.signupBonus,
                        commonPasswords: app.commonPasswords) { db, user in
                    try EmailVerificationPages.queueLink(for: user, db: db, config: config)
                }
        } catch let error as AccountError where error == .emailTaken {
            // The same answer as for a new account, below.
        } catch let error as AccountError {
            return try refuse(.badRequest(error.message))
        } catch let error as HTTPError where error.status == 429 {
            return try refuse(error)
        }
        let accounts = app.config.accounts
        let credits = accounts.signupBonus > 0 && !accounts.bonusAfterVerification ? " with \(Format.number(accounts.signupBonus)) free credits" : ""
        let confirm = accounts.bonusAfterVerification && accounts.signupBonus > 0
            ? "we sent a link to confirm the address, which adds your \(Format.number(accounts.signupBonus)) free credits"
            : "we sent a link to confirm the address"
        let notice = "If this email had no account yet, yours is ready\(credits) and \(confirm): "
            + "log in below with the password you chose. If it already had one, nothing was changed: log in with that account's password."
        // A new account goes on to make its first image, unless it came from somewhere else.
        return .page(LoginPage(form: CredentialsForm(csrfToken: try context.csrfToken(), email: email, notice: notice,
                                                     next: safeLocalPath(form["next"]) ?? "/generate",
                                                     providers: SignInPages.providerButtons(app.config))))
    }

    @Sendable static func loginForm(_ context: inout RequestContext) throws -> Reply {
        if try context.session() != nil { return .redirect(to: nextPath(context) ?? "/account") }
        return .page(LoginPage(form: CredentialsForm(csrfToken: try context.csrfToken(), next: nextPath(context),
                                                     providers: SignInPages.providerButtons(context.app.config))))
    }

    @Sendable static func login(_ context: inout RequestContext) throws -> Reply {
        let form = try context.form()
        let email = form["email"] ?? ""
        let address = context.request.remoteAddress
        let throttle = LoginThrottle(db: try context.db(), config: context.app.config.accounts)
        func refuse(_ error: HTTPError) throws -> Reply {
            let page = LoginPage(form: CredentialsForm(csrfToken: try context.csrfToken(), email: email, error: error.message,
                                                       next: safeLocalPath(form["next"]),
                                                       providers: SignInPages.providerButtons(context.app.config)))
            var reply = Reply.page(page, status: error.status)
            for (name, value) in error.headers { reply.setHeader(name, value) }
            return reply
        }
        do {
            let delay = try throttle.check(email: email, address: address)
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }   // an account under attack: slow, not shut
        } catch let error as HTTPError {
            return try refuse(error)
        }
        guard let user = try AccountStore(db: context.db(), hasher: context.app.hasher)
            .authenticate(email: email, password: form["password"] ?? "") else {
            try throttle.recordFailure(email: email, address: address)
            // The same words whether the email is unknown or the password wrong.
            return try refuse(HTTPError(401, code: "unauthorized", message: "Email or password is incorrect."))
        }
        try throttle.recordSuccess(email: email, address: address)
        return try startSession(for: user, &context, then: safeLocalPath(form["next"]) ?? "/account")
    }

    @Sendable static func logout(_ context: inout RequestContext) throws -> Reply {
        if let session = try context.session() { try SessionStore(db: context.db()).delete(session) }
        context.responseCookies.append(Cookie.clear(SessionStore.cookieName, secure: context.request.isHTTPS))
        return .redirect(to: "/")
    }

    /// A fresh token on every login (no session fixation), then off to `location`.
    static func startSession(for user: User, _ context: inout RequestContext, then location: String) throws -> Reply {
        let (token, _) = try SessionStore(db: context.db()).create(for: user)
        context.responseCookies.append(Cookie.set(SessionStore.cookieName, token, maxAge: SessionStore.lifetime,
                                                  secure: context.request.isHTTPS))
        return .redirect(to: location)
    }

    private static func nextPath(_ context: RequestContext) -> String? {
        safeLocalPath(try? context.query()["next"])
    }

    // MARK: The account page

    static let ledgerPageSize = 20

    @Sendable static func account(_ context: inout RequestContext) throws -> Reply {
        .page(try accountPage(&context))
    }

    /// Carries a new API key's secret from its creation to the one page that shows it.
    static let newKeyCookie = "pictor_new_key"

    /// The account page as it stands; form posts add their errors to it.
    static func accountPage(_ context: inout RequestContext) throws -> AccountPage {
        let user = try context.requireUser()
        let query = try context.query()
        var before: Int64?
        if let text = query["before"] {
            guard let value = Int64(text), value > 0 else { throw HTTPError.badRequest("`before` must be a ledger entry id.") }
            before = value
        }
        let db = try context.db()
        let config = context.app.config
        let entries = try Ledger(db: db).entries(userID: user.id, before: before, limit: ledgerPageSize + 1)
        let shown = entries.prefix(ledgerPageSize)
        let plan = config.billing.plan(user.plan)
        var page = AccountPage(
            planName: plan?.name ?? user.plan.capitalized,
            planCredits: plan.map { $0.isFree ? "tops your balance up to \($0.displayCredits) credits each month" : "adds \($0.displayCredits) credits each month" },
            billingPortal: user.stripeCustomerID != nil && config.billing.stripe.isConfigured,
            emailVerified: user.emailVerified,
            memberSince: Format.day(user.createdAt),
            ledger: shown.map(AccountPage.LedgerRow.init),
            ledgerOlderURL: entries.count > ledgerPageSize ? shown.last.map { "/account?before=\($0.id)" } : nil,
            ledgerNewerURL: before != nil ? "/account" : nil,
            apiKeys: try APIKeyStore(db: db).list(userID: user.id).map(AccountPage.KeyRow.init),
            apiBase: config.site.publicURL)
        page.email = user.email
        page.hasPassword = user.hasPassword
        let identities = try IdentityStore(db: db).list(userID: user.id)
        page.identities = identities.map { .init(identity: $0, canUnlink: user.hasPassword || identities.count > 1) }
        page.connectable = SignInPages.providerButtons(config).filter { button in !identities.contains { $0.provider == button.provider } }
        if let carried = context.cookies[newKeyCookie] {
            context.responseCookies.append(Cookie.clear(newKeyCookie, secure: context.request.isHTTPS, path: "/account"))
            let parts = carried.split(separator: ".", maxSplits: 1)
            if parts.count == 2, let id = Int64(parts[0]), let key = page.apiKeys.first(where: { $0.key.id == id && $0.key.revokedAt == nil }) {
                page.newKey = (key.key.name, String(parts[1]))
            }
        }
        return page
    }

    /// Guesses of the current password are throttled like logins, per account: a stolen session
    /// must not become a way to find the password. Ticking the box also revokes every API key.
    @Sendable static func changePassword(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let form = try context.form()
        let limiter = RateLimiter(db: try context.db())
        let key = "password:user:\(user.id)", accounts = context.app.config.accounts
        let (failures, retryAfter) = try limiter.current(key, window: accounts.loginWindow)
        guard failures < accounts.loginMaxFailures else {
            var page = try accountPage(&context)
            page.passwordError = "Too many wrong passwords. Try again in \((retryAfter + 59) / 60) minute(s)."
            return Reply.page(page, status: 429).header("Retry-After", String(retryAfter))
        }
        do {
            try AccountStore(db: context.db(), hasher: context.app.hasher)
                .changePassword(userID: user.id, current: form["current_password"] ?? "", new: form["new_password"] ?? "",
                                commonPasswords: context.app.commonPasswords)
        } catch let error as AccountError {
            if error == .wrongCurrentPassword { try limiter.hit([key], window: accounts.loginWindow) }
            var page = try accountPage(&context)
            page.passwordError = error.message
            return .page(page, status: 400)
        }
        try limiter.reset(key)
        if let session = try context.session() { try SessionStore(db: context.db()).deleteOthers(of: session) }
        if form["revoke_api_keys"] == "1" {
            try APIKeyStore(db: context.db()).revokeAll(userID: user.id)
            context.notify(.passwordChangedKeysRevoked)
            return .redirect(to: "/account#main")
        }
        context.notify(.passwordChanged)
        return .redirect(to: "/account#main")
    }

    /// Post, redirect, get: the secret rides to the next page in a cookie that page clears, so
    /// it is shown exactly once and a reload creates no second key.
    @Sendable static func createAPIKey(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let form = try context.form()
        do {
            let (key, secret) = try APIKeyStore(db: context.db()).create(userID: user.id, name: form["name"] ?? "")
            context.responseCookies.append(Cookie.set(Self.newKeyCookie, "\(key.id).\(secret)", maxAge: 300,
                                                      secure: context.request.isHTTPS, path: "/account"))
            return .redirect(to: "/account#api-keys")
        } catch let error as AccountError {
            var page = try accountPage(&context)
            page.keyError = error.message
            return .page(page, status: 400)
        }
    }

    @Sendable static func revokeAPIKey(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        guard let id = Int64(context.parameters["id"] ?? ""),
              try APIKeyStore(db: context.db()).revoke(userID: user.id, keyID: id) else {
            throw HTTPError.notFound("There is no such API key on your account.")
        }
        context.notify(.keyRevoked)
        return .redirect(to: "/account#api-keys")
    }
}
