// Curating a gallery: publish / unpublish (files move with the flag), favorites, bulk delete.

import Foundation
import Logging
import Postgres

struct Curation {
    let db: Connection
    let media: any MediaStorage
    let logger: Logger

    /// Publishes or unpublishes one of the user's generations. The files move while the row
    /// is locked, before the flag commits (a failed move rolls the flag back), so a private
    /// image is never left where nginx serves it openly; a job completing meanwhile waits for
    /// the lock and places its files by the new flag (JobSettler.complete). Unpublishing also
    /// gives the files new names: the public URLs people copied, and caches keep for a year,
    /// stop reaching them.
    func setPublic(_ isPublic: Bool, id: UUID, userID: Int64) throws -> Generation? {
        try db.transaction { db in
            guard let current = try db.query("""
                SELECT \(Generation.columns) FROM generations g WHERE g.id = $1 AND g.user_id = $2 FOR UPDATE
                """, [id, userID]).first.map(Generation.init(row:)) else { return nil }
            guard current.isPublic != isPublic else { return current }
            let keys = isPublic ? current.fileKeys : MediaKey.renamed(current.fileKeys)
            let updated = try Generation(row: db.query("""
                UPDATE generations g SET public = $2, image_key = $3, thumb_key = $4, thumb_large_key = $5
                WHERE g.id = $1 RETURNING \(Generation.columns)
                """, [id, isPublic, keys[0], keys[1], keys[2]])[0])
            let moves = zip(current.fileKeys, keys).compactMap { old, new -> (from: String, to: String)? in
                guard let old, let new else { return nil }
                return (old, new)
            }
            let missing = isPublic ? try media.place(current.fileKeys, isPublic: true) : try media.unpublish(moves)
            for key in missing {
                logger.error("generation \(id): file \(key) is missing from the media directory")
            }
            return updated
        }
    }

    func setFavorite(_ favorite: Bool, id: UUID, userID: Int64) throws -> Generation? {
        try db.query("""
            UPDATE generations g SET favorite = $3 WHERE g.id = $1 AND g.user_id = $2 RETURNING \(Generation.columns)
            """, [id, userID, favorite]).first.map(Generation.init(row:))
    }
}
