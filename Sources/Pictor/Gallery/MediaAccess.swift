// GET /generations/{id}/{image|thumbnail|thumbnail-large}: private files, after an owner check.

import Foundation

enum MediaAccess {
    /// The storage hands the file over (nginx's X-Accel-Redirect, or a redirect to a signed
    /// URL): Pictor only decides. Someone else's private image is 404, exactly like one that does not exist.
    @Sendable static func serve(_ context: inout RequestContext) throws -> Reply {
        guard let file = Generation.File(rawValue: context.parameters["file"] ?? "") else { throw HTTPError.notFound() }
        // Browsers send the session cookie; API clients their key.
        let viewer = try context.viewerID()
        guard let generation = try GenerationStore(db: context.db()).findVisible(id: try GenerationAPI.generationID(context), viewerID: viewer),
              let key = generation.key(file) else {
            throw HTTPError.notFound("There is no such image.")
        }
        return try context.app.media.reply(for: key, isPublic: generation.isPublic)
    }
}
