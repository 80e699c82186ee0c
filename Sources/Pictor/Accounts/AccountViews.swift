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

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["csrf_token": .text(csrfToken)]
        fields.add("email", email)
        fields.add("error", error)
        fields.add("notice", notice)
        fields.add("next", next)
        return fields
    }
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
        ]
        fields.add("ledger", ledger)
        fields.add("api_keys", apiKeys)
        fields.add("ledger_older_url", ledgerOlderURL)
        fields.add("ledger_newer_url", ledgerNewerURL)
        fields.add("plan_credits", planCredits)
        if let newKey { fields.add("new_key", .fields(["name": .text(newKey.name), "secret": .text(newKey.secret)])) }
        fields.add("password_error", passwordError)
        fields.add("key_error", keyError)
        return fields
    }
}
