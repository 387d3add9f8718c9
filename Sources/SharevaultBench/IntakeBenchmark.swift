import Foundation
import Logging
import ShareMath
import ShareVault
import ShareVaultServer

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `sharevault bench`'s intake figure: distinct webhooks posted over loopback to a running intake with
/// durable commits, `concurrency` at a time; the rate and the latency percentiles.
public struct IntakeBenchmark: Sendable, Encodable {
    public let deliveries: Int
    public let concurrency: Int
    public let seconds: Double
    public let deliveriesPerSecond: Double
    public let latencyMilliseconds: [String: Double]
    public let failures: Int

    /// Starts an intake on `vault` on a free loopback port and delivers `deliveries` webhooks.
    public static func run(vault: Vault, deliveries: Int, concurrency: Int) async throws -> IntakeBenchmark {
        let secret = "bench-webhook-secret"
        let server = IntakeServer(
            vault: vault,
            configuration: IntakeConfiguration(
                host: "127.0.0.1", port: 0, webhookRoot: "/webhooks",
                webhookSecret: SecureBytes(copying: Array(secret.utf8)),
                apiToken: SecureBytes.random(count: 32)),
            logger: Logger(label: "sharevault.bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let serverTask = Task { try await server.application(onRunning: { continuation.yield($0) }).run() }
        defer { serverTask.cancel() }
        var ports = stream.makeAsyncIterator()
        guard let port = await ports.next(), port > 0 else {
            throw VaultError.vaultUnreadable(path: "127.0.0.1", reason: "the intake did not start")
        }

        return try await deliver(
            to: [port], secret: secret, deliveries: deliveries, concurrency: concurrency)
    }

    /// Delivers `deliveries` distinct webhooks over loopback to intakes listening on `ports` (taking turns),
    /// `concurrency` in flight at once.
    static func deliver(to ports: [Int], secret: String, deliveries: Int, concurrency: Int) async throws
        -> IntakeBenchmark
    {
        let bodies = try (0..<deliveries).map { index in
            try VaultBenchmark.webhookBody(clientId: "load-\(index)-\(UUID().uuidString.prefix(8))")
        }
        let urls = ports.compactMap { URL(string: "http://127.0.0.1:\($0)/webhooks/backup") }
        guard urls.count == ports.count, !urls.isEmpty else {
            throw VaultError.vaultUnreadable(path: "127.0.0.1", reason: "no intake to deliver to")
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = concurrency
        let session = URLSession(configuration: configuration)
        let clock = ContinuousClock()
        let start = clock.now
        let results = await withTaskGroup(of: (Double, Bool).self) { group in
            var next = 0
            var results: [(Double, Bool)] = []
            func submit() {
                guard next < bodies.count else { return }
                let body = bodies[next]
                let url = urls[next % urls.count]
                next += 1
                group.addTask {
                    var request = URLRequest(url: url)
                    request.httpMethod = "POST"
                    request.httpBody = body
                    request.setValue(secret, forHTTPHeaderField: "X-Webhook-Secret")
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    let sent = clock.now
                    let status =
                        (try? await session.data(for: request)).map { ($0.1 as? HTTPURLResponse)?.statusCode ?? 0 } ?? 0
                    let elapsed = clock.now - sent
                    return (elapsed / .milliseconds(1), status == 200)
                }
            }
            for _ in 0..<concurrency { submit() }
            for await result in group {
                results.append(result)
                submit()
            }
            return results
        }
        let elapsed = clock.now - start
        let seconds = elapsed / .seconds(1)
        let latencies = results.map(\.0).sorted()
        func percentile(_ fraction: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]
        }
        return IntakeBenchmark(
            deliveries: deliveries, concurrency: concurrency, seconds: seconds,
            deliveriesPerSecond: Double(deliveries) / seconds,
            latencyMilliseconds: [
                "p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99), "max": latencies.last ?? 0,
            ],
            failures: results.filter { !$0.1 }.count)
    }
}
