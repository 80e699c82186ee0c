// Text-format encoding and decoding without a server: dates, bytea, booleans, numbers.

import Foundation
import Postgres
import XCTest

final class EncodingTests: XCTestCase {
    func testDateEncodesAsUTCISO8601WithMicroseconds() {
        let date = Date(timeIntervalSince1970: 1_795_595_282.123456)
        XCTAssertEqual(date.postgresText, "2026-11-25T08:28:02.123456Z")
        XCTAssertEqual(Date(timeIntervalSince1970: 0).postgresText, "1970-01-01T00:00:00.000000Z")
        XCTAssertEqual(Date(timeIntervalSince1970: -0.5).postgresText, "1969-12-31T23:59:59.500000Z")
    }

    func testDateDecodesServerOutputWithAndWithoutFraction() throws {
        XCTAssertEqual(try Date(postgresText: "2026-11-25 08:28:02+00").timeIntervalSince1970, 1_795_595_282)
        XCTAssertEqual(try Date(postgresText: "2026-11-25 08:28:02.5+00").timeIntervalSince1970, 1_795_595_282.5)
        XCTAssertEqual(try Date(postgresText: "2026-11-25 08:28:02.123456+00").timeIntervalSince1970,
                       1_795_595_282.123456, accuracy: 1e-6)
        XCTAssertEqual(try Date(postgresText: "2026-11-25T08:28:02.123456Z").timeIntervalSince1970,
                       1_795_595_282.123456, accuracy: 1e-6)
    }

    func testDateDecodesAnyUTCOffset() throws {
        XCTAssertEqual(try Date(postgresText: "2026-11-25 13:58:02+05:30").timeIntervalSince1970, 1_795_595_282)
        XCTAssertEqual(try Date(postgresText: "2026-11-25 05:28:02-03").timeIntervalSince1970, 1_795_595_282)
        XCTAssertEqual(try Date(postgresText: "1999-12-31 23:59:59").timeIntervalSince1970, 946_684_799)
        XCTAssertEqual(try Date(postgresText: "0001-01-01").timeIntervalSince1970, -62_135_596_800)
        XCTAssertEqual(try Date(postgresText: "infinity"), .distantFuture)
    }

    func testMalformedDateThrowsDecodingError() {
        for text in ["", "2026-13-01", "2026-11-25 08:28", "yesterday", "2026-11-25 08:28:02+00 junk", "2026-11-25 08:28:02."] {
            XCTAssertThrowsError(try Date(postgresText: text), text) { error in
                XCTAssertEqual((error as? PostgresError)?.kind, .decoding, text)
            }
        }
    }

    func testDateRoundTripsThroughItsOwnTextAcrossCenturies() throws {
        for seconds in [-62_135_596_800.0, -1.000001, 0, 946_684_799.999999, 1_795_595_282.654321, 253_402_300_799] {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(try Date(postgresText: date.postgresText).timeIntervalSince1970, seconds, accuracy: 1e-6)
        }
    }

    func testByteaUsesHexFormatBothWays() throws {
        XCTAssertEqual([UInt8]([0x00, 0x0a, 0xff]).postgresText, "\\x000aff")
        XCTAssertEqual([UInt8]().postgresText, "\\x")
        XCTAssertEqual(try [UInt8](postgresText: "\\x000AfF"), [0x00, 0x0a, 0xff])
        XCTAssertThrowsError(try [UInt8](postgresText: "\\x0"))
        XCTAssertThrowsError(try [UInt8](postgresText: "\\xzz"))
    }

    func testByteaDecodesLegacyEscapeFormat() throws {
        XCTAssertEqual(try [UInt8](postgresText: "ab\\000\\\\\\377"), [0x61, 0x62, 0x00, 0x5c, 0xff])
    }

    func testScalarsUsePostgresSpellings() throws {
        XCTAssertEqual(true.postgresText, "t")
        XCTAssertEqual(false.postgresText, "f")
        XCTAssertEqual(try Bool(postgresText: "t"), true)
        XCTAssertEqual(try Bool(postgresText: "f"), false)
        XCTAssertThrowsError(try Bool(postgresText: "yes"))
        XCTAssertEqual(Double.infinity.postgresText, "Infinity")
        XCTAssertEqual((-Double.infinity).postgresText, "-Infinity")
        XCTAssertEqual(Double.nan.postgresText, "NaN")
        XCTAssertEqual(try Double(postgresText: "-Infinity"), -.infinity)
        XCTAssertTrue(try Double(postgresText: "NaN").isNaN)
        XCTAssertThrowsError(try Int(postgresText: "12.5"))
        XCTAssertThrowsError(try Int32(postgresText: "2147483648"))
        let id = UUID()
        XCTAssertEqual(try UUID(postgresText: id.postgresText), id)
        XCTAssertEqual(id.postgresText, id.uuidString.lowercased())
    }

    /// Decodes `text` the way a result column is read: from the raw bytes.
    private func fromBytes<T: PostgresDecodable>(_ text: String, as type: T.Type) throws -> T {
        try Array(text.utf8).withUnsafeBufferPointer { try T(postgresBytes: $0) }
    }

    func testUUIDsPrintLowercaseCanonicalAndParseEitherCase() throws {
        let id = UUID(uuidString: "1A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9")!
        XCTAssertEqual(id.postgresText, "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9")
        XCTAssertEqual(try fromBytes("1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9", as: UUID.self), id)
        XCTAssertEqual(try fromBytes("1A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9", as: UUID.self), id)
        XCTAssertEqual(try UUID(postgresText: "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9"), id)
        for _ in 0..<100 {
            let random = UUID()
            XCTAssertEqual(try UUID(postgresText: random.postgresText), random)
        }
        for text in ["", "1a2b3c4d5e6f40718293a4b5c6d7e8f9", "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8fg", "1a2b3c4d-5e6f-4071-8293_a4b5c6d7e8f9"] {
            XCTAssertThrowsError(try fromBytes(text, as: UUID.self), text) { error in
                XCTAssertEqual((error as? PostgresError)?.kind, .decoding, text)
            }
        }
    }

    func testNumbersFlagsAndTimesDecodeStraightFromBytes() throws {
        XCTAssertEqual(try fromBytes("9223372036854775807", as: Int64.self), .max)
        XCTAssertEqual(try fromBytes("-9223372036854775808", as: Int64.self), .min)
        XCTAssertEqual(try fromBytes("-42", as: Int.self), -42)
        XCTAssertEqual(try fromBytes("2147483647", as: Int32.self), .max)
        XCTAssertEqual(try fromBytes("t", as: Bool.self), true)
        XCTAssertEqual(try fromBytes("f", as: Bool.self), false)
        XCTAssertEqual(try fromBytes("2026-11-25 08:28:02.5+00", as: Date.self).timeIntervalSince1970, 1_795_595_282.5)
        XCTAssertEqual(try fromBytes("7", as: Int?.self), 7)
        for text in ["", "-", "12a", "9223372036854775808", "1.5"] {
            XCTAssertThrowsError(try fromBytes(text, as: Int64.self), text)
        }
        XCTAssertThrowsError(try fromBytes("2147483648", as: Int32.self))
        XCTAssertThrowsError(try fromBytes("yes", as: Bool.self))
    }

    func testErrorDescriptionNamesStateAndConstraintButNotTheServersText() {
        let error = PostgresError(kind: .query, sqlState: "23505", message: "unique violation", constraint: "users_email_key",
                                  schema: "public", table: "users",
                                  serverMessage: "duplicate key value violates unique constraint \"users_email_key\"",
                                  serverDetail: "Key (email)=(a@b.c) already exists.")
        XCTAssertTrue(error.isUniqueViolation)
        XCTAssertFalse(error.isCheckViolation)
        XCTAssertFalse(error.isConnectionFailure)
        XCTAssertEqual(error.description, "PostgreSQL error 23505: unique violation [constraint users_email_key, table public.users]")
        XCTAssertTrue(PostgresError(kind: .query, sqlState: "57P01", message: "terminating").isConnectionFailure)
        XCTAssertFalse(PostgresError(kind: .query, sqlState: "08P01", message: "bind message supplies 1 parameters").isConnectionFailure)
    }

    func testDecodingErrorsGiveTheLengthNotTheValue() {
        XCTAssertThrowsError(try UUID(postgresText: "not-a-uuid")) { error in
            XCTAssertEqual((error as? PostgresError)?.message, "cannot decode a 10-byte value as UUID")
        }
        XCTAssertThrowsError(try fromBytes("12a", as: Int64.self)) { error in
            XCTAssertEqual((error as? PostgresError)?.message, "cannot decode a 3-byte value as Int64")
        }
    }
}
