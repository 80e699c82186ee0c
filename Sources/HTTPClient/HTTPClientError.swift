// The error thrown by HTTPClient when a transfer fails before a complete response arrives.
internal import CCurl

/// A failed transfer: the libcurl result code and its message.
///
/// HTTP error statuses (4xx, 5xx) are not errors; they come back as responses.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    /// The libcurl `CURLcode`.
    public let code: Int32
    /// libcurl's detailed message for this transfer, or its generic text for `code`.
    public let message: String

    /// Creates an error; mostly for fakes in tests.
    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// The connect or overall timeout expired (`CURLE_OPERATION_TIMEDOUT`).
    public var isTimeout: Bool { code == Int32(CURLE_OPERATION_TIMEDOUT.rawValue) }

    /// The response body was larger than the client's `maxResponseBytes`.
    public var isTooLarge: Bool { code == Int32(CURLE_FILESIZE_EXCEEDED.rawValue) }

    /// No connection could be made: refused, unreachable, or the host did not resolve.
    /// (A connect that times out reports `isTimeout` instead.)
    public var isConnectFailure: Bool {
        code == Int32(CURLE_COULDNT_CONNECT.rawValue)
            || code == Int32(CURLE_COULDNT_RESOLVE_HOST.rawValue)
            || code == Int32(CURLE_COULDNT_RESOLVE_PROXY.rawValue)
    }

    public var description: String { "HTTPClientError(\(code)): \(message)" }
}
