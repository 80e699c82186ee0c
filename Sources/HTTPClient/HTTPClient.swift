// Blocking HTTP client over one reused libcurl easy handle, so connections stay alive between calls.
internal import CCurl

/// A blocking HTTP/1.1 client (HTTPS through libcurl's OpenSSL backend); only
/// `http` and `https` URLs are accepted.
///
/// Not thread-safe: create one per thread. Each client keeps one libcurl easy
/// handle, and with it a connection cache, so sequential requests to the same
/// host reuse the kept-alive connection. Redirects are never followed and no
/// cookie engine runs: callers see every 3xx and manage `Cookie` headers.
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let connectTimeoutMilliseconds: Int
    private let timeoutMilliseconds: Int
    private let maxResponseBytes: Int

    /// Creates a client. Timeouts are in seconds: `connectTimeout` bounds the
    /// TCP/TLS connect, `timeout` the whole request including the body. A response body
    /// larger than `maxResponseBytes` aborts the transfer (`HTTPClientError.isTooLarge`), so a
    /// misbehaving server cannot make the caller hold gigabytes.
    public init(connectTimeout: Double = 5, timeout: Double = 30, maxResponseBytes: Int = Int.max) {
        precondition(curlGlobalInit == CURLE_OK, "curl_global_init failed")
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        // Round up so a sub-millisecond timeout never becomes 0, which curl reads as "no timeout".
        connectTimeoutMilliseconds = max(1, Int((connectTimeout * 1000).rounded(.up)))
        timeoutMilliseconds = max(1, Int((timeout * 1000).rounded(.up)))
        self.maxResponseBytes = maxResponseBytes
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and waits for the complete response.
    /// Throws `HTTPClientError` when the transfer fails (timeout, refused, TLS, bad URL …).
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        // curl_easy_reset clears every option but keeps the connection and DNS caches,
        // so nothing from one request (method, headers, body) leaks into the next.
        defer { curl_easy_reset(handle) }
        errorBuffer[0] = 0

        let headerList = try makeHeaderList(for: request)
        defer { curl_slist_free_all(headerList) }

        let transfer = Transfer(limit: maxResponseBytes)
        let context = Unmanaged.passUnretained(transfer).toOpaque()

        try set(CURLOPT_URL, string: request.url)
        try set(CURLOPT_NOSIGNAL, 1)   // signals for DNS timeouts are not thread-safe
        try set(CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMilliseconds)
        try set(CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        try set(CURLOPT_FOLLOWLOCATION, 0)
        // URLs may come from outside (a provider's image link); never let one read file:// or talk gopher.
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        // libcurl's defaults, stated so no one turns them off: the peer's certificate must chain
        // to a trusted CA and name the host (provider keys travel in these requests).
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        try check(pictor_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        if let signing = request.awsSigV4 {
            // Name and password separately: a secret may hold any character, a colon too.
            try set(CURLOPT_AWS_SIGV4, string: signing.provider)
            try set(CURLOPT_USERNAME, string: signing.accessKey)
            try set(CURLOPT_PASSWORD, string: signing.secretKey)
        }
        try check(pictor_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        try check(pictor_curl_setopt_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback))
        try check(pictor_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        try check(pictor_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback))
        try check(pictor_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))

        // curl never reads past body.count bytes, but POSTFIELDS must not be NULL
        // (NULL means "read the body from a callback", i.e. stdin), even for an empty body.
        let bodyStorage = request.body.isEmpty ? [0] : request.body
        let result: CURLcode = try bodyStorage.withUnsafeBufferPointer { body in
            try setMethod(request.method, body: UnsafeMutableRawPointer(mutating: body.baseAddress!),
                          count: request.body.count)
            let code = curl_easy_perform(handle)
            // The buffer dies with this closure; make sure the handle no longer points at it.
            _ = pictor_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
            return code
        }
        if transfer.exceededLimit {
            throw HTTPClientError(code: Int32(CURLE_FILESIZE_EXCEEDED.rawValue),
                                  message: "the response is larger than \(maxResponseBytes) bytes")
        }
        guard result == CURLE_OK else { throw error(result) }

        var status = 0
        var connects = 0
        _ = pictor_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        _ = pictor_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.body, newConnections: connects)
    }

    /// `GET url`.
    public func get(_ url: String, headers: [(String, String)] = []) throws -> HTTPResponse {
        try send(HTTPRequest(method: "GET", url: url, headers: headers))
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body built from `form`.
    public func post(_ url: String, form: [(String, String)], headers: [(String, String)] = []) throws -> HTTPResponse {
        try send(HTTPRequest(method: "POST", url: url,
                             headers: withDefault(("Content-Type", "application/x-www-form-urlencoded"), headers),
                             body: Array(HTTPRequest.formEncoded(form).utf8)))
    }

    /// `POST url` with `json` as an `application/json` body.
    public func post(_ url: String, json: [UInt8], headers: [(String, String)] = []) throws -> HTTPResponse {
        try send(HTTPRequest(method: "POST", url: url,
                             headers: withDefault(("Content-Type", "application/json"), headers), body: json))
    }

    /// `POST url` with the UTF-8 text `json` as an `application/json` body.
    public func post(_ url: String, json: String, headers: [(String, String)] = []) throws -> HTTPResponse {
        try post(url, json: Array(json.utf8), headers: headers)
    }

    // MARK: - Request setup

    private func setMethod(_ method: String, body: UnsafeMutableRawPointer, count: Int) throws {
        switch method {
        case "GET" where count == 0:
            try set(CURLOPT_HTTPGET, 1)
        case "HEAD":
            // NOBODY, not CUSTOMREQUEST: curl must know not to wait for a body.
            try set(CURLOPT_NOBODY, 1)
        default:
            guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenCharacter) else {
                throw HTTPClientError(code: Int32(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                                      message: "invalid HTTP method \(method.debugDescription)")
            }
            if count > 0 || ["POST", "PUT", "PATCH"].contains(method) {
                try set(CURLOPT_POSTFIELDSIZE, count)
                try check(pictor_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, body))
            }
            if method != "POST" {
                try set(CURLOPT_CUSTOMREQUEST, string: method)
            }
        }
    }

    private func makeHeaderList(for request: HTTPRequest) throws -> UnsafeMutablePointer<curl_slist>? {
        var lines: [String] = []
        var names = Set<String>()
        for (name, value) in request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenCharacter),
                  !value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 }) else {
                throw HTTPClientError(code: Int32(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                                      message: "invalid header field \(name.debugDescription)")
            }
            names.insert(name.lowercased())
            // "Name:" would tell curl to remove the header; "Name;" sends it empty.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // libcurl's SigV4 signs every listed header, these removals too, as empty values that are
        // never sent: a signed request lists only headers it sends.
        if request.awsSigV4 == nil {
            // Waiting for "100 Continue" costs a round trip (or a 1 s stall) on every large body.
            if !names.contains("expect") { lines.append("Expect:") }
            // curl labels every POSTFIELDS body as a form; send no type rather than a wrong one.
            if !names.contains("content-type") { lines.append("Content-Type:") }
        }

        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPClientError(code: Int32(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
            }
            list = appended
        }
        return list
    }

    private func withDefault(_ header: (String, String), _ headers: [(String, String)]) -> [(String, String)] {
        let name = header.0.lowercased()
        return headers.contains { $0.0.lowercased() == name } ? headers : [header] + headers
    }

    /// RFC 9110 `tchar`: what header names and methods may contain.
    private static func isTokenCharacter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(c)
        }
    }

    // MARK: - libcurl plumbing

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(pictor_curl_setopt_long(handle, option, value))
    }

    /// String options are copied by libcurl, so the Swift string only needs to live for the call.
    private func set(_ option: CURLoption, string value: String) throws {
        try check(pictor_curl_setopt_string(handle, option, value))
    }

    private func check(_ code: CURLcode) throws {
        if code != CURLE_OK { throw error(code) }
    }

    private func error(_ code: CURLcode) -> HTTPClientError {
        let detail = String(cString: errorBuffer)
        return HTTPClientError(code: Int32(code.rawValue),
                               message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
    }
}
