// Links to private files in the local store that nginx checks by itself (its secure_link module),
// so a page's thumbnails cost no request to the pool.

import Codecs
import Crypto
import Foundation

/// `/private-media/<key>?e=<expiry>&s=<signature>`: nginx recomputes the signature from the
/// link's expiry, its path and the shared secret (`secure_link_md5 "$secure_link_expires$uri
/// <secret>"` in nginx/site.conf.in), refuses a wrong one (403) or a past expiry (410), and
/// then sends the file from `media/private/`, or 404 when it is no longer there (deleted, or
/// moved by publishing or unpublishing).
///
/// A signed link is a capability: whoever holds it sees the image until it expires, without
/// being asked who they are, exactly like a presigned S3 URL. Pages hand them out only to the
/// image's owner, and a leaked one dies within two windows. The pool's
/// `/generations/{id}/{file}` routes still check the owner on every request (API clients use them).
struct SignedMediaLink: Sendable {
    /// The public location nginx checks; `media/private/` behind it. Only nginx serves it.
    static let pathPrefix = "/private-media/"
    /// Links expire on a whole multiple of this many seconds, so every page shown within one
    /// window links an image at the same URL and browsers find it in their cache. nginx's
    /// `Cache-Control: max-age` for these files (site.conf.in) is half of it: see `expiry(at:)`.
    static let window = 3600

    /// Letters, digits, `-` and `_` only: it is written into nginx's config inside a quoted
    /// string, where `$` would start a variable. At least 32 of them (`openssl rand -hex 32`).
    static func isValidSecret(_ secret: String) -> Bool {
        secret.utf8.count >= 32 && secret.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    let secret: String

    /// When links made at `now` expire: the end of the window after the current one, so between
    /// one and two windows from now. Browsers may keep the file for half a window (site.conf.in),
    /// so a copy fetched up to half a window after the page was made is dropped before the link
    /// dies (nginx cannot do arithmetic to send the exact time left). Only an image first
    /// fetched later than that, from a page left open, can stay in a browser past its link's
    /// end, by at most that delay.
    static func expiry(at now: Date) -> Int {
        let seconds = Int(now.timeIntervalSince1970)
        return (seconds / window + 2) * window
    }

    /// The URL nginx serves the private file `key` at until `expires` (Unix seconds).
    func url(for key: String, expires: Int) -> String {
        let path = Self.pathPrefix + key
        return path + "?e=" + String(expires) + "&s=" + signature(path: path, expires: expires)
    }

    /// What nginx compares with the `s` argument: the MD5 of "<expires><path> <secret>", in
    /// base64url without padding. The expiry is all digits and the path starts with `/`, so
    /// no two (expiry, path) pairs hash the same text.
    func signature(path: String, expires: Int) -> String {
        Base64URL.encode(Crypto.md5(Array((String(expires) + path + " " + secret).utf8)))
    }
}
