// The pages Stripe Checkout sends people back to.

import Templates

/// /billing/success and /billing/cancel.
struct CheckoutResultPage: PageModel {
    enum Outcome: Sendable {
        /// Paid. `credited` once the webhook has landed; `again` reloads the page.
        case paid(credited: (amount: Int, reason: String)?, balance: Int, again: String)
        case cancelled
    }

    static let template = "checkout-result"
    let outcome: Outcome
    var nav: NavItem? { .pricing }

    var title: String {
        switch outcome {
        case .paid: "Thank you"
        case .cancelled: "Checkout cancelled"
        }
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["heading": .text(title)]
        switch outcome {
        case .paid(let credited?, let balance, _):
            fields.add("message", .text("\(Format.number(credited.amount)) credits were added to your account (\(credited.reason)). "
                                         + "Your balance is \(Format.number(balance)) credits."))
            fields.add("credited", .flag(true))
        case .paid(nil, let balance, let again):
            fields.add("message", .text("Stripe has your payment. Your credits arrive as soon as Stripe confirms it, usually "
                                         + "within seconds; your balance is \(Format.number(balance)) credits until then."))
            fields.add("pending", .flag(true))
            fields.add("again", .text(again))
        case .cancelled:
            fields.add("message", .text("You left the checkout before paying. Nothing was charged and nothing changed."))
            fields.add("cancelled", .flag(true))
        }
        return fields
    }
}
