import Foundation
import ShareMath
import ShareVault
import SharevaultTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `sharevault serve` as a process: secrets from files or the environment, a SIGKILL in the middle of a
/// stream of webhooks, the CLI working the same vault at the same time, and a graceful SIGTERM.
@Suite(.serialized) struct ServeCommandTests {
    static let secret = "serve-test-webhook-secret"
    static let token = "serve-test-api-token"

    /// A vault and a `sharevault serve` process on a free port.
    final class Server: @unchecked Sendable {
        let scratch: ScratchDirectory
        let process = Process()
        let errors = Pipe()
        private let lock = NSLock()
        private var stderrText = ""
        private(set) var port = 0
        var vault: String { scratch.path("v.db") }

        /// A server on `store` (the vault's arguments, such as `--store URL --vault-key FILE`), or on a file vault
        /// in the scratch folder, made if absent.
        init(scratch: ScratchDirectory? = nil, store: [String]? = nil, extra: [String] = []) throws {
            self.scratch = try scratch ?? ScratchDirectory()
            if store == nil, !FileManager.default.fileExists(atPath: vault) {
                #expect(try Sharevault.run(["init", "--vault", vault]).status == 0)
            }
            try self.scratch.write("secret", ServeCommandTests.secret + "\n")
            process.executableURL = Sharevault.binary
            process.arguments =
                ["serve"] + (store ?? ["--vault", vault])
                + [
                    "--listen", "127.0.0.1:0", "--webhook-root", "/hooks", "--webhook-secret-file",
                    self.scratch.path("secret"),
                ] + extra
            var environment = ProcessInfo.processInfo.environment
            environment["SHAREVAULT_API_TOKEN"] = ServeCommandTests.token
            process.environment = environment
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.lock()
                self.stderrText += String(decoding: data, as: UTF8.self)
                self.lock.unlock()
            }
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while port == 0, Date() < deadline, process.isRunning {
                usleep(20_000)
                let text = stderr
                if let range = text.range(of: "sharevault: listening on 127.0.0.1:") {
                    port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
                }
            }
            #expect(port > 0, "the server did not start: \(stderr)")
        }

        var stderr: String {
            lock.lock()
            defer { lock.unlock() }
            return stderrText
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            errors.fileHandleForReading.readabilityHandler = nil
        }

        /// Delivers `body`; the status, or 0 when no answer came. The shared session opens 6 connections per host
        /// (which keeps the tests within the server's work limit), and a request's timeout runs while it waits for
        /// one of them: the timeout is long enough for a hundred queued requests on a loaded machine.
        func deliver(
            _ body: Data, secret: String = ServeCommandTests.secret, session: URLSession = .shared
        ) async -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/hooks/backup")!)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue(secret, forHTTPHeaderField: "X-Webhook-Secret")
            request.timeoutInterval = 60
            guard let (_, response) = try? await session.data(for: request) else { return 0 }
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
    }

    /// A custodian webhook for `clientId` carrying a share of a fresh key.
    static func body(_ clientId: String) throws -> Data {
        TestWebhooks.body(clientId, try TestWebhooks.twoDealings().0)
    }

    static func clients(in vault: String) throws -> Set<String> {
        let list = try Sharevault.run(["list", "--json", "--vault", vault])
        let pairs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        return Set(pairs.compactMap { $0["clientId"] as? String })
    }

    @Test func secretsMustComeFromFilesOrTheEnvironment() throws {
        let scratch = try ScratchDirectory()
        #expect(try Sharevault.run(["init", "--vault", scratch.path("v.db")]).status == 0)
        let noSecret = try Sharevault.run(["serve", "--vault", scratch.path("v.db"), "--listen", "127.0.0.1:0"])
        // A secret not given is a missing option (2), as a missing --key-store is; one named but unusable is the
        // environment's fault (3).
        #expect(noSecret.status == 2)
        #expect(noSecret.stderr.contains("no webhook secret"))
        try scratch.write("open", "secret", mode: 0o644)
        let openFile = try Sharevault.run([
            "serve", "--vault", scratch.path("v.db"), "--webhook-secret-file", scratch.path("open"),
        ])
        #expect(openFile.status == 3)
        #expect(openFile.stderr.contains("too open"))
        let argv = try Sharevault.run(["serve", "--vault", scratch.path("v.db"), "--webhook-secret", "x"])
        #expect(argv.status == 2)
        for listen in ["nonsense", "127.0.0.1:70000", ":80", "127.0.0.1:"] {
            let bad = try Sharevault.run(["serve", "--vault", scratch.path("v.db"), "--listen", listen])
            #expect(bad.status == 2, "\(listen)")
            let metrics = try Sharevault.run(["serve", "--vault", scratch.path("v.db"), "--metrics-listen", listen])
            #expect(metrics.status == 2 && metrics.stderr.contains("--metrics-listen"), "\(listen)")
        }
        let format = try Sharevault.run(["serve", "--vault", scratch.path("v.db"), "--log-format", "xml"])
        #expect(format.status == 2 && format.stderr.contains("log-format"))
    }

    /// A SIGKILL that lands while the server is inside a write transaction, in the middle of a stream of
    /// webhooks: every delivery answered 200 is stored, the half-done one is not, and the chain holds.
    @Test func deliveriesAnsweredTwoHundredSurviveASIGKILLMidWrite() async throws {
        let server = try Server()
        let bodies = try (0..<400).map { try Self.body("kill-\($0)") }
        // A first hundred, all answered, so that the kill lands with traffic flowing.
        let first = await withTaskGroup(of: Int.self) { group in
            for body in bodies.prefix(100) { group.addTask { await server.deliver(body) } }
            return await group.reduce(into: 0) { $0 += $1 == 200 ? 1 : 0 }
        }
        #expect(first == 100)
        let probe = try WriteLockKiller(vault: server.vault, pid: server.process.processIdentifier)
        let accepted = await withTaskGroup(of: String?.self) { group in
            for (index, body) in bodies.enumerated().dropFirst(100) {
                group.addTask { await server.deliver(body) == 200 ? "kill-\(index)" : nil }
            }
            var accepted: Set<String> = Set((0..<100).map { "kill-\($0)" })
            for await id in group { if let id { accepted.insert(id) } }
            return accepted
        }
        let midWrite = probe.killedMidWrite()
        if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
        #expect(midWrite, "the kill did not land inside a write transaction")
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .uncaughtSignal)
        #expect(accepted.count < 400, "every delivery was answered: the kill landed after the stream")
        let stored = try Self.clients(in: server.vault)
        #expect(
            accepted.isSubset(of: stored), "answered 200 but lost: \(accepted.subtracting(stored).sorted().prefix(5))")
        #expect(try Sharevault.run(["audit", "--verify", "--vault", server.vault]).status == 0)
        #expect(try Python.query(server.vault, "PRAGMA integrity_check") == "[('ok',)]")
    }

    /// `--log-format json`: every line a request writes is one JSON object; `--metrics-listen`: the metrics on
    /// their own address, and not on the intake's.
    @Test func serveLogsJSONAndServesMetricsOnItsOwnAddress() async throws {
        let server = try Server(extra: ["--log-format", "json", "--metrics-listen", "127.0.0.1:0"])
        #expect(await server.deliver(try Self.body("json-log-1")) == 200)
        #expect(await server.deliver(Data("{}".utf8)) == 400)
        var metricsPort = 0
        for _ in 0..<100 where metricsPort == 0 {
            if let range = server.stderr.range(of: "metrics on 127.0.0.1:") {
                metricsPort = Int(server.stderr[range.upperBound...].prefix { $0.isNumber }) ?? 0
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(metricsPort > 0, "\(server.stderr)")
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!)
        let metrics = String(decoding: data, as: UTF8.self)
        #expect(metrics.contains(#"sharevault_ingest_total{outcome="stored"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"sharevault_ingest_refused_total{reason="missing-field"} 1"#))
        #expect(!metrics.contains("json-log-1"))
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        // Every line is a JSON object but the two the command prints for the operator's terminal.
        let lines = server.stderr.split(separator: "\n").filter { !$0.hasPrefix("sharevault: ") }
        let objects = lines.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
        }
        #expect(objects.count == lines.count, "a log line that is not one JSON object of strings")
        let requests = objects.filter { $0["message"] == "request" }
        #expect(requests.map { $0["status"] } == ["200", "400"])
        #expect(requests.allSatisfy { $0["route"] == "/hooks/backup" && $0["level"] == "info" && $0["time"] != nil })
        #expect(!server.stderr.contains(ServeCommandTests.secret))
    }

    /// Group commit keeps the intake's promise: over several rounds, a server taking 32 deliveries at once is
    /// SIGKILLed at a random moment, at the next write transaction after it (so inside a grouped commit), then
    /// restarted on the same vault. Every delivery answered 200 is stored, none twice, and the chain holds; the
    /// server's own metrics show that commits did hold several deliveries.
    @Test func aKillAtRandomPointsOfAGroupedStreamLosesNothingAcknowledged() async throws {
        let scratch = try ScratchDirectory()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 32
        let session = URLSession(configuration: configuration)
        var acknowledged: Set<String> = []
        var sent = 0
        var mostPerCommit = 0.0
        for round in 0..<4 {
            let server = try Server(scratch: scratch, extra: ["--metrics-listen", "127.0.0.1:0"])
            let arm = scratch.path("arm-\(round)")
            let killer = try WriteLockKiller(vault: server.vault, pid: server.process.processIdentifier, armedBy: arm)
            // 32 senders deliver new webhooks until the server stops answering (at most 20,000).
            let numbers = NumberSource(limit: 20_000)
            async let answered = withTaskGroup(of: (sent: Int, answered: Set<String>).self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        var (sent, answered) = (0, Set<String>())
                        while let index = numbers.next() {
                            let id = "round-\(round)-\(index)"
                            guard let body = try? Self.body(id) else { break }
                            sent += 1
                            let status = await server.deliver(body, session: session)
                            if status == 200 { answered.insert(id) }
                            if status == 0 { break }
                        }
                        return (sent, answered)
                    }
                }
                return await group.reduce(into: (sent: 0, answered: Set<String>())) {
                    $0.sent += $1.sent
                    $0.answered.formUnion($1.answered)
                }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1500)))
            mostPerCommit = max(mostPerCommit, try await Self.deliveriesPerCommit(server))
            try scratch.write("arm-\(round)", "")
            let killedMidWrite = killer.killedMidWrite()
            if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
            #expect(killedMidWrite, "round \(round): the kill did not land inside a write transaction")
            let thisRound = await answered
            server.process.waitUntilExit()
            #expect(server.process.terminationReason == .uncaughtSignal)
            #expect(thisRound.answered.count < thisRound.sent, "round \(round): every delivery was answered")
            sent += thisRound.sent
            acknowledged.formUnion(thisRound.answered)
        }
        #expect(mostPerCommit > 1, "no commit held more than one delivery: nothing was grouped")
        let list = try Sharevault.run(["list", "--json", "--vault", scratch.path("v.db")])
        let pairs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        let stored = pairs.compactMap { $0["clientId"] as? String }
        #expect(Set(stored).count == stored.count, "a delivery stored twice")
        let lost = acknowledged.subtracting(stored)
        #expect(lost.isEmpty, "answered 200 but lost: \(lost.sorted().prefix(5))")
        #expect(acknowledged.count < sent)
        #expect(try Sharevault.run(["audit", "--verify", "--vault", scratch.path("v.db")]).status == 0)
        #expect(try Python.query(scratch.path("v.db"), "PRAGMA integrity_check") == "[('ok',)]")
    }

    /// Numbers 0, 1, 2... to the senders of a stream, up to a limit.
    final class NumberSource: @unchecked Sendable {
        private let lock = NSLock()
        private var issued = 0
        let limit: Int

        init(limit: Int) { self.limit = limit }

        func next() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard issued < limit else { return nil }
            issued += 1
            return issued - 1
        }
    }

    /// Deliveries per commit so far, from the server's metrics (0 before its first commit).
    static func deliveriesPerCommit(_ server: Server) async throws -> Double {
        guard let range = server.stderr.range(of: "metrics on 127.0.0.1:"),
            let port = Int(server.stderr[range.upperBound...].prefix { $0.isNumber })
        else { return 0 }
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        var values: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        let commits = values["sharevault_intake_commits_total"] ?? 0
        return commits == 0 ? 0 : (values["sharevault_intake_committed_deliveries_total"] ?? 0) / commits
    }

    @Test func theCLIAndTheServerWorkTheSameVaultAtOnce() async throws {
        let scratch = try ScratchDirectory()
        #expect(try Sharevault.run(["init", "--vault", scratch.path("v.db")]).status == 0)
        #expect(
            try Sharevault.run([
                "create", "--vault", scratch.path("v.db"), "--client-id", "cli", "--count", "30", "--method", "GDRIVE",
                "--key-store", scratch.path("keys"),
            ]).status == 0)
        let server = try Server(scratch: scratch)
        let bodies = try (0..<200).map { try Self.body("both-\($0)") }
        async let statuses: [Int] = withTaskGroup(of: Int.self) { group in
            for body in bodies { group.addTask { await server.deliver(body) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // The CLI's wallets pass; the webhook pairs arriving meanwhile are incomplete (no client half yet),
        // which verify reports as such. Neither side sees a locked vault.
        var cliStatuses: [Int32] = []
        for _ in 0..<4 {
            let verify = try Sharevault.run([
                "verify", "--all", "--deep", "--json", "--vault", scratch.path("v.db"), "--key-store",
                scratch.path("keys"),
            ])
            #expect(verify.status == 0 || verify.status == 1, "\(verify.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any] ?? [:]
            let failures = report["failures"] as? [[String: Any]] ?? []
            #expect(failures.allSatisfy { ($0["clientId"] as? String)?.hasPrefix("both-") == true })
            #expect(
                failures.allSatisfy { ($0["problems"] as? [String])?.first == "incomplete" }, "\(failures.prefix(2))")
            cliStatuses.append(try Sharevault.run(["list", "--vault", scratch.path("v.db")]).status)
        }
        let serverStatuses = await statuses
        #expect(
            serverStatuses.allSatisfy { $0 == 200 },
            "\(Dictionary(grouping: serverStatuses, by: { $0 }).mapValues(\.count))")
        #expect(cliStatuses.allSatisfy { $0 == 0 }, "\(cliStatuses)")
        #expect(try Self.clients(in: scratch.path("v.db")).count == 230)
    }

    @Test func sigtermStopsCleanlyAndTheLogHasNoSecret() async throws {
        let server = try Server()
        let body = try Self.body("term-1")
        #expect(await server.deliver(body) == 200)
        #expect(await server.deliver(body, secret: "wrong") == 401)
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(server.process.terminationReason == .exit)
        let log = server.stderr
        #expect(log.contains("route=/hooks/backup"))
        #expect(log.contains("status=200"))
        #expect(log.contains("status=401"))
        #expect(!log.contains(Self.secret))
        let share = try JSONSerialization.jsonObject(with: body) as! [String: String]
        #expect(!log.contains(share["share"]!.prefix(60)))
        #expect(!log.contains("term-1"))
    }
}
