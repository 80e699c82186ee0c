// Every route of the app in one table: method, pattern, handler. The order does not matter
// (the router picks the most specific pattern); two routes that would match the same requests
// stop the app at start.

enum Routes {
    static func all(config: Config) -> [Route] {
        [
            // Public pages
            .get("/", Pages.landing),
            .get("/privacy", Pages.privacy),
            .get("/terms", Pages.terms),
            .get("/healthz", Health.healthz),
            // Operators only: nginx lets the addresses they allow through (nginx/site.conf.in).
            .get("/metrics", Metrics.metrics),
            .get("/status", PoolStatus.status),
            .get("/pricing", PricingPages.pricing),

            // Billing (Stripe)
            .post("/billing/checkout", BillingPages.checkout),
            .post("/billing/portal", BillingPages.portal),
            .get("/billing/success", BillingPages.success),
            .get("/billing/cancel", BillingPages.cancel),
            .post("/webhooks/stripe", StripeWebhook.receive),

            // Accounts
            .get("/signup", AccountPages.signupForm),
            .post("/signup", AccountPages.signup),
            .get("/login", AccountPages.loginForm),
            .post("/login", AccountPages.login),
            .post("/logout", AccountPages.logout),
            .get("/account", AccountPages.account),
            .post("/account/password", AccountPages.changePassword),
            .post("/account/api-keys", AccountPages.createAPIKey),
            .post("/account/api-keys/{id}/revoke", AccountPages.revokeAPIKey),
            .post("/account/verify-email", EmailVerificationPages.resend),
            .get("/account/export", AccountDataPages.exportArchive),
            .post("/account/delete", AccountDataPages.delete),
            .get("/email/verify", EmailVerificationPages.verify),
            .get("/password/forgot", PasswordResetPages.forgotForm),
            .post("/password/forgot", PasswordResetPages.forgot),
            .get("/password/reset", PasswordResetPages.resetForm),
            .post("/password/reset", PasswordResetPages.reset),

            // Signing in with Google and GitHub
            .post("/auth/{provider}", SignInPages.start),
            .get("/auth/{provider}/callback", SignInPages.callback),
            .post("/account/identities/{id}/unlink", SignInPages.unlink),

            // Generating
            .get("/generate", GenerationPages.form),
            .post("/generate", GenerationPages.submit),
            .get("/generations/{id}", GenerationPages.show),
            .post("/generations/{id}/delete", GenerationPages.delete),

            // Gallery, sharing and private media
            .get("/gallery", GalleryPages.gallery),
            .post("/gallery/delete", GalleryPages.deleteSelected),
            .get("/explore", GalleryPages.explore),
            .post("/generations/{id}/publish", GalleryPages.publish),
            .post("/generations/{id}/favorite", GalleryPages.favorite),
            .get("/generations/{id}/{file}", MediaAccess.serve),

            // JSON API
            .get("/api/v1/me", AccountAPI.me),
            .get("/api/v1/me/export", AccountDataPages.exportJSON),
            .post("/api/v1/generations", GenerationAPI.create),
            .get("/api/v1/generations", GenerationAPI.list),
            .get("/api/v1/generations/{id}", GenerationAPI.show),
            .delete("/api/v1/generations/{id}", GenerationAPI.delete),
            .patch("/api/v1/generations/{id}", GenerationAPI.update),
            .get("/api/v1/models", GenerationAPI.models),
            .get("/api/v1/transactions", GenerationAPI.transactions),
            .get("/api/v1/openapi.json", APIDocument.handler(publicDirectory: config.paths.publicFiles, models: config.models)),

            // OpenAI-compatible API (OpenAI's error shape: see Surface)
            .post("/v1/images/generations", OpenAIImagesAPI.generate),
            .get("/v1/models", OpenAIImagesAPI.models),
        ]
    }
}
