// "Download my data" (GDPR Articles 15 and 20): everything Pictor holds about an account as one
// JSON document, and with the account's images as a ZIP streamed to the browser. Secrets (the
// password hash, API key hashes, session tokens) are not data about the person and stay out.

import Codecs
import Foundation
import Logging
import Postgres

/// The export's JSON document.
struct DataExport: Encodable, Sendable {
    struct Profile: Encodable, Sendable {
        let id: Int64
        let email: String
        let emailConfirmed: Bool
        let plan: String
        let credits: Int
        let createdAt: String
        let stripeCustomerID: String?

        enum CodingKeys: String, CodingKey {
            case id, email, plan, credits
            case emailConfirmed = "email_confirmed", createdAt = "created_at", stripeCustomerID = "stripe_customer_id"
        }
    }

    struct GenerationEntry: Encodable, Sendable {
        let id: String
        let batchID: String
        let status: String
        let prompt: String
        let negativePrompt: String
        let model: String
        let provider: String
        let width: Int
        let height: Int
        let imageWidth: Int?
        let imageHeight: Int?
        let seed: Int64
        let creditCost: Int
        let isPublic: Bool
        let favorite: Bool
        let error: String?
        let createdAt: String
        let completedAt: String?
        /// Where the image is inside the ZIP (`images/<id>.png`); absent in the JSON-only export.
        let archivePath: String?

        init(_ generation: Generation, archivePath: String?) {
            id = generation.idString
            batchID = generation.batchID.uuidString.lowercased()
            status = generation.status.rawValue
            prompt = generation.prompt
            negativePrompt = generation.negativePrompt
            model = generation.model
            provider = generation.provider
            width = generation.width
            height = generation.height
            imageWidth = generation.imageWidth
            imageHeight = generation.imageHeight
            seed = generation.seed
            creditCost = generation.creditCost
            isPublic = generation.isPublic
            favorite = generation.favorite
            error = generation.error
            createdAt = RFC3339.string(generation.createdAt)
            completedAt = generation.completedAt.map(RFC3339.string)
            self.archivePath = archivePath
        }

        enum CodingKeys: String, CodingKey {
            case id, status, prompt, model, provider, width, height, seed, favorite, error
            case batchID = "batch_id", negativePrompt = "negative_prompt", imageWidth = "image_width", imageHeight = "image_height"
            case creditCost = "credit_cost", isPublic = "public", createdAt = "created_at", completedAt = "completed_at"
            case archivePath = "archive_path"
        }
    }

    struct LedgerRow: Encodable, Sendable {
        let id: Int64
        let amount: Int
        let kind: String
        let reason: String?
        let generationID: String?
        let createdAt: String
        let stripeEventID: String?
        let stripeCheckoutSessionID: String?
        let stripeInvoiceID: String?
        let stripeSubscriptionID: String?

        enum CodingKeys: String, CodingKey {
            case id, amount, kind, reason
            case generationID = "generation_id", createdAt = "created_at", stripeEventID = "stripe_event_id"
            case stripeCheckoutSessionID = "stripe_checkout_session_id", stripeInvoiceID = "stripe_invoice_id"
            case stripeSubscriptionID = "stripe_subscription_id"
        }
    }

    struct APIKeyEntry: Encodable, Sendable {
        let id: Int64
        let name: String
        let prefix: String
        let createdAt: String
        let lastUsedAt: String?
        let revokedAt: String?

        enum CodingKeys: String, CodingKey {
            case id, name, prefix
            case createdAt = "created_at", lastUsedAt = "last_used_at", revokedAt = "revoked_at"
        }
    }

    /// A Google or GitHub account linked for signing in.
    struct SignInEntry: Encodable, Sendable {
        let provider: String
        let email: String
        let connectedAt: String
        let lastUsedAt: String

        enum CodingKeys: String, CodingKey {
            case provider, email
            case connectedAt = "connected_at", lastUsedAt = "last_used_at"
        }
    }

    let exportedAt: String
    let profile: Profile
    let generations: [GenerationEntry]
    let ledger: [LedgerRow]
    let apiKeys: [APIKeyEntry]
    let signIns: [SignInEntry]
    /// The ledger's purchase rows: what was paid for through Stripe.
    let payments: [LedgerRow]

    enum CodingKeys: String, CodingKey {
        case profile, generations, ledger, payments
        case exportedAt = "exported_at", apiKeys = "api_keys", signIns = "sign_ins"
    }

    /// Reads the account's data. `archive` names each stored image's path inside the ZIP.
    static func load(user: User, db: Connection, archive: Bool) throws -> (document: DataExport, generations: [Generation]) {
        let generations = try db.query("SELECT \(Generation.columns) FROM generations g WHERE g.user_id = $1 ORDER BY g.created_at, g.id",
                                       [user.id]).map(Generation.init(row:))
        let ledger = try db.query("""
            SELECT id, amount, kind, reason, generation_id::text AS generation_id, created_at, stripe_event_id,
                   stripe_checkout_session_id, stripe_invoice_id, stripe_subscription_id
            FROM transactions WHERE user_id = $1 ORDER BY id
            """, [user.id]).map { row in
            LedgerRow(id: try row.get("id"), amount: try row.get("amount"), kind: try row.get("kind"), reason: try row.get("reason"),
                      generationID: try row.get("generation_id"), createdAt: RFC3339.string(try row.get("created_at")),
                      stripeEventID: try row.get("stripe_event_id"), stripeCheckoutSessionID: try row.get("stripe_checkout_session_id"),
                      stripeInvoiceID: try row.get("stripe_invoice_id"), stripeSubscriptionID: try row.get("stripe_subscription_id"))
        }
        let keys = try APIKeyStore(db: db).list(userID: user.id).map {
            APIKeyEntry(id: $0.id, name: $0.name, prefix: $0.prefix, createdAt: RFC3339.string($0.createdAt),
                        lastUsedAt: $0.lastUsedAt.map(RFC3339.string), revokedAt: $0.revokedAt.map(RFC3339.string))
        }
        let signIns = try IdentityStore(db: db).list(userID: user.id).map {
            SignInEntry(provider: $0.provider.rawValue, email: $0.email, connectedAt: RFC3339.string($0.createdAt),
                        lastUsedAt: RFC3339.string($0.lastUsedAt))
        }
        let document = DataExport(
            exportedAt: RFC3339.string(Date()),
            profile: Profile(id: user.id, email: user.email, emailConfirmed: user.emailVerified, plan: user.plan, credits: user.credits,
                             createdAt: RFC3339.string(user.createdAt), stripeCustomerID: user.stripeCustomerID),
            generations: generations.map { GenerationEntry($0, archivePath: archive ? archivePath($0) : nil) },
            ledger: ledger, apiKeys: keys, signIns: signIns, payments: ledger.filter { $0.kind == LedgerKind.purchase.rawValue })
        return (document, generations)
    }

    /// `images/<id>.png` for a generation with a stored image.
    static func archivePath(_ generation: Generation) -> String? {
        guard let key = generation.imageKey, let dot = key.lastIndex(of: ".") else { return nil }
        return "images/" + generation.idString + key[dot...]
    }

    /// The ZIP: `pictor-data.json`, then each image read from storage and sent as it is read,
    /// so a large gallery never sits in memory whole. An image storage cannot give is listed in
    /// `missing-images.txt` rather than failing the export half-way.
    static func zip(_ document: DataExport, generations: [Generation], media: any MediaStorage, logger: Logger,
                    send: ([UInt8]) -> Bool) {
        var zip = ZipWriter(date: Date().timeIntervalSince1970)
        var missing: [String] = []
        do {
            guard send(try zip.entry(name: "pictor-data.json", data: try JSONWriter.encode(document))) else { return }
            for generation in generations {
                guard let key = generation.imageKey, let path = archivePath(generation) else { continue }
                guard let bytes = try? media.read(key, isPublic: generation.isPublic) else {
                    missing.append(path)
                    continue
                }
                guard send(try zip.entry(name: path, data: bytes)) else { return }
            }
            if !missing.isEmpty {
                let text = "These images could not be read from storage when the export was made:\n" + missing.joined(separator: "\n") + "\n"
                guard send(try zip.entry(name: "missing-images.txt", data: Array(text.utf8))) else { return }
            }
            _ = send(try zip.finish())
        } catch {
            // The head is sent already: the browser sees a cut-off download, the log says why.
            logger.error("data export of user \(document.profile.id) stopped: \(error)")
        }
    }
}
