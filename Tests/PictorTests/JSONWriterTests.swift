// The JSON writer: sorted keys, escaping, numbers, null.

import Foundation
@testable import Pictor
import XCTest

final class JSONWriterTests: XCTestCase {
    private func json(_ value: Any) -> String {
        var out: [UInt8] = []
        JSONWriter.write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testWritesSortedObjectsArraysAndScalars() {
        XCTAssertEqual(json(["b": 1, "a": [true, false, NSNull()], "c": ["z": "y"], "d": Int64(4294967295), "e": 1.5]),
                       #"{"a":[true,false,null],"b":1,"c":{"z":"y"},"d":4294967295,"e":1.5}"#)
    }

    func testEscapesStringsAndKeepsUnicode() {
        XCTAssertEqual(json("quote \" backslash \\ newline \n tab \t bell \u{7} café ✓ </script>"),
                       #""quote \" backslash \\ newline \n tab \t bell \u0007 café ✓ </script>""#)
    }

    func testOutputParsesBackToTheSameValues() throws {
        let value: [String: Any] = ["prompt": "a \"fox\"\n<b>", "seed": 42, "public": false, "error": NSNull()]
        let parsed = try JSONSerialization.jsonObject(with: Data(json(value).utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["prompt"] as? String, "a \"fox\"\n<b>")
        XCTAssertEqual(parsed?["seed"] as? Int, 42)
        XCTAssertEqual(parsed?["public"] as? Bool, false)
        XCTAssertTrue(parsed?["error"] is NSNull)
    }
}
