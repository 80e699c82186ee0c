// Reads a request body from libfcgi's stdin stream, enforcing the size limit.

internal import CFastCGI

enum BodyReader {
    enum Outcome: Equatable {
        case body([UInt8])
        case tooLarge
        case malformed(String)
    }

    /// The body, exactly `CONTENT_LENGTH` bytes. An oversize body is drained, not stored, so
    /// nginx can finish sending it and the connection stays usable.
    static func read(from stream: UnsafeMutablePointer<FCGX_Stream>?, declaredLength: String?, limit: Int) -> Outcome {
        read(declaredLength: declaredLength, limit: limit) { buffer, count in
            buffer.withMemoryRebound(to: CChar.self, capacity: count) { FCGX_GetStr($0, Int32(count), stream) }
        }
    }

    /// The same, over any source of bytes (`readChunk` returns the bytes read, 0 at the end),
    /// so the rules can be tested without a socket.
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
