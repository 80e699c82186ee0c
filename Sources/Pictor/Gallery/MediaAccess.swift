// GET /generations/{id}/{image|thumbnail|thumbnail-large}: private files, after an owner check.

import FastCGI
import Foundation

enum MediaAccess {
    static func register(in router: inout Router) {
        router.get("/generations/{id}/{file}", serve)
    }

    /// nginx serves the bytes (X-Accel-Redirect to its internal location): Pictor only
    /// decides. Someone else's private image is 404, exactly like one that does not exist.
    @Sendable static func serve(_ context: inout RequestContext) throws -> Response {
        guard let file = Generation.File(rawValue: context.parameters["file"] ?? "") else { throw HTTPError.notFound() }
        // Browsers send the session cookie; API clients their key.
        let viewer = context.request.header("authorization") != nil ? try context.apiUser().id : try context.session()?.user.id
        guard let generation = try Generations(db: context.db()).findVisible(id: try GenerationAPI.generationID(context), viewerID: viewer),
              let key = generation.key(file) else {
            throw HTTPError.notFound("There is no such image.")
        }
        let target = generation.isPublic ? MediaStore.publicURL(for: key) : MediaStore.protectedURI(for: key)
        return Response(status: 200, headers: [("X-Accel-Redirect", target)], body: [])
    }
}
