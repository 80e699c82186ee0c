// GET /api/v1/me: who the key or session belongs to, and the balance.

enum AccountAPI {
    struct Me: Encodable, Sendable {
        let id: Int64
        let email: String
        let plan: String
        let credits: Int
    }

    @Sendable static func me(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        return .json(Me(id: user.id, email: user.email, plan: user.plan, credits: user.credits))
    }
}
