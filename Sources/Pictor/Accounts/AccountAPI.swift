// GET /api/v1/me: who the key or session belongs to, and the balance.

import FastCGI

enum AccountAPI {
    static func register(in router: inout Router) {
        router.get("/api/v1/me", me)
    }

    @Sendable static func me(_ context: inout RequestContext) throws -> Response {
        let user = try context.apiUser()
        return .json(["id": user.id, "email": user.email, "plan": user.plan, "credits": user.credits])
    }
}
