// The Free plan's monthly credits: `pictor worker` tops Free accounts back up once a calendar
// month (UTC), on the housekeeping schedule.

import Postgres

public struct FreePlanRefill {
    /// What one run did.
    public struct Result: Equatable, Sendable, CustomStringConvertible {
        /// Free accounts marked as served this month (a balance at or above the plan's credits gets nothing).
        public var served = 0
        /// Those given credits.
        public var toppedUp = 0

        public init(served: Int = 0, toppedUp: Int = 0) {
            self.served = served
            self.toppedUp = toppedUp
        }

        public var description: String { "topped up \(toppedUp) of \(served) Free account(s) for this month" }
    }

    private let db: Connection
    private let plan: Plan
    private let onlyVerified: Bool
    private let batchSize: Int

    /// - Parameters:
    ///   - onlyVerified: skip accounts whose address is not confirmed (`accounts.bonus_after_verification`).
    ///   - batchSize: accounts per transaction, so a large run holds its row locks briefly.
    public init(db: Connection, billing: Billing, onlyVerified: Bool = false, batchSize: Int = 500) {
        self.db = db
        self.plan = billing.freePlan
        self.onlyVerified = onlyVerified
        self.batchSize = max(1, batchSize)
    }

    /// Serves every Free account not yet served this month. Safe to run from several workers at
    /// once and as often as wanted: each account is topped up at most once a month.
    public func run() throws -> Result {
        var result = Result()
        guard plan.monthlyCredits > 0 else { return result }
        while true {
            let batch = try Ledger(db: db).refillMonthly(plan: plan.id, credits: plan.monthlyCredits, onlyVerified: onlyVerified,
                                                         batchSize: batchSize)
            result.served += batch.served
            result.toppedUp += batch.toppedUp
            if batch.served < batchSize { return result }
        }
    }
}
