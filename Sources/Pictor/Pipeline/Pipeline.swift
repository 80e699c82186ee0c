// The request pipeline: small steps run in order, as Hummingbird's middleware chain. Every
// request takes this one way through:
//   RequestID → CORS → ErrorMapping → Routing → Authentication → CSRF → handler

import Logging

/// The rest of the pipeline after a step.
typealias Next = (inout RequestContext) throws -> Reply

/// One step: it may answer itself, change the context, or pass on to `next`.
protocol Middleware: Sendable {
    func handle(_ context: inout RequestContext, next: Next) throws -> Reply
}

struct Pipeline: Sendable {
    /// Steps every request goes through, even one the server refused before routing.
    let outer: [any Middleware]
    /// Every step: the outer ones, then those between them and the handler.
    let steps: [any Middleware]

    /// The shipped pipeline.
    init(router: Router, logger: Logger, corsOrigins: [String] = []) {
        // CORS outside the error step, so error answers carry its headers too.
        outer = [RequestIDMiddleware(), CORSMiddleware(origins: corsOrigins), ErrorMiddleware(logger: logger)]
        steps = outer + [RoutingMiddleware(router: router), AuthenticationMiddleware(), CSRFMiddleware()]
    }

    /// Answers a request. Never throws: the error step turns every error into a reply.
    func run(_ context: inout RequestContext) -> Reply {
        Self.run(steps[...], &context) { context in
            guard let route = context.route else { throw HTTPError.notFound() }
            return try route.handler(&context)
        }
    }

    /// Answers with an error found before routing (the server refused the body): the outer
    /// steps still run, so it gets a request id and the usual error page or envelope.
    func refuse(_ error: HTTPError, _ context: inout RequestContext) -> Reply {
        Self.run(outer[...], &context) { _ in throw error }
    }

    private static func run(_ steps: ArraySlice<any Middleware>, _ context: inout RequestContext, last: Next) -> Reply {
        do {
            return try chain(steps, &context, last: last)
        } catch {
            // Only reached if the error step itself is missing; it maps everything.
            return ErrorMiddleware.internalErrorReply(context)
        }
    }

    private static func chain(_ steps: ArraySlice<any Middleware>, _ context: inout RequestContext, last: Next) throws -> Reply {
        guard let step = steps.first else { return try last(&context) }
        return try step.handle(&context) { try chain(steps.dropFirst(), &$0, last: last) }
    }
}

