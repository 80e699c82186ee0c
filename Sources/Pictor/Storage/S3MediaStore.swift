// Images in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO): public ones under `public/`
// (served from a CDN or the bucket's public URL), private ones under `private/`, reached only
// through short-lived presigned URLs that Pictor hands out after the owner check.

import Codecs
import Crypto
import Foundation
import HTTPClient
import Logging

/// Stores each file as an object `public/<key>` or `private/<key>`, so a bucket policy or a CDN
/// can expose exactly the public prefix. Requests are signed by libcurl (SigV4); moving a file is
/// a server-side copy and then a delete of the source.
struct S3MediaStore: MediaStorage {
    let settings: Config.Storage
    let logger: Logger?
    let signer: SigV4
    /// Objects never change under a key (a new version gets a new key), so caches may keep them.
    static let cacheControl = "public, max-age=31536000, immutable"

    private let scheme: String
    private let endpointHost: String

    init(settings: Config.Storage, logger: Logger?) {
        self.settings = settings
        self.logger = logger
        signer = SigV4(accessKey: settings.s3AccessKey, secretKey: settings.s3SecretKey, region: settings.s3Region)
        let parts = settings.s3Endpoint.components(separatedBy: "://")
        scheme = parts.count == 2 ? parts[0] : "https"
        endpointHost = (parts.last ?? "").split(separator: "/").first.map(String.init) ?? ""
    }

    // MARK: - Addressing

    static func objectName(_ key: String, isPublic: Bool) -> String { (isPublic ? "public/" : "private/") + key }

    /// The host and the (unencoded) path an object is addressed by.
    func address(_ object: String) -> (host: String, path: String) {
        settings.s3PathStyle ? (endpointHost, "/" + settings.s3Bucket + "/" + object)
                             : (settings.s3Bucket + "." + endpointHost, "/" + object)
    }

    func url(_ object: String) -> String {
        let (host, path) = address(object)
        return scheme + "://" + host + SigV4.encode(path, keepSlash: true)
    }

    func publicURL(for key: String) -> String { settings.publicBaseURL + "/" + key }

    /// A URL that lets its holder GET the object for `presign_seconds`.
    func presignedURL(_ key: String, isPublic: Bool, now: Date = Date()) -> String {
        let (host, path) = address(Self.objectName(key, isPublic: isPublic))
        return signer.presignedURL(scheme: scheme, host: host, path: path, date: now, expires: settings.presignSeconds)
    }

    /// Public files from the public URL; private ones through a signed URL that soon expires,
    /// and the redirect itself is never stored by a shared cache.
    func reply(for key: String, isPublic: Bool) throws -> Reply {
        if isPublic { return .redirect(to: publicURL(for: key)) }
        return Reply.redirect(to: presignedURL(key, isPublic: false)).header("Cache-Control", "private, no-store")
    }

    /// None: a presigned URL changes every second (its date is signed), so a page linking one
    /// would defeat browsers' caches; pages link the owner-checked route, which redirects to one.
    func signedLink(for key: String, expires: Int) -> String? { nil }

    // MARK: - Operations

    func write(_ bytes: [UInt8], key: String, isPublic: Bool, contentType: String) throws {
        let client = makeClient()
        try expect(send(client, "PUT", Self.objectName(key, isPublic: isPublic),
                        headers: [("Content-Type", contentType), ("Cache-Control", Self.cacheControl)], body: bytes),
                   "store \(key)")
    }

    func read(_ key: String, isPublic: Bool) throws -> [UInt8]? {
        let response = try send(makeClient(), "GET", Self.objectName(key, isPublic: isPublic))
        if response.status == 404 { return nil }
        try expect(response, "read \(key)")
        return response.body
    }

    func place(_ keys: [String?], isPublic: Bool) throws -> [String] {
        let client = makeClient()
        var missing: [String] = []
        for key in keys.compactMap({ $0 }) {
            let target = Self.objectName(key, isPublic: isPublic), source = Self.objectName(key, isPublic: !isPublic)
            if try exists(client, target) { continue }
            if try copy(client, from: source, to: target) {
                try expectDeleted(send(client, "DELETE", source), "remove \(source)")
            } else if try !exists(client, target) {
                missing.append(key)   // moved by someone else meanwhile, or gone
            }
        }
        return missing
    }

    /// Copies every file first and deletes the public originals only once all copies exist, so
    /// a failure part way leaves the public side as it was.
    func unpublish(_ moves: [(from: String, to: String)]) throws -> [String] {
        let client = makeClient()
        var missing: [String] = [], copied: [(source: String, target: String)] = []
        do {
            for move in moves {
                let target = Self.objectName(move.to, isPublic: false)
                if try exists(client, target) { continue }
                let sources = [Self.objectName(move.from, isPublic: true), Self.objectName(move.from, isPublic: false)]
                if try copy(client, from: sources[0], to: target) {
                    copied.append((sources[0], target))
                } else if try copy(client, from: sources[1], to: target) {
                    copied.append((sources[1], target))
                } else {
                    missing.append(move.from)
                }
            }
        } catch {
            for copy in copied { _ = try? send(client, "DELETE", copy.target) }
            throw error
        }
        var deleted: [(source: String, target: String)] = []
        for copy in copied {
            do {
                try expectDeleted(send(client, "DELETE", copy.source), "remove \(copy.source)")
                deleted.append(copy)
            } catch {
                // Put back what is already gone, so the row (rolled back to public) finds its files.
                for undo in deleted { _ = try? self.copy(client, from: undo.target, to: undo.source) }
                for copy in copied { _ = try? send(client, "DELETE", copy.target) }
                throw error
            }
        }
        return missing
    }

    func delete(_ keys: [String?]) {
        let client = makeClient()
        for key in keys.compactMap({ $0 }) {
            for isPublic in [true, false] {
                let object = Self.objectName(key, isPublic: isPublic)
                do {
                    try expectDeleted(send(client, "DELETE", object), "remove \(object)")
                } catch {
                    // An object left behind costs storage, not privacy: its row is gone and its
                    // name was never guessable.
                    logger?.error("storage: \(error)")
                }
            }
        }
    }

    // MARK: - Requests

    private func makeClient() -> HTTPClient { HTTPClient(connectTimeout: 5, timeout: 30) }

    private func send(_ client: HTTPClient, _ method: String, _ object: String, headers: [(String, String)] = [],
                      body: [UInt8] = []) throws -> HTTPResponse {
        // S3 wants the payload's hash in a header of its own, signed with the rest.
        var request = HTTPRequest(method: method, url: url(object),
                                  headers: headers + [("x-amz-content-sha256", Hex.encode(Crypto.sha256(body)))], body: body)
        request.awsSigV4 = AWSSigV4(region: settings.s3Region, accessKey: settings.s3AccessKey, secretKey: settings.s3SecretKey)
        do {
            return try client.send(request)
        } catch {
            throw StorageError(operation: "\(method) \(object)", status: nil, code: "\(error)")
        }
    }

    private func exists(_ client: HTTPClient, _ object: String) throws -> Bool {
        let response = try send(client, "HEAD", object)
        if response.status == 404 { return false }
        try expect(response, "look up \(object)")
        return true
    }

    /// A server-side copy keeping type and cache headers; false if the source does not exist.
    private func copy(_ client: HTTPClient, from source: String, to target: String) throws -> Bool {
        let response = try send(client, "PUT", target, headers: [
            ("x-amz-copy-source", SigV4.encode("/" + settings.s3Bucket + "/" + source, keepSlash: true)),
            ("x-amz-metadata-directive", "COPY"),
        ])
        if response.status == 404 { return false }
        try expect(response, "copy \(source) to \(target)")
        // S3 may answer 200 and report a failed copy in the body.
        if Self.errorCode(response.body) != nil { throw StorageError(operation: "copy \(source)", status: 200,
                                                                     code: Self.errorCode(response.body) ?? "") }
        return true
    }

    private func expect(_ response: HTTPResponse, _ operation: String) throws {
        guard (200..<300).contains(response.status) else {
            throw StorageError(operation: operation, status: response.status, code: Self.errorCode(response.body) ?? "")
        }
    }

    /// Deleting what is already gone is not an error.
    private func expectDeleted(_ response: HTTPResponse, _ operation: String) throws {
        if response.status == 404 { return }
        try expect(response, operation)
    }

    /// `<Error><Code>…</Code>` from an S3 error body.
    static func errorCode(_ body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        guard text.contains("<Error>"), let start = text.range(of: "<Code>"),
              let end = text.range(of: "</Code>", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }
}

/// A bucket request that failed: what was tried, the HTTP status and S3's error code.
struct StorageError: Error, CustomStringConvertible {
    let operation: String
    let status: Int?
    let code: String
    var description: String { "cannot \(operation): " + (status.map { "HTTP \($0) " } ?? "") + code }
}
