// The `Stripe-Signature` header, checked as Stripe specifies: an HMAC-SHA256 of the timestamp,
// a dot and the raw body, keyed with the endpoint's signing secret.

import Codecs
import Crypto
import Foundation

enum StripeSignature {
    /// How far the signed timestamp may be from now, in seconds: an old delivery replayed by
    /// someone who captured it is refused.
    static let tolerance: TimeInterval = 300

    enum Failure: Error, Equatable {
        case missingHeader, malformedHeader, stale, mismatch

        var message: String {
            switch self {
            case .missingHeader: "The Stripe-Signature header is missing."
            case .malformedHeader: "The Stripe-Signature header is not t=…,v1=…."
            case .stale: "The Stripe-Signature timestamp is more than 300 seconds from now."
            case .mismatch: "No v1 signature in Stripe-Signature matches this body."
            }
        }
    }

    /// Throws unless one of the header's `v1` signatures (Stripe sends several while a secret is
    /// being rolled) is this body's, made within `tolerance` of `now`.
    static func verify(header: String?, body: [UInt8], secret: String, now: Date = Date()) throws {
        guard let header, !header.isEmpty else { throw Failure.missingHeader }
        var timestamp: Int?
        var signatures: [String] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "t": timestamp = Int(pair[1])
            case "v1": signatures.append(pair[1].lowercased())
            default: continue   // v0 (test-mode legacy) and schemes added later are not ours to check
            }
        }
        guard let timestamp, !signatures.isEmpty else { throw Failure.malformedHeader }
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { throw Failure.stale }
        let expected = Array(Hex.encode(sign(body, timestamp: timestamp, secret: secret)).utf8)
        // Every candidate is compared in full, so the time taken says nothing about any of them.
        let matches = signatures.reduce(false) { found, signature in
            Crypto.constantTimeEquals(Array(signature.utf8), expected) || found
        }
        guard matches else { throw Failure.mismatch }
    }

    /// The v1 signature of `body` at `timestamp`.
    static func sign(_ body: [UInt8], timestamp: Int, secret: String) -> [UInt8] {
        Crypto.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body)
    }
}
