import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import ShareMath
import ShareVault
import ShareVaultServer

/// `sharevault bench`'s intake figure: distinct webhooks posted over loopback to a running intake with
/// durable commits, `concurrency` at a time; the rate and the latency percentiles.
public struct IntakeBenchmark: Sendable, Encodable {
    public let deliveries: Int
    public let concurrency: Int
    public let seconds: Double
    public let deliveriesPerSecond: Double
    public let latencyMilliseconds: [String: Double]
    public let failures: Int
    /// CPU time the whole process (the intake and the load generator) spent per delivery, in milliseconds: times
    /// the rate, how many cores the run kept busy.
    public let cpuMillisecondsPerDelivery: Double
    /// Deliveries per durable commit, on average (nil when the intake ran in another process).
    public var deliveriesPerCommit: Double?

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

        var figure = try await deliver(to: [port], secret: secret, deliveries: deliveries, concurrency: concurrency)
        let (commits, stored) = (await vault.custodianIntake.batches, await vault.custodianIntake.items)
        figure.deliveriesPerCommit = commits == 0 ? nil : Double(stored) / Double(commits)
        return figure
    }

    /// Delivers `deliveries` distinct webhooks over loopback to intakes listening on `ports` (taking turns),
    /// `concurrency` in flight at once.
    static func deliver(to ports: [Int], secret: String, deliveries: Int, concurrency: Int) async throws
        -> IntakeBenchmark
    {
        let bodies = try (0..<deliveries).map { index in
            try VaultBenchmark.webhookBody(clientId: "load-\(index)-\(UUID().uuidString.prefix(8))")
        }
        guard !ports.isEmpty else {
            throw VaultError.vaultUnreadable(path: "127.0.0.1", reason: "no intake to deliver to")
        }
        let headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Webhook-Secret")!: secret]
        let clock = ContinuousClock()
        let start = clock.now
        let cpuAtStart = ProcessCPUTime.seconds()
        // One connection per delivery in flight, each sending its share of the bodies in turn (slot k sends
        // bodies k, k + concurrency, ...) to the intake the body's number names.
        let slots = min(concurrency, bodies.count)
        let results = await withTaskGroup(of: [(Double, Bool)].self) { group in
            for slot in 0..<slots {
                group.addTask {
                    let mine = Array(stride(from: slot, to: bodies.count, by: slots))
                    var results: [(Double, Bool)] = []
                    var clients: [Int: TestClient] = [:]
                    for index in mine {
                        let port = ports[index % ports.count]
                        let client = clients[port] ?? TestClient(host: "127.0.0.1", port: port)
                        if clients[port] == nil {
                            client.connect()
                            clients[port] = client
                        }
                        let sent = clock.now
                        let status = try? await client.post(
                            "/webhooks/backup", headers: headers, body: ByteBuffer(bytes: bodies[index])
                        ).status
                        results.append(((clock.now - sent) / .milliseconds(1), status == .ok))
                    }
                    for client in clients.values { try? await client.shutdown() }
                    return results
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = clock.now - start
        let cpuSeconds = ProcessCPUTime.seconds() - cpuAtStart
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
            failures: results.filter { !$0.1 }.count,
            cpuMillisecondsPerDelivery: cpuSeconds * 1000 / Double(max(1, deliveries)))
    }
}

/// The CPU time (user and system) this process has used so far, every thread summed.
enum ProcessCPUTime {
    static func seconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
