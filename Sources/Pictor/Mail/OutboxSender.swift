// `pictor worker` sends the outbox: over SMTP with libcurl when `[smtp]` has a URL, else into its
// log (so `make run` needs no mail server). A failure is retried with a growing pause until
// `smtp.give_up_after`, then marked failed and logged as an error; nothing is dropped silently.

import Foundation
import HTTPClient
import Logging
import Postgres

public struct OutboxSender {
    /// What one run did.
    public struct Result: Equatable, Sendable {
        public var sent = 0
        public var retrying = 0
        public var failed = 0

        public init(sent: Int = 0, retrying: Int = 0, failed: Int = 0) {
            self.sent = sent
            self.retrying = retrying
            self.failed = failed
        }
    }

    private let db: Connection
    private let mail: Config.Mail
    private let logger: Logger

    public init(db: Connection, mail: Config.Mail, logger: Logger) {
        self.db = db
        self.mail = mail
        self.logger = logger
    }

    /// Sends every mail that is due now, one at a time.
    public func sendDue() throws -> Result {
        var result = Result()
        while let message = try claim() {
            do {
                try deliver(message)
                try db.query("UPDATE email_outbox SET status = $2, sent_at = now(), last_error = NULL WHERE id = $1",
                             [message.id, mail.url == nil ? "logged" : "sent"])
                result.sent += 1
            } catch {
                if try giveUpOrRetry(message, error: "\(error)") { result.failed += 1 } else { result.retrying += 1 }
            }
        }
        return result
    }

    private struct Queued {
        let id: Int64
        let mail: Mail
        let messageID: String
        let attempts: Int
        let createdAt: Date
    }

    /// Takes the next due mail. Pushing `send_after` ahead in the same statement is its lease: a
    /// worker that dies while sending leaves it to be tried again after the pause, by any worker.
    private func claim() throws -> Queued? {
        let rows = try db.query("""
            UPDATE email_outbox SET attempts = attempts + 1,
                send_after = now() + least(interval '1 hour', interval '30 seconds' * power(2, attempts))
            WHERE id = (SELECT id FROM email_outbox WHERE status = 'pending' AND send_after <= now()
                        ORDER BY send_after, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, to_address, subject, body_text, coalesce(body_html, '') AS body_html,
                      coalesce(message_id, '<' || id || '.' || extract(epoch FROM created_at)::bigint || '@pictor>') AS message_id,
                      attempts, created_at
            """)
        guard let row = rows.first else { return nil }
        let kind = Mail.Kind(rawValue: try row.get("kind")) ?? .lowCredit
        return Queued(id: try row.get("id"),
                      mail: Mail(kind: kind, to: try row.get("to_address"), subject: try row.get("subject"),
                                 text: try row.get("body_text"), html: try row.get("body_html")),
                      messageID: try row.get("message_id"), attempts: try row.get("attempts"), createdAt: try row.get("created_at"))
    }

    private func deliver(_ message: Queued) throws {
        guard let url = mail.url else {
            logger.notice("mail (no [smtp] configured, so logged instead of sent) to \(message.mail.to): \(message.mail.subject)\n\(message.mail.text)")
            return
        }
        let bytes = MIMEMessage.render(message.mail, from: mail.from, messageID: message.messageID, date: Date())
        try SMTPClient.send(bytes, from: mail.fromAddress, to: [message.mail.to],
                            via: SMTPServer(url: url, username: mail.username, password: mail.password,
                                            requireTLS: mail.requireTLS, timeout: mail.timeout))
    }

    /// Records the failure; past `give_up_after` the mail is marked failed. Returns whether it was.
    private func giveUpOrRetry(_ message: Queued, error: String) throws -> Bool {
        let status: String = try db.query("""
            UPDATE email_outbox SET last_error = $2,
                status = CASE WHEN created_at <= now() - make_interval(secs => $3::float8) THEN 'failed' ELSE 'pending' END
            WHERE id = $1 RETURNING status
            """, [message.id, String(error.prefix(500)), Double(mail.giveUpAfter)])[0].get("status")
        if status == "failed" {
            logger.error("gave up on mail \(message.id) (\(message.mail.kind.rawValue)) to \(message.mail.to) after \(message.attempts) attempts: \(error)")
            return true
        }
        logger.warning("mail \(message.id) to \(message.mail.to) not sent (attempt \(message.attempts)), trying again later: \(error)")
        return false
    }
}
