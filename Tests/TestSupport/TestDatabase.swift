// Fresh databases with Pictor's schema on the shared test server, for tests below the end-to-end level.

import Postgres

public enum TestDatabase {
    /// A new database with every migration in sql/ applied: its conninfo and a connection to it.
    public static func migrated(_ prefix: String) throws -> (conninfo: String, connection: Connection) {
        let server = PostgresServer.shared
        let conninfo = server.conninfo(database: try server.createDatabase(prefix: prefix))
        let db = try Connection(conninfo)
        try Migrator(connection: db, directory: PictorStack.root + "/sql").migrate()
        return (conninfo, db)
    }
}
