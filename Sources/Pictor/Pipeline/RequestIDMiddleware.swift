// First step: every request gets an id, sent back as X-Request-ID and named in error logs.

import Codecs
import Crypto

/// nginx passes its `$request_id` as the `REQUEST_ID` param (nginx/fastcgi_params); without
/// nginx a fresh one is made. The id a user reports from the response header finds the log line.
struct RequestIDMiddleware: Middleware {
    func handle(_ context: inout RequestContext, next: Next) throws -> Reply {
        let fromNginx = context.request.params["REQUEST_ID"] ?? ""
        context.requestID = Self.isPlausible(fromNginx) ? fromNginx : Hex.encode(Crypto.randomBytes(16))
        return try next(&context)
    }

    /// Hex or similar, short: anything else (a param could be forged by a misconfigured
    /// proxy) is replaced, so a log line or header never carries odd bytes.
    static func isPlausible(_ id: String) -> Bool {
        (8...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "-")
        }
    }
}
