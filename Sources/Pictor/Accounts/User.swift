// A user account as the app sees it, and the rules for emails and passwords.

import Foundation
import Postgres

/// A signed-up person.
public struct User: Sendable, Equatable {
    public let id: Int64
    public let email: String
    public let plan: String
    public let credits: Int
    public let createdAt: Date
    /// Set by the first Stripe checkout the user completes; opens the billing portal.
    public let stripeCustomerID: String?
    /// The user's current Stripe subscription, while a paid plan runs.
    public let stripeSubscriptionID: String?
    /// Whether the owner proved the address is theirs (the confirmation link, or a sign-in
    /// provider that verified it).
    public let emailVerified: Bool
    /// False for an account made by signing in with a provider that never set a password.
    public let hasPassword: Bool

    /// The columns `init(row:)` reads; queries select them with the `u.` alias.
    static let columns = "u.id, u.email, u.plan, u.credits, u.created_at, u.stripe_customer_id, u.stripe_subscription_id,"
        + " u.email_verified_at IS NOT NULL AS email_verified, u.password_hash IS NOT NULL AS has_password"

    init(row: Row) throws {
        id = try row.get("id")
        email = try row.get("email")
        plan = try row.get("plan")
        credits = try row.get("credits")
        createdAt = try row.get("created_at")
        stripeCustomerID = try row.get("stripe_customer_id")
        stripeSubscriptionID = try row.get("stripe_subscription_id")
        emailVerified = try row.get("email_verified")
        hasPassword = try row.get("has_password")
    }
}

/// Why a sign-up or password change was refused; the message is shown to the person.
public struct AccountError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }

    static let invalidEmail = AccountError(message: "Enter a valid email address.")
    static let passwordTooShort = AccountError(message: "Use a password of at least \(Credentials.minimumPasswordLength) characters.")
    static let passwordTooLong = AccountError(message: "Use a password of at most \(Credentials.maximumPasswordLength) characters.")
    static let passwordBlank = AccountError(message: "A password of only spaces is easy to guess; choose another.")
    static let passwordCommon = AccountError(message: "That password is one of the most common ones; choose another.")
    static let wrongCurrentPassword = AccountError(message: "Your current password is not correct.")
    static let noPasswordYet = AccountError(message: "Your account has no password yet: use “Email me a link to set a password”.")
    /// Shown by `pictor admin` only: the sign-up page gives the same answer whether or not an
    /// address is taken.
    static let emailTaken = AccountError(message: "An account with this email already exists.")
}

enum Credentials {
    static let minimumPasswordLength = 10
    static let maximumPasswordLength = 1024

    /// Trimmed, in Unicode NFC and lower-cased, so one address is one account however it is
    /// typed: "é" as one code point or as "e" plus a combining accent is the same address.
    static func normalizedEmail(_ raw: String) throws -> String {
        // NFC before lower-casing makes canonically equal spellings one string; NFC again after
        // it, as lower-casing is not guaranteed to keep a string in NFC.
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
            .lowercased().precomposedStringWithCanonicalMapping
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        // Format characters (zero-width space and joiner, bidi overrides, soft hyphen…) are
        // invisible and would let one address pass for another; looked for before trimming,
        // which removes some of them at the ends.
        guard email.count >= 3, email.utf8.count <= 254, parts.count == 2,
              !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !email.contains(where: \.isWhitespace),
              !email.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
              !raw.unicodeScalars.contains(where: { $0.properties.generalCategory == .format })
        else { throw AccountError.invalidEmail }
        return email
    }

    /// The rules for a new password (sign-up, password change, `pictor admin create-user`).
    static func validatePassword(_ password: String, common: CommonPasswords) throws {
        if password.count < minimumPasswordLength { throw AccountError.passwordTooShort }
        if password.count > maximumPasswordLength { throw AccountError.passwordTooLong }
        if password.allSatisfy(\.isWhitespace) { throw AccountError.passwordBlank }
        if common.contains(password) { throw AccountError.passwordCommon }
    }
}
