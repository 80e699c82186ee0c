// `pictor admin`: user, credit and API-key chores from the shell.

import ArgumentParser
import Foundation
import Pictor
import Postgres

struct Admin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users, credits and API keys.",
        subcommands: [CreateUser.self, ListUsers.self, Grant.self, Revoke.self, CreateKey.self])
}

/// Opens the database named by the config, runs `body`, and turns errors into one line.
private func withDatabase(_ options: ConfigOptions, _ body: (Config, Connection) throws -> Void) {
    do {
        let config = try options.load()
        let db = try Connection(config.databaseURL)
        defer { db.close() }
        try body(config, db)
    } catch let error as AccountError {
        fail(error.message)
    } catch LedgerError.insufficientCredits {
        fail("the user does not have that many credits")
    } catch {
        fail("\(error)")
    }
}

private func user(_ email: String, _ db: Connection) throws -> User {
    guard let user = try AccountStore(db: db).find(email: email) else { throw AccountError(message: "no user with email \(email)") }
    return user
}

extension Admin {
    struct CreateUser: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-user", abstract: "Create a user (with the sign-up bonus).",
            discussion: """
                The password is read from standard input: typed twice without echo on a terminal, \
                otherwise the first line (e.g. `printf '%s\\n' "$PASSWORD" | pictor admin create-user …`). \
                It is never an argument, where every user of the host could read it with `ps`.
                """)
        @OptionGroup var options: ConfigOptions
        @Option(help: "Email address.") var email: String

        func run() throws {
            let secret: String
            do { secret = try PasswordInput.read() } catch { fail("\(error)") }
            withDatabase(options) { config, db in
                let user = try AccountStore(db: db).create(email: email, password: secret, signupBonus: config.accounts.signupBonus,
                                                           commonPasswords: CommonPasswords(contentsOfFile: config.paths.commonPasswords))
                print("created user \(user.id) \(user.email) with \(user.credits) credits")
            }
        }
    }

    struct ListUsers: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-users", abstract: "List users, newest first.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "How many to show.") var limit = 100

        func run() throws {
            withDatabase(options) { _, db in
                let rows = try db.query("SELECT id, email, plan, credits, created_at FROM users ORDER BY id DESC LIMIT $1", [limit])
                print("id\temail\tplan\tcredits\tcreated")
                for row in rows {
                    let created: Date = try row.get("created_at")
                    print("\(try row.get("id", as: Int64.self))\t\(try row.get("email", as: String.self))\t\(try row.get("plan", as: String.self))\t\(try row.get("credits", as: Int.self))\t\(ISO8601DateFormatter().string(from: created))")
                }
            }
        }
    }

    /// What `grant` and `revoke` take.
    struct CreditChange: ParsableArguments {
        @Option(help: "The user's email.") var email: String
        @Option(help: "Credits to add or remove (positive).") var amount: Int
        @Option(help: "Why, kept in the ledger.") var reason: String

        func validate() throws {
            guard amount > 0 else { throw ValidationError("--amount must be positive") }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason is required") }
        }

        /// Appends the ledger row (the balance follows; it never goes below zero).
        func apply(_ kind: LedgerKind, _ options: ConfigOptions) {
            withDatabase(options) { _, db in
                let target = try user(email, db)
                try Ledger(db: db).append(userID: target.id, amount: kind == .revoke ? -amount : amount, kind: kind, reason: reason)
                print("\(kind == .revoke ? "removed" : "granted") \(amount) credits \(kind == .revoke ? "from" : "to") \(target.email); balance \(try user(email, db).credits)")
            }
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a user credits (a `grant` ledger row).")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var change: CreditChange
        func run() throws { change.apply(.grant, options) }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take credits from a user (a `revoke` ledger row).")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var change: CreditChange
        func run() throws { change.apply(.revoke, options) }
    }

    struct CreateKey: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-key", abstract: "Create an API key for a user and print it once.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The user's email.") var email: String
        @Option(help: "A name for the key.") var name: String

        func run() throws {
            withDatabase(options) { _, db in
                let (_, secret) = try APIKeyStore(db: db).create(userID: try user(email, db).id, name: name)
                print(secret)
            }
        }
    }
}
