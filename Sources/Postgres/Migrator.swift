// Applies forward-only schema migrations (sql/NNN_name.sql) in order, each in its own transaction.

import Foundation

/// One migration file, `NNN_name.sql`.
public struct Migration: Equatable, Sendable, CustomStringConvertible {
    /// The number before the first underscore; migrations apply in ascending order.
    public let version: Int
    /// The part between the underscore and `.sql`, recorded in `schema_migrations.name`.
    public let name: String
    /// Full path of the file.
    public let path: String

    public init(version: Int, name: String, path: String) {
        self.version = version
        self.name = name
        self.path = path
    }

    public var description: String { (path as NSString).lastPathComponent }
}

/// Why migrating stopped. Nothing of a failed migration is left behind: its transaction rolled back.
public enum MigrationError: Error, CustomStringConvertible {
    /// The directory could not be listed.
    case unreadableDirectory(path: String, reason: String)
    /// A `.sql` file whose name is not `NNN_name.sql` (digits, underscore, letters/digits/`_`/`-`).
    case malformedFileName(String)
    /// Two files claim the same version number.
    case duplicateVersion(Int, files: [String])
    /// The database recorded this version under another name: the files do not match what ran.
    case nameMismatch(version: Int, recorded: String, file: String)
    /// A migration's SQL failed (or could not be read); it was rolled back and not recorded.
    case failed(Migration, underlying: Error)

    public var description: String {
        switch self {
        case .unreadableDirectory(let path, let reason):
            return "cannot read migrations directory \(path): \(reason)"
        case .malformedFileName(let file):
            return "malformed migration file name \"\(file)\": expected NNN_name.sql, e.g. 001_init.sql"
        case .duplicateVersion(let version, let files):
            return "duplicate migration version \(version): \(files.joined(separator: ", "))"
        case .nameMismatch(let version, let recorded, let file):
            return "migration \(version) was applied as \"\(recorded)\" but the file is now \(file)"
        case .failed(let migration, let underlying):
            return "migration \(migration) failed and was rolled back: \(underlying)"
        }
    }
}

/// Brings a database's schema up to date with the migration files in a directory.
///
/// Each file runs in its own transaction together with its `schema_migrations` row, so a file
/// is either fully applied and recorded or not at all. A session advisory lock serialises
/// migrators, so several hosts can run `pictor migrate` at deploy time without racing.
/// Statements that cannot run inside a transaction (`CREATE INDEX CONCURRENTLY`) are not supported.
public struct Migrator {
    /// Arbitrary constant shared by every Pictor migrator ("PICTOR" in ASCII, plus 1).
    static let lockKey: Int64 = 0x5049_4354_4F52_01

    private let connection: Connection
    private let directory: String

    /// A migrator for the `NNN_name.sql` files in `directory`, applied through `connection`.
    public init(connection: Connection, directory: String) {
        self.connection = connection
        self.directory = directory
    }

    /// Every migration file in the directory, in version order. Other files (README, hidden
    /// files) are ignored; a malformed `.sql` name or a duplicate version throws.
    public func all() throws -> [Migration] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError.unreadableDirectory(path: directory, reason: "\(error)")
        }
        var migrations: [Migration] = []
        for entry in entries where entry.hasSuffix(".sql") && !entry.hasPrefix(".") {
            guard let (version, name) = Migrator.parse(entry) else {
                throw MigrationError.malformedFileName(entry)
            }
            migrations.append(Migration(version: version, name: name, path: (directory as NSString).appendingPathComponent(entry)))
        }
        migrations.sort { ($0.version, $0.name) < ($1.version, $1.name) }
        if let (_, clash) = zip(migrations, migrations.dropFirst()).first(where: { $0.version == $1.version }) {
            let files = migrations.filter { $0.version == clash.version }.map(\.description)
            throw MigrationError.duplicateVersion(clash.version, files: files)
        }
        return migrations
    }

    /// Migrations not yet recorded in `schema_migrations`, in the order `migrate` would apply them.
    public func pending() throws -> [Migration] {
        let migrations = try all()
        return try unapplied(migrations, recorded: recordedVersions())
    }

    /// Applies every pending migration, in order, and returns the ones it applied (empty when
    /// the schema was already current). Stops at the first failure, which it rethrows as
    /// `MigrationError.failed` after rolling that migration back; earlier ones stay applied.
    @discardableResult
    public func migrate() throws -> [Migration] {
        let migrations = try all()
        try connection.query("SELECT pg_advisory_lock($1)", [Migrator.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Migrator.lockKey]) }

        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        // Read under the lock: another host may have applied some while we waited for it.
        let todo = try unapplied(migrations, recorded: recordedVersions())
        var applied: [Migration] = []
        for migration in todo {
            do {
                let sql = try String(contentsOfFile: migration.path, encoding: .utf8)
                try connection.transaction { db in
                    try db.execute(sql)
                    try db.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                 [migration.version, migration.name])
                }
            } catch {
                throw MigrationError.failed(migration, underlying: error)
            }
            applied.append(migration)
        }
        return applied
    }

    // MARK: - Helpers

    private func recordedVersions() throws -> [Int: String] {
        let present = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try present.first?.get("present", as: Bool.self) == true else { return [:] }
        var recorded: [Int: String] = [:]
        for row in try connection.query("SELECT version, name FROM schema_migrations") {
            recorded[try row.get("version")] = try row.get("name", as: String.self)
        }
        return recorded
    }

    private func unapplied(_ migrations: [Migration], recorded: [Int: String]) throws -> [Migration] {
        for migration in migrations {
            if let name = recorded[migration.version], name != migration.name {
                throw MigrationError.nameMismatch(version: migration.version, recorded: name, file: migration.description)
            }
        }
        return migrations.filter { recorded[$0.version] == nil }
    }

    /// Splits `NNN_name.sql` into (NNN, name).
    static func parse(_ fileName: String) -> (Int, String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let version = Int(digits),
              !name.isEmpty,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { return nil }
        return (version, String(name))
    }
}
