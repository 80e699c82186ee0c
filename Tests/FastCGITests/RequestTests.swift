// How a Request is built from FastCGI params, and how form data is decoded.

@testable import FastCGI
import XCTest

final class RequestTests: XCTestCase {
    func testSplitsPathFromQueryAndNamesHeaders() {
        let request = Request(params: [
            "REQUEST_METHOD": "post", "REQUEST_URI": "/generations/42?tab=info", "QUERY_STRING": "tab=info",
            "HTTP_USER_AGENT": "curl/8", "HTTP_X_CSRF_TOKEN": "abc", "CONTENT_TYPE": "application/json; charset=utf-8",
            "CONTENT_LENGTH": "2",
        ], body: Array("{}".utf8))
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/generations/42")
        XCTAssertEqual(request.queryString, "tab=info")
        XCTAssertEqual(request.header("User-Agent"), "curl/8")
        XCTAssertEqual(request.header("x-csrf-token"), "abc")
        XCTAssertEqual(request.contentType, "application/json")
        XCTAssertEqual(request.header("content-length"), "2")
    }

    func testEmptyContentParamsFromNginxAreNotHeaders() {
        let request = Request(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "CONTENT_TYPE": "", "CONTENT_LENGTH": ""])
        XCTAssertNil(request.header("content-type"))
        XCTAssertNil(request.header("content-length"))
        XCTAssertEqual(request.contentType, "")
    }

    func testParsesCookiesFirstOccurrenceWins() {
        let request = Request(params: ["HTTP_COOKIE": "session=abc; theme=dark;session=evil; broken"])
        XCTAssertEqual(request.cookies, ["session": "abc", "theme": "dark"])
        let spaced = Request(params: ["HTTP_COOKIE": " token = a=b==\t;\tgone=; =anonymous; café=crème"])
        XCTAssertEqual(spaced.cookies, ["token": "a=b==", "gone": "", "café": "crème"], "values may hold =; names may not be empty")
    }

    func testDetectsHTTPS() {
        XCTAssertTrue(Request(params: ["HTTPS": "on"]).isHTTPS)
        XCTAssertFalse(Request(params: ["REQUEST_SCHEME": "http"]).isHTTPS)
    }

    func testDecodesFormBodyWithPlusPercentAndRepeatedNames() throws {
        let request = Request(params: ["CONTENT_TYPE": "application/x-www-form-urlencoded"],
                              body: Array("prompt=a+red%20fox%21&tag=x&tag=y&empty=&flag".utf8))
        let form = try request.form()
        XCTAssertEqual(form["prompt"], "a red fox!")
        XCTAssertEqual(form.all("tag"), ["x", "y"])
        XCTAssertEqual(form["empty"], "")
        XCTAssertEqual(form["flag"], "")
        XCTAssertNil(form["missing"])
    }

    func testDecodesUTF8Form() throws {
        let form = try FormData(urlEncoded: Array("q=%E2%9C%93+caf%C3%A9".utf8))
        XCTAssertEqual(form["q"], "✓ café")
    }

    func testRejectsMalformedPercentEncoding() {
        for bad in ["a=%", "a=%4", "a=%zz", "%G1=b"] {
            XCTAssertThrowsError(try FormData(urlEncoded: Array(bad.utf8)), bad) { error in
                XCTAssertEqual(error as? FormError, .malformedPercentEncoding)
            }
        }
    }

    func testRejectsInvalidUTF8() {
        XCTAssertThrowsError(try FormData(urlEncoded: Array("a=%C3%28".utf8))) { error in
            XCTAssertEqual(error as? FormError, .invalidUTF8)
        }
    }

    func testFormRequiresFormContentType() {
        let request = Request(params: ["CONTENT_TYPE": "application/json"], body: Array("a=b".utf8))
        XCTAssertThrowsError(try request.form()) { error in
            XCTAssertEqual(error as? FormError, .unsupportedContentType("application/json"))
        }
    }

    func testHeadersWithControlCharactersAreLeftOutWhole() {
        for value in ["/x\r\nSet-Cookie: evil=1", "/\0/evil", "/a\u{1}b", "/\u{7F}", "/\n"] {
            let response = Response(status: 303, headers: [("Location", value), ("X-Kept", "yes\tok")], body: [])
            let head = String(decoding: response.cgiHead(), as: UTF8.self)
            XCTAssertEqual(head, "Status: 303 See Other\r\nX-Kept: yes\tok\r\nContent-Length: 0\r\n\r\n", value.debugDescription)
        }
        let badName = Response(status: 200, headers: [("X-A: b", "c"), ("", "d"), ("X\nY", "e")], body: [])
        XCTAssertEqual(String(decoding: badName.cgiHead(), as: UTF8.self), "Status: 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    func testResponseHeaderNamesIgnoreCase() {
        var response = Response(status: 200, headers: [("Content-Type", "text/plain"), ("Content-Length", "2")], body: Array("hi".utf8))
        XCTAssertEqual(response.header("content-type"), "text/plain")
        XCTAssertEqual(response.header("CONTENT-LENGTH"), "2")
        XCTAssertNil(response.header("Content-Typ"))
        XCTAssertNil(response.header("Content_Type"), "only letters fold: _ is not -")
        response.setHeader("content-type", "text/html")
        XCTAssertEqual(response.headers.map(\.name), ["Content-Length", "content-type"])
        let head = String(decoding: response.cgiHead(), as: UTF8.self)
        XCTAssertEqual(head.components(separatedBy: "ontent-").count - 1, 2, "a given Content-Length is not repeated")
    }

    func testResponseKeepsRepeatedHeaders() {
        var response = Response(status: 200, contentType: "text/plain", body: "hi")
        response.addHeader("Set-Cookie", "a=1")
        response.addHeader("Set-Cookie", "b=2")
        let head = String(decoding: response.cgiHead(), as: UTF8.self)
        XCTAssertTrue(head.contains("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"))
        XCTAssertTrue(head.contains("Content-Length: 2\r\n"))
    }
}

final class JSONBodyTests: XCTestCase {
    struct Generation: Decodable, Equatable {
        let prompt: String
        let count: Int?
    }

    private func request(_ body: String, type: String = "application/json") -> Request {
        Request(params: ["REQUEST_METHOD": "POST", "CONTENT_TYPE": type], body: Array(body.utf8))
    }

    func testDecodesJSONBodies() throws {
        XCTAssertEqual(try request(#"{"prompt":"a fox","count":2}"#).json(Generation.self), Generation(prompt: "a fox", count: 2))
        XCTAssertEqual(try request(#"{"prompt":"x"}"#, type: "application/json; charset=utf-8").json(Generation.self),
                       Generation(prompt: "x", count: nil))
    }

    func testRefusesBadJSONWithAReason() {
        let cases: [(Request, JSONBodyError)] = [
            (request(#"{"prompt": "#), .malformed("it is not valid JSON.")),
            (request(#"{"count": 2}"#), .malformed("`prompt` is required.")),
            (request(#"{"prompt": 5}"#), .malformed("`prompt` has the wrong type.")),
            (request(#"{"prompt": "x", "count": 1.5}"#), .malformed("a number in it does not fit its field (a whole number is expected, within range).")),
            (request(#"{"prompt": "x", "count": 99999999999999999999999}"#),
             .malformed("a number in it does not fit its field (a whole number is expected, within range).")),
            (request("[]"), .malformed("the body must be a JSON object.")),
            (request(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)), .malformed("it is not valid JSON.")),
            (request(#"{"prompt": "x"}"#, type: "text/plain"), .unsupportedContentType("text/plain")),
            (Request(params: ["CONTENT_TYPE": "application/json"], body: [0x7b, 0xff, 0x7d]), .malformed("it is not valid UTF-8.")),
        ]
        for (request, expected) in cases {
            XCTAssertThrowsError(try request.json(Generation.self)) { XCTAssertEqual($0 as? JSONBodyError, expected) }
        }
    }
}
