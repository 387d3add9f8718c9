import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import ShareMath
import ShareVault

/// How the intake listens and whom it trusts. Secrets come from files or the environment, never argv.
public struct IntakeConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Where the custodian webhook lives, e.g. `/webhooks` for `POST /webhooks/backup`.
    public var webhookRoot: String
    /// The `X-Webhook-Secret` the MPC provider sends.
    public var webhookSecret: SecureBytes
    /// The bearer token the app sends.
    public var apiToken: SecureBytes
    /// Bodies over this many bytes are refused with 413.
    public var maximumBodySize: Int
    /// A connection that has sent no complete request head (or nothing after its last answer) for this long is
    /// closed: half-sent headers cannot hold it open.
    public var idleTimeout: Duration
    /// A body not received in full this long after its request began is answered 408 and the connection closed.
    public var bodyTimeout: Duration
    /// At most this many requests do vault work at once (their blocking commits run on NIO's thread pool, as many
    /// at a time as it has threads); a request beyond it is answered 503 at once rather than queued without bound.
    public var maximumBlockingWork: Int
    /// Where `GET /metrics` is served, apart from the intake (as Prometheus exporters usually are); nil: nowhere.
    public var metricsAddress: (host: String, port: Int)?
    /// How long `/readyz` waits for the store before it answers 503.
    public var readinessTimeout: Duration

    public init(
        host: String, port: Int, webhookRoot: String, webhookSecret: SecureBytes, apiToken: SecureBytes,
        maximumBodySize: Int = 64 * 1024, idleTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(10),
        maximumBlockingWork: Int = 64, metricsAddress: (host: String, port: Int)? = nil,
        readinessTimeout: Duration = .seconds(2)
    ) {
        self.metricsAddress = metricsAddress
        self.readinessTimeout = readinessTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.maximumBlockingWork = maximumBlockingWork
        self.host = host
        self.port = port
        self.webhookRoot = Self.normalizedWebhookRoot(webhookRoot) ?? "/webhooks"
        self.webhookSecret = webhookSecret
        self.apiToken = apiToken
        self.maximumBodySize = maximumBodySize
    }
}

extension IntakeConfiguration {
    /// The app's and the server's own first path segments, which the webhook root must not shadow.
    static let reservedSegments: Set<String> = ["clients", "healthz", "readyz", "metrics"]

    /// `root` as the router takes it (one leading slash, no trailing one), or nil when it is not a plain path:
    /// each segment of letters, digits and `-._~` (so no `:name` parameter, no `*` wildcard), and a first segment
    /// that is not one of the app's routes.
    public static func normalizedWebhookRoot(_ root: String) -> String? {
        let segments = root.split(separator: "/", omittingEmptySubsequences: true)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        guard root.hasPrefix("/"),
            segments.allSatisfy({ !$0.isEmpty && $0.allSatisfy(allowed.contains) && $0 != "." && $0 != ".." })
        else { return nil }
        if let first = segments.first, reservedSegments.contains(first.lowercased()) { return nil }
        return "/" + segments.joined(separator: "/")
    }
}

/// `sharevault serve`: the HTTP intake for the custodian webhook and the app's uploads, on the same vault
/// operations as the CLI. A 2xx means the data is committed to disk.
public struct IntakeServer: Sendable {
    public let vault: Vault
    public let configuration: IntakeConfiguration
    public let logger: Logger
    public let metrics = IntakeMetrics()

    public init(vault: Vault, configuration: IntakeConfiguration, logger: Logger) {
        self.vault = vault
        self.configuration = configuration
        self.logger = logger
    }

    /// The webhook's route template as the router names it, e.g. `/webhooks/backup`.
    var webhookRoute: String { (configuration.webhookRoot == "/" ? "" : configuration.webhookRoot) + "/backup" }

    /// The application, ready to run; `onRunning` receives the bound port (useful with port 0).
    ///
    /// Every request is logged and its errors answered as JSON; each route group checks its credential (the
    /// webhook's shared secret, the app's bearer token) before the body is read, then reads the body (the one place
    /// its limit and timeout apply), then takes a place among the requests doing vault work.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: IntakeContext.self)
        router.middlewares.add(RequestLogMiddleware(logger: logger, metrics: metrics, webhookRoute: webhookRoute))
        router.middlewares.add(ErrorAnswerMiddleware())
        let handlers = IntakeHandlers(
            vault: vault, metrics: metrics, readinessTimeout: configuration.readinessTimeout)
        router.get("healthz", use: handlers.alive)
        router.get("readyz", use: handlers.ready)
        let body = BodyMiddleware<IntakeContext>(
            limit: configuration.maximumBodySize, timeout: configuration.bodyTimeout)
        let work = WorkLimitMiddleware<IntakeContext>(limit: configuration.maximumBlockingWork)

        router.group(RouterPath(configuration.webhookRoot == "/" ? "" : configuration.webhookRoot))
            .add(middleware: CredentialMiddleware(credential: .webhookSecret, expected: configuration.webhookSecret))
            .add(middleware: body)
            .add(middleware: work)
            .post("backup", use: handlers.webhookBackup)
            .post("backup/fetch", use: handlers.webhookFetch)
        router.group("clients/:clientId/backup")
            .add(middleware: CredentialMiddleware(credential: .bearerToken, expected: configuration.apiToken))
            .add(middleware: body)
            .add(middleware: work)
            .post(use: handlers.uploadClientBackup)
            .get(use: handlers.fetchClientBackup)
            .post("confirm", use: handlers.confirmClientBackup)
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "sharevault"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// `GET /metrics` in Prometheus' text format, on its own address; `onRunning` receives the bound port.
    public func metricsApplication(
        host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: IntakeContext.self)
        let (vault, metrics) = (vault, metrics)
        let timeout = configuration.readinessTimeout
        router.get("metrics") { _, _ -> Response in
            let text = await metrics.exposition(vault: vault, storeTimeout: timeout)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "sharevault"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }

    /// Runs until SIGINT or SIGTERM, then finishes the requests in flight and stops; the metrics listener beside
    /// it when the configuration names one. `onRunning` receives the intake's bound port, `onMetricsRunning` the
    /// metrics listener's.
    public func run(
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onMetricsRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        var services: [any Service] = [application(onRunning: onRunning), KeyStateWatch(vault: vault, logger: logger)]
        if let address = configuration.metricsAddress {
            services.append(metricsApplication(host: address.host, port: address.port, onRunning: onMetricsRunning))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
