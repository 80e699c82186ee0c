// Text fields of JSON bodies: a JSON escape (`\u0000`) can put any control character into a
// string, which would reach the log, the page or PostgreSQL (which refuses NUL in text).

enum JSONText {
    /// Throws a 400 naming the field when `text` holds a control character other than tab, LF and CR.
    static func check(_ text: String, field: String) throws {
        let refused = text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r") || $0.value == 0x7F }
        guard !refused else {
            throw HTTPError.badRequest("`\(field)` contains a control character (only tab, CR and LF are allowed).", field: field)
        }
    }
}
