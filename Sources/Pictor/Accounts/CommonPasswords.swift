// The list of passwords too common to allow, read once at start from `paths.common_passwords`.

import Foundation

/// Passwords that guessing attacks try first; compared without regard to case.
public struct CommonPasswords: Sendable {
    private let entries: Set<String>

    /// `passwords` in any case; blank entries are ignored.
    public init(_ passwords: some Sequence<String>) {
        entries = Set(passwords.lazy.map { $0.lowercased() }.filter { !$0.isEmpty })
    }

    /// Reads the list: one password a line, `#` starts a comment line.
    public init(contentsOfFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(description: "cannot read the common-password list \(path) (paths.common_passwords)")
        }
        // Split at line ends only: spaces inside a password are part of it.
        self.init(text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }.map(String.init))
        if entries.isEmpty { throw ConfigError(description: "the common-password list \(path) is empty") }
    }

    public var count: Int { entries.count }

    public func contains(_ password: String) -> Bool {
        entries.contains(password.lowercased())
    }
}
