// The forms of the password reset.

import Templates

/// `/password/forgot`: asks for the address; then says a link is on its way (whether or not
/// the address has an account).
struct ForgotPasswordPage: PageModel {
    static let template = "password-forgot"
    let title = "Reset your password"
    var csrfToken: String
    var email: String?
    var error: String?
    var sent = false

    init(csrfToken: String, email: String? = nil) {
        self.csrfToken = csrfToken
        self.email = email
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["csrf_token": .text(csrfToken), "sent": .flag(sent)]
        fields.add("email", email)
        fields.add("error", error)
        return fields
    }
}

/// `/password/reset?token=…`: the new-password form, or (token nil) why the link does not work.
struct ResetPasswordPage: PageModel {
    static let template = "password-reset"
    let title = "Choose a new password"
    var csrfToken: String
    var token: String?
    var error: String?

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["csrf_token": .text(csrfToken), "min_length": .number(Credentials.minimumPasswordLength)]
        fields.add("token", token)
        fields.add("error", error)
        return fields
    }
}
