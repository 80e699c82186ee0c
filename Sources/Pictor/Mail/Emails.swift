// What each mail says. Plain text first; the HTML part says the same with a button-like link.

import Foundation

enum Emails {
    static func passwordReset(to email: String, link: String, site: String) -> Mail {
        compose(.passwordReset, to: email, subject: "Reset your \(site) password",
                lines: ["Someone (we hope you) asked to reset the password of your \(site) account.",
                        "To choose a new password, open this link within an hour. It works once:"],
                link: link, linkLabel: "Choose a new password",
                after: ["Setting a new password signs you out everywhere else.",
                        "If you did not ask for this, ignore this mail: your password stays as it is."],
                site: site)
    }

    static func emailVerification(to email: String, link: String, site: String, bonus: Int?) -> Mail {
        let credits = bonus.map { " and receive your \(Format.number($0)) free credits" } ?? ""
        return compose(.emailVerification, to: email, subject: "Confirm your email address for \(site)",
                       lines: ["Welcome to \(site)!", "Please confirm that this address is yours\(credits) by opening this link (it works for 7 days):"],
                       link: link, linkLabel: "Confirm my address",
                       after: ["If you did not sign up, ignore this mail: nothing happens without the link."],
                       site: site)
    }

    static func lowCredit(to email: String, balance: Int, pricing: String, site: String) -> Mail {
        compose(.lowCredit, to: email, subject: "Your \(site) credits are running low",
                lines: ["Your balance is down to \(Format.number(balance)) credit\(balance == 1 ? "" : "s").",
                        "To keep creating, pick a plan or a credit pack:"],
                link: pricing, linkLabel: "See plans and packs",
                after: ["We send this once each time your balance falls this low."], site: site)
    }

    static func accountDeleted(to email: String, site: String, contact: String) -> Mail {
        compose(.accountDeleted, to: email, subject: "Your \(site) account was deleted",
                lines: ["Your \(site) account and everything in it — images, prompts, API keys — were deleted as you asked.",
                        "Only the payment records tax and accounting law oblige us to keep remain, no longer tied to you."],
                link: nil, linkLabel: nil, after: ["If you did not ask for this, write to \(contact) at once."], site: site)
    }

    private static func compose(_ kind: Mail.Kind, to email: String, subject: String, lines: [String], link: String?,
                                linkLabel: String?, after: [String], site: String) -> Mail {
        var text = lines.joined(separator: "\n\n")
        if let link { text += "\n\n" + link }
        text += "\n\n" + after.joined(separator: "\n\n") + "\n\n— \(site)\n"
        var html = lines.map { "<p>\(escaped($0))</p>" }.joined(separator: "\n")
        if let link, let linkLabel {
            html += "\n<p><a href=\"\(escaped(link))\" style=\"display:inline-block;padding:10px 18px;background:#4f46e5;color:#ffffff;"
                + "text-decoration:none;border-radius:6px\">\(escaped(linkLabel))</a></p>\n<p style=\"color:#555\">\(escaped(link))</p>"
        }
        html += "\n" + after.map { "<p>\(escaped($0))</p>" }.joined(separator: "\n") + "\n<p>— \(escaped(site))</p>"
        html = "<!doctype html>\n<html><body style=\"font-family:sans-serif;line-height:1.5\">\n\(html)\n</body></html>\n"
        return Mail(kind: kind, to: email, subject: subject, text: text, html: html)
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
