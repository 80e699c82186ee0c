// JSON responses. A small writer of plain values: Foundation's JSONSerialization sorts keys
// with ICU collation, which cost several milliseconds for a page of 25 generations.

import FastCGI
import Foundation

extension Response {
    /// A JSON response from plain values (dictionaries, arrays, strings, integers, Bool,
    /// Double, NSNull). Keys are sorted, so the output is stable.
    public static func json(_ object: Any, status: Int = 200) -> Response {
        var body: [UInt8] = []
        body.reserveCapacity(1024)
        JSONWriter.write(object, into: &body)
        var response = Response(status: status, headers: [("Content-Type", "application/json")], body: body)
        response.addHeader("Cache-Control", "no-store")
        return response
    }
}

/// JSON null for nil, the value otherwise.
func orNull(_ value: Any?) -> Any { value ?? NSNull() }

enum JSONWriter {
    static func write(_ value: Any, into out: inout [UInt8]) {
        switch value {
        case let string as String: writeString(string, into: &out)
        case let bool as Bool: out += Array((bool ? "true" : "false").utf8)
        case let int as Int: out += Array(String(int).utf8)
        case let int as Int64: out += Array(String(int).utf8)
        case let int as Int32: out += Array(String(int).utf8)
        case let double as Double: out += Array((double.isFinite ? String(double) : "null").utf8)
        case let dictionary as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(dictionary[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            out += Array("null".utf8)   // NSNull and anything without a JSON form
        }
    }

    /// Escapes quotes, backslashes and control characters; everything else is UTF-8 as is.
    static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
