// The one error type of the Imaging module.

/// A failure to decode, validate or encode an image, with a short human-readable reason
/// (it ends up as a generation's `error` field, so no file paths or C internals).
public struct ImagingError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
