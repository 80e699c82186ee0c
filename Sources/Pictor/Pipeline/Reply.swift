// What a handler answers: a typed reply (a page's view model, an Encodable, a redirect…),
// turned into the FastCGI response in one place (`Reply+Response.swift`).

/// A handler's answer. Handlers never build HTML or JSON bytes themselves.
public struct Reply: Sendable {
    enum Body: Sendable {
        /// A page: its view model, rendered inside the layout with the visitor's header.
        case page(any PageModel)
        /// A JSON body (API answers and the error envelope).
        case json(any Encodable & Sendable)
        /// 303 See Other to a local path (or, from `redirect(toExternal:)`, a checked absolute URL).
        case redirect(String)
        /// nginx serves the file at this internal URI (`X-Accel-Redirect`); Pictor only decided.
        case accel(String)
        /// Bytes prepared at start (the OpenAPI document).
        case document([UInt8], contentType: String)
        /// No body (204, or a status with headers only).
        case empty
        /// A download made while it is sent (a data export's ZIP): `produce` gets a function
        /// that sends one piece and returns false once the client has gone away.
        case stream(contentType: String, produce: @Sendable (_ send: ([UInt8]) -> Bool) -> Void)
    }

    var status: Int
    var body: Body
    /// Extra headers (Location, Retry-After, Cache-Control…), set over the defaults.
    var headers: [(name: String, value: String)] = []
    /// Answer with an `ETag` of the body, and 304 to an `If-None-Match` that names it.
    var validated = false

    /// A page from its view model.
    static func page(_ model: some PageModel, status: Int = 200) -> Reply {
        Reply(status: status, body: .page(model))
    }

    /// A JSON answer from an Encodable value.
    static func json(_ value: some Encodable & Sendable, status: Int = 200) -> Reply {
        Reply(status: status, body: .json(value))
    }

    /// 303 See Other: the browser follows with a GET, so a reload never re-posts a form.
    static func redirect(to location: String) -> Reply {
        Reply(status: 303, body: .redirect(location))
    }

    /// 303 to another site's page (Stripe Checkout, the billing portal): an absolute http(s)
    /// URL of visible ASCII only, so nothing it holds can split the Location header.
    static func redirect(toExternal url: String) -> Reply {
        precondition((url.hasPrefix("https://") || url.hasPrefix("http://")) && url.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f },
                     "redirect(toExternal:) needs a checked absolute URL")
        return Reply(status: 303, body: .redirect(url))
    }

    /// Lets nginx serve a file after Pictor checked who may see it.
    static func accel(_ uri: String) -> Reply {
        Reply(status: 200, body: .accel(uri))
    }

    static func empty(status: Int = 204) -> Reply {
        Reply(status: status, body: .empty)
    }

    /// A file download whose bytes are produced while they are sent, named `filename`.
    static func download(filename: String, contentType: String, produce: @escaping @Sendable (_ send: ([UInt8]) -> Bool) -> Void) -> Reply {
        Reply(status: 200, body: .stream(contentType: contentType, produce: produce),
              headers: [("Content-Disposition", "attachment; filename=\"\(filename)\""), ("Cache-Control", "no-store")])
    }

    static func document(_ bytes: [UInt8], contentType: String) -> Reply {
        Reply(status: 200, body: .document(bytes, contentType: contentType))
    }

    /// Sets a header, replacing one of the same name.
    mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    /// The same reply, with an ETag and conditional GETs.
    func withValidator() -> Reply {
        var reply = self
        reply.validated = true
        return reply
    }

    /// The same reply with a header set.
    func header(_ name: String, _ value: String) -> Reply {
        var reply = self
        reply.setHeader(name, value)
        return reply
    }
}

/// A `next` or `back` parameter is only followed when it is a path on this site: it starts with
/// one `/` (not `//` or `/\`, which browsers read as another host) and holds only characters
/// a URL path and query may carry as they are. Anything else is refused whole rather than
/// cleaned: browsers drop tab, CR and LF from URLs, so `/\t/evil.example` would become
/// `//evil.example`, and NUL or other bytes could not go into a Location header at all.
func safeLocalPath(_ candidate: String?) -> String? {
    guard let candidate, candidate.utf8.first == UInt8(ascii: "/"), candidate.utf8.count <= 2048 else { return nil }
    let bytes = Array(candidate.utf8)
    if bytes.count > 1, bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\") { return nil }
    guard bytes.allSatisfy(isLocalPathByte) else { return nil }
    return candidate
}

/// RFC 3986's unreserved and sub-delims characters, plus `/ ? # : @ %`: no controls, spaces,
/// backslashes, quotes or non-ASCII (a path with those arrives percent-encoded).
private func isLocalPathByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "-._~!$&'()*+,;=:@/?#%".utf8.contains(byte)
    }
}
