// A statement with its parameters, for running later or several at once (`Connection.pipeline`).

/// SQL with `$1`, `$2`, … and the values bound to them (`nil` binds SQL `NULL`).
public struct Statement {
    public var sql: String
    public var parameters: [PostgresEncodable?]
    /// Plan for these very values on each run instead of preparing once
    /// (see `Connection.queryPlanningEachTime`).
    public var planEachTime: Bool

    public init(_ sql: String, _ parameters: [PostgresEncodable?] = [], planEachTime: Bool = false) {
        self.sql = sql
        self.parameters = parameters
        self.planEachTime = planEachTime
    }
}
