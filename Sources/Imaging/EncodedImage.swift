// An encoded image as it leaves the Imaging module: bytes plus what storage and HTTP need.

/// Encoded image bytes together with their MIME type, file extension and pixel size.
public struct EncodedImage: Sendable, Equatable {
    public let bytes: [UInt8]
    /// `image/png`, `image/webp` or `image/jpeg`.
    public let contentType: String
    /// File extension without the dot: `png`, `webp` or `jpg`.
    public let fileExtension: String
    public let width: Int
    public let height: Int

    init(bytes: [UInt8], format: ImageFormat, width: Int, height: Int) {
        self.bytes = bytes
        self.contentType = format.contentType
        self.fileExtension = format.fileExtension
        self.width = width
        self.height = height
    }
}
