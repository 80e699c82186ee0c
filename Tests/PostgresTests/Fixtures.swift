// Shared test plumbing: fresh databases on the test server and the repository's sql/ directory.

import Foundation
import Synchronization
import Postgres
import TestSupport
import XCTest

enum Fixtures {
    /// The repository's migrations, found relative to this file (Tests/PostgresTests/…).
    static let sqlDirectory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("sql")
        .path

    /// A new empty database and a connection to it.
    static func emptyDatabase(_ prefix: String) throws -> (name: String, connection: Connection) {
        let name = try PostgresServer.shared.createDatabase(prefix: prefix)
        return (name, try Connection(PostgresServer.shared.conninfo(database: name)))
    }

    /// A new database with every migration in sql/ applied.
    static func migratedDatabase(_ prefix: String) throws -> (name: String, connection: Connection) {
        let database = try emptyDatabase(prefix)
        try Migrator(connection: database.connection, directory: sqlDirectory).migrate()
        return database
    }

    /// A scratch directory for migration files, removed by the caller.
    static func temporaryDirectory(files: [String: String]) throws -> String {
        let path = NSTemporaryDirectory() + "pictor-migrations-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
        }
        return path
    }
}

/// Asserts that `body` throws a `PostgresError` and returns it for further checks.
@discardableResult
func assertPostgresError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> PostgresError? {
    do {
        _ = try body()
        XCTFail("expected a PostgresError, but the call succeeded", file: file, line: line)
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        XCTFail("expected a PostgresError, got \(error)", file: file, line: line)
        return nil
    }
}

/// Collects values from several threads.
final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func mutate(_ change: (inout Value) -> Void) { value.withLock { change(&$0) } }
    var current: Value { value.withLock { $0 } }
}

/// Runs `count` threads that each call `body(index)` at (nearly) the same moment, after every
/// thread has finished `prepare(index)`, and waits for all of them.
func runConcurrently<Prepared>(_ count: Int, prepare: @escaping @Sendable (Int) -> Prepared,
                                body: @escaping @Sendable (Int, Prepared) -> Void) {
    let prepared = DispatchGroup()
    let finished = DispatchGroup()
    let gate = DispatchSemaphore(value: 0)
    for index in 0..<count {
        prepared.enter()
        finished.enter()
        let thread = Thread {
            let state = prepare(index)
            prepared.leave()
            gate.wait()
            body(index, state)
            finished.leave()
        }
        thread.start()
    }
    prepared.wait()
    for _ in 0..<count { gate.signal() }
    finished.wait()
}
