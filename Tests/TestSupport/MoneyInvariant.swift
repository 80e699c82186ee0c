// Checks the money invariant (credits = sum of the user's ledger rows, never negative) in every
// Pictor database a test used, after each test, so new tests are covered without asking.

import Foundation
import Postgres
import XCTest

/// The product's core promise about money, as a query any test can run.
public enum MoneyInvariant {
    /// One line per user whose balance is negative or differs from the sum of their ledger rows;
    /// empty when the invariant holds or the database has no Pictor schema (yet).
    public static func violations(in db: Connection) throws -> [String] {
        let present: Int = try db.query("""
            SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = current_schema()
            AND (table_name, column_name) IN (('users', 'credits'), ('transactions', 'user_id'), ('transactions', 'amount'))
            """)[0].get("n")
        guard present == 3 else { return [] }
        return try db.query("""
            SELECT u.id, u.email, u.credits, coalesce(t.total, 0) AS total
            FROM users u LEFT JOIN (SELECT user_id, sum(amount) AS total FROM transactions GROUP BY user_id) t ON t.user_id = u.id
            WHERE u.credits <> coalesce(t.total, 0) OR u.credits < 0
            ORDER BY u.id
            """).map { row in
            "user \(try row.get("id", as: Int64.self)) <\(try row.get("email", as: String.self))> has \(try row.get("credits", as: Int.self))"
                + " credits but ledger rows summing to \(try row.get("total", as: Int64.self))"
        }
    }

    /// The same for a database named by a libpq conninfo. A database that no longer exists, or a
    /// server that is down (a test stopped it), has nothing to check.
    public static func violations(conninfo: String) throws -> [String] {
        let db: Connection
        do {
            db = try Connection(conninfo)
        } catch let error as PostgresError where error.isConnectionFailure {
            return []
        }
        defer { db.close() }
        return try violations(in: db)
    }
}

/// Remembers the databases tests create and checks each after every test that could have used
/// it: one created during a test when that test ends; one created by a suite's class-level setUp
/// (a shared `PictorStack`) after each test until `release` (the stack stopping).
///
/// The check is a teardown block added as each test starts, because XCTest refuses failures once
/// a test has finished. The watch exists only from the first database on, so the test that made
/// it is not seen starting: its databases are checked when it finishes, and a problem found then
/// (or when no test is running) fails the next test, or, if none follows, the whole run.
///
/// `@unchecked Sendable`: every mutable property is read and written only while holding `lock`.
final class DatabaseWatch: NSObject, XCTestObservation, @unchecked Sendable {
    static let shared: DatabaseWatch = {
        let watch = DatabaseWatch()
        XCTestObservationCenter.shared.addTestObserver(watch)
        return watch
    }()

    private enum Scope: Equatable {
        case test(ObjectIdentifier)
        case shared
        /// Made before the watch saw any test start: by a class-level setUp, or by the test running now.
        case unknown
    }

    private let lock = NSLock()
    private var watched: [String: Scope] = [:]
    private var current: XCTestCase?
    private var seenAnyTest = false
    /// Problems found while no test was known to be running, for the next test to report.
    private var leftover: [String] = []

    /// Starts checking the database at `conninfo` after tests.
    func watch(_ conninfo: String) {
        lock.withLock { watched[conninfo] = current.map { .test(ObjectIdentifier($0)) } ?? (seenAnyTest ? .shared : .unknown) }
    }

    /// Checks the database once more (failing the running test, if any) and stops watching it.
    func release(_ conninfo: String) {
        let test = lock.withLock { () -> XCTestCase? in
            watched[conninfo] = nil
            return current
        }
        report(check([conninfo]).map { "when its stack stopped, " + $0 }, in: test)
    }

    func testCaseWillStart(_ testCase: XCTestCase) {
        let id = ObjectIdentifier(testCase)
        lock.withLock {
            current = testCase
            seenAnyTest = true
            for (conninfo, scope) in watched where scope == .unknown { watched[conninfo] = .shared }
        }
        testCase.addTeardownBlock { [self] in
            let (databases, earlier) = lock.withLock { () -> ([String], [String]) in
                defer { leftover = [] }
                return (watched.filter { $0.value == .shared || $0.value == .test(id) }.map(\.key), leftover)
            }
            report(earlier + check(databases), in: testCase)
            lock.withLock { watched = watched.filter { $0.value != .test(id) } }
        }
    }

    func testCaseDidFinish(_ testCase: XCTestCase) {
        let unseen = lock.withLock { () -> [String] in
            defer { current = nil; seenAnyTest = true }
            guard current == nil else { return [] }
            let made = watched.filter { $0.value == .unknown }.map(\.key)
            made.forEach { watched[$0] = nil }
            return made
        }
        report(check(unseen).map { "after \(testCase.name), " + $0 }, in: nil)
    }

    func testBundleDidFinish(_ testBundle: Bundle) {
        let problems = lock.withLock { leftover } + check(lock.withLock { Array(watched.keys) })
        guard !problems.isEmpty else { return }
        FileHandle.standardError.write(Data(("error: " + Self.message(problems) + "\n").utf8))
        exit(1)
    }

    /// One line per problem, each naming the database.
    private func check(_ databases: [String]) -> [String] {
        databases.sorted().flatMap { conninfo -> [String] in
            let name = conninfo.components(separatedBy: "dbname=").last ?? conninfo
            do {
                return try MoneyInvariant.violations(conninfo: conninfo).map { "in database \(name): \($0)" }
            } catch {
                return ["in database \(name): cannot check the money invariant: \(error)"]
            }
        }
    }

    private func report(_ problems: [String], in testCase: XCTestCase?) {
        guard !problems.isEmpty else { return }
        if testCase != nil {
            XCTFail(Self.message(problems))
        } else {
            lock.withLock { leftover += problems }
        }
    }

    private static func message(_ problems: [String]) -> String {
        "money invariant broken (a user's credits must equal the sum of their ledger rows and never be negative):\n"
            + problems.joined(separator: "\n")
    }
}
