// Sending one mail over SMTP with libcurl: `smtp://` with STARTTLS when the server offers it,
// `smtps://` with TLS from the first byte, AUTH when a user name is given.
internal import CCurl

/// Where and as whom mail is sent.
public struct SMTPServer: Sendable {
    /// `smtp://host:587` or `smtps://host:465`.
    public var url: String
    public var username: String?
    public var password: String?
    /// Refuse to send (and so to authenticate) over a connection the server would not encrypt.
    public var requireTLS: Bool
    public var timeout: Double

    public init(url: String, username: String? = nil, password: String? = nil, requireTLS: Bool = false, timeout: Double = 30) {
        self.url = url
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.timeout = timeout
    }
}

/// One SMTP transaction per call, on a fresh libcurl handle (mail is rare; no connection kept).
public enum SMTPClient {
    /// Sends `message` (a complete RFC 5322 message, CRLF line endings) from `from` to `recipients`.
    /// Throws `HTTPClientError` with libcurl's reason (refused, timed out, a 4xx/5xx reply…).
    public static func send(_ message: [UInt8], from: String, to recipients: [String], via server: SMTPServer) throws {
        precondition(curlGlobalInit == CURLE_OK, "curl_global_init failed")
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }

        var list: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(list) }
        for recipient in recipients {
            guard let appended = curl_slist_append(list, "<\(recipient)>") else {
                throw HTTPClientError(code: Int32(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
            }
            list = appended
        }

        func set(_ option: CURLoption, _ value: Int) throws {
            try check(pictor_curl_setopt_long(handle, option, value), errorBuffer)
        }
        func set(_ option: CURLoption, string: String) throws {
            try check(pictor_curl_setopt_string(handle, option, string), errorBuffer)
        }
        try set(CURLOPT_URL, string: server.url)
        try set(CURLOPT_PROTOCOLS_STR, string: "smtp,smtps")
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(min(server.timeout, 15) * 1000))
        try set(CURLOPT_TIMEOUT_MS, Int(server.timeout * 1000))
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        // smtps:// is TLS from the start whatever this says; for smtp:// it is STARTTLS.
        try set(CURLOPT_USE_SSL, Int(server.requireTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_TRY.rawValue))
        if let username = server.username {
            try set(CURLOPT_USERNAME, string: username)
            try set(CURLOPT_PASSWORD, string: server.password ?? "")
        }
        try set(CURLOPT_MAIL_FROM, string: "<\(from)>")
        try check(pictor_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, list), errorBuffer)
        try check(pictor_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), errorBuffer)
        try set(CURLOPT_UPLOAD, 1)

        let source = MessageSource(message)
        try check(pictor_curl_setopt_callback(handle, CURLOPT_READFUNCTION, readCallback), errorBuffer)
        try check(pictor_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()), errorBuffer)
        let result = withExtendedLifetime(source) { curl_easy_perform(handle) }
        try check(result, errorBuffer)
    }

    private static func check(_ code: CURLcode, _ errorBuffer: UnsafeMutablePointer<CChar>) throws {
        guard code != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        throw HTTPClientError(code: Int32(code.rawValue), message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
    }
}

/// The message libcurl reads in pieces.
private final class MessageSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private let readCallback: pictor_curl_callback = { buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    let source = Unmanaged<MessageSource>.fromOpaque(context).takeUnretainedValue()
    let length = min(size * count, source.bytes.count - source.offset)
    guard length > 0 else { return 0 }   // 0: the end of the message
    source.bytes.withUnsafeBufferPointer { all in
        buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
            $0.update(from: all.baseAddress! + source.offset, count: length)
        }
    }
    source.offset += length
    return length
}
