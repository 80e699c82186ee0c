// The view models of the sign-up, login and account pages.

import Templates

/// What the sign-up and login forms show: empty, or refilled after an error.
struct CredentialsForm: TemplateModel {
    var csrfToken: String
    var email: String?
    var error: String?
    /// An information message above the form.
    var notice: String?
    /// Where to go once signed in (a local path).
    var next: String?
    /// "Continue with …" for each configured sign-in provider.
    var providers: [ProviderButton] = []

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["csrf_token": .text(csrfToken), "has_providers": .flag(!providers.isEmpty)]
        fields.add("email", email)
        fields.add("error", error)
        fields.add("notice", notice)
        fields.add("next", next)
        fields.add("providers", providers)
        return fields
    }
}

/// A sign-in provider's button: a form posting to `/auth/{id}`.
struct ProviderButton: TemplateModel {
    let provider: SignInProvider
    var templateFields: TemplateFields { ["id": .text(provider.rawValue), "label": .text(provider.label)] }
}

/// `/signup`.
struct SignupPage: PageModel {
    static let template = "signup"
    let title = "Create your account"
    var form: CredentialsForm
    var templateFields: TemplateFields { form.templateFields }
}

/// `/login`.
struct LoginPage: PageModel {
    static let template = "login"
    let title = "Log in"
    var form: CredentialsForm
    var templateFields: TemplateFields { form.templateFields }
}

/// `/account`: balance, plan, ledger history and API keys.
struct AccountPage: PageModel {
    static let template = "account"
    let title = "Your account"
    var planName: String
    /// "adds 500 credits each month", or nil for a plan no longer in the config.
    var planCredits: String?
    /// Whether "Manage billing" (Stripe's portal) is offered: the account has a Stripe customer.
    var billingPortal: Bool
    /// Whether the address is confirmed; if not, the page offers to send the link again.
    var emailVerified = true
    /// The address, for the "set a password" link of an account without one.
    var email = ""
    /// False for an account made by a sign-in provider: the page offers to set a password by
    /// email, and deletion is confirmed with the address instead.
    var hasPassword = true
    /// The linked Google and GitHub accounts.
    var identities: [IdentityRow] = []
    /// Configured providers not linked yet, offered as "Connect …".
    var connectable: [ProviderButton] = []
    var memberSince: String
    var ledger: [LedgerRow]
    var ledgerOlderURL: String?
    var ledgerNewerURL: String?
    var apiKeys: [KeyRow]
    var apiBase: String
    /// After creating a key: its secret, shown this once.
    var newKey: (name: String, secret: String)?
    var passwordError: String?
    var keyError: String?
    var signInError: String?

    struct LedgerRow: TemplateModel {
        let entry: LedgerEntry
        var templateFields: TemplateFields {
            var fields: TemplateFields = [
                "when": .text(Format.minute(entry.createdAt)), "kind_label": .text(entry.kind.label),
                "amount": .text(Format.signed(entry.amount)), "is_credit": .flag(entry.amount > 0),
            ]
            if let reason = entry.reason, !reason.isEmpty { fields.add("reason", .text(reason)) }
            return fields
        }
    }

    struct IdentityRow: TemplateModel {
        let identity: Identity
        /// False when it is the account's only way to sign in.
        let canUnlink: Bool
        var templateFields: TemplateFields {
            ["id": .number(Int(identity.id)), "label": .text(identity.provider.label), "email": .text(identity.email),
             "linked": .text(Format.day(identity.createdAt)), "last_used": .text(Format.minute(identity.lastUsedAt)),
             "can_unlink": .flag(canUnlink)]
        }
    }

    struct KeyRow: TemplateModel {
        let key: APIKey
        var templateFields: TemplateFields {
            ["id": .number(Int(key.id)), "name": .text(key.name), "prefix": .text(key.prefix),
             "created": .text(Format.day(key.createdAt)), "last_used": .text(key.lastUsedAt.map(Format.minute) ?? "never"),
             "revoked": .flag(key.revokedAt != nil)]
        }
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = [
            "plan_name": .text(planName), "member_since": .text(memberSince), "api_base": .text(apiBase),
            "billing_portal": .flag(billingPortal), "email_unverified": .flag(!emailVerified),
            "has_ledger": .flag(!ledger.isEmpty), "has_api_keys": .flag(!apiKeys.isEmpty),
            "has_password": .flag(hasPassword), "email": .text(email),
            "has_identities": .flag(!identities.isEmpty), "show_sign_in": .flag(!identities.isEmpty || !connectable.isEmpty),
        ]
        fields.add("identities", identities)
        fields.add("connectable", connectable)
        fields.add("ledger", ledger)
        fields.add("api_keys", apiKeys)
        fields.add("ledger_older_url", ledgerOlderURL)
        fields.add("ledger_newer_url", ledgerNewerURL)
        fields.add("plan_credits", planCredits)
        if let newKey { fields.add("new_key", .fields(["name": .text(newKey.name), "secret": .text(newKey.secret)])) }
        fields.add("password_error", passwordError)
        fields.add("key_error", keyError)
        fields.add("sign_in_error", signInError)
        return fields
    }
}
