import Foundation
import ShareMath
import ShareVault
import ShareVaultPostgres
import ShareVaultServer
import SharevaultTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `/healthz`, `/readyz` and `/metrics` over real HTTP: what a load balancer and Prometheus see.
@Suite(.serialized) struct HealthAndMetricsTests {
    /// An intake and its metrics listener on free ports, over `vault`.
    final class Running: @unchecked Sendable {
        let port: Int
        let metricsPort: Int
        let tasks: [Task<Void, any Error>]

        init(vault: Vault, readinessTimeout: Duration = .seconds(2)) async throws {
            let server = IntakeServer(
                vault: vault,
                configuration: IntakeConfiguration(
                    host: "127.0.0.1", port: 0, webhookRoot: "/webhooks",
                    webhookSecret: SecureBytes(copying: Array(IntakeServerTests.webhookSecret.utf8)),
                    apiToken: SecureBytes(copying: Array(IntakeServerTests.apiToken.utf8)),
                    readinessTimeout: readinessTimeout),
                logger: .init(label: "test"))
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let (metricsPorts, metricsContinuation) = AsyncStream<Int>.makeStream()
            tasks = [
                Task { try await server.application(onRunning: { continuation.yield($0) }).run() },
                Task {
                    try await server.metricsApplication(
                        host: "127.0.0.1", port: 0, onRunning: { metricsContinuation.yield($0) }
                    ).run()
                },
            ]
            var iterator = ports.makeAsyncIterator()
            port = await iterator.next() ?? 0
            var metricsIterator = metricsPorts.makeAsyncIterator()
            metricsPort = await metricsIterator.next() ?? 0
        }

        deinit { for task in tasks { task.cancel() } }

        func get(_ path: String, port: Int? = nil) async throws -> (status: Int, text: String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port ?? self.port)\(path)")!)
            request.timeoutInterval = 30
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
        }

        func webhook(_ body: Data, secret: String = IntakeServerTests.webhookSecret) async throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/backup")!)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue(secret, forHTTPHeaderField: "X-Webhook-Secret")
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as! HTTPURLResponse).statusCode
        }

        /// The exposition's samples, `name{labels}` to value.
        func metrics() async throws -> (samples: [String: Double], text: String) {
            let (status, text) = try await get("/metrics", port: metricsPort)
            #expect(status == 200)
            var samples: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
                else { continue }
                samples[String(line[..<space])] = value
            }
            return (samples, text)
        }
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func scratch() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sv-health-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func theMetricsCountWhatHappenedAndNameNoClient() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await Running(vault: try await Vault.create(at: directory + "/v.db"))
        let alive = try await running.get("/healthz")
        #expect(alive.status == 200 && Self.json(alive.text)["status"] as? String == "alive")
        let ready = try await running.get("/readyz")
        #expect(ready.status == 200 && Self.json(ready.text)["status"] as? String == "ready")

        let first = try IntakeServerTests.delivery(clientId: "metrics-client-one")
        #expect(try await running.webhook(first.body) == 200)
        #expect(try await running.webhook(first.body) == 200)
        #expect(try await running.webhook(try IntakeServerTests.delivery(clientId: "metrics-client-two").body) == 200)
        #expect(try await running.webhook(Data(#"{"clientId":"metrics-client-three"}"#.utf8)) == 400)
        #expect(try await running.webhook(first.body, secret: "wrong") == 401)

        let (samples, text) = try await running.metrics()
        #expect(samples[#"sharevault_ingest_total{outcome="stored"}"#] == 2)
        #expect(samples[#"sharevault_ingest_total{outcome="duplicate"}"#] == 1)
        #expect(samples[#"sharevault_ingest_refused_total{reason="missing-field"}"#] == 1)
        #expect(samples[#"sharevault_ingest_refused_total{reason="unauthorized"}"#] == 1)
        #expect(samples[#"sharevault_http_requests_total{route="/webhooks/backup",method="POST",status="200"}"#] == 3)
        #expect(samples[#"sharevault_http_requests_total{route="/webhooks/backup",method="POST",status="400"}"#] == 1)
        #expect(samples[#"sharevault_http_requests_total{route="/readyz",method="GET",status="200"}"#] == 1)
        #expect(samples[#"sharevault_http_request_duration_seconds_count{route="/webhooks/backup"}"#] == 5)
        #expect(samples[#"sharevault_http_request_duration_seconds_bucket{route="/webhooks/backup",le="+Inf"}"#] == 5)
        #expect(samples[#"sharevault_live_pairs{status="STORED_CUSTODIAN_BACKUP_SHARE"}"#] == 2)
        #expect(samples[#"sharevault_live_pairs{status="STORED_CLIENT_BACKUP_SHARE"}"#] == 0)
        #expect(samples["sharevault_intake_committed_deliveries_total"] == 3)
        #expect((samples["sharevault_intake_commits_total"] ?? 0) >= 1)
        for family in [
            "sharevault_http_requests_total counter", "sharevault_http_request_duration_seconds histogram",
            "sharevault_ingest_total counter", "sharevault_ingest_refused_total counter",
            "sharevault_live_pairs gauge", "sharevault_store_up gauge",
        ] {
            #expect(text.contains("# TYPE \(family)"), "\(family)")
        }
        #expect(!text.contains("metrics-client"), "a client id reached the metrics")
        #expect(!text.contains(IntakeServerTests.webhookSecret))

        // A second scrape adds only what is new to the commit counters.
        #expect(try await running.metrics().samples["sharevault_intake_committed_deliveries_total"] == 3)
        // The intake's own address does not serve the metrics.
        #expect(try await running.get("/metrics").status == 404)
    }

    @Test func aVaultOpenedWithoutItsKeyIsNotReady() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await Vault.create(at: directory + "/v.db")
        let running = try await Running(vault: try Vault.open(at: directory + "/v.db", needsKey: false))
        let ready = try await running.get("/readyz")
        #expect(ready.status == 503)
        #expect((Self.json(ready.text)["reason"] as? String)?.contains("key") == true)
        #expect(try await running.get("/healthz").status == 200)
    }

    /// The store behind a TCP relay the test can cut: `/readyz` answers 503 while PostgreSQL is unreachable, and
    /// 200 again once it is back.
    @Test func readinessFollowsThePostgreSQLServer() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestPostgres.newDatabase(prefix: "ready")
        var relay = try TCPRelay(to: database.port)
        let throughRelay = try PostgresURL(
            parsing: "postgres://\(database.user)@127.0.0.1:\(relay.port)/\(database.database)", password: nil)
        let vault = try await Vault.create(store: .postgres(throughRelay), keyPath: directory + "/v.key")
        let running = try await Running(vault: vault, readinessTimeout: .seconds(1))
        #expect(try await running.get("/readyz").status == 200)
        #expect(try await running.metrics().samples["sharevault_store_up"] == 1)

        relay.stop()
        let down = try await running.get("/readyz")
        #expect(down.status == 503, "\(down.text)")
        #expect(Self.json(down.text)["status"] as? String == "not ready")
        #expect(try await running.get("/healthz").status == 200)
        // The metrics listener says the store is gone rather than hanging.
        #expect(try await running.metrics().samples["sharevault_store_up"] == 0)

        relay = try TCPRelay(to: database.port, listeningOn: relay.port)
        defer { relay.stop() }
        var status = 0
        for _ in 0..<60 where status != 200 {
            status = try await running.get("/readyz").status
            if status != 200 { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(status == 200, "the intake did not become ready again once the server was back")
    }
}

/// A TCP relay on 127.0.0.1 to a local port, in a python3 process: stopping it cuts every connection through it,
/// as a network failure would.
struct TCPRelay {
    static let script = """
        import socket, sys, threading
        target, port = int(sys.argv[1]), int(sys.argv[2])
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(64)
        print(server.getsockname()[1], flush=True)
        def pump(source, sink):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        while True:
            client, _ = server.accept()
            upstream = socket.create_connection(("127.0.0.1", target))
            for pair in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=pair, daemon=True).start()
        """
    let process = Process()
    let port: Int

    init(to target: Int, listeningOn port: Int = 0) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-B", "-c", Self.script, String(target), String(port)]
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let bound = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw TestPostgresError("the relay did not start") }
        self.port = bound
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
