// Sign-up, login, logout and the account page (ledger, password, API keys).

import FastCGI
import Foundation
import Postgres

enum AccountPages {
    static func register(in router: inout Router) {
        router.get("/signup", signupForm)
        router.post("/signup", signup)
        router.get("/login", loginForm)
        router.post("/login", login)
        router.post("/logout", logout)
        router.get("/account", account)
        router.post("/account/password", changePassword)
        router.post("/account/api-keys", createAPIKey)
        router.post("/account/api-keys/{id}/revoke", revokeAPIKey)
    }

    // MARK: Sign-up and login

    @Sendable static func signupForm(_ context: inout RequestContext) throws -> Response {
        if try context.session() != nil { return .redirect(to: "/account") }
        return try context.page("signup", ["title": "Create your account", "next": nextPath(context) as Any,
                                           "csrf_token": try context.csrfToken()])
    }

    @Sendable static func signup(_ context: inout RequestContext) throws -> Response {
        let form = try context.form()
        let email = form["email"] ?? ""
        do {
            let user = try Accounts(db: context.db(), hasher: context.app.hasher)
                .create(email: email, password: form["password"] ?? "", signupBonus: context.app.config.accounts.signupBonus)
            return try startSession(for: user, &context, then: safeLocalPath(form["next"]) ?? "/account?notice=welcome")
        } catch let error as AccountError {
            return try context.page("signup", status: error == .emailTaken ? 409 : 400, [
                "title": "Create your account", "email": email, "error": error.message, "next": form["next"] as Any,
                "csrf_token": try context.csrfToken(),
            ])
        }
    }

    @Sendable static func loginForm(_ context: inout RequestContext) throws -> Response {
        if try context.session() != nil { return .redirect(to: safeLocalPath(nextPath(context)) ?? "/account") }
        var values: [String: Any] = ["title": "Log in", "next": nextPath(context) as Any, "csrf_token": try context.csrfToken()]
        if (try? context.request.query()["notice"]) == "password_changed" {
            values["notice"] = "Your password was changed. Log in with the new one."
        }
        return try context.page("login", values)
    }

    @Sendable static func login(_ context: inout RequestContext) throws -> Response {
        let form = try context.form()
        let email = form["email"] ?? ""
        let address = context.request.remoteAddress
        let throttle = LoginThrottle(db: try context.db(), config: context.app.config.accounts)
        func refuse(_ status: Int, _ message: String, headers: [String: String] = [:]) throws -> Response {
            var response = try context.page("login", status: status, [
                "title": "Log in", "email": email, "error": message, "next": form["next"] as Any,
                "csrf_token": try context.csrfToken(),
            ])
            for (name, value) in headers { response.setHeader(name, value) }
            return response
        }
        do {
            try throttle.check(email: email, address: address)
        } catch let error as HTTPError {
            return try refuse(error.status, error.message, headers: error.headers)
        }
        guard let user = try Accounts(db: context.db(), hasher: context.app.hasher)
            .authenticate(email: email, password: form["password"] ?? "") else {
            try throttle.recordFailure(email: email, address: address)
            // The same words whether the email is unknown or the password wrong.
            return try refuse(401, "Email or password is incorrect.")
        }
        try throttle.recordSuccess(email: email)
        return try startSession(for: user, &context, then: safeLocalPath(form["next"]) ?? "/account")
    }

    @Sendable static func logout(_ context: inout RequestContext) throws -> Response {
        if let session = try context.session() { try Sessions(db: context.db()).delete(session) }
        var response = Response.redirect(to: "/")
        response.addHeader("Set-Cookie", Cookie.clear(Sessions.cookieName, secure: context.request.isHTTPS))
        return response
    }

    /// A fresh token on every login (no session fixation), then off to `location`.
    private static func startSession(for user: User, _ context: inout RequestContext, then location: String) throws -> Response {
        let (token, _) = try Sessions(db: context.db()).create(for: user)
        var response = Response.redirect(to: location)
        response.addHeader("Set-Cookie", Cookie.set(Sessions.cookieName, token, maxAge: Sessions.lifetime, secure: context.request.isHTTPS))
        return response
    }

    private static func nextPath(_ context: RequestContext) -> String? {
        safeLocalPath(try? context.request.query()["next"])
    }

    // MARK: The account page

    static let ledgerPageSize = 20

    @Sendable static func account(_ context: inout RequestContext) throws -> Response {
        try accountPage(&context)
    }

    /// The account page, with whatever a form post just produced (errors, a new key).
    private static func accountPage(_ context: inout RequestContext, status: Int = 200, extra: [String: Any] = [:]) throws -> Response {
        let user = try context.requireUser()
        let query = try context.request.query()
        var before: Int64?
        if let text = query["before"] {
            guard let value = Int64(text), value > 0 else { throw HTTPError.badRequest("`before` must be a ledger entry id.") }
            before = value
        }
        let db = try context.db()
        let entries = try Ledger(db: db).entries(userID: user.id, before: before, limit: ledgerPageSize + 1)
        let page = entries.prefix(ledgerPageSize)
        var values: [String: Any] = [
            "title": "Your account",
            "plan_name": context.app.config.plans.first { $0.id == user.plan }?.name ?? user.plan.capitalized,
            "member_since": Format.day(user.createdAt),
            "ledger": page.map(ledgerValues),
            "has_ledger": !page.isEmpty,
            "api_keys": try APIKeys(db: db).list(userID: user.id).map(keyValues),
            "api_base": context.app.config.site.publicURL,
        ]
        values["has_api_keys"] = (values["api_keys"] as? [Any])?.isEmpty == false
        if entries.count > ledgerPageSize, let last = page.last { values["ledger_older_url"] = "/account?before=\(last.id)" }
        if before != nil { values["ledger_newer_url"] = "/account" }
        if let notice = query["notice"], let message = notice == "welcome"
            ? "Welcome to \(context.app.config.site.name)! Your \(context.app.config.accounts.signupBonus) free credits are ready."
            : notices[notice] {
            values["flash"] = ["kind": "success", "message": message]
        }
        values.merge(extra) { $1 }
        return try context.page("account", status: status, values)
    }

    static let notices = [
        "password_changed": "Your password was changed. Other devices have been signed out.",
        "key_revoked": "The API key was revoked. Programs using it can no longer call the API.",
    ]

    private static func ledgerValues(_ entry: LedgerEntry) -> [String: Any] {
        var values: [String: Any] = [
            "when": Format.minute(entry.createdAt), "kind_label": entry.kind.label, "amount": Format.signed(entry.amount),
        ]
        if entry.amount > 0 { values["is_credit"] = true }
        if let reason = entry.reason, !reason.isEmpty { values["reason"] = reason }
        return values
    }

    private static func keyValues(_ key: APIKey) -> [String: Any] {
        var values: [String: Any] = [
            "id": key.id, "name": key.name, "prefix": key.prefix, "created": Format.day(key.createdAt),
            "last_used": key.lastUsedAt.map(Format.minute) ?? "never",
        ]
        if key.revokedAt != nil { values["revoked"] = true }
        return values
    }

    @Sendable static func changePassword(_ context: inout RequestContext) throws -> Response {
        let user = try context.requireUser()
        let form = try context.form()
        do {
            try Accounts(db: context.db(), hasher: context.app.hasher)
                .changePassword(userID: user.id, current: form["current_password"] ?? "", new: form["new_password"] ?? "")
        } catch let error as AccountError {
            return try accountPage(&context, status: 400, extra: ["password_error": error.message])
        }
        if let session = try context.session() { try Sessions(db: context.db()).deleteOthers(of: session) }
        return .redirect(to: "/account?notice=password_changed#main")
    }

    /// Answers with the page itself (not a redirect): the secret is shown exactly once.
    @Sendable static func createAPIKey(_ context: inout RequestContext) throws -> Response {
        let user = try context.requireUser()
        let form = try context.form()
        do {
            let (key, secret) = try APIKeys(db: context.db()).create(userID: user.id, name: form["name"] ?? "")
            var response = try accountPage(&context, status: 201, extra: ["new_key": ["name": key.name, "secret": secret]])
            response.setHeader("Cache-Control", "no-store")
            return response
        } catch let error as AccountError {
            return try accountPage(&context, status: 400, extra: ["key_error": error.message])
        }
    }

    @Sendable static func revokeAPIKey(_ context: inout RequestContext) throws -> Response {
        let user = try context.requireUser()
        guard let id = Int64(context.parameters["id"] ?? ""),
              try APIKeys(db: context.db()).revoke(userID: user.id, keyID: id) else {
            throw HTTPError.notFound("There is no such API key on your account.")
        }
        return .redirect(to: "/account?notice=key_revoked")
    }
}
