// FastCGI records in (FastCGI 1.0, sections 3–6): one request read off a connection from nginx,
// every length bounded before anything is allocated. libfcgi trusted the lengths in a request's
// params, and a name and value adding up past Int32 made it abort the whole worker process;
// any record that breaks the protocol now only closes its connection.

import Glibc

/// One request as nginx sent it.
struct IncomingRequest {
    let id: UInt16
    /// nginx keeps the connection for further requests (`fastcgi_keep_conn on`).
    let keepConnection: Bool
    let params: [String: String]
    let body: BodyReader.Outcome
}

/// Reads records from one connection at a time; a server thread keeps one and its buffer.
struct RecordReader {
    enum Failure: Error {
        /// nginx closed the connection (or it broke) between records.
        case closed
        /// Not FastCGI as nginx speaks it.
        case refused(String)
    }

    struct Record {
        let type: UInt8
        let requestID: UInt16
        let content: ArraySlice<UInt8>
    }

    enum RecordType {
        static let beginRequest: UInt8 = 1, abortRequest: UInt8 = 2, endRequest: UInt8 = 3, params: UInt8 = 4, stdin: UInt8 = 5
        static let stdout: UInt8 = 6, getValues: UInt8 = 9, getValuesResult: UInt8 = 10, unknownType: UInt8 = 11
    }

    /// All of a request's params together: far more than nginx sends (its header buffers hold
    /// a few KB per line), far less than would hurt.
    static let maximumParamsBytes = 256 << 10

    private(set) var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 16 << 10)
    private var start = 0, end = 0

    /// Starts on `fd`, with nothing buffered.
    mutating func use(_ fd: Int32) {
        self.fd = fd
        start = 0
        end = 0
    }

    /// Bytes read past the last record (nginx sends nothing before its answer: such a
    /// connection is not kept).
    var hasUnreadBytes: Bool { end > start }

    // MARK: Requests

    /// The next request on the connection. Management records are answered on the way and
    /// records of other requests skipped, as the protocol asks. A body larger than `limit` is
    /// read and dropped, so the connection stays usable.
    mutating func readRequest(limit: Int) throws(Failure) -> IncomingRequest {
        var id: UInt16?
        var keepConnection = false
        var params: [UInt8] = []
        // Until the empty params record: the params. Then the body.
        while true {
            let record = try next()
            guard let current = id else {
                if record.type == RecordType.beginRequest { (id, keepConnection) = try begin(record) }
                continue
            }
            guard record.requestID == current else {
                // nginx never multiplexes; another request's BEGIN is refused, anything else skipped.
                if record.type == RecordType.beginRequest { try send(Self.endRequest(record.requestID, protocolStatus: 1)) }
                continue
            }
            if record.type == RecordType.abortRequest { throw .refused("the request was aborted") }
            guard record.type == RecordType.params else { continue }
            if record.content.isEmpty { break }
            guard params.count + record.content.count <= Self.maximumParamsBytes else {
                throw .refused("params larger than \(Self.maximumParamsBytes) bytes")
            }
            params += record.content
        }
        guard let id, let pairs = Self.pairs(params) else { throw .refused("a malformed name-value pair in the params") }
        let body = try readBody(of: id, declaredLength: pairs["CONTENT_LENGTH"], limit: limit)
        return IncomingRequest(id: id, keepConnection: keepConnection, params: pairs, body: body)
    }

    /// BEGIN_REQUEST: the request id and whether nginx keeps the connection. A role other
    /// than responder is refused with an END_REQUEST.
    private mutating func begin(_ record: Record) throws(Failure) -> (UInt16?, Bool) {
        guard record.content.count >= 8 else { throw .refused("a short BEGIN_REQUEST record") }
        let content = record.content.startIndex
        let role = Int(record.content[content]) << 8 | Int(record.content[content + 1])
        guard role == 1 else {
            try send(Self.endRequest(record.requestID, protocolStatus: 3))  // FCGI_UNKNOWN_ROLE
            return (nil, false)
        }
        return (record.requestID, record.content[content + 2] & 1 != 0)
    }

    /// The STDIN stream up to its empty record, checked against CONTENT_LENGTH (BodyReader's
    /// rules); only up to the declared length is kept.
    private mutating func readBody(of id: UInt16, declaredLength: String?, limit: Int) throws(Failure) -> BodyReader.Outcome {
        let wanted = Int(declaredLength ?? "").map { min(max($0, 0), limit) } ?? 0
        var received: [UInt8] = []
        received.reserveCapacity(wanted)
        while true {
            let record = try next()
            guard record.requestID == id, record.type == RecordType.stdin else {
                if record.requestID == id, record.type == RecordType.abortRequest { throw .refused("the request was aborted") }
                continue
            }
            if record.content.isEmpty { break }
            received += record.content.prefix(max(0, wanted - received.count))
        }
        var offset = 0
        return BodyReader.read(declaredLength: declaredLength, limit: limit) { pointer, count in
            let taken = min(count, received.count - offset)
            received.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress! + offset, count: taken) }
            offset += taken
            return Int32(taken)
        }
    }

    /// Name-value pairs (1- or 4-byte lengths, section 3.4); nil when one does not fit.
    static func pairs(_ bytes: [UInt8]) -> [String: String]? {
        var pairs: [String: String] = [:]
        pairs.reserveCapacity(40)
        var index = 0
        func length() -> Int? {
            guard index < bytes.count else { return nil }
            guard bytes[index] & 0x80 != 0 else {
                defer { index += 1 }
                return Int(bytes[index])
            }
            guard index + 4 <= bytes.count else { return nil }
            defer { index += 4 }
            return Int(bytes[index] & 0x7f) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        }
        while index < bytes.count {
            guard let nameLength = length(), let valueLength = length(), bytes.count - index >= nameLength + valueLength else { return nil }
            let name = String(decoding: bytes[index..<index + nameLength], as: UTF8.self)
            pairs[name] = String(decoding: bytes[index + nameLength..<index + nameLength + valueLength], as: UTF8.self)
            index += nameLength + valueLength
        }
        return pairs
    }

    // MARK: Records

    /// The next record of any request; management records (request id 0) are answered here.
    private mutating func next() throws(Failure) -> Record {
        while true {
            try fill(8)
            let version = buffer[start], type = buffer[start + 1]
            let id = UInt16(buffer[start + 2]) << 8 | UInt16(buffer[start + 3])
            let length = Int(buffer[start + 4]) << 8 | Int(buffer[start + 5]), padding = Int(buffer[start + 6])
            guard version == 1 else { throw .refused("record version \(version)") }
            try fill(8 + length + padding)
            let record = Record(type: type, requestID: id, content: buffer[(start + 8)..<(start + 8 + length)])
            start += 8 + length + padding
            guard id == 0 else { return record }
            try answerManagement(record)
        }
    }

    /// GET_VALUES: only FCGI_MPXS_CONNS is answered (0: one request per connection at a time);
    /// any other management record is of an unknown type.
    private mutating func answerManagement(_ record: Record) throws(Failure) {
        guard record.type == RecordType.getValues else {
            try send(Self.record(RecordType.unknownType, 0, [record.type, 0, 0, 0, 0, 0, 0, 0]))
            return
        }
        guard let asked = Self.pairs(Array(record.content)) else { throw .refused("a malformed GET_VALUES record") }
        let answer: [UInt8] = asked["FCGI_MPXS_CONNS"] == nil ? [] : [15, 1] + Array("FCGI_MPXS_CONNS0".utf8)
        try send(Self.record(RecordType.getValuesResult, 0, answer))
    }

    /// Makes at least `count` bytes available from `start`, reading as needed.
    private mutating func fill(_ count: Int) throws(Failure) {
        guard end - start < count else { return }
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: $0.baseAddress! + start, count: end - start) }
            end -= start
            start = 0
        }
        if buffer.count < count { buffer += [UInt8](repeating: 0, count: count - buffer.count) }
        while end < count {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + end, $0.count - end) }
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { throw .closed }
            end += read
        }
    }

    private func send(_ bytes: [UInt8]) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + sent, $0.count - sent) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw .closed }
            sent += count
        }
    }

    // MARK: Records out

    static func record(_ type: UInt8, _ requestID: UInt16, _ content: [UInt8]) -> [UInt8] {
        [1, type, UInt8(requestID >> 8), UInt8(requestID & 0xff), UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }

    /// END_REQUEST with application status 0; protocol status 0 (complete), 1 (cannot
    /// multiplex) or 3 (unknown role).
    static func endRequest(_ requestID: UInt16, protocolStatus: UInt8 = 0) -> [UInt8] {
        record(RecordType.endRequest, requestID, [0, 0, 0, 0, protocolStatus, 0, 0, 0])
    }

    /// What ends an answer: the empty STDOUT record that closes the stream, then END_REQUEST.
    static func endOfAnswer(_ requestID: UInt16) -> [UInt8] {
        record(RecordType.stdout, requestID, []) + endRequest(requestID)
    }
}
