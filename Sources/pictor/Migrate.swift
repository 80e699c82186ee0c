// `pictor migrate`: applies the sql/NNN_*.sql migrations that have not run yet.

import ArgumentParser
import Foundation
import Pictor
import Postgres

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations (safe to run again).")

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "List pending migrations without applying them.")
    var dryRun = false

    func run() throws {
        let config: Config
        do { config = try options.load() } catch { fail("\(error)") }
        do {
            let connection = try Connection(config.databaseURL)
            defer { connection.close() }
            let migrator = Migrator(connection: connection, directory: config.paths.migrations)
            let migrations = dryRun ? try migrator.pending() : try migrator.migrate()
            if migrations.isEmpty { print("database is up to date") }
            for migration in migrations {
                print("\(dryRun ? "pending" : "applied") \(migration.version) \(migration.name)")
            }
        } catch {
            fail("migrate: \(error)")
        }
    }
}
