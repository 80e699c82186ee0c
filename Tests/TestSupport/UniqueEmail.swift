// A fresh email address per test, readable in logs: the test's name, then random letters.

import Foundation

/// `signupthenlogin-1a2b3c4d@example.com` for `testSignUpThenLogIn…`.
public func uniqueEmail(_ name: String = #function) -> String {
    "\(name.prefix(20).filter(\.isLetter).lowercased())-\(UUID().uuidString.prefix(8).lowercased())@example.com"
}
