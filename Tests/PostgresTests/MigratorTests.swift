// Migrator: ordered, once-only, atomic per file, serialised across hosts, strict about file names.

import Foundation
import Postgres
import TestSupport
import XCTest

final class MigratorTests: XCTestCase {
    var db: Connection!
    var directories: [String] = []

    override func setUpWithError() throws {
        db = try Fixtures.emptyDatabase("migrate").connection
    }

    override func tearDown() {
        db?.close()
        directories.forEach { try? FileManager.default.removeItem(atPath: $0) }
    }

    private func directory(_ files: [String: String]) throws -> String {
        let path = try Fixtures.temporaryDirectory(files: files)
        directories.append(path)
        return path
    }

    private func tables(_ connection: Connection? = nil) throws -> [String] {
        try (connection ?? db).query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            .map { try $0.get("tablename") }
    }

    private func recorded(_ connection: Connection? = nil) throws -> [String] {
        try (connection ?? db).query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").map {
            "\(try $0.get("version", as: Int.self)) \(try $0.get("name", as: String.self)) \(try $0.get("applied_at", as: Date.self).timeIntervalSince1970)"
        }
    }

    func testMigratingTheRepositorySchemaCreatesEveryTable() throws {
        let applied = try Migrator(connection: db, directory: Fixtures.sqlDirectory).migrate()
        XCTAssertEqual(applied.map(\.version), [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(applied.map(\.name), ["init", "ledger_retention_and_purge", "image_size_and_provider_jobs", "billing", "email_and_account_tokens", "metrics_and_request_ids",
                                          "sign_in_with_providers"])
        XCTAssertEqual(try tables(), ["account_tokens", "api_keys", "email_outbox", "generations", "metric_counters", "oauth_attempts", "rate_limits",
                                      "schema_migrations", "sessions", "stripe_events", "transactions", "user_identities", "users"])
    }

    func testMigratingTwiceAppliesNothingTheSecondTime() throws {
        let migrator = Migrator(connection: db, directory: Fixtures.sqlDirectory)
        XCTAssertEqual(try migrator.pending().map(\.version), [1, 2, 3, 4, 5, 6, 7])
        try migrator.migrate()
        let before = try recorded()
        XCTAssertEqual(try migrator.migrate(), [])
        XCTAssertEqual(try migrator.pending(), [])
        XCTAssertEqual(try recorded(), before)
    }

    func testMigrationsApplyInNumericOrderAndOtherFilesAreIgnored() throws {
        let path = try directory([
            "010_third.sql": "INSERT INTO log VALUES ('third');",
            "2_second.sql": "INSERT INTO log VALUES ('second');",
            "001_first.sql": "CREATE TABLE log (step text); INSERT INTO log VALUES ('first');",
            "README.md": "not a migration",
            ".001_first.sql.swp": "editor junk",
        ])
        let migrator = Migrator(connection: db, directory: path)
        XCTAssertEqual(try migrator.pending().map(\.version), [1, 2, 10])
        XCTAssertEqual(try migrator.migrate().map(\.name), ["first", "second", "third"])
        XCTAssertEqual(try db.query("SELECT string_agg(step, ',' ORDER BY ctid) AS s FROM log")[0].get("s", as: String.self),
                       "first,second,third")
        try "INSERT INTO log VALUES ('fourth');".write(toFile: path + "/011_fourth.sql", atomically: true, encoding: .utf8)
        XCTAssertEqual(try migrator.pending().map(\.version), [11])
        XCTAssertEqual(try migrator.migrate().map(\.version), [11])
    }

    func testFailingMigrationRollsBackAndIsNotRecorded() throws {
        let path = try directory([
            "001_good.sql": "CREATE TABLE good (id int);",
            "002_bad.sql": "CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);",
            "003_later.sql": "CREATE TABLE later (id int);",
        ])
        let migrator = Migrator(connection: db, directory: path)
        XCTAssertThrowsError(try migrator.migrate()) { error in
            guard case MigrationError.failed(let migration, let underlying)? = error as? MigrationError else {
                return XCTFail("expected MigrationError.failed, got \(error)")
            }
            XCTAssertEqual(migration.version, 2)
            XCTAssertEqual((underlying as? PostgresError)?.sqlState, "42P01")
            XCTAssertTrue("\(error)".contains("002_bad.sql"))
        }
        XCTAssertEqual(try tables(), ["good", "schema_migrations"])
        XCTAssertEqual(try db.query("SELECT version FROM schema_migrations").map { try $0.get("version", as: Int.self) }, [1])
        XCTAssertFalse(db.isInTransaction)

        try "CREATE TABLE fixed (id int);".write(toFile: path + "/002_bad.sql", atomically: true, encoding: .utf8)
        XCTAssertEqual(try migrator.migrate().map(\.version), [2, 3])
    }

    func testMalformedFileNamesAreRejectedBeforeAnythingRuns() throws {
        for bad in ["init.sql", "01-init.sql", "001_.sql", "abc_init.sql", "_init.sql", "001_bad name.sql"] {
            let path = try directory(["001_ok.sql": "CREATE TABLE ok (id int);", bad: "SELECT 1;"])
            XCTAssertThrowsError(try Migrator(connection: db, directory: path).migrate(), bad) { error in
                guard case MigrationError.malformedFileName(let name)? = error as? MigrationError else {
                    return XCTFail("expected malformedFileName, got \(error)")
                }
                XCTAssertEqual(name, bad)
            }
        }
        XCTAssertEqual(try tables(), [])
    }

    func testDuplicateVersionsAreRejected() throws {
        let path = try directory(["001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 2;", "002_c.sql": "SELECT 3;"])
        XCTAssertThrowsError(try Migrator(connection: db, directory: path).pending()) { error in
            guard case MigrationError.duplicateVersion(let version, let files)? = error as? MigrationError else {
                return XCTFail("expected duplicateVersion, got \(error)")
            }
            XCTAssertEqual(version, 1)
            XCTAssertEqual(files, ["001_a.sql", "1_b.sql"])
        }
    }

    func testRenamedAppliedMigrationIsReported() throws {
        let path = try directory(["001_original.sql": "SELECT 1;"])
        try Migrator(connection: db, directory: path).migrate()
        try FileManager.default.moveItem(atPath: path + "/001_original.sql", toPath: path + "/001_renamed.sql")
        XCTAssertThrowsError(try Migrator(connection: db, directory: path).migrate()) { error in
            guard case MigrationError.nameMismatch(1, "original", "001_renamed.sql")? = error as? MigrationError else {
                return XCTFail("expected nameMismatch, got \(error)")
            }
        }
    }

    func testMissingDirectoryIsAClearError() {
        XCTAssertThrowsError(try Migrator(connection: db, directory: "/nonexistent/sql").pending()) { error in
            guard case MigrationError.unreadableDirectory? = error as? MigrationError else {
                return XCTFail("expected unreadableDirectory, got \(error)")
            }
        }
    }

    func testConcurrentMigratorsApplyEachMigrationExactlyOnce() throws {
        let name = try db.query("SELECT current_database() AS db")[0].get("db", as: String.self)
        let path = try directory([
            "001_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);",
            "002_more.sql": "INSERT INTO counter VALUES (2);",
        ])
        let applied = Locked<[Int]>([])
        let failures = Locked<[String]>([])
        runConcurrently(4, prepare: { _ in
            try! Connection(PostgresServer.shared.conninfo(database: name))
        }, body: { _, connection in
            do {
                let versions = try Migrator(connection: connection, directory: path).migrate().map(\.version)
                applied.mutate { $0 += versions }
            } catch {
                failures.mutate { $0.append("\(error)") }
            }
            connection.close()
        })
        XCTAssertEqual(failures.current, [])
        XCTAssertEqual(applied.current.sorted(), [1, 2])
        XCTAssertEqual(try db.query("SELECT sum(n) AS s FROM counter")[0].get("s", as: Int.self), 3)
    }
}
