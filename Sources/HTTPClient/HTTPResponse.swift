// The response value returned by HTTPClient: status, the final response's header lines, body.

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    /// Status code of the final response (interim 1xx responses are skipped).
    public let status: Int
    /// Every header line of the final response, in order, names lower-cased,
    /// repeated names kept (several `set-cookie`, for example).
    public let headers: [(name: String, value: String)]
    /// Body bytes, exactly as received (no content decoding is requested).
    public let body: [UInt8]
    /// Connections libcurl had to open for this request (`CURLINFO_NUM_CONNECTS`):
    /// 0 when a kept-alive connection was reused.
    public let newConnections: Int

    /// Creates a response; the client builds these, and tests build them for fakes.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], newConnections: Int = 0) {
        self.status = status
        self.headers = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        self.body = body
        self.newConnections = newConnections
    }

    /// The body decoded as UTF-8 (invalid sequences become U+FFFD).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The first value of the header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }

    /// All values of the header `name` (case-insensitive), in the order received.
    public func headers(named name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name == wanted }.map(\.value)
    }
}
