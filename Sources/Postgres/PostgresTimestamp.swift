// timestamptz text, formatted and parsed with hand-written calendar arithmetic.

import Foundation

/// Hand-written calendar arithmetic: it is thread-safe and far cheaper than a DateFormatter,
/// and timestamps are decoded on the hot path (every gallery row has one).
enum PostgresTimestamp {
    // Howard Hinnant's days-from-civil: proleptic Gregorian date to days since 1970-01-01.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    // The inverse: days since 1970-01-01 to (year, month, day).
    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parse)
    }

    static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Date? {
        // Only the infinities spell a letter where a digit goes; compare whole words just then.
        if s.count >= 8, s[0] == UInt8(ascii: "i") || s[1] == UInt8(ascii: "i") {
            if s.elementsEqual("infinity".utf8) { return .distantFuture }
            if s.elementsEqual("-infinity".utf8) { return .distantPast }
        }
        var i = 0

        func number(_ count: Int) -> Int? {
            guard i + count <= s.count else { return nil }
            var value = 0
            for _ in 0..<count {
                let c = s[i]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
                i += 1
            }
            return value
        }
        func expect(_ char: Unicode.Scalar) -> Bool {
            guard i < s.count, s[i] == UInt8(char.value) else { return false }
            i += 1
            return true
        }

        // Years beyond 9999 print with more digits: take every digit before the dash.
        var yearDigits = 0
        while i + yearDigits < s.count, s[i + yearDigits] >= UInt8(ascii: "0"), s[i + yearDigits] <= UInt8(ascii: "9") {
            yearDigits += 1
        }
        guard yearDigits >= 4, let year = number(yearDigits), expect("-"),
              let month = number(2), expect("-"), let day = number(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }

        var seconds = 0
        var fraction = 0.0
        var offset = 0
        if i < s.count, s[i] == UInt8(ascii: " ") || s[i] == UInt8(ascii: "T") {
            i += 1
            guard let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
                  hour <= 24, minute <= 59, second <= 60 else { return nil }
            seconds = hour * 3600 + minute * 60 + second
            if i < s.count, s[i] == UInt8(ascii: ".") {
                i += 1
                // Sum the digits as an integer first: adding 0.1, 0.01, … would accumulate error.
                var digits = 0
                var divisor = 1.0
                let start = i
                while i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") {
                    if i - start < 9 {
                        digits = digits * 10 + Int(s[i] - UInt8(ascii: "0"))
                        divisor *= 10
                    }
                    i += 1
                }
                guard i > start else { return nil }
                fraction = Double(digits) / divisor
            }
            if i < s.count, s[i] == UInt8(ascii: "Z") {
                i += 1
            } else if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let hours = number(2) else { return nil }
                var total = hours * 3600
                if expect(":") {
                    guard let minutes = number(2) else { return nil }
                    total += minutes * 60
                    if expect(":") {
                        guard let secs = number(2) else { return nil }
                        total += secs
                    }
                }
                offset = sign * total
            }
        }
        var bc = false
        if i < s.count {
            // Dates before year 1 print with a " BC" suffix.
            guard s[i...].elementsEqual(" BC".utf8) else { return nil }
            bc = true
            i = s.count
        }
        let astronomicalYear = bc ? 1 - year : year
        let days = daysFromCivil(astronomicalYear, month, day)
        let whole = days * 86400 + seconds - offset
        return Date(timeIntervalSince1970: Double(whole) + fraction)
    }
}
