// Reads a ledger row's kind from the database, refusing a kind this build does not know.

import Postgres

extension LedgerKind: PostgresDecodable {
    /// Throws rather than guessing: showing a payment or a revoke as some other kind misstates money.
    public init(postgresText text: String) throws {
        guard let kind = LedgerKind(rawValue: text) else {
            throw PostgresError(kind: .decoding, message: "unknown ledger kind \"\(text)\"")
        }
        self = kind
    }
}
