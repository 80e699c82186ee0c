// "Continue with Google / GitHub": the authorization-code flow with PKCE. POST /auth/{provider}
// starts it (CSRF-checked like every form) and sends the browser to the provider; the provider
// sends it back to GET /auth/{provider}/callback, which checks the state against the browser's
// cookie and the stored attempt, trades the code for a token over libcurl, reads the verified
// address, and signs in. Every failure ends on the login page with a message and changes nothing.

import Crypto
import FastCGI
import Foundation

enum SignInPages {
    /// POST /auth/{provider}: from /login and /signup (sign in), or from /account with
    /// `intent=connect` (add the provider to the signed-in account).
    @Sendable static func start(_ context: inout RequestContext) throws -> Reply {
        let settings = try configuredProvider(context)
        let form = try context.form()
        let linkUserID = form["intent"] == "connect" ? try context.requireUser().id : nil
        let (state, verifier) = try OAuthAttempts(db: context.db())
            .begin(settings.provider, next: safeLocalPath(form["next"]), linkUserID: linkUserID)
        context.responseCookies.append(Cookie.set(OAuthAttempts.cookieName, state, maxAge: OAuthAttempts.lifetime,
                                                  secure: context.request.isHTTPS, path: "/auth/"))
        let client = OAuthClient(settings: settings, timeout: context.app.config.signIn.timeout)
        return .redirect(toExternal: client.authorizationURL(state: state, verifier: verifier,
                                                             redirectURI: redirectURI(settings.provider, context.app.config)))
    }

    /// GET /auth/{provider}/callback?code=…&state=… (or ?error=…&state=…).
    @Sendable static func callback(_ context: inout RequestContext) throws -> Reply {
        let settings = try configuredProvider(context)
        let provider = settings.provider, label = provider.label
        let query = try context.query()
        let app = context.app
        let browserState = context.cookies[OAuthAttempts.cookieName]
        context.responseCookies.append(Cookie.clear(OAuthAttempts.cookieName, secure: context.request.isHTTPS, path: "/auth/"))

        // The state must be the one this browser was given, and an attempt still waiting for it.
        guard let state = query["state"], let browserState,
              Crypto.constantTimeEquals(Array(state.utf8), Array(browserState.utf8)),
              let attempt = try OAuthAttempts(db: context.db()).finish(state: state), attempt.provider == provider else {
            app.logger.notice("[\(context.requestID)] sign-in with \(label) refused: the state is missing, not this browser's, used or expired")
            return try refuse(&context, status: 400, "The sign-in with \(label) could not be checked: it was started in another browser or tab, took longer than ten minutes, or was used already. Nothing was changed; try again.")
        }
        if let error = query["error"] {
            // The code is the provider's word (`access_denied`…) but arrives in a URL anyone can
            // write: only its letters and underscores reach the log.
            let logged = String(error.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || $0 == "_") }.prefix(64))
            app.logger.info("[\(context.requestID)] sign-in with \(label) ended by the provider: \(logged)")
            return try refuse(&context, status: 400, error == "access_denied"
                ? "You cancelled the sign-in with \(label). Nothing was changed."
                : "\(label) could not sign you in. Nothing was changed; try again.")
        }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 2048 else {
            return try refuse(&context, status: 400, "\(label) sent you back without a sign-in code. Nothing was changed; try again.")
        }

        let profile: ProviderProfile
        do {
            let client = OAuthClient(settings: settings, timeout: app.config.signIn.timeout)
            let token = try client.accessToken(code: code, verifier: attempt.verifier, redirectURI: redirectURI(provider, app.config))
            profile = try client.profile(accessToken: token)
        } catch let error as OAuthError {
            app.logger.warning("[\(context.requestID)] sign-in with \(label) failed: \(error)")
            if case .codeRejected = error {
                return try refuse(&context, status: 400, "\(label) did not accept this sign-in: its code was used already or has expired. Nothing was changed; try again.")
            }
            return try refuse(&context, status: 502, "\(label) did not answer as expected, so you are not signed in. Nothing was changed; try again in a moment.")
        }
        guard let raw = profile.verifiedEmail, let email = try? Credentials.normalizedEmail(raw) else {
            app.logger.notice("[\(context.requestID)] sign-in with \(label) refused: no verified address")
            return try refuse(&context, status: 400, "Your \(label) account has no verified email address, so Pictor cannot tell which account is yours. Verify your address at \(label) and try again, or use your email and a password.")
        }

        if let linkUserID = attempt.linkUserID {
            return try connect(&context, provider, profile: profile, email: email, to: linkUserID)
        }
        let outcome: ProviderSignIn.Outcome
        do {
            outcome = try ProviderSignIn(db: context.db(), config: app.config)
                .signIn(provider, subject: profile.subject, email: email, address: context.request.remoteAddress)
        } catch let error as HTTPError where error.status == 429 {
            return try refuse(&context, status: 429, error.message)
        }
        let user = outcome.user
        switch outcome {
        case .existing: app.logger.info("[\(context.requestID)] user \(user.id) signed in with \(label)")
        case .created:
            app.logger.info("[\(context.requestID)] user \(user.id) signed up with \(label)")
            context.notify(.welcome, count: app.config.accounts.signupBonus)
        case .claimed:
            app.logger.notice("[\(context.requestID)] user \(user.id): address never confirmed, confirmed by \(label); password, sessions and API keys ended")
            context.notify(.accountClaimed)
        }
        let fallback = if case .created = outcome { "/generate" } else { "/account" }
        return try AccountPages.startSession(for: user, &context, then: attempt.nextPath ?? fallback)
    }

    /// The end of a connect started from /account: the same account must still be signed in.
    private static func connect(_ context: inout RequestContext, _ provider: SignInProvider, profile: ProviderProfile,
                                email: String, to userID: Int64) throws -> Reply {
        guard let user = try context.session()?.user, user.id == userID else {
            return try refuse(&context, status: 400, "You were signed out while connecting \(provider.label). Log in and connect it again from your account page.")
        }
        switch try ProviderSignIn(db: context.db(), config: context.app.config).connect(provider, subject: profile.subject, email: email, to: user) {
        case .linked:
            context.app.logger.info("[\(context.requestID)] user \(user.id) connected \(provider.label)")
            context.notify(.identityLinked)
        case .alreadyLinked: context.notify(.identityAlreadyLinked)
        case .linkedToAnother: context.notify(.identityTaken)
        }
        return .redirect(to: "/account#sign-in")
    }

    /// POST /account/identities/{id}/unlink.
    @Sendable static func unlink(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        guard let id = Int64(context.parameters["id"] ?? "") else { throw HTTPError.notFound("There is no such sign-in on your account.") }
        switch try IdentityStore(db: context.db()).unlink(identityID: id, userID: user.id) {
        case .notFound: throw HTTPError.notFound("There is no such sign-in on your account.")
        case .lastWayToSignIn:
            var page = try AccountPages.accountPage(&context)
            page.signInError = "This is the only way you can sign in. Set a password or connect another provider first."
            return .page(page, status: 400)
        case .unlinked(let provider):
            context.app.logger.info("[\(context.requestID)] user \(user.id) disconnected \(provider.label)")
            context.notify(.identityUnlinked)
            return .redirect(to: "/account#sign-in")
        }
    }

    // MARK: Helpers

    /// The provider in the path, if this instance offers it; otherwise 404.
    private static func configuredProvider(_ context: RequestContext) throws -> SignInProviderSettings {
        guard let provider = SignInProvider(rawValue: context.parameters["provider"] ?? ""),
              case let settings = context.app.config.signIn[provider], settings.isConfigured else {
            throw HTTPError.notFound("This instance does not offer that way of signing in.")
        }
        return settings
    }

    /// Where the provider sends the browser back; it must be registered with the OAuth app.
    static func redirectURI(_ provider: SignInProvider, _ config: Config) -> String {
        config.site.publicURL + "/auth/\(provider.rawValue)/callback"
    }

    /// The login page with the message; no session, no account.
    private static func refuse(_ context: inout RequestContext, status: Int, _ message: String) throws -> Reply {
        .page(LoginPage(form: CredentialsForm(csrfToken: try context.csrfToken(), error: message, providers: providerButtons(context.app.config))),
              status: status)
    }

    /// The "Continue with …" buttons of the configured providers.
    static func providerButtons(_ config: Config) -> [ProviderButton] {
        config.signIn.configured.map { ProviderButton(provider: $0.provider) }
    }
}
