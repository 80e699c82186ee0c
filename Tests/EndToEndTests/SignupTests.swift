// Sign-up and password rules through nginx.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class SignupTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() { stack = try! PictorStack() }
    override class func tearDown() { stack.stop(); stack = nil }

    private func browser() -> Browser { Browser(base: stack.baseURL) }
    private func uniqueEmail(_ name: String = #function) -> String {
        "\(name.prefix(20).filter(\.isLetter).lowercased())-\(UUID().uuidString.prefix(8).lowercased())@example.com"
    }
    private func db() throws -> Connection { try Connection(stack.databaseURL) }
    private func userCount(_ email: String) throws -> Int {
        try db().query("SELECT count(*)::int AS n FROM users WHERE email = $1", [email])[0].get("n")
    }

    func testPasswordChangeAndAdminRefuseShortAndCommonPasswords() throws {
        let email = uniqueEmail()
        let visitor = browser()
        try visitor.signUp(email: email)
        for (new, message) in [("123456789", "at least 10 characters"), ("1q2w3e4r5t", "one of the most common ones")] {
            let response = try visitor.post("/account/password", [("current_password", "correct horse battery"), ("new_password", new)],
                                            csrfFrom: "/account")
            XCTAssertEqual(response.status, 400)
            XCTAssertTrue(response.text.contains(message), message)
        }
        XCTAssertEqual(try browser().logIn(email: email).status, 303, "the password is unchanged")

        let adminEmail = uniqueEmail()
        XCTAssertThrowsError(try runCommand(PictorStack.binary, ["admin", "create-user", "--config", stack.configPath, "--email", adminEmail],
                                            input: "password123\n")) { error in
            XCTAssertTrue("\(error)".contains("That password is one of the most common ones"), "\(error)")
        }
        XCTAssertEqual(try userCount(adminEmail), 0)
    }
}
