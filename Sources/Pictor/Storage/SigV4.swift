// AWS Signature Version 4 for S3: presigned GET URLs (query parameters) and, for tests and
// completeness, the Authorization header. Ordinary requests are signed by libcurl itself.

import Codecs
import Crypto
import Foundation

/// Signs S3 requests with one access key in one region (`auto` for Cloudflare R2).
struct SigV4: Sendable {
    let accessKey: String
    let secretKey: String
    let region: String
    var service = "s3"

    static let algorithm = "AWS4-HMAC-SHA256"
    static let unsignedPayload = "UNSIGNED-PAYLOAD"
    static let emptyPayloadHash = Hex.encode(Crypto.sha256([UInt8]()))

    /// A URL anyone may GET until `expires` seconds after `date`. `path` is the object's path as
    /// it appears in the URL (`/bucket/key` path-style, `/key` virtual-host), not yet encoded.
    func presignedURL(scheme: String, host: String, path: String, date: Date, expires: Int) -> String {
        let (amzDate, day) = Self.timestamps(date)
        let query = [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", accessKey + "/" + scope(day)),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        let canonicalQuery = Self.canonicalQuery(query)
        let canonical = ["GET", Self.encode(path, keepSlash: true), canonicalQuery, "host:" + host + "\n", "host",
                         Self.unsignedPayload].joined(separator: "\n")
        return scheme + "://" + host + Self.encode(path, keepSlash: true) + "?" + canonicalQuery
            + "&X-Amz-Signature=" + signature(canonical, amzDate: amzDate, day: day)
    }

    /// The `Authorization` header for a request carrying `headers` (which must include `host`,
    /// `x-amz-date` and, for S3, `x-amz-content-sha256`); every given header is signed.
    func authorization(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
                       payloadHash: String, date: Date) -> String {
        let (amzDate, day) = Self.timestamps(date)
        let normalised = headers.map { ($0.0.lowercased(), Self.trimmed($0.1)) }.sorted { $0.0 < $1.0 }
        let signedHeaders = normalised.map(\.0).joined(separator: ";")
        let canonical = [method, Self.encode(path, keepSlash: true), Self.canonicalQuery(query),
                         normalised.map { $0.0 + ":" + $0.1 + "\n" }.joined(), signedHeaders, payloadHash]
            .joined(separator: "\n")
        return "\(Self.algorithm) Credential=\(accessKey)/\(scope(day)), SignedHeaders=\(signedHeaders), "
            + "Signature=\(signature(canonical, amzDate: amzDate, day: day))"
    }

    // MARK: - The algorithm

    private func scope(_ day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    private func signature(_ canonicalRequest: String, amzDate: String, day: String) -> String {
        let stringToSign = [Self.algorithm, amzDate, scope(day), Hex.encode(Crypto.sha256(canonicalRequest))]
            .joined(separator: "\n")
        var key = Array(("AWS4" + secretKey).utf8)
        for part in [day, region, service, "aws4_request"] {
            key = Crypto.hmacSHA256(key: key, message: Array(part.utf8))
        }
        return Hex.encode(Crypto.hmacSHA256(key: key, message: Array(stringToSign.utf8)))
    }

    /// `20130524T000000Z` and `20130524`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ n: Int?) -> String {
            let value = n ?? 0
            return value < 10 ? "0" + String(value) : String(value)
        }
        let day: String = String(c.year ?? 1970) + two(c.month) + two(c.day)
        let time: String = two(c.hour) + two(c.minute) + two(c.second)
        return (day + "T" + time + "Z", day)
    }

    /// Names and values encoded, then sorted by name (then value), joined with `&`.
    static func canonicalQuery(_ pairs: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = pairs.map { pair in
            (encode(pair.0, keepSlash: false), encode(pair.1, keepSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// SigV4's URI encoding: everything but `A–Z a–z 0–9 - . _ ~` as %XX (upper case), and `/`
    /// kept as it is in paths. S3 encodes object paths once (no double encoding).
    static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += "%" + String(UnicodeScalar(Hex.digit(byte >> 4, uppercase: true)))
                    + String(UnicodeScalar(Hex.digit(byte & 0xf, uppercase: true)))
            }
        }
        return out
    }

    /// Header values are signed with outer spaces removed and inner runs of spaces made one.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
