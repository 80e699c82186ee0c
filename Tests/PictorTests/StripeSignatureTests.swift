// The Stripe-Signature check, as Stripe specifies it: HMAC-SHA256 of "t.body", any v1, 300 s.

import Codecs
import Crypto
import Foundation
@testable import Pictor
import XCTest

final class StripeSignatureTests: XCTestCase {
    let secret = "whsec_test_secret"
    let body = Array(#"{"id":"evt_1","type":"invoice.paid"}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_780_000_000)
    var t: Int { Int(now.timeIntervalSince1970) }

    private func v1(_ body: [UInt8], at timestamp: Int, secret: String? = nil) -> String {
        Hex.encode(Crypto.hmacSHA256(key: Array((secret ?? self.secret).utf8), message: Array("\(timestamp).".utf8) + body))
    }

    private func verify(_ header: String?, body: [UInt8]? = nil) -> StripeSignature.Failure? {
        do {
            try StripeSignature.verify(header: header, body: body ?? self.body, secret: secret, now: now)
            return nil
        } catch {
            return error as? StripeSignature.Failure
        }
    }

    func testAValidSignatureWithinTheToleranceIsAccepted() {
        XCTAssertNil(verify("t=\(t),v1=\(v1(body, at: t))"))
        XCTAssertNil(verify("t=\(t - 300),v1=\(v1(body, at: t - 300))"), "300 s old is still in time")
        XCTAssertNil(verify("t=\(t), v1=\(v1(body, at: t).uppercased())"), "spaces and hex case do not matter")
    }

    func testAnyV1MayMatchAndOtherSchemesAreNotChecked() {
        let old = v1(body, at: t, secret: "whsec_old_secret")
        XCTAssertNil(verify("t=\(t),v1=\(old),v1=\(v1(body, at: t)),v0=deadbeef"))
        XCTAssertEqual(verify("t=\(t),v0=\(v1(body, at: t))"), .malformedHeader, "a v0 alone proves nothing")
    }

    func testForgedStaleAndMalformedHeadersAreRefused() {
        XCTAssertEqual(verify(nil), .missingHeader)
        XCTAssertEqual(verify(""), .missingHeader)
        XCTAssertEqual(verify("v1=\(v1(body, at: t))"), .malformedHeader)
        XCTAssertEqual(verify("t=soon,v1=\(v1(body, at: t))"), .malformedHeader)
        XCTAssertEqual(verify("t=\(t - 301),v1=\(v1(body, at: t - 301))"), .stale)
        XCTAssertEqual(verify("t=\(t + 301),v1=\(v1(body, at: t + 301))"), .stale)
        XCTAssertEqual(verify("t=\(t),v1=\(v1(body, at: t, secret: "whsec_other"))"), .mismatch)
        XCTAssertEqual(verify("t=\(t),v1=\(v1(body, at: t - 1))"), .mismatch, "the timestamp is part of what is signed")
        XCTAssertEqual(verify("t=\(t),v1=\(v1(body, at: t))", body: body + [0x20]), .mismatch, "one byte more")
        XCTAssertEqual(verify("t=\(t),v1=\(v1(body, at: t).dropLast(2))"), .mismatch)
    }
}
