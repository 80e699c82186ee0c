// The one way a state change tells the person what happened: the handler names a notice on its
// redirect, a short-lived cookie carries it (its name and a count, never free text), and the
// next page shows it once, whatever page that is.

/// What happened, as the next page says it.
enum Notice: String, CaseIterable, Sendable {
    case imageDeleted = "image-deleted"
    case imagesDeleted = "images-deleted"
    case published
    case unpublished
    case favorited
    case unfavorited
    case keyRevoked = "key-revoked"
    case passwordChanged = "password-changed"
    case passwordChangedKeysRevoked = "password-changed-keys-revoked"
    case passwordReset = "password-reset"
    case verificationSent = "verification-sent"
    case accountDeleted = "account-deleted"
    case welcome
    case accountClaimed = "account-claimed"
    case identityLinked = "identity-linked"
    case identityAlreadyLinked = "identity-already-linked"
    case identityTaken = "identity-taken"
    case identityUnlinked = "identity-unlinked"

    /// The text shown; `count` is how many things the action touched, where that varies.
    func message(count: Int) -> String {
        switch self {
        case .imageDeleted: "The image was deleted."
        case .imagesDeleted: count == 1 ? "1 image was deleted." : "\(count) images were deleted."
        case .published: "The image is public: anyone with its link can see it, and it may appear on Explore."
        case .unpublished: "The image is private again; its old public links no longer work."
        case .favorited: "Added to your favorites."
        case .unfavorited: "Removed from your favorites."
        case .keyRevoked: "The API key was revoked. Programs using it can no longer call the API."
        case .passwordChanged: "Your password was changed. Other devices have been signed out."
        case .passwordChangedKeysRevoked: "Your password was changed. Other devices have been signed out and every API key was revoked."
        case .passwordReset: "Your new password is saved, and every device was signed out. Log in with it."
        case .verificationSent: "A new confirmation link is on its way to your address."
        case .accountDeleted: "Your account, its images and its data were deleted. A confirmation is on its way to your address."
        case .welcome: count > 0 ? "Welcome! Your account is ready, with \(Format.number(count)) free credits to start." : "Welcome! Your account is ready."
        case .accountClaimed: "You are signed in and your address is confirmed. This account had never confirmed it, so to keep it yours its password, other sessions and API keys were ended. Set a password from your account page if you want one."
        case .identityLinked: "Connected: you can now sign in with it."
        case .identityAlreadyLinked: "That account was connected already."
        case .identityTaken: "That account already signs into another Pictor account, so it was not connected. Disconnect it there first."
        case .identityUnlinked: "Disconnected: it no longer signs you in."
        }
    }

    var kind: Flash.Kind {
        switch self {
        case .accountDeleted, .passwordReset, .verificationSent, .accountClaimed, .identityAlreadyLinked: .info
        case .identityTaken: .error
        default: .success
        }
    }
}

extension RequestContext {
    static let noticeCookie = "pictor_notice"

    /// Shows `notice` on the next page this browser loads (set it on a redirect).
    mutating func notify(_ notice: Notice, count: Int = 1) {
        responseCookies.append(Cookie.set(Self.noticeCookie, "\(notice.rawValue).\(count)", maxAge: 60, secure: request.isHTTPS))
    }

    /// The notice the previous request left, if any; taken, so it shows once.
    mutating func takeNotice() -> Flash? {
        guard let value = cookies[Self.noticeCookie] else { return nil }
        responseCookies.append(Cookie.clear(Self.noticeCookie, secure: request.isHTTPS))
        let parts = value.split(separator: ".", maxSplits: 1)
        guard let notice = Notice(rawValue: String(parts.first ?? "")) else { return nil }
        let count = parts.count == 2 ? Int(parts[1]).map { min(max($0, 0), 10_000) } ?? 1 : 1
        return Flash(kind: notice.kind, message: notice.message(count: count))
    }
}
