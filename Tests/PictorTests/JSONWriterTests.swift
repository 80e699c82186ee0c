// The JSON writer: a type's own key order, escaping, numbers, null, nesting.

import Foundation
@testable import Pictor
import XCTest

final class JSONWriterTests: XCTestCase {
    private struct Sample: Encodable {
        struct Inner: Encodable { let z: [Bool?] }
        let b = 1
        let a = "x"
        let inner = Inner(z: [true, nil, false])
        let big = UInt32.max
        let small: Int8 = -3
        let half = 1.5
        let list: [Int] = []
    }

    private func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONWriter.encode(value), as: UTF8.self)
    }

    func testKeysComeInTheTypesOwnOrderEveryTime() throws {
        let expected = #"{"b":1,"a":"x","inner":{"z":[true,null,false]},"big":4294967295,"small":-3,"half":1.5,"list":[]}"#
        for _ in 0..<3 { XCTAssertEqual(try json(Sample()), expected) }
    }

    func testEscapesStringsAndKeepsUnicode() throws {
        XCTAssertEqual(try json("quote \" backslash \\ newline \n tab \t bell \u{7} café ✓ </script>"),
                       #""quote \" backslash \\ newline \n tab \t bell \u0007 café ✓ </script>""#)
    }

    func testOutputParsesBackToTheSameValues() throws {
        struct Value: Encodable {
            let prompt = "a \"fox\"\n<b>"
            let seed: Int64 = 4_294_967_295
            let isPublic = false
            let error: String? = nil
            enum CodingKeys: String, CodingKey { case prompt, seed, isPublic = "public", error }
            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(prompt, forKey: .prompt)
                try container.encode(seed, forKey: .seed)
                try container.encode(isPublic, forKey: .isPublic)
                try container.encode(error, forKey: .error)
            }
        }
        let parsed = try JSONSerialization.jsonObject(with: Data(JSONWriter.encode(Value()))) as? NSDictionary
        XCTAssertEqual(parsed, ["prompt": "a \"fox\"\n<b>", "seed": 4_294_967_295, "public": false, "error": NSNull()])
    }

    func testNonFiniteNumbersAreRefusedNotWrittenAsInvalidJSON() {
        XCTAssertThrowsError(try JSONWriter.encode([Double.nan]))
        XCTAssertThrowsError(try JSONWriter.encode(Float.infinity))
    }
}
