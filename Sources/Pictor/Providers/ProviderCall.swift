// What every remote provider does the same way: HTTP calls bounded by the job's deadline and
// the provider's timeouts and size cap, the key sent only to the provider, `429 Retry-After`
// honoured, and failures turned into short reasons people can read.

import Foundation
import HTTPClient

struct ProviderCall {
    let settings: ProviderSettings
    let deadline: Date
    /// Sent as X-Request-ID with each call to the provider (not with image downloads).
    var requestID: String? = nil

    /// Sends `request` to the provider (with its key, if it has one) and returns the answer,
    /// whatever its status but 429: a 429 is retried after its `Retry-After` while the deadline
    /// allows, and is `ProviderError.busy` once it does not.
    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        var request = request
        if let key = settings.key { request.headers.append(("Authorization", "Bearer " + key)) }
        // Some services' CDNs refuse requests without a product User-Agent.
        request.headers.append(("User-Agent", "Pictor/1.0"))
        if let requestID { request.headers.append(("X-Request-ID", requestID)) }
        while true {
            let response = try transfer(request)
            guard response.status == 429 else { return response }
            let wait = Self.retryAfter(response) ?? 1
            guard Date().addingTimeInterval(wait) < deadline else { throw ProviderError.busy }
            Thread.sleep(forTimeInterval: wait)
        }
    }

    /// Fetches an image the provider links to. The key is not sent: the link may point at a
    /// CDN or a bucket of another host.
    func download(_ url: String) throws -> [UInt8] {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else { throw ProviderError.failed("it sent no usable image link") }
        let response = try transfer(HTTPRequest(url: url))
        guard response.status == 200 else { throw ProviderError.failed("its image link answered HTTP \(response.status)") }
        return response.body
    }

    /// Checks that `response` succeeded and decodes its JSON body.
    func decode<Answer: Decodable>(_ type: Answer.Type, from response: HTTPResponse) throws -> Answer {
        try Self.check(response)
        guard let answer = try? JSONDecoder().decode(type, from: Data(response.body)) else {
            throw ProviderError.failed("it sent an answer Pictor cannot read")
        }
        return answer
    }

    /// The error for a status other than 2xx.
    static func check(_ response: HTTPResponse) throws {
        switch response.status {
        case 200..<300: return
        case 401, 403: throw ProviderError.failed("it refused this instance's key")
        case 503: throw ProviderError.busy
        default: throw ProviderError.failed("it answered HTTP \(response.status)")
        }
    }

    /// One transfer, bounded by the job's deadline as well as the provider's own timeouts.
    private func transfer(_ request: HTTPRequest) throws -> HTTPResponse {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw ProviderError.timedOut }
        let client = HTTPClient(connectTimeout: min(settings.connectTimeout, remaining),
                                timeout: min(settings.timeout, remaining), maxResponseBytes: settings.maxResponseBytes)
        do {
            return try client.send(request)
        } catch let error as HTTPClientError {
            if error.isTimeout { throw ProviderError.timedOut }
            if error.isTooLarge { throw ProviderError.failed("its answer was larger than \(settings.maxResponseBytes) bytes") }
            throw ProviderError.failed("it could not be reached")
        }
    }

    /// `Retry-After` in seconds (the HTTP-date form is rare from APIs and read as absent).
    static func retryAfter(_ response: HTTPResponse) -> Double? {
        response.header("Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.map { max(0, $0) }
    }

    /// A provider's own words about a failure, made safe to show: one line, printable, short.
    static func shortReason(_ text: String?) -> String? {
        guard let text else { return nil }
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }))
        let trimmed = printable.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        return trimmed.count <= 120 ? trimmed : String(trimmed.prefix(119)) + "…"
    }
}
