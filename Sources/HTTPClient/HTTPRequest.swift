// The request value handed to HTTPClient, and form encoding for request bodies and query strings.

import Codecs

/// An HTTP request: method, absolute URL, header fields in order, and body bytes.
public struct HTTPRequest: Sendable {
    /// Method token, e.g. `GET`, `POST`, `HEAD`, `PUT`, `PATCH`, `DELETE`.
    public var method: String
    /// Absolute URL, e.g. `http://127.0.0.1:8080/login`.
    public var url: String
    /// Header fields sent as given, in order. They replace curl's defaults of
    /// the same name (`Accept`, `Content-Type`, …); an empty value sends an empty header.
    public var headers: [(String, String)]
    /// Body bytes. For POST, PUT and PATCH an empty body is sent as `Content-Length: 0`.
    public var body: [UInt8]
    /// When set, libcurl signs the request with AWS Signature Version 4 (S3 and compatibles).
    public var awsSigV4: AWSSigV4? = nil

    /// Creates a request.
    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Credentials and scope for libcurl's own SigV4 signing (`CURLOPT_AWS_SIGV4`).
public struct AWSSigV4: Sendable {
    /// `provider1:provider2:region:service`, e.g. `aws:amz:us-east-1:s3` (`auto` is R2's region).
    public var provider: String
    public var accessKey: String
    public var secretKey: String

    public init(region: String, service: String = "s3", accessKey: String, secretKey: String) {
        provider = "aws:amz:\(region):\(service)"
        self.accessKey = accessKey
        self.secretKey = secretKey
    }
}

extension HTTPRequest {
    /// Serialises pairs as `application/x-www-form-urlencoded`, the way browsers do
    /// (WHATWG URL standard): UTF-8, space as `+`, everything but `A–Z a–z 0–9 * - . _` percent-encoded.
    /// Also usable for query strings.
    public static func formEncoded(_ pairs: [(String, String)]) -> String {
        var out = [UInt8]()
        for (index, (name, value)) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            appendFormEncoded(name, to: &out)
            out.append(UInt8(ascii: "="))
            appendFormEncoded(value, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendFormEncoded(_ string: String, to out: inout [UInt8]) {
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(Hex.digit(byte >> 4, uppercase: true))
                out.append(Hex.digit(byte & 0x0f, uppercase: true))
            }
        }
    }
}
