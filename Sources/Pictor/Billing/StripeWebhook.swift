// POST /webhooks/stripe: Stripe's signed deliveries. Verified before anything is read, applied
// once (BillingStore), answered 200 for duplicates and for types Pictor does not act on, so
// Stripe stops retrying; 400 for anything not signed by Stripe or not an event.

enum StripeWebhook {
    struct Answer: Encodable, Sendable {
        let received = true
        /// This event id was applied before: nothing changed now.
        let duplicate: Bool
        /// What applying it did (also in stripe_events.outcome).
        let outcome: String?
    }

    @Sendable static func receive(_ context: inout RequestContext) throws -> Reply {
        let billing = context.app.config.billing
        guard let secret = billing.stripe.webhookSecret else {
            // Not 400: Stripe retries a 5xx for days, so deliveries made before the operator adds
            // the secret are not lost.
            throw HTTPError(503, code: "webhooks_not_configured",
                            message: "Stripe webhooks are not configured on this instance (stripe.webhook_secret).")
        }
        let body = context.request.body
        do {
            try StripeSignature.verify(header: context.request.header("stripe-signature"), body: body, secret: secret)
        } catch let failure as StripeSignature.Failure {
            context.app.logger.warning("[\(context.requestID)] Stripe webhook refused: \(failure.message)")
            throw HTTPError(400, code: "invalid_signature", message: failure.message)
        }
        let event: StripeEvent
        do {
            event = try StripeEvent(json: body)
        } catch let malformed as StripeEvent.Malformed {
            throw HTTPError.badRequest(malformed.message)
        }
        let result = try BillingStore(db: context.db(), billing: billing).apply(event, payload: body)
        switch result {
        case .duplicate:
            context.app.logger.info("Stripe event \(event.id) (\(event.type)) again: already applied, nothing changed")
            return .json(Answer(duplicate: true, outcome: nil))
        case .applied(let outcome):
            if outcome.hasPrefix("error:") {
                context.app.logger.error("Stripe event \(event.id) (\(event.type)): \(outcome)")
            } else {
                context.app.logger.info("Stripe event \(event.id) (\(event.type)): \(outcome)")
            }
            return .json(Answer(duplicate: false, outcome: outcome))
        }
    }
}
