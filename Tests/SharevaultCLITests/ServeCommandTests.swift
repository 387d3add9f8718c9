import Foundation
import ShareMath
import ShareVault
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
        init(scratch: ScratchDirectory? = nil, store: [String]? = nil) throws {
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
                ]
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
                if let range = text.range(of: "listening on 127.0.0.1:") {
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

        func deliver(_ body: Data, secret: String = ServeCommandTests.secret) async -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/hooks/backup")!)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue(secret, forHTTPHeaderField: "X-Webhook-Secret")
            request.timeoutInterval = 10
            guard let (_, response) = try? await URLSession.shared.data(for: request) else { return 0 }
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
    }

    static func body(_ clientId: String) throws -> Data {
        let dealing = try Dealing<Secp256k1>.split(
            secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
        let share = ShareDocument.documents(for: dealing)[1].exportJSON()
        return WebhookBody.encoded(clientId: clientId, share: share, backupMethod: "GDRIVE-SECP256K1")
            .withUnsafeBytes { Data($0) }
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
        }
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
