// What errors print is safe to log: SQLSTATE, condition and schema objects, never a row's values.

import Foundation
import Postgres
import TestSupport
import XCTest

final class ErrorTests: XCTestCase {
    var db: Connection!

    override func setUpWithError() throws {
        db = try Fixtures.emptyDatabase("errors").connection
    }

    override func tearDown() {
        db?.close()
    }

    /// Every way an error turns into text: interpolation, `String(reflecting:)`, `dump`.
    private func everyRendering(of error: PostgresError) -> [String] {
        var dumped = ""
        dump(error, to: &dumped)
        return [String(describing: error), "\(error)", String(reflecting: error), dumped]
    }

    private func assertNoRendering(of error: PostgresError?, contains secret: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        guard let error else { return XCTFail("no error", file: file, line: line) }
        for text in everyRendering(of: error) {
            XCTAssertFalse(text.contains(secret), "\(secret) leaked into: \(text)", file: file, line: line)
        }
    }

    func testUniqueViolationNamesStateAndConstraintButNotTheDuplicatedEmail() throws {
        try db.execute("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL CONSTRAINT users_email_key UNIQUE)")
        try db.query("INSERT INTO users VALUES ($1, $2)", [1, "a@b.c"])
        let error = assertPostgresError(try db.query("INSERT INTO users VALUES ($1, $2)", [2, "a@b.c"]))

        XCTAssertEqual(error?.isUniqueViolation, true)
        XCTAssertEqual(error?.constraint, "users_email_key")
        XCTAssertEqual(error?.table, "users")
        XCTAssertEqual(String(describing: error!),
                       "PostgreSQL error 23505: unique violation [constraint users_email_key, table public.users]")
        assertNoRendering(of: error, contains: "a@b.c")
        // The server's own words are still there for a test or a debugger, just never printed.
        XCTAssertEqual(error?.serverDetail, "Key (email)=(a@b.c) already exists.")
    }

    func testBadUUIDParameterLeavesTheValueOut() throws {
        let prepared = assertPostgresError(try db.query("SELECT $1::uuid AS id", ["garbage-not-a-uuid"]))
        XCTAssertEqual(prepared?.sqlState, "22P02")
        XCTAssertEqual(prepared?.kind, .query)
        XCTAssertTrue(String(describing: prepared!).contains("22P02: invalid text representation"), "\(prepared!)")
        assertNoRendering(of: prepared, contains: "garbage")
        XCTAssertTrue(prepared?.serverMessage?.contains("garbage") ?? false)

        let planned = assertPostgresError(try db.queryPlanningEachTime("SELECT $1::uuid AS id", ["garbage-again"]))
        assertNoRendering(of: planned, contains: "garbage")
        let piped = assertPostgresError(try db.pipeline([Statement("SELECT $1::uuid AS id", ["garbage-piped"])]))
        assertNoRendering(of: piped, contains: "garbage")
    }

    func testNotNullAndCheckViolationsNameTheirObjectsButNotTheFailingRow() throws {
        try db.execute("""
            CREATE TABLE accounts (email text NOT NULL, note text,
                                   credits int NOT NULL CONSTRAINT accounts_credits_nonnegative CHECK (credits >= 0))
            """)
        let missing = assertPostgresError(try db.query("INSERT INTO accounts VALUES ($1, $2, $3)", [nil, "secret note", 1]))
        XCTAssertEqual(missing?.sqlState, "23502")
        XCTAssertEqual(missing?.column, "email")
        XCTAssertTrue(String(describing: missing!).contains("table public.accounts, column email"), "\(missing!)")
        assertNoRendering(of: missing, contains: "secret note")   // DETAIL: Failing row contains (…)

        let negative = assertPostgresError(try db.query("INSERT INTO accounts VALUES ($1, $2, $3)", ["c@d.e", "x", -7]))
        XCTAssertEqual(negative?.isCheckViolation, true)
        XCTAssertTrue(String(describing: negative!).contains("constraint accounts_credits_nonnegative"), "\(negative!)")
        assertNoRendering(of: negative, contains: "c@d.e")
    }

    func testSyntaxErrorSaysWhereInTheStatement() {
        let error = assertPostgresError(try db.query("SELECT 1 WHERE"))
        XCTAssertEqual(error?.sqlState, "42601")
        XCTAssertEqual(error?.position, 15)
        XCTAssertEqual(error.map(String.init(describing:)), "PostgreSQL error 42601: syntax error [at character 15]")
    }

    func testDecodingErrorNamesColumnAndTypeButNotTheValue() throws {
        let row = try db.query("SELECT 'private words' AS note, 'zz' AS raw")[0]
        let number = assertPostgresError(try row.get("note", as: Int.self))
        XCTAssertEqual(number?.kind, .decoding)
        XCTAssertTrue(number?.message.contains("column \"note\"") ?? false, number?.message ?? "")
        XCTAssertTrue(number?.message.contains("Int") ?? false, number?.message ?? "")
        assertNoRendering(of: number, contains: "private")
        assertNoRendering(of: assertPostgresError(try row.get("note", as: UUID.self)), contains: "private")
        assertNoRendering(of: assertPostgresError(try row.get("note", as: Date.self)), contains: "private")
        assertNoRendering(of: assertPostgresError(try row.get("note", as: Bool.self)), contains: "private")
    }

    func testConnectionFailuresTellTheOperatorWhatIsWrong() {
        let refused = assertPostgresError(try Connection("host=127.0.0.1 port=\(freePort()) user=postgres dbname=x connect_timeout=2"))
        XCTAssertEqual(refused?.kind, .connection)
        XCTAssertTrue(refused.map(String.init(describing:))?.contains("refused") ?? false, "\(String(describing: refused))")
        XCTAssertFalse(refused.map(String.init(describing:))?.contains("\n") ?? true, "one line per log entry")

        let server = PostgresServer.shared
        let noDatabase = assertPostgresError(try Connection(
            "host=127.0.0.1 port=\(server.port) user=postgres dbname=no_such_database"))
        XCTAssertTrue(noDatabase.map(String.init(describing:))?.contains("database \"no_such_database\" does not exist") ?? false,
                      "\(String(describing: noDatabase))")

        let noRole = assertPostgresError(try Connection("host=127.0.0.1 port=\(server.port) user=no_such_role dbname=postgres"))
        XCTAssertTrue(noRole.map(String.init(describing:))?.contains("role \"no_such_role\" does not exist") ?? false,
                      "\(String(describing: noRole))")
    }

    func testMalformedConnectionStringIsNotRepeatedSinceItMayHoldAPassword() {
        let error = assertPostgresError(try Connection("host=127.0.0.1 password=hunter2 trailing"))
        XCTAssertEqual(error?.kind, .connection)
        XCTAssertTrue(error?.message.hasPrefix("invalid connection string") ?? false, error?.message ?? "")
        assertNoRendering(of: error, contains: "hunter2")
        assertNoRendering(of: error, contains: "trailing")
        // An unknown keyword is safe to name, and is the likeliest mistake.
        let typo = assertPostgresError(try Connection("hots=127.0.0.1"))
        XCTAssertEqual(typo?.message, "invalid connection string: invalid connection option \"hots\"")
    }
}
