// An in-memory S3-compatible bucket for tests: PUT (and server-side copy), GET, HEAD, DELETE,
// path-style and virtual-host addressing, and SigV4 checked by code of its own.

import Codecs
import Crypto
import Foundation

/// One bucket on 127.0.0.1 that refuses anything not signed with its key pair, as S3 does:
/// 403 `SignatureDoesNotMatch` or `AccessDenied` with S3's XML error body, 404 `NoSuchKey`.
public final class FakeS3: @unchecked Sendable {
    public struct Object: Sendable {
        public var bytes: [UInt8]
        public var contentType: String?
        public var cacheControl: String?
    }

    public let bucket: String
    public let accessKey: String
    public let secretKey: String
    public let region: String
    private let lock = NSLock()
    private var objects: [String: Object] = [:]
    private var offset: TimeInterval = 0
    private var server: TestHTTPServer!

    public init(bucket: String = "pictor-test", accessKey: String = "FAKEACCESSKEY",
                secretKey: String = "fake/secret+key", region: String = "us-east-1") {
        self.bucket = bucket
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        server = TestHTTPServer { [unowned self] request in self.handle(request) }
    }

    /// `http://127.0.0.1:<port>`: the endpoint for path-style requests.
    public var endpoint: String { "http://127.0.0.1:\(server.port)" }
    public var port: UInt16 { server.port }
    public var requests: [ReceivedRequest] { server.requests }

    /// The object stored under `key` (`public/ab/…png`), if any.
    public func object(_ key: String) -> Object? { lock.withLock { objects[key] } }
    public var keys: [String] { lock.withLock { objects.keys.sorted() } }

    /// Moves the fake's clock, to see presigned URLs expire.
    public func advanceClock(by seconds: TimeInterval) { lock.withLock { offset += seconds } }
    private var now: Date { Date().addingTimeInterval(lock.withLock { offset }) }

    public func stop() { server.stop() }

    // MARK: - Requests

    private func handle(_ request: ReceivedRequest) -> ScriptedResponse {
        let (rawPath, rawQuery) = split(request.target)
        let query = parseQuery(rawQuery)
        if let refusal = verify(request, rawPath: rawPath, query: query) { return refusal }
        guard let key = objectKey(request, rawPath: rawPath) else {
            return error(404, "NoSuchBucket", "The specified bucket does not exist.")
        }
        switch request.method {
        case "PUT":
            if let source = request.header("x-amz-copy-source") {
                let decoded = percentDecode(source)
                let prefix = "/" + bucket + "/"
                let name = decoded.hasPrefix(prefix) ? String(decoded.dropFirst(prefix.count)) : decoded
                guard let original = lock.withLock({ objects[name] }) else {
                    return error(404, "NoSuchKey", "The specified key does not exist.")
                }
                lock.withLock { objects[key] = original }
                return ScriptedResponse(headers: [("Content-Type", "application/xml")], body: Array(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult><ETag>\"fake\"</ETag></CopyObjectResult>".utf8))
            }
            lock.withLock {
                objects[key] = Object(bytes: request.body, contentType: request.header("Content-Type"),
                                      cacheControl: request.header("Cache-Control"))
            }
            return ScriptedResponse(headers: [("ETag", "\"fake\"")])
        case "GET", "HEAD":
            guard let object = lock.withLock({ objects[key] }) else {
                return error(404, "NoSuchKey", "The specified key does not exist.")
            }
            var headers: [(String, String)] = []
            if let type = object.contentType { headers.append(("Content-Type", type)) }
            if let cache = object.cacheControl { headers.append(("Cache-Control", cache)) }
            if request.method == "HEAD" { headers.append(("Content-Length", String(object.bytes.count))) }
            return ScriptedResponse(headers: headers, body: request.method == "HEAD" ? [] : object.bytes)
        case "DELETE":
            _ = lock.withLock { objects.removeValue(forKey: key) }
            return ScriptedResponse(status: 204, reason: "No Content")
        default:
            return error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        }
    }

    /// The object key from a virtual-host request (`bucket.host/key`) or a path-style one
    /// (`host/bucket/key`); nil for another bucket.
    private func objectKey(_ request: ReceivedRequest, rawPath: String) -> String? {
        let path = percentDecode(rawPath)
        if let host = request.header("Host"), host.hasPrefix(bucket + ".") { return String(path.dropFirst()) }
        let prefix = "/" + bucket + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
    }

    // MARK: - SigV4, written apart from Pictor's

    private func verify(_ request: ReceivedRequest, rawPath: String, query: [(String, String)]) -> ScriptedResponse? {
        let fields: [String: String]
        let payloadHash: String
        let amzDate: String
        var canonicalPairs = query
        if let signature = query.first(where: { $0.0 == "X-Amz-Signature" })?.1 {
            var parameters: [String: String] = [:]
            for (name, value) in query { parameters[percentDecode(name)] = percentDecode(value) }
            guard parameters["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256", let credential = parameters["X-Amz-Credential"],
                  let date = parameters["X-Amz-Date"], let expires = parameters["X-Amz-Expires"].flatMap(Int.init),
                  let signed = parameters["X-Amz-SignedHeaders"] else {
                return error(403, "AccessDenied", "Query-string authentication requires all X-Amz parameters.")
            }
            guard let start = parseDate(date), now <= start.addingTimeInterval(TimeInterval(expires)) else {
                return error(403, "AccessDenied", "Request has expired")
            }
            fields = ["Credential": credential, "SignedHeaders": signed, "Signature": signature]
            payloadHash = "UNSIGNED-PAYLOAD"
            amzDate = date
            canonicalPairs.removeAll { $0.0 == "X-Amz-Signature" }
        } else if let authorization = request.header("Authorization") {
            let prefix = "AWS4-HMAC-SHA256 "
            guard authorization.hasPrefix(prefix) else { return error(403, "AccessDenied", "Unsupported authorization type.") }
            var parsed: [String: String] = [:]
            for part in authorization.dropFirst(prefix.count).split(separator: ",") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { parsed[pair[0]] = pair[1] }
            }
            guard let hash = request.header("x-amz-content-sha256"), let date = request.header("x-amz-date") else {
                return error(400, "InvalidRequest", "Missing x-amz-content-sha256 or x-amz-date.")
            }
            if hash != "UNSIGNED-PAYLOAD" && hash != Hex.encode(Crypto.sha256(request.body)) {
                return error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
            }
            fields = parsed
            payloadHash = hash
            amzDate = date
        } else {
            return error(403, "AccessDenied", "Access Denied")
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
              let signature = fields["Signature"] else {
            return error(403, "AccessDenied", "Malformed authorization.")
        }
        let scopeParts = credential.split(separator: "/").map(String.init)
        guard scopeParts.count == 5, scopeParts[0] == accessKey else {
            return error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        }
        guard scopeParts[2] == region, scopeParts[3] == "s3", scopeParts[4] == "aws4_request",
              amzDate.hasPrefix(scopeParts[1]) else {
            debug("FakeS3 scope: \(scopeParts) \(amzDate)")
            return error(403, "SignatureDoesNotMatch", "The credential scope is wrong for this bucket.")
        }
        var headerLines = ""
        for name in signedHeaders.split(separator: ";").map(String.init) {
            guard let value = request.header(name) else {
                debug("FakeS3 missing \(name): \(request.headers)")
                return error(403, "SignatureDoesNotMatch", "Signed header \(name) was not sent.")
            }
            headerLines += name + ":" + value.split(separator: " ").joined(separator: " ") + "\n"
        }
        let canonicalQuery = canonicalPairs
            .map { (strictEncode(percentDecode($0.0)), strictEncode(percentDecode($0.1))) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalPath = percentDecode(rawPath).split(separator: "/", omittingEmptySubsequences: false)
            .map { strictEncode(String($0)) }.joined(separator: "/")
        let canonicalRequest = "\(request.method)\n\(canonicalPath)\n\(canonicalQuery)\n\(headerLines)\n\(signedHeaders)\n\(payloadHash)"
        let scope = scopeParts[1...4].joined(separator: "/")
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + Hex.encode(Crypto.sha256(Array(canonicalRequest.utf8)))
        let dateKey = Crypto.hmacSHA256(key: Array("AWS4\(secretKey)".utf8), message: Array(scopeParts[1].utf8))
        let regionKey = Crypto.hmacSHA256(key: dateKey, message: Array(region.utf8))
        let serviceKey = Crypto.hmacSHA256(key: regionKey, message: Array("s3".utf8))
        let signingKey = Crypto.hmacSHA256(key: serviceKey, message: Array("aws4_request".utf8))
        let expected = Hex.encode(Crypto.hmacSHA256(key: signingKey, message: Array(stringToSign.utf8)))
        guard expected == signature else {
            debug("FakeS3 canonical request:\n\(canonicalRequest)\nheaders: \(request.headers)\ntarget: \(request.target)")
            return error(403, "SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you provided.")
        }
        return nil
    }

    /// Why a request was refused, on stdout when FAKES3_DEBUG is set.
    private func debug(_ message: @autoclosure () -> String) {
        if ProcessInfo.processInfo.environment["FAKES3_DEBUG"] != nil { print(message()) }
    }

    private func parseDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.date(from: text)
    }

    // MARK: - Text

    private func split(_ target: String) -> (String, String) {
        guard let mark = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    private func parseQuery(_ raw: String) -> [(String, String)] {
        raw.split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return (pair[0], pair.count > 1 ? pair[1] : "")
        }
    }

    private func percentDecode(_ text: String) -> String { text.removingPercentEncoding ?? text }

    /// RFC 3986 unreserved characters stay; every other byte becomes %XX.
    private func strictEncode(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        return text.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
    }

    private func error(_ status: Int, _ code: String, _ message: String) -> ScriptedResponse {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
        return ScriptedResponse(status: status, reason: status == 404 ? "Not Found" : status == 403 ? "Forbidden" : "Error",
                                headers: [("Content-Type", "application/xml")], body: Array(body.utf8))
    }
}
