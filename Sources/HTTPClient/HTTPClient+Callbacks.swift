// libcurl plumbing for HTTPClient: one-time global init, and the C callbacks that collect a response.
internal import CCurl

/// Runs `curl_global_init` exactly once per process, on first use (Swift globals initialise lazily and atomically).
let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// What the callbacks collect during one transfer.
final class Transfer {
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    /// The most body bytes accepted; past it the transfer is aborted (`exceededLimit`).
    let limit: Int
    var exceededLimit = false

    init(limit: Int) { self.limit = limit }

    /// One raw header line from libcurl, CRLF included.
    func receiveHeaderLine(_ bytes: UnsafeBufferPointer<UInt8>) {
        var line = Substring(decoding: bytes, as: UTF8.self)
        while let last = line.last, last == "\r\n" || last == "\n" || last == "\r" { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new status line: whatever came before belonged to an interim (1xx) response
            // or a proxy CONNECT, not to the response the caller gets.
            headers.removeAll(keepingCapacity: true)
        } else if line.isEmpty {
            return
        } else if line.first == " " || line.first == "\t" {
            // Obsolete line folding: the line continues the previous value.
            guard !headers.isEmpty else { return }
            headers[headers.count - 1].value += " " + Self.trimmed(line)
        } else if let colon = line.firstIndex(of: ":") {
            headers.append((name: line[..<colon].lowercased(), value: Self.trimmed(line[line.index(after: colon)...])))
        }
    }

    /// Strips the optional whitespace (spaces and tabs) around a field value.
    private static func trimmed(_ s: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(s[first...last])
    }
}

let headerCallback: pictor_curl_callback = { data, size, count, context in
    let length = size * count
    guard let data, let context else { return length }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        transfer.receiveHeaderLine(UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

let writeCallback: pictor_curl_callback = { data, size, count, context in
    let length = size * count
    guard let data, let context else { return length }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    guard transfer.body.count + length <= transfer.limit else {
        // Returning less than was given makes curl abort with CURLE_WRITE_ERROR.
        transfer.exceededLimit = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}
