// Queries against a real server: every type round-trips, parameters stay data, errors map, statements are cached.

import Foundation
import Postgres
import TestSupport
import XCTest

final class ConnectionTests: XCTestCase {
    var db: Connection!

    override func setUpWithError() throws {
        db = try Fixtures.emptyDatabase("conn").connection
    }

    override func tearDown() {
        db?.close()
    }

    private func echo<T: PostgresEncodable & PostgresDecodable>(_ value: T, as sqlType: String) throws -> T {
        try db.query("SELECT $1::\(sqlType) AS v", [value])[0].get("v")
    }

    // MARK: Round trips

    func testStringsRoundTripIncludingUnicodeAndQuotes() throws {
        for value in ["", "plain", "héllo wörld 日本語 🎨👩‍🎨", "it's \"quoted\" \\ back\\slash", "line\nbreak\ttab", String(repeating: "x", count: 100_000)] {
            XCTAssertEqual(try echo(value, as: "text"), value)
        }
        XCTAssertEqual(try db.query("SELECT char_length($1::text) AS n", ["🎨日本"])[0].get("n", as: Int.self), 3)
    }

    func testIntegersRoundTripAtTheirLimits() throws {
        XCTAssertEqual(try echo(Int.max, as: "bigint"), Int.max)
        XCTAssertEqual(try echo(Int.min, as: "bigint"), Int.min)
        XCTAssertEqual(try echo(Int32.max, as: "integer"), Int32.max)
        XCTAssertEqual(try echo(Int32.min, as: "integer"), Int32.min)
        XCTAssertEqual(try echo(Int64(4_294_967_295), as: "bigint"), 4_294_967_295)
        XCTAssertEqual(try db.query("SELECT 40 + $1::int AS n", [2])[0].get("n", as: Int.self), 42)
    }

    func testBooleansRoundTripAndDecodeServerLiterals() throws {
        XCTAssertEqual(try echo(true, as: "boolean"), true)
        XCTAssertEqual(try echo(false, as: "boolean"), false)
        let row = try db.query("SELECT true AS yes, false AS no, $1::boolean IS TRUE AS bound", [true])[0]
        XCTAssertEqual(try row.get("yes", as: Bool.self), true)
        XCTAssertEqual(try row.get("no", as: Bool.self), false)
        XCTAssertEqual(try row.get("bound", as: Bool.self), true)
    }

    func testDoublesRoundTripExactly() throws {
        for value in [0.1, -1.5e300, Double.pi, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, Double.infinity, -Double.infinity, 0] {
            XCTAssertEqual(try echo(value, as: "double precision"), value)
        }
        XCTAssertTrue(try echo(Double.nan, as: "double precision").isNaN)
        XCTAssertEqual(try db.query("SELECT 0.1::float8 + 0.2::float8 AS v")[0].get("v", as: Double.self), 0.1 + 0.2)
    }

    func testUUIDsRoundTripAndDecodeServerGeneratedOnes() throws {
        let id = UUID()
        XCTAssertEqual(try echo(id, as: "uuid"), id)
        let generated = try db.query("SELECT gen_random_uuid() AS id, gen_random_uuid()::text AS text")[0]
        XCTAssertNoThrow(try generated.get("id", as: UUID.self))
        XCTAssertEqual(try db.query("SELECT $1::uuid::text AS t", [id])[0].get("t", as: String.self), id.uuidString.lowercased())
    }

    func testByteaRoundTripsEveryByteValue() throws {
        let all = [UInt8](0...255)
        XCTAssertEqual(try echo(all, as: "bytea"), all)
        XCTAssertEqual(try echo([UInt8](), as: "bytea"), [])
        XCTAssertEqual(try db.query("SELECT octet_length($1::bytea) AS n", [all])[0].get("n", as: Int.self), 256)
        XCTAssertEqual(try db.query("SELECT decode('00ff10', 'hex') AS b")[0].get("b", as: [UInt8].self), [0x00, 0xff, 0x10])
        XCTAssertEqual(try db.query("SELECT sha256('abc') AS h")[0].get("h", as: [UInt8].self).count, 32)
    }

    func testDatesRoundTripWithMicrosecondsAndTheServerSeesTheSameInstant() throws {
        let date = Date(timeIntervalSince1970: 1_795_595_282.123456)
        XCTAssertEqual(try echo(date, as: "timestamptz").timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 1e-6)
        let row = try db.query("SELECT $1::timestamptz::text AS text, extract(epoch FROM $1::timestamptz)::float8 AS epoch", [date])[0]
        XCTAssertEqual(try row.get("text", as: String.self), "2026-11-25 08:28:02.123456+00")
        XCTAssertEqual(try row.get("epoch", as: Double.self), 1_795_595_282.123456, accuracy: 1e-6)
    }

    func testTimestampsDecodeWithAndWithoutFractionalSeconds() throws {
        let row = try db.query("""
            SELECT '2026-11-25 08:28:02+00'::timestamptz AS whole,
                   '2026-11-25 08:28:02.25+00'::timestamptz AS fraction,
                   '2026-11-25 10:28:02+02'::timestamptz AS offset,
                   '2026-11-25'::date AS day,
                   now() AS now
            """)[0]
        XCTAssertEqual(try row.get("whole", as: Date.self).timeIntervalSince1970, 1_795_595_282)
        XCTAssertEqual(try row.get("fraction", as: Date.self).timeIntervalSince1970, 1_795_595_282.25)
        XCTAssertEqual(try row.get("offset", as: Date.self).timeIntervalSince1970, 1_795_595_282)
        XCTAssertEqual(try row.get("day", as: Date.self).timeIntervalSince1970, 1_795_564_800)
        XCTAssertEqual(try row.get("now", as: Date.self).timeIntervalSinceNow, 0, accuracy: 60)
    }

    func testSessionTimeZoneIsUTC() throws {
        XCTAssertEqual(try db.query("SHOW TimeZone")[0].get(0, as: String.self), "UTC")
        XCTAssertTrue(try db.query("SELECT now()::text AS t")[0].get("t", as: String.self).hasSuffix("+00"))
    }

    func testNullDecodesAsNilOnlyForOptionals() throws {
        let row = try db.query("SELECT NULL::text AS t, NULL::int AS i, 'x'::text AS x")[0]
        XCTAssertNil(try row.get("t", as: String?.self))
        XCTAssertNil(try row.get("i", as: Int?.self))
        XCTAssertEqual(try row.get("x", as: String?.self), "x")
        XCTAssertTrue(row.isNull("t"))
        XCTAssertFalse(row.isNull("x"))
        let error = assertPostgresError(try row.get("t", as: String.self))
        XCTAssertEqual(error?.kind, .decoding)
        XCTAssertTrue(error?.message.contains("\"t\"") ?? false)
    }

    func testNilParametersBindSQLNull() throws {
        let missing: String? = nil
        let present: Int? = 7
        let row = try db.query("SELECT $1::text IS NULL AS a, $2::text IS NULL AS b, $3::int AS c, $4::int IS NULL AS d",
                               [nil, missing, present, Optional<Int>.none])[0]
        XCTAssertEqual(try row.get("a", as: Bool.self), true)
        XCTAssertEqual(try row.get("b", as: Bool.self), true)
        XCTAssertEqual(try row.get("c", as: Int?.self), 7)
        XCTAssertEqual(try row.get("d", as: Bool.self), true)
    }

    func testStatementsPlannedEachTimeBindLikePreparedOnesAndAreNotCached() throws {
        let sql = "SELECT $1::text AS t, $2::int IS NULL AS missing, $3::int + 1 AS n"
        let row = try db.queryPlanningEachTime(sql, ["it's", Optional<Int>.none, 41])[0]
        XCTAssertEqual(try row.get("t", as: String.self), "it's")
        XCTAssertEqual(try row.get("missing", as: Bool.self), true)
        XCTAssertEqual(try row.get("n", as: Int.self), 42)
        let prepared = try db.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1", [sql])[0]
        XCTAssertEqual(try prepared.get("n", as: Int.self), 0)
        XCTAssertEqual(assertPostgresError(try db.queryPlanningEachTime("SELECT $1::int AS n", ["x"]))?.kind, .query)
        XCTAssertEqual(try db.queryPlanningEachTime("SELECT 1 AS one")[0].get("one", as: Int.self), 1, "still usable")
    }

    func testRawValuesOfARowDifferExactlyWhenAValueDoes() throws {
        func key(_ a: String?, _ b: String?) throws -> [UInt8] {
            var bytes: [UInt8] = []
            try db.query("SELECT $1::text AS a, $2::text AS b", [a, b])[0].appendRawValues(to: &bytes)
            return bytes
        }
        XCTAssertEqual(try key("fox", "at dusk"), try key("fox", "at dusk"))
        XCTAssertNotEqual(try key("fox", "at dusk"), try key("fox", "at dawn"))
        XCTAssertNotEqual(try key("", "x"), try key(nil, "x"), "NULL is not the empty string")
        XCTAssertNotEqual(try key("ab", "c"), try key("a", "bc"), "each value carries its length")
        XCTAssertEqual(try key("é", nil), [2, 0, 0, 0, 0xC3, 0xA9, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    // MARK: Pipelines

    func testPipelineReturnsEachStatementsRowsInOrder() throws {
        try db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)")
        try db.query("INSERT INTO notes VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        let results = try db.pipeline([
            Statement("SELECT body FROM notes WHERE id = $1", [2]),
            Statement("SELECT id FROM notes WHERE id > $1 ORDER BY id", [1]),
            Statement("SELECT body FROM notes WHERE body LIKE $1 ORDER BY id", ["t%"], planEachTime: true),
            Statement("SELECT body FROM notes WHERE id = $1", [42]),
        ])
        XCTAssertEqual(results.count, 4)
        XCTAssertEqual(try results[0].map { try $0.get("body", as: String.self) }, ["two"])
        XCTAssertEqual(try results[1].map { try $0.get("id", as: Int.self) }, [2, 3])
        XCTAssertEqual(try results[2].map { try $0.get("body", as: String.self) }, ["two", "three"])
        XCTAssertEqual(results[3].count, 0)
        // Prepared ones are cached like `query`'s; the planned-each-time one is not.
        let prepared = try db.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE $1", ["%FROM notes%"])
        XCTAssertEqual(try prepared[0].get("n", as: Int.self), 2)
    }

    func testPipelineStatementsShareOneTransaction() throws {
        let results = try db.pipeline([
            Statement("SELECT txid_current() AS id, now() AS at"),
            Statement("SELECT txid_current() AS id, now() AS at"),
        ])
        XCTAssertEqual(try results[0][0].get("id", as: Int.self), try results[1][0].get("id", as: Int.self))
        XCTAssertEqual(try results[0][0].get("at", as: Date.self), try results[1][0].get("at", as: Date.self))
        XCTAssertFalse(db.isInTransaction, "the sync ended it")
    }

    func testFailedPipelineStatementSkipsTheRestKeepsNothingAndLeavesTheConnectionUsable() throws {
        try db.execute("CREATE TABLE hits (n int NOT NULL)")
        let error = assertPostgresError(try db.pipeline([
            Statement("INSERT INTO hits VALUES ($1)", [1]),
            Statement("SELECT $1::int AS n", ["not a number"]),
            Statement("INSERT INTO hits VALUES ($1)", [2]),
        ]))
        XCTAssertEqual(error?.kind, .query)
        XCTAssertEqual(error?.sqlState, "22P02")
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 0,
                       "the insert before the failure was rolled back, the one after never ran")
        XCTAssertEqual(try db.pipeline([Statement("SELECT 1 AS one")])[0][0].get("one", as: Int.self), 1)
    }

    func testPipelineInsideATransactionIsPartOfIt() throws {
        try db.execute("CREATE TABLE hits (n int NOT NULL)")
        _ = try? db.transaction { db -> Void in
            _ = try db.pipeline([Statement("INSERT INTO hits VALUES (1)"), Statement("INSERT INTO hits VALUES (2)")])
            XCTAssertTrue(db.isInTransaction)
            throw PostgresError(kind: .query, message: "undo")
        }
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM hits")[0].get("n", as: Int.self), 0)
    }

    func testPipelinePreparesAfreshWhenItsStatementsWereDeallocated() throws {
        XCTAssertEqual(try db.pipeline([Statement("SELECT $1::int + 1 AS n", [1])])[0][0].get("n", as: Int.self), 2)
        try db.execute("DEALLOCATE ALL")
        XCTAssertEqual(try db.pipeline([Statement("SELECT $1::int + 1 AS n", [2])])[0][0].get("n", as: Int.self), 3)
    }

    // MARK: Safety

    func testParametersAreNeverInterpolatedIntoSQL() throws {
        try db.execute("CREATE TABLE x (id serial PRIMARY KEY, v text NOT NULL)")
        let hostile = ["'); DROP TABLE x; --", "$1", "\\'; SELECT 1; --", "x' OR '1'='1"]
        for value in hostile {
            try db.query("INSERT INTO x (v) VALUES ($1)", [value])
        }
        let stored = try db.query("SELECT v FROM x ORDER BY id").map { try $0.get("v", as: String.self) }
        XCTAssertEqual(stored, hostile)
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM x WHERE v = $1", ["x' OR '1'='1"])[0].get("n", as: Int.self), 1)
    }

    func testNulByteInParameterIsRejectedBeforeReachingTheServer() throws {
        let error = assertPostgresError(try db.query("SELECT $1::text", ["a\u{0}b"]))
        XCTAssertEqual(error?.kind, .query)
        XCTAssertEqual(error?.sqlState, "22021")
        XCTAssertEqual(try db.query("SELECT 1 AS one")[0].get("one", as: Int.self), 1)
    }

    // MARK: Results

    func testAffectedRowsAndColumnsDescribeTheResult() throws {
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
        XCTAssertEqual(try db.query("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')").affectedRows, 3)
        XCTAssertEqual(try db.query("UPDATE t SET name = upper(name) WHERE id >= $1", [2]).affectedRows, 2)
        let rows = try db.query("SELECT id, name FROM t ORDER BY id")
        XCTAssertEqual(rows.columns, ["id", "name"])
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows.affectedRows, 3)
        XCTAssertEqual(try rows.map { try $0.get(1, as: String.self) }, ["a", "B", "C"])
        XCTAssertEqual(try rows.last?.get(0, as: Int.self), 3)
        XCTAssertEqual(assertPostgresError(try rows[0].get("missing", as: Int.self))?.kind, .decoding)
        XCTAssertEqual(assertPostgresError(try rows[0].get(5, as: Int.self))?.kind, .decoding)
        XCTAssertEqual(assertPostgresError(try rows[0].get("name", as: Int.self))?.kind, .decoding)
        XCTAssertEqual(try db.query("SELECT * FROM t WHERE id = $1", [99]).count, 0)
    }

    func testExecuteRunsSeveralStatementsAtOnce() throws {
        try db.execute("CREATE TABLE a (n int); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);")
        XCTAssertEqual(try db.query("SELECT sum(n) AS s FROM a")[0].get("s", as: Int.self), 3)
    }

    // MARK: Errors

    func testConstraintErrorsMapToConveniences() throws {
        try db.execute("""
            CREATE TABLE parent (id int PRIMARY KEY);
            CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id),
                                n int CONSTRAINT child_n_positive CHECK (n > 0));
            INSERT INTO parent VALUES (1);
            INSERT INTO child VALUES (1, 1, 1);
            """)
        let unique = assertPostgresError(try db.query("INSERT INTO child VALUES ($1, 1, 1)", [1]))
        XCTAssertEqual(unique?.sqlState, "23505")
        XCTAssertEqual(unique?.kind, .query)
        XCTAssertEqual(unique?.constraint, "child_pkey")
        XCTAssertEqual(unique?.isUniqueViolation, true)
        XCTAssertEqual(unique?.isCheckViolation, false)
        XCTAssertEqual(unique?.isConnectionFailure, false)
        XCTAssertEqual(unique?.serverDetail, "Key (id)=(1) already exists.")

        let check = assertPostgresError(try db.query("INSERT INTO child VALUES ($1, 1, $2)", [2, -5]))
        XCTAssertEqual(check?.isCheckViolation, true)
        XCTAssertEqual(check?.constraint, "child_n_positive")

        let foreign = assertPostgresError(try db.query("INSERT INTO child VALUES ($1, $2, 1)", [3, 99]))
        XCTAssertEqual(foreign?.isForeignKeyViolation, true)
        XCTAssertEqual(foreign?.constraint, "child_parent_id_fkey")
    }

    func testSyntaxErrorIsAQueryErrorAndTheConnectionStaysUsable() throws {
        let error = assertPostgresError(try db.query("SELEC 1"))
        XCTAssertEqual(error?.kind, .query)
        XCTAssertEqual(error?.sqlState, "42601")
        XCTAssertEqual(assertPostgresError(try db.execute("SELECT * FROM nowhere"))?.sqlState, "42P01")
        XCTAssertEqual(try db.query("SELECT 2 AS two")[0].get("two", as: Int.self), 2)
    }

    func testWrongParameterCountIsAQueryErrorNotAConnectionFailure() throws {
        let error = assertPostgresError(try db.query("SELECT $1::int + $2::int AS s", [1]))
        XCTAssertEqual(error?.kind, .query)
        XCTAssertEqual(error?.isConnectionFailure, false)
        XCTAssertEqual(try db.query("SELECT $1::int + $2::int AS s", [1, 2])[0].get("s", as: Int.self), 3)
    }

    func testClosedConnectionThrowsConnectionError() {
        db.close()
        XCTAssertEqual(assertPostgresError(try db.query("SELECT 1"))?.kind, .connection)
    }

    func testConnectingToNothingThrowsConnectionError() {
        let error = assertPostgresError(try Connection("host=127.0.0.1 port=\(freePort()) user=postgres dbname=x connect_timeout=2"))
        XCTAssertEqual(error?.kind, .connection)
        XCTAssertEqual(error?.isConnectionFailure, true)
        XCTAssertEqual(assertPostgresError(try Connection("not a = valid ' conninfo"))?.kind, .connection)
    }

    func testURIConnectionStringsWork() throws {
        let name = try PostgresServer.shared.createDatabase(prefix: "uri")
        let uri = try Connection("postgresql://postgres@127.0.0.1:\(PostgresServer.shared.port)/\(name)?application_name=pictor-test")
        defer { uri.close() }
        let row = try uri.query("SELECT current_database() AS db, current_setting('application_name') AS app, current_setting('TimeZone') AS tz")[0]
        XCTAssertEqual(try row.get("db", as: String.self), name)
        XCTAssertEqual(try row.get("app", as: String.self), "pictor-test")
        XCTAssertEqual(try row.get("tz", as: String.self), "UTC")
    }

    // MARK: Prepared statements

    func testEachStatementIsPreparedOnceAndReused() throws {
        let sql = "SELECT $1::int * 2 AS doubled"
        for n in 0..<500 {
            XCTAssertEqual(try db.query(sql, [n])[0].get("doubled", as: Int.self), n * 2)
        }
        let prepared = try db.query("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        XCTAssertEqual(try prepared.map { try $0.get("statement", as: String.self) },
                       [sql, "SELECT statement FROM pg_prepared_statements ORDER BY prepare_time"])
        try db.query("SELECT $1::int + 1 AS other", [1])
        XCTAssertEqual(try db.query("SELECT count(*) AS n FROM pg_prepared_statements")[0].get("n", as: Int.self), 4)
    }

    func testCachedStatementIsPreparedAgainWhenItsTableChanges() throws {
        try db.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
        XCTAssertEqual(try db.query("SELECT * FROM t").columns, ["a"])
        try db.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'new'")
        let rows = try db.query("SELECT * FROM t")
        XCTAssertEqual(rows.columns, ["a", "b"])
        XCTAssertEqual(try rows[0].get("b", as: String.self), "new")
    }

    func testCachedStatementSurvivesDeallocateAll() throws {
        XCTAssertEqual(try db.query("SELECT $1::int AS n", [1])[0].get("n", as: Int.self), 1)
        try db.execute("DEALLOCATE ALL")
        XCTAssertEqual(try db.query("SELECT $1::int AS n", [2])[0].get("n", as: Int.self), 2)
    }
}
