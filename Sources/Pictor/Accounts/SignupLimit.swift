// Sign-ups per client address per hour, shared by every process (against free-credit farming).

import Postgres

struct SignupLimit {
    static let window = 3600
    let limiter: RateLimiter
    let perHour: Int

    init(db: Connection, config: Config.Accounts) {
        limiter = RateLimiter(db: db)
        perHour = config.signupPerHour
    }

    /// Counts one sign-up from `address`; throws 429 with Retry-After past the hourly allowance.
    ///
    /// Every attempt that could create an account counts, whether or not its email was free:
    /// counting only new accounts would let a prober tell taken addresses from free ones by
    /// whether the counter moved. Forms refused for a bad email or password are not counted
    /// (they cost no password hash and create nothing), so typos do not lock a person out.
    func admit(address: String) throws {
        let key = "signup:address:" + Self.network(of: address)
        // Counted before the check, in one statement: concurrent sign-ups cannot all slip in.
        guard try limiter.hit([key], window: Self.window)[0] > perHour else { return }
        let (_, retryAfter) = try limiter.current(key, window: Self.window)
        let minutes = (retryAfter + 59) / 60
        throw HTTPError(429, code: "rate_limited",
                        message: "Too many sign-ups from your network address. Try again in \(minutes) minute\(minutes == 1 ? "" : "s").",
                        headers: ["Retry-After": String(retryAfter)])
    }

    /// What one client is counted by: an IPv4 address, or an IPv6 address's /64, since an
    /// IPv6 subscriber usually has a whole /64 to pick addresses from.
    static func network(of address: String) -> String {
        guard address.contains(":"), let groups = ipv6Groups(address) else { return address }
        if groups.prefix(6) == [0, 0, 0, 0, 0, 0xffff] {   // an IPv4 client on a dual-stack socket
            return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].map(String.init).joined(separator: ".")
        }
        return groups.prefix(4).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of a textual IPv6 address, or nil if it is not one.
    private static func ipv6Groups(_ text: String) -> [UInt16]? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        func parse(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var groups: [UInt16] = []
            for field in part.split(separator: ":", omittingEmptySubsequences: false) {
                if field.contains(".") {   // an embedded IPv4 address, the last two groups
                    let bytes = field.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
                    guard bytes.count == 4 else { return nil }
                    groups += [UInt16(bytes[0]) << 8 | UInt16(bytes[1]), UInt16(bytes[2]) << 8 | UInt16(bytes[3])]
                } else {
                    guard field.count <= 4, let group = UInt16(field, radix: 16) else { return nil }
                    groups.append(group)
                }
            }
            return groups
        }
        guard let head = parse(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = parse(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
