// The request body's rules: exactly CONTENT_LENGTH bytes, within the size limit.

enum BodyReader {
    enum Outcome: Equatable {
        case body([UInt8])
        case tooLarge
        case malformed(String)
    }

    /// The body, exactly `CONTENT_LENGTH` bytes, from any source of bytes (`readChunk`
    /// returns the bytes read, 0 at the end). An oversize body is drained, not stored.
    static func read(declaredLength: String?, limit: Int,
                     readChunk: (UnsafeMutablePointer<UInt8>, Int) -> Int32) -> Outcome {
        let text = declaredLength ?? ""
        if text.isEmpty { return .body([]) }
        guard let length = Int(text), length >= 0 else {
            return .malformed("Invalid Content-Length.")
        }
        if length > limit {
            drain(readChunk)
            return .tooLarge
        }
        var body = [UInt8](repeating: 0, count: length)
        var filled = 0
        while filled < length {
            let count = body.withUnsafeMutableBufferPointer { buffer in
                readChunk(buffer.baseAddress! + filled, length - filled)
            }
            if count <= 0 { return .malformed("The request body ended before Content-Length bytes.") }
            filled += Int(count)
        }
        return .body(body)
    }

    private static func drain(_ readChunk: (UnsafeMutablePointer<UInt8>, Int) -> Int32) {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while scratch.withUnsafeMutableBufferPointer({ readChunk($0.baseAddress!, $0.count) }) > 0 {}
    }
}
