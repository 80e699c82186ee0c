// The config file format, environment overrides and the errors sysadmins see.

@testable import Pictor
import XCTest

final class ConfigTests: XCTestCase {
    private func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "pictor-\(UUID().uuidString).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testReadsSectionsCommentsAndQuotedValues() throws {
        let path = try write("""
        # comment
        ; another comment
        [server]
        listen = 127.0.0.1:9000
        workers = 4
        threads=16
        max_requests = 1_000
        access_log = off
        listen_mode = 0600
        [site]
        name = "My Pictor"
        [database]
        url = postgresql://pictor@db/pictor?sslmode=require
        """)
        let config = try Config.load(path: path, environment: [:])
        XCTAssertEqual(config.server.listen, "127.0.0.1:9000")
        XCTAssertEqual(config.server.workers, 4)
        XCTAssertEqual(config.server.threads, 16)
        XCTAssertEqual(config.server.maxRequests, 1000)
        XCTAssertFalse(config.server.accessLog)
        XCTAssertEqual(config.server.listenMode, 0o600)
        XCTAssertEqual(config.site.name, "My Pictor")
        XCTAssertEqual(config.databaseURL, "postgresql://pictor@db/pictor?sslmode=require")
        XCTAssertEqual(config.source, path)
    }

    func testEnvironmentOverridesTheFile() throws {
        let path = try write("[database]\nurl = postgresql:///file\n[server]\nworkers = 2\n")
        let config = try Config.load(path: path, environment: [
            "PICTOR_DATABASE_URL": "postgresql://secret@db/pictor", "PICTOR_SERVER_WORKERS": "3", "UNRELATED": "x",
        ])
        XCTAssertEqual(config.databaseURL, "postgresql://secret@db/pictor")
        XCTAssertEqual(config.server.workers, 3)
    }

    func testDefaultsWithoutAFile() throws {
        let config = try Config.load(path: nil, environment: [:])
        XCTAssertEqual(config.server.workers, 2)
        XCTAssertEqual(config.server.maxBodyBytes, 10 << 20)
        XCTAssertEqual(config.models.map(\.name), ["flux-schnell", "sdxl", "flux-schnell-hd"])
        XCTAssertEqual(config.models.map(\.creditCost), [1, 2, 3])
        XCTAssertEqual(config.accounts.signupPerHour, 5)
        XCTAssertEqual(config.paths.commonPasswords, "data/common-passwords.txt")
    }

    func testUnknownSettingIsAnError() throws {
        let path = try write("[server]\nworker = 4\n")
        XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { error in
            XCTAssertEqual("\(error)", "\(path): unknown setting 'server.worker'")
        }
    }

    func testBadValuesNameTheSetting() throws {
        for (text, message) in [
            ("[server]\nworkers = many\n", "server.workers must be a whole number in 1…256, got 'many'"),
            ("[server]\nworkers = 0\n", "server.workers must be a whole number in 1…256, got '0'"),
            ("[server]\naccess_log = maybe\n", "server.access_log must be on or off, got 'maybe'"),
            ("[server]\nlisten_mode = 999\n", "server.listen_mode must be an octal file mode such as 0660, got '999'"),
        ] {
            let path = try write(text)
            XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testSyntaxErrorsNameTheLine() throws {
        let path = try write("[server]\nworkers 4\n")
        XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { error in
            XCTAssertEqual("\(error)", "\(path):2: expected key = value")
        }
    }

    func testMissingExplicitFileIsAnError() {
        XCTAssertThrowsError(try Config.load(path: "/nonexistent/pictor.conf", environment: [:]))
    }

    func testShippedConfigFileLoads() throws {
        let config = try Config.load(path: PictorPaths.root + "/pictor.conf", environment: [:])
        XCTAssertEqual(config.server.listen, "var/run/pictor.sock")
    }

    func testShippedConfigOffersTheThreeBuiltinModelsWithoutKeys() throws {
        let config = try Config.load(path: PictorPaths.root + "/pictor.conf", environment: [:])
        XCTAssertEqual(config.models.map(\.name), ["flux-schnell", "sdxl", "flux-schnell-hd"], "in the file's order")
        XCTAssertEqual(config.models.map(\.label), ["FLUX.1 schnell", "Stable Diffusion XL", "FLUX.1 schnell HD"])
        XCTAssertEqual(config.models.map(\.creditCost), [1, 2, 3])
        XCTAssertEqual(config.models.map(\.upscale), [false, false, true])
        XCTAssertEqual(config.models.map(\.defaultSteps), [4, 30, 4])
        XCTAssertTrue(config.models.allSatisfy(\.isOfflinePreview))
        XCTAssertEqual(config.providers.map(\.name), ["builtin"])
        XCTAssertEqual(config.notices, ["payments are off: set PICTOR_STRIPE_SECRET_KEY and PICTOR_STRIPE_WEBHOOK_SECRET to take them"])
    }

    func testModelAndProviderSectionsWithTheKeyFromTheEnvironment() throws {
        let path = try write("""
        [model.flux-schnell]
        label = FLUX.1 schnell (fast)
        provider = pixelapi
        provider_model = flux-1-schnell
        cost = 1
        sizes = 1024x1024, 512x512
        upscale = 1
        [model.big]
        provider = localai
        cost = 4
        upscale = 2
        steps = 20
        [provider.pixelapi]
        concurrency = 32
        timeout = 90
        [provider.localai]
        type = openai
        url = http://127.0.0.1:8081/
        poll_interval = 0.5
        max_response_bytes = 2048
        """)
        let config = try Config.load(path: path, environment: ["PICTOR_PROVIDER_PIXELAPI_KEY": "px-secret"])
        XCTAssertEqual(config.models.map(\.name), ["flux-schnell", "big"])
        let fast = config.models[0]
        XCTAssertEqual([fast.label, fast.provider, fast.providerModel], ["FLUX.1 schnell (fast)", "pixelapi", "flux-1-schnell"])
        XCTAssertEqual(fast.sizes, [ImageSize(1024, 1024), ImageSize(512, 512)])
        XCTAssertFalse(fast.upscale)
        XCTAssertFalse(fast.isOfflinePreview)
        let big = config.models[1]
        XCTAssertEqual([big.label, big.providerModel], ["big", "big"], "label and provider_model default to the name")
        XCTAssertEqual([big.creditCost, big.defaultSteps], [4, 20])
        XCTAssertTrue(big.upscale)

        XCTAssertEqual(config.providers.map(\.name), ["localai", "pixelapi"])
        let (local, pixel) = (config.providers[0], config.providers[1])
        XCTAssertEqual(local.kind, .openai)
        XCTAssertEqual(local.url, "http://127.0.0.1:8081", "the trailing slash is dropped")
        XCTAssertNil(local.key, "a self-hosted server may take no key")
        XCTAssertEqual([local.pollInterval, Double(local.maxResponseBytes)], [0.5, 2048])
        XCTAssertEqual(pixel.kind, .pixelapi)
        XCTAssertEqual(pixel.url, "https://api.pixelapi.dev", "pixelapi has a default URL")
        XCTAssertEqual(pixel.key, "px-secret")
        XCTAssertEqual([pixel.concurrency, Int(pixel.timeout), Int(pixel.connectTimeout)], [32, 90, 10])
    }

    func testAModelWhoseProviderLacksItsKeyIsNotOfferedAndTheNoticeSaysWhy() throws {
        let path = try write("""
        [model.cheap]
        provider = builtin
        cost = 1
        [model.real]
        provider = openai
        cost = 3
        [model.gpu]
        provider = my-gpu
        cost = 2
        [provider.my-gpu]
        type = a1111
        """)
        let config = try Config.load(path: path, environment: [:])
        XCTAssertEqual(config.models.map(\.name), ["cheap"])
        XCTAssertEqual(config.notices, [
            "model real is not offered: provider openai has no key (set PICTOR_PROVIDER_OPENAI_KEY)",
            "model gpu is not offered: provider my-gpu has no url (set provider.my-gpu.url)",
            "payments are off: set PICTOR_STRIPE_SECRET_KEY and PICTOR_STRIPE_WEBHOOK_SECRET to take them",
        ])
        let keyed = try Config.load(path: path, environment: ["PICTOR_PROVIDER_OPENAI_KEY": "sk-test",
                                                              "PICTOR_PROVIDER_MY_GPU_URL": "http://gpu:7860"])
        XCTAssertEqual(keyed.models.map(\.name), ["cheap", "real", "gpu"])
        XCTAssertEqual(keyed.providers.first { $0.name == "openai" }?.url, "https://api.openai.com")
        XCTAssertEqual(keyed.providers.first { $0.name == "my-gpu" }?.url, "http://gpu:7860")
    }

    func testModelAndProviderMistakesAreErrorsThatNameTheSetting() throws {
        for (text, message) in [
            ("[model.x]\nprovider = builtin\ncost = 1\ncredit_cost = 1\n", "unknown setting 'model.x.credit_cost'"),
            ("[model.x]\nprovider = pixelap\ncost = 1\n", "model.x.provider: there is no [provider.pixelap] section (types: builtin, pixelapi, openai, a1111)"),
            ("[model.x]\nprovider = builtin\n", "model.x: `cost` (credits per image) is required"),
            ("[model.x]\ncost = 1\n", "model.x: `provider` is required"),
            ("[model.x]\nprovider = builtin\ncost = -1\n", "model.x.cost must be a whole number in 0…1000000, got '-1'"),
            ("[model.x]\nprovider = builtin\ncost = 1\nupscale = 4\n", "model.x.upscale must be a whole number in 1…2, got '4'"),
            ("[model.x]\nprovider = builtin\ncost = 1\nsizes = 1024 by 1024\n", "model.x.sizes: '1024 by 1024' is not WIDTHxHEIGHT (64…4096)"),
            ("[model.x y]\nprovider = builtin\ncost = 1\n", "[model.x y]: a name may hold only letters, digits, '.', '_' and '-' (at most 64)"),
            ("[provider.gpu]\ntype = comfy\n", "provider.gpu.type must be one of builtin, pixelapi, openai, a1111, got 'comfy'"),
            ("[provider.a1111]\nurl = ftp://gpu\n", "provider.a1111.url must start with http:// or https://"),
            ("[provider.openai]\nconcurrency = 0\n", "provider.openai.concurrency must be a whole number in 1…1024, got '0'"),
            ("[provider.openai]\ntimeout = soon\n", "provider.openai.timeout must be a number of seconds, got 'soon'"),
            ("[generation]\njob_timeout = 300\nlease = 300\n", "generation.lease (300 s) must be longer than generation.job_timeout (300 s)"),
            ("[model.x]\nprovider = openai\ncost = 1\n", "no model can be offered: model x is not offered: provider openai has no key (set PICTOR_PROVIDER_OPENAI_KEY)"),
        ] {
            let path = try write(text)
            XCTAssertThrowsError(try Config.load(path: path, environment: [:]), text) { error in
                XCTAssertTrue("\(error)".hasSuffix(message), "\(error)")
            }
        }
    }

    func testCORSOriginsAreExactOrigins() throws {
        let path = try write("[api]\ncors_origins = https://app.example.com, http://localhost:3000\n")
        XCTAssertEqual(try Config.load(path: path, environment: [:]).corsOrigins, ["https://app.example.com", "http://localhost:3000"])
        XCTAssertEqual(Config().corsOrigins, [], "no cross-origin calls unless configured")
        for origin in ["https://app.example.com/", "app.example.com", "https://app.example.com/path"] {
            let bad = try write("[api]\ncors_origins = \(origin)\n")
            XCTAssertThrowsError(try Config.load(path: bad, environment: [:]), origin) {
                XCTAssertTrue("\($0)".contains("is not an origin such as https://app.example.com"), "\($0)")
            }
        }
    }

    func testPlansDisplay() {
        XCTAssertEqual(Plan.defaults.map(\.displayPrice), ["$0", "$9", "$29", "$79"])
        XCTAssertEqual(Plan.defaults.map(\.displayCredits), ["50", "500", "2,000", "8,000"])
        XCTAssertEqual(Plan(id: "x", name: "X", priceCents: 950, monthlyCredits: 1_234_567).displayPrice, "$9.50")
        XCTAssertEqual(Plan(id: "x", name: "X", priceCents: 950, monthlyCredits: 1_234_567).displayCredits, "1,234,567")
    }
}
