// A local stand-in for the two Stripe API calls Pictor makes, speaking Stripe's wire format:
// form-encoded POSTs with `Authorization: Bearer sk_…`, JSON answers, Stripe's error object.
//   POST /v1/checkout/sessions        → {"id": "cs_test_…", "object": "checkout.session", "url", …}
//   POST /v1/billing_portal/sessions  → {"id": "bps_…", "object": "billing_portal.session", "url", …}
//   DELETE /v1/subscriptions/{id}     → {"id", "object": "subscription", "status": "canceled"}
// `Idempotency-Key` works as Stripe's does: the same key with the same body answers the first
// answer again; with another body, 400 idempotency_error. A price the fake was not given is
// 400 "No such price"; `failing` makes every call answer that status. Also builds webhook
// events and signs them as Stripe does, for tests to deliver.

import Crypto
import Codecs
import Foundation

public final class FakeStripe: Sendable {
    public let server: TestHTTPServer
    public let secretKey = "sk_test_fake_51Pictor"
    public let webhookSecret = "whsec_fake_pictor_tests"
    public var url: String { "http://127.0.0.1:\(server.port)" }

    /// One session the fake created: its id and the form fields it was created with.
    public struct Created: Sendable {
        public let id: String
        public let url: String
        public let form: [String: String]
        public let idempotencyKey: String?
    }

    private struct State: Sendable {
        var checkouts: [Created] = []
        var portals: [Created] = []
        /// Idempotency-Key → (body, answer).
        var answered: [String: ([UInt8], ScriptedResponse)] = [:]
        var failing: Int?
        var cancelled: [String] = []
    }

    private let state = Locked(State())

    public init(prices: Set<String>) {
        let state = self.state
        let key = secretKey
        server = TestHTTPServer { request in
            guard request.header("Authorization") == "Bearer \(key)" else {
                return Self.error(401, type: "invalid_request_error", code: nil, "Invalid API Key provided: sk_test_****xxxx")
            }
            if let status = state.withLock({ $0.failing }) {
                return Self.error(status, type: "api_error", code: nil, "An unknown error occurred")
            }
            let idempotencyKey = request.header("Idempotency-Key")
            if let idempotencyKey, let (body, answer) = state.withLock({ $0.answered[idempotencyKey] }) {
                return body == request.body ? answer
                    : Self.error(400, type: "idempotency_error", code: nil,
                                 "Keys for idempotent requests can only be used with the same parameters they were first used with.")
            }
            let form = Self.decodeForm(request.body)
            let answer: ScriptedResponse
            switch (request.method, request.target) {
            case ("POST", "/v1/checkout/sessions"):
                answer = Self.checkout(form, prices: prices, idempotencyKey: idempotencyKey, state: state)
            case ("POST", "/v1/billing_portal/sessions"):
                answer = Self.portal(form, state: state)
            case ("DELETE", let target) where target.hasPrefix("/v1/subscriptions/sub_"):
                let id = String(target.dropFirst("/v1/subscriptions/".count))
                state.withLock { $0.cancelled.append(id) }
                answer = FakeImages.json(["id": id, "object": "subscription", "status": "canceled"])
            default:
                answer = Self.error(404, type: "invalid_request_error", code: nil, "Unrecognized request URL (\(request.method): \(request.target)).")
            }
            if let idempotencyKey { state.withLock { $0.answered[idempotencyKey] = (request.body, answer) } }
            return answer
        }
    }

    public var checkoutSessions: [Created] { state.withLock { $0.checkouts } }
    public var portalSessions: [Created] { state.withLock { $0.portals } }
    /// Subscriptions cancelled through `DELETE /v1/subscriptions/{id}`.
    public var cancelledSubscriptions: [String] { state.withLock { $0.cancelled } }
    /// Every call answers this status (Stripe down, or refusing) until set back to nil.
    public func setFailing(_ status: Int?) { state.withLock { $0.failing = status } }
    public func stop() { server.stop() }

    private static func checkout(_ form: [String: String], prices: Set<String>, idempotencyKey: String?, state: Locked<State>) -> ScriptedResponse {
        for field in ["mode", "line_items[0][price]", "success_url", "cancel_url"] where form[field] == nil {
            return error(400, type: "invalid_request_error", code: "parameter_missing", "Missing required param: \(field).")
        }
        let price = form["line_items[0][price]"]!
        guard prices.contains(price) else {
            return error(400, type: "invalid_request_error", code: "resource_missing", "No such price: '\(price)'")
        }
        guard ["payment", "subscription"].contains(form["mode"]!) else {
            return error(400, type: "invalid_request_error", code: nil, "Invalid mode: must be one of payment, setup, or subscription")
        }
        if form["customer"] != nil, form["customer_email"] != nil {
            return error(400, type: "invalid_request_error", code: nil, "You may only specify one of these parameters: customer, customer_email.")
        }
        let created = state.withLock { state -> Created in
            let id = "cs_test_\(state.checkouts.count + 1)_\(UUID().uuidString.prefix(8))"
            let session = Created(id: id, url: "https://checkout.stripe.com/c/pay/\(id)", form: form, idempotencyKey: idempotencyKey)
            state.checkouts.append(session)
            return session
        }
        return FakeImages.json(["id": created.id, "object": "checkout.session", "url": created.url, "mode": form["mode"]!,
                                "status": "open", "payment_status": "unpaid", "client_reference_id": form["client_reference_id"].map { $0 as Any } ?? NSNull()])
    }

    private static func portal(_ form: [String: String], state: Locked<State>) -> ScriptedResponse {
        guard let customer = form["customer"], customer.hasPrefix("cus_") else {
            return error(400, type: "invalid_request_error", code: "resource_missing", "No such customer: '\(form["customer"] ?? "")'")
        }
        let created = state.withLock { state -> Created in
            let id = "bps_test_\(state.portals.count + 1)"
            let session = Created(id: id, url: "https://billing.stripe.com/p/session/\(id)", form: form, idempotencyKey: nil)
            state.portals.append(session)
            return session
        }
        return FakeImages.json(["id": created.id, "object": "billing_portal.session", "url": created.url, "customer": customer,
                                "return_url": form["return_url"].map { $0 as Any } ?? NSNull()])
    }

    static func error(_ status: Int, type: String, code: String?, _ message: String) -> ScriptedResponse {
        var detail: [String: Any] = ["type": type, "message": message]
        if let code { detail["code"] = code }
        return FakeImages.json(["error": detail], status: status)
    }

    static func decodeForm(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    // MARK: Webhooks

    /// An event as Stripe delivers it.
    public static func event(_ id: String, type: String, object: [String: Any]) -> [UInt8] {
        let event: [String: Any] = ["id": id, "object": "event", "api_version": "2025-03-31.basil", "type": type,
                                    "created": Int(Date().timeIntervalSince1970), "livemode": false, "pending_webhooks": 1,
                                    "data": ["object": object]]
        return Array(try! JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
    }

    /// The `Stripe-Signature` header Stripe would send with `body`.
    public func signature(for body: [UInt8], timestamp: Int = Int(Date().timeIntervalSince1970), secret: String? = nil) -> String {
        let mac = Crypto.hmacSHA256(key: Array((secret ?? webhookSecret).utf8), message: Array("\(timestamp).".utf8) + body)
        return "t=\(timestamp),v1=\(Hex.encode(mac))"
    }
}
