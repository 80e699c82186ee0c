// Curating a gallery: publish / unpublish (files move with the flag), favorites, bulk delete.

import Foundation
import Postgres

struct Curation {
    let db: Connection
    let media: MediaStore

    /// Publishes or unpublishes one of the user's generations. The files move in the same
    /// transaction as the flag (a failed move rolls the flag back), so a private image is
    /// never left where nginx serves it openly.
    func setPublic(_ isPublic: Bool, id: UUID, userID: Int64) throws -> Generation? {
        try db.transaction { db in
            guard let current = try db.query("""
                SELECT \(Generation.columns) FROM generations g WHERE g.id = $1 AND g.user_id = $2 FOR UPDATE
                """, [id, userID]).first.map(Generation.init(row:)) else { return nil }
            guard current.isPublic != isPublic else { return current }
            let updated = try Generation(row: db.query("""
                UPDATE generations g SET public = $2 WHERE g.id = $1 RETURNING \(Generation.columns)
                """, [id, isPublic])[0])
            try media.move(current.fileKeys, toPublic: isPublic)
            return updated
        }
    }

    func setFavorite(_ favorite: Bool, id: UUID, userID: Int64) throws -> Generation? {
        try db.query("""
            UPDATE generations g SET favorite = $3 WHERE g.id = $1 AND g.user_id = $2 RETURNING \(Generation.columns)
            """, [id, userID, favorite]).first.map(Generation.init(row:))
    }
}
