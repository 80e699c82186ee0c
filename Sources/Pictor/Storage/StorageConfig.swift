// The [storage] section: the local directory (default) or an S3-compatible bucket.

import Foundation

extension Config {
    public struct Storage: Sendable {
        public enum Backend: String, Sendable { case local, s3 }
        public var backend = Backend.local
        /// `https://s3.us-east-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`, `http://127.0.0.1:9000`.
        public var s3Endpoint = ""
        public var s3Bucket = ""
        /// Signed into every request; `auto` for Cloudflare R2.
        public var s3Region = "us-east-1"
        /// `endpoint/bucket/key` (MinIO, R2, S3) rather than `bucket.endpoint/key`.
        public var s3PathStyle = true
        public var s3AccessKey = ""
        /// Normally from the environment: PICTOR_STORAGE_S3_SECRET_KEY.
        public var s3SecretKey = ""
        /// Where the bucket's `public/` objects are served (a CDN), e.g. `https://images.example.com/public`.
        public var publicBaseURL = ""
        /// How long a private image's signed URL works.
        public var presignSeconds = 300
        /// Signs the links pages show private images at, which nginx checks itself (local
        /// storage; nginx's site must be rendered with the same secret). Normally from the
        /// environment: PICTOR_STORAGE_LINK_SECRET. Nil: pages link private images through the pool.
        public var linkSecret: String?

        public init() {}

        static let keys = [
            "storage.backend", "storage.s3_endpoint", "storage.s3_bucket", "storage.s3_region", "storage.s3_path_style",
            "storage.s3_access_key", "storage.s3_secret_key", "storage.public_base_url", "storage.presign_seconds",
            "storage.link_secret",
        ]

        /// Reads the section; an S3 backend must name everything it needs, so a gap is found at
        /// start rather than at the first image.
        mutating func apply(_ values: [String: String]) throws {
            if let text = values["storage.backend"] {
                guard let value = Backend(rawValue: text.lowercased()) else {
                    throw ConfigError(description: "storage.backend must be local or s3, got '\(text)'")
                }
                backend = value
            }
            if let value = values["storage.s3_endpoint"] { s3Endpoint = value.hasSuffix("/") ? String(value.dropLast()) : value }
            if let value = values["storage.s3_bucket"] { s3Bucket = value }
            if let value = values["storage.s3_region"], !value.isEmpty { s3Region = value }
            if let text = values["storage.s3_path_style"] {
                switch text.lowercased() {
                case "on", "true", "yes", "1": s3PathStyle = true
                case "off", "false", "no", "0": s3PathStyle = false
                default: throw ConfigError(description: "storage.s3_path_style must be on or off, got '\(text)'")
                }
            }
            if let value = values["storage.s3_access_key"] { s3AccessKey = value }
            if let value = values["storage.s3_secret_key"] { s3SecretKey = value }
            if let value = values["storage.public_base_url"] {
                publicBaseURL = value.hasSuffix("/") ? String(value.dropLast()) : value
            }
            if let text = values["storage.presign_seconds"] {
                // SigV4 caps a presigned URL at seven days.
                guard let value = Int(text), (1...604_800).contains(value) else {
                    throw ConfigError(description: "storage.presign_seconds must be a whole number in 1…604800, got '\(text)'")
                }
                presignSeconds = value
            }
            if let value = values["storage.link_secret"], !value.isEmpty {
                guard SignedMediaLink.isValidSecret(value) else {
                    throw ConfigError(description: "storage.link_secret must be at least 32 letters, digits, - or _ (e.g. openssl rand -hex 32); it is written into nginx's config")
                }
                linkSecret = value
            }
            guard backend == .s3 else { return }
            if !(s3Endpoint.hasPrefix("https://") || s3Endpoint.hasPrefix("http://")) {
                throw ConfigError(description: "storage.s3_endpoint must be an http(s) URL such as https://s3.us-east-1.amazonaws.com, got '\(s3Endpoint)'")
            }
            for (key, value) in [("storage.s3_bucket", s3Bucket), ("storage.s3_access_key", s3AccessKey),
                                 ("storage.s3_secret_key", s3SecretKey)] where value.isEmpty {
                throw ConfigError(description: "\(key) is required when storage.backend = s3"
                                  + (key.hasSuffix("secret_key") ? " (set PICTOR_STORAGE_S3_SECRET_KEY)" : ""))
            }
            if !(publicBaseURL.hasPrefix("https://") || publicBaseURL.hasPrefix("http://")) {
                throw ConfigError(description: "storage.public_base_url must be the http(s) URL public images are served from when storage.backend = s3, got '\(publicBaseURL)'")
            }
        }
    }
}
