// Random bytes into every text field of every form and JSON body, through nginx: never a 5xx,
// and a refused request changes nothing.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class FuzzTests: XCTestCase {
    /// A small deterministic generator, so a failure can be replayed from the seed it prints.
    private struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// Values that have broken servers before, then random bytes of any kind (invalid UTF-8,
    /// NUL, controls, bidi overrides) and random Unicode.
    private func value(_ random: inout Random) -> [UInt8] {
        let special: [String] = ["", "\u{0}", "a\u{0}b", "\u{202E}txt", "%", "%ZZ", "../../etc/passwd", "<script>x</script>",
                                 "{{title}}", "'; DROP TABLE users; --", String(repeating: "x", count: 5000), "9223372036854775807",
                                 "-1", "1e309", "\r\n", "\u{FEFF}", "josé@example.com", "//evil.example", "/\t/evil.example"]
        switch random.below(3) {
        case 0: return Array(special[random.below(special.count)].utf8)
        case 1: return (0..<random.below(40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        default:
            let scalars = (0..<random.below(20)).compactMap { _ in Unicode.Scalar(UInt32(random.below(0x11000))) }
            return Array(String(String.UnicodeScalarView(scalars)).utf8)
        }
    }

    private func formBody(_ fields: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, (name, bytes)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out += Array(name.utf8) + [UInt8(ascii: "=")]
            for byte in bytes { out += Array(String(format: "%%%02X", byte).utf8) }
        }
        return out
    }

    /// JSON with each field's bytes as a string (escaped as JSON does; invalid UTF-8 stays raw).
    private func jsonBody(_ fields: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = Array("{".utf8)
        for (index, (name, bytes)) in fields.enumerated() {
            if index > 0 { out += Array(",".utf8) }
            out += Array("\"\(name)\":\"".utf8)
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
                case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
                default: out.append(byte)
                }
            }
            out += Array("\"".utf8)
        }
        return out + Array("}".utf8)
    }

    private func snapshot(_ stack: PictorStack) throws -> [Int] {
        let db = try Connection(stack.databaseURL)
        defer { db.close() }
        let row = try db.query("""
            SELECT (SELECT count(*) FROM users)::int AS u, (SELECT coalesce(sum(credits), 0) FROM users)::int AS c,
                   (SELECT count(*) FROM transactions)::int AS t, (SELECT count(*) FROM generations)::int AS g,
                   (SELECT count(*) FROM api_keys)::int AS k, (SELECT count(*) FROM generations WHERE public)::int AS p,
                   (SELECT count(*) FROM generations WHERE favorite)::int AS f
            """)[0]
        return try ["u", "c", "t", "g", "k", "p", "f"].map { try row.get($0, as: Int.self) }
    }

    func testRandomBytesInEveryFieldNeverCauseA5xxAndRefusalsChangeNothing() throws {
        // Limits out of reach, so the requests reach the app's own checks.
        let stack = try PictorStack(settings: ["accounts.login_max_failures": "10000", "generation.requests_per_minute": "100000"])
        defer { stack.stop() }
        let visitor = Browser(base: stack.baseURL)
        let email = "fuzz-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try visitor.signUp(email: email)
        if try visitor.get("/account").status != 200 { _ = try visitor.logIn(email: email) }
        let token = try visitor.csrfToken(on: "/account")
        let key = try runCommand(PictorStack.binary, ["admin", "create-key", "--config", stack.configPath, "--email", email,
                                                      "--name", "fuzz"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let id = "00000000-0000-4000-8000-000000000000"
        let forms: [(path: String, fields: [String])] = [
            ("/generate", ["prompt", "negative_prompt", "model", "size", "seed", "count", "public"]),
            ("/account/api-keys", ["name"]), ("/account/password", ["current_password", "new_password"]),
            ("/gallery/delete", ["ids", "back"]), ("/generations/\(id)/publish", ["public", "back"]),
            ("/generations/\(id)/favorite", ["favorite", "back"]), ("/login", ["email", "password", "next"]),
        ]
        let bodies: [(method: String, path: String, fields: [String])] = [
            ("POST", "/api/v1/generations", ["prompt", "negative_prompt", "model"]),
            ("PATCH", "/api/v1/generations/\(id)", ["public", "favorite"]),
        ]
        let queries = ["/gallery?q=", "/gallery?model=", "/gallery?cursor=", "/explore?cursor=", "/account?before=",
                       "/api/v1/generations?cursor=", "/api/v1/generations?q=", "/api/v1/transactions?cursor=", "/login?next="]
        // PICTOR_FUZZ_SEED replays a failure's seed.
        let seed = ProcessInfo.processInfo.environment["PICTOR_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64(Date().timeIntervalSince1970 * 1000)
        var random = Random(state: seed | 1)
        for round in 0..<160 {
            let before = try snapshot(stack)
            let request: HTTPRequest
            let choice = random.below(3)
            if choice == 0 {
                let form = forms[random.below(forms.count)]
                var fields = form.fields.map { ($0, value(&random)) }
                fields.append(("csrf_token", Array(token.utf8)))
                request = HTTPRequest(method: "POST", url: stack.baseURL + form.path,
                                      headers: [("Content-Type", "application/x-www-form-urlencoded")], body: formBody(fields))
            } else if choice == 1 {
                let api = bodies[random.below(bodies.count)]
                request = HTTPRequest(method: api.method, url: stack.baseURL + api.path,
                                      headers: [("Authorization", "Bearer " + key), ("Content-Type", "application/json")],
                                      body: jsonBody(api.fields.map { ($0, value(&random)) }))
            } else {
                let encoded = value(&random).map { String(format: "%%%02X", $0) }.joined()
                request = HTTPRequest(method: "GET", url: stack.baseURL + queries[random.below(queries.count)] + encoded,
                                      headers: [("Authorization", "Bearer " + key)])
            }
            let response = try visitor.send(request)
            let what = "seed \(seed), round \(round): \(request.method) \(request.url.prefix(120)) → \(response.status)"
            if response.status >= 500 {
                let nginx = (try? String(contentsOfFile: stack.state + "/nginx-error.log", encoding: .utf8)) ?? ""
                XCTFail(what + "\npictor: " + stack.pictorLog().suffix(3000) + "\nnginx: " + nginx.suffix(2000))
            }
            if response.status >= 400 { XCTAssertEqual(try snapshot(stack), before, "a refused request changed something; " + what) }
        }
        XCTAssertFalse(stack.pictorLog().contains("failed:"), "no handler error was logged")
    }
}
