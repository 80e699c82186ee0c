// JSON responses built with JSONSerialization (keys sorted, so output is stable).

import FastCGI
import Foundation

extension Response {
    /// A JSON response from plain values (dictionaries, arrays, strings, numbers, Bool, NSNull).
    public static func json(_ object: Any, status: Int = 200) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var response = Response(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
        response.addHeader("Cache-Control", "no-store")
        return response
    }
}

/// JSON null for nil, the value otherwise.
func orNull(_ value: Any?) -> Any { value ?? NSNull() }
