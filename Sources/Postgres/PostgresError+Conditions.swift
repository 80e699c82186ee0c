// Names for SQLSTATE codes, so a logged error says what happened without the server's text.

extension PostgresError {
    /// The condition `sqlState` stands for, as PostgreSQL's documentation names it (with spaces
    /// for underscores): the code's own name when listed here, else its class's name.
    static func condition(_ sqlState: String) -> String {
        if let name = conditions[sqlState] { return name }
        return classes[String(sqlState.prefix(2))] ?? "server error"
    }

    /// The codes an application meets in practice; the rest fall back to their class.
    private static let conditions: [String: String] = [
        "08000": "connection exception", "08003": "connection does not exist", "08006": "connection failure",
        "08001": "sqlclient unable to establish sqlconnection",
        "08004": "sqlserver rejected establishment of sqlconnection",
        "08P01": "protocol violation",
        "0A000": "feature not supported",
        "21000": "cardinality violation",
        "22001": "string data right truncation", "22003": "numeric value out of range",
        "22004": "null value not allowed", "22007": "invalid datetime format", "22008": "datetime field overflow",
        "22012": "division by zero", "22021": "character not in repertoire", "22023": "invalid parameter value",
        "2202E": "array subscript error", "22032": "invalid json text", "22P02": "invalid text representation",
        "22P05": "untranslatable character",
        "23000": "integrity constraint violation", "23001": "restrict violation", "23502": "not null violation",
        "23503": "foreign key violation", "23505": "unique violation", "23514": "check violation",
        "23P01": "exclusion violation",
        "25000": "invalid transaction state", "25001": "active sql transaction", "25006": "read only sql transaction",
        "25P01": "no active sql transaction", "25P02": "in failed sql transaction",
        "25P03": "idle in transaction session timeout",
        "26000": "invalid sql statement name",
        "28000": "invalid authorization specification", "28P01": "invalid password",
        "3B001": "invalid savepoint specification",
        "3D000": "invalid catalog name", "3F000": "invalid schema name",
        "40001": "serialization failure", "40P01": "deadlock detected",
        "42501": "insufficient privilege", "42601": "syntax error", "42602": "invalid name", "42622": "name too long",
        "42701": "duplicate column", "42702": "ambiguous column", "42703": "undefined column",
        "42704": "undefined object", "42710": "duplicate object", "42725": "ambiguous function",
        "42803": "grouping error", "42804": "datatype mismatch", "42809": "wrong object type",
        "42846": "cannot coerce", "42883": "undefined function", "42P01": "undefined table",
        "42P02": "undefined parameter", "42P07": "duplicate table", "42P18": "indeterminate datatype",
        "53000": "insufficient resources", "53100": "disk full", "53200": "out of memory",
        "53300": "too many connections",
        "54000": "program limit exceeded", "54001": "statement too complex",
        "55000": "object not in prerequisite state", "55006": "object in use", "55P03": "lock not available",
        "57014": "query canceled", "57P01": "admin shutdown", "57P02": "crash shutdown",
        "57P03": "cannot connect now", "57P04": "database dropped", "57P05": "idle session timeout",
        "58030": "io error",
        "P0001": "raise exception", "P0002": "no data found", "P0003": "too many rows", "P0004": "assert failure",
        "XX000": "internal error", "XX001": "data corrupted", "XX002": "index corrupted",
    ]

    /// The first two characters of a SQLSTATE are its class.
    private static let classes: [String: String] = [
        "01": "warning", "02": "no data", "03": "sql statement not yet complete", "08": "connection exception",
        "09": "triggered action exception", "0A": "feature not supported", "0B": "invalid transaction initiation",
        "0F": "locator exception", "0L": "invalid grantor", "0P": "invalid role specification",
        "0Z": "diagnostics exception", "20": "case not found", "21": "cardinality violation",
        "22": "data exception", "23": "integrity constraint violation", "24": "invalid cursor state",
        "25": "invalid transaction state", "26": "invalid sql statement name",
        "27": "triggered data change violation", "28": "invalid authorization specification",
        "2B": "dependent privilege descriptors still exist", "2D": "invalid transaction termination",
        "2F": "sql routine exception", "34": "invalid cursor name", "38": "external routine exception",
        "39": "external routine invocation exception", "3B": "savepoint exception",
        "3D": "invalid catalog name", "3F": "invalid schema name", "40": "transaction rollback",
        "42": "syntax error or access rule violation", "44": "with check option violation",
        "53": "insufficient resources", "54": "program limit exceeded",
        "55": "object not in prerequisite state", "57": "operator intervention", "58": "system error",
        "72": "snapshot failure", "F0": "configuration file error", "HV": "foreign data wrapper error",
        "P0": "plpgsql error", "XX": "internal error",
    ]
}
