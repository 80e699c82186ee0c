// How numbers and dates are shown on pages, independent of the process locale.

import Foundation

enum Format {
    /// "1,234".
    static func number(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (value < 0 ? "−" : "") + grouped
    }

    /// "+50" / "−2" for ledger amounts.
    static func signed(_ value: Int) -> String {
        value > 0 ? "+" + number(value) : number(value)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "25 Nov 2026", in UTC.
    static func day(_ date: Date) -> String {
        let parts = utc(date)
        return String(parts.tm_mday) + " " + months[Int(parts.tm_mon)] + " " + String(parts.tm_year + 1900)
    }

    /// "25 Nov 2026 08:41 UTC".
    static func minute(_ date: Date) -> String {
        let parts = utc(date)
        return day(date) + " " + padded(parts.tm_hour) + ":" + padded(parts.tm_min) + " UTC"
    }

    /// A number with leading zeros to `width` digits ("07"); String(format:) is slow on Linux.
    static func padded(_ value: Int32, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func utc(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }
}

/// API times.
enum RFC3339 {
    /// "2026-11-25T08:41:02Z" (seconds precision, UTC).
    static func string(_ date: Date) -> String {
        let parts = Format.utc(date)
        return Format.padded(parts.tm_year + 1900, 4) + "-" + Format.padded(parts.tm_mon + 1) + "-" + Format.padded(parts.tm_mday)
            + "T" + Format.padded(parts.tm_hour) + ":" + Format.padded(parts.tm_min) + ":" + Format.padded(parts.tm_sec) + "Z"
    }
}
