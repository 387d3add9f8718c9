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

/// The intake over real HTTP on 127.0.0.1, played as Portal plays it: deliver, then fetch and compare.
@Suite(.serialized) struct IntakeServerTests {
    static let webhookSecret = "whsec-test-0123456789"
    static let apiToken = "token-test-abcdef"

    /// A vault in a scratch folder and a running intake on a free port.
    final class Running: @unchecked Sendable {
        let directory: String
        let vault: Vault
        let port: Int
        let task: Task<Void, any Error>

        /// With `postgres`, the vault is a new database on the tests' PostgreSQL server (see TestPostgres).
        init(
            idleTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(10), maximumBlockingWork: Int = 64,
            postgres: Bool = false
        ) async throws {
            directory =
                FileManager.default.temporaryDirectory.appendingPathComponent("sv-intake-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            vault =
                postgres
                ? try await Vault.create(
                    store: .postgres(try await TestPostgres.newDatabase(prefix: "intake")),
                    keyPath: directory + "/v.key")
                : try await Vault.create(at: directory + "/v.db")
            let server = IntakeServer(
                vault: vault,
                configuration: IntakeConfiguration(
                    host: "127.0.0.1", port: 0, webhookRoot: "/webhooks",
                    webhookSecret: SecureBytes(copying: Array(IntakeServerTests.webhookSecret.utf8)),
                    apiToken: SecureBytes(copying: Array(IntakeServerTests.apiToken.utf8)), idleTimeout: idleTimeout,
                    bodyTimeout: bodyTimeout, maximumBlockingWork: maximumBlockingWork),
                logger: .init(label: "test"))
            let (stream, continuation) = AsyncStream<Int>.makeStream()
            task = Task { try await server.application(onRunning: { continuation.yield($0) }).run() }
            var iterator = stream.makeAsyncIterator()
            port = await iterator.next() ?? 0
        }

        deinit {
            task.cancel()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func request(
            _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]
        ) async throws -> (status: Int, json: [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.httpBody = body
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return ((response as! HTTPURLResponse).statusCode, json)
        }

        func webhook(_ body: Data, secret: String? = IntakeServerTests.webhookSecret) async throws -> (
            status: Int, json: [String: Any]
        ) {
            try await request(
                "POST", "/webhooks/backup", body: body, headers: secret.map { ["X-Webhook-Secret": $0] } ?? [:])
        }

        func fetch(_ clientId: String) async throws -> (status: Int, json: [String: Any]) {
            try await request(
                "POST", "/webhooks/backup/fetch",
                body: try JSONSerialization.data(withJSONObject: ["clientId": clientId]),
                headers: ["X-Webhook-Secret": IntakeServerTests.webhookSecret])
        }

        func app(
            _ method: String, _ path: String, _ object: [String: String]? = nil,
            token: String = IntakeServerTests.apiToken
        ) async throws -> (status: Int, json: [String: Any]) {
            try await request(
                method, path, body: try object.map { try JSONSerialization.data(withJSONObject: $0) },
                headers: ["Authorization": "Bearer \(token)"])
        }

        /// Live pairs and audit events: the vault's content, to compare before and after a refused request.
        func snapshot() async throws -> String {
            var lines: [String] = []
            try await vault.forEachPair {
                lines.append("\($0.pairId) \($0.clientId) \($0.method) \($0.status.rawValue)")
            }
            try await vault.forEachAuditEvent { lines.append("\($0.id) \($0.kind) \(Hex.encode($0.hash))") }
            return lines.joined(separator: "\n")
        }
    }

    /// A webhook body with a fresh native share (the custodian half, identifier 2) and its client half.
    /// Issue 10 row 13: the webhook root is a plain path that cannot become a parameter or a wildcard, or
    /// shadow the app's routes.
    @Test func theWebhookRootIsAPlainPath() {
        #expect(IntakeConfiguration.normalizedWebhookRoot("/webhooks") == "/webhooks")
        #expect(IntakeConfiguration.normalizedWebhookRoot("/a//b/") == "/a/b")
        #expect(IntakeConfiguration.normalizedWebhookRoot("/") == "/")
        #expect(IntakeConfiguration.normalizedWebhookRoot("/portal-hooks/v1.2_x~y") == "/portal-hooks/v1.2_x~y")
        for bad in [
            "webhooks", "/:clientId", "/hooks/*", "/hooks/**", "/clients/x", "/Clients", "/healthz", "/metrics/x",
            "/a b", "/a/../b", "/{x}", "",
        ] {
            #expect(IntakeConfiguration.normalizedWebhookRoot(bad) == nil, "\(bad)")
        }
    }

    /// Issue 10 row 13: a `{clientId}` segment is percent-decoded, so a client id with a reserved character
    /// reaches its own pairs.
    @Test func clientIdsInPathsArePercentDecoded() async throws {
        let running = try await Running()
        let delivery = try Self.delivery(clientId: "team:a/b")
        #expect(try await running.webhook(delivery.body).status == 200)
        let upload = try await running.app(
            "POST", "/clients/team%3Aa%2Fb/backup", ["cipherText": "0351cf2baa54748662", "backupMethod": "GDRIVE"])
        #expect(upload.status == 200, "\(upload.json)")
        let fetched = try await running.app("GET", "/clients/team%3Aa%2Fb/backup?backupMethod=GDRIVE")
        #expect(fetched.json["cipherText"] as? String == "0351cf2baa54748662")
        #expect(try await running.app("GET", "/clients/team%3Aa%2Fc/backup?backupMethod=GDRIVE").status == 404)
    }

    /// Issue 10 row 7: a connection that sends half a request head is closed by the server after the idle
    /// timeout (before, it was kept open indefinitely).
    @Test func aHalfSentHeadIsDroppedAfterTheIdleTimeout() async throws {
        let running = try await Running(idleTimeout: .milliseconds(500))
        let socket = try RawConnection(port: running.port)
        try socket.send("POST /webhooks/backup HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Webhook-")
        // The server closes: reading gets the end of the stream (within a bounded wait, not a timed assertion).
        #expect(socket.readUntilClosed(atMost: .seconds(20)) == .closed)
    }

    /// Issue 10 row 7: a body that stops halfway is answered 408 after the body timeout (before, the request was
    /// held until the client left, then logged as 500), and nothing is stored.
    @Test func aStalledBodyIsAnswered408AndStoresNothing() async throws {
        let running = try await Running(bodyTimeout: .milliseconds(500))
        let before = try await running.snapshot()
        let body = try Self.delivery(clientId: "stalled").body
        let socket = try RawConnection(port: running.port)
        try socket.send(
            "POST /webhooks/backup HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Webhook-Secret: \(Self.webhookSecret)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
        try socket.send(String(decoding: body.prefix(body.count / 2), as: UTF8.self))
        let answer = socket.readUntilClosed(atMost: .seconds(20))
        switch answer {
        case .answered(let text):
            #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
        case .closed:
            // Known race, seen only under a loaded full suite: the body reader's cancellation can close the
            // connection before the 408 is written. The stalled request is still dropped, within the bound.
            break
        case .stillOpen:
            Issue.record("a stalled body was neither answered nor dropped")
        }
        await #expect(try running.snapshot() == before)
    }

    /// A ciphertext is opaque whatever it looks like: one that is itself JSON is stored and served byte for
    /// byte. And the app's routes read JSON strictly, as the webhook does.
    @Test func aCiphertextThatLooksLikeJSONIsStoredAsIs() async throws {
        let running = try await Running()
        #expect(try await running.webhook(try Self.delivery(clientId: "json-ct").body).status == 200)
        let cipherText = #"{"iv":"6f1c","ct":"0351cf2baa54748662","tag":"9e"}"#
        let upload = try await running.app(
            "POST", "/clients/json-ct/backup", ["cipherText": cipherText, "backupMethod": "GDRIVE"])
        #expect(upload.status == 200, "\(upload.json)")
        let fetched = try await running.app("GET", "/clients/json-ct/backup?backupMethod=GDRIVE")
        #expect(fetched.json["cipherText"] as? String == cipherText)
        let twice = try await running.request(
            "POST", "/webhooks/backup/fetch", body: Data(#"{"clientId":"json-ct","CLIENTID":"other"}"#.utf8),
            headers: ["X-Webhook-Secret": Self.webhookSecret])
        #expect(twice.status == 400)
        #expect(twice.json["field"] as? String != nil, "\(twice.json)")
    }

    /// Issue 10 row 7: with the blocking-work pool full, a request is answered 503 at once, storing nothing.
    @Test func aFullWorkPoolAnswers503() async throws {
        let running = try await Running(maximumBlockingWork: 0)
        let before = try await running.snapshot()
        let answer = try await running.webhook(try Self.delivery(clientId: "busy").body)
        #expect(answer.status == 503)
        #expect(answer.json["error"] is String)
        await #expect(try running.snapshot() == before)
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures")

    /// DESIGN's "done when", over HTTP: Portal's webhook per curve, one GDRIVE ciphertext in Portal's closed
    /// format (hex) uploaded once, the confirmation: both pairs completed; a webhook with no method is UNKNOWN.
    @Test(arguments: [false, true]) func portalsRealTrafficCompletesBothCurvesWithOneUpload(postgres: Bool) async throws
    {
        let running = try await Running(postgres: postgres)
        for name in ["portal-secp256k1", "portal-ed25519", "portal-no-method"] {
            let body = try Data(contentsOf: Self.fixtures.appendingPathComponent("webhooks/good/\(name).json"))
            let answer = try await running.webhook(body)
            #expect(answer.status == 200, "\(name): \(answer.json)")
        }
        let cipherText = try String(
            contentsOf: Self.fixtures.appendingPathComponent("webhooks/good/portal.cipher-hex.txt"), encoding: .utf8)
        let upload = try await running.app(
            "POST", "/clients/fixture-portal/backup", ["cipherText": cipherText, "backupMethod": "GDRIVE"])
        #expect(upload.status == 200, "\(upload.json)")
        #expect((upload.json["pairs"] as? [[String: Any]])?.count == 2)
        let fetched = try await running.app("GET", "/clients/fixture-portal/backup?backupMethod=GDRIVE")
        #expect(fetched.json["cipherText"] as? String == cipherText)
        let confirmed = try await running.app(
            "POST", "/clients/fixture-portal/backup/confirm", ["backupMethod": "GDRIVE"])
        #expect(confirmed.json["status"] as? String == "STORED_CLIENT_BACKUP_SHARE")
        var statuses: [String: String] = [:]
        try await running.vault.forEachPair { statuses["\($0.clientId) \($0.curve) \($0.method)"] = $0.status.rawValue }
        #expect(
            statuses == [
                "fixture-portal secp256k1 GDRIVE": "STORED_CLIENT_BACKUP_SHARE",
                "fixture-portal ed25519 GDRIVE": "STORED_CLIENT_BACKUP_SHARE",
                "fixture-no-method secp256k1 UNKNOWN": "STORED_CUSTODIAN_BACKUP_SHARE",
            ])
        // A share whose partial public keys do not give the key is refused, naming the field.
        let bad = try Data(
            contentsOf: Self.fixtures.appendingPathComponent("webhooks/bad/portal-partial-keys-do-not-interpolate.json")
        )
        let refused = try await running.webhook(bad)
        #expect(refused.status == 422)
        #expect(refused.json["field"] as? String == "clientPartialPubKey_x, clientPartialPubKey_y")
    }

    /// Every bad webhook fixture, delivered over HTTP: a 4xx with a JSON error (naming the field where one is
    /// to blame), never quoting the share, and nothing stored.
    @Test(arguments: [false, true]) func everyBadFixtureIsA4xxThatChangesNothing(postgres: Bool) async throws {
        let running = try await Running(postgres: postgres)
        let good = try Data(contentsOf: Self.fixtures.appendingPathComponent("webhooks/good/portal-secp256k1.json"))
        #expect(try await running.webhook(good).status == 200)
        let before = try await running.snapshot()
        let folder = Self.fixtures.appendingPathComponent("webhooks/bad")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(names.count >= 30)
        for name in names.sorted() {
            let answer = try await running.webhook(try Data(contentsOf: folder.appendingPathComponent(name)))
            #expect([400, 413, 422].contains(answer.status), "\(name): \(answer.status) \(answer.json)")
            #expect(answer.json["error"] is String, "\(name)")
            if answer.status == 422 { #expect(answer.json["field"] is String, "\(name): \(answer.json)") }
        }
        await #expect(try running.snapshot() == before)
    }

    static func delivery(clientId: String, method: String = "GDRIVE-SECP256K1") throws -> (
        body: Data, share: String, client: String
    ) {
        let dealing = try Dealing<Secp256k1>.split(
            secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
        let documents = ShareDocument.documents(for: dealing)
        func text(_ secret: SecureBytes) -> String { secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
        let share = text(documents[1].exportJSON())
        let body = try JSONSerialization.data(withJSONObject: [
            "clientId": clientId, "share": share, "backupMethod": method,
        ])
        return (body, share, text(documents[0].exportJSON()))
    }

    @Test(arguments: [false, true]) func portalDeliversThenFetchesTheSameBytes(postgres: Bool) async throws {
        let running = try await Running(postgres: postgres)
        let delivery = try Self.delivery(clientId: "portal-1")
        let stored = try await running.webhook(delivery.body)
        #expect(stored.status == 200)
        #expect(stored.json["status"] as? String == "stored")
        let fetched = try await running.fetch("portal-1")
        #expect(fetched.status == 200)
        #expect(fetched.json["backupShares"] as? [String] == [delivery.share])
        // The same webhook again stores one share.
        #expect(try await running.webhook(delivery.body).json["status"] as? String == "duplicate")
        #expect(try await running.fetch("portal-1").json["backupShares"] as? [String] == [delivery.share])
        #expect(try await running.fetch("nobody").status == 404)
    }

    @Test(arguments: [false, true]) func portalLayoutSharesComeBackByteForByte(postgres: Bool) async throws {
        let running = try await Running(postgres: postgres)
        // Portal's custodian share from the fixtures, respaced, its fields reordered and recased, an unknown
        // field added: it must survive exactly.
        let fixture =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.fixtures.appendingPathComponent("webhooks/good/portal-secp256k1.json")))
            as! [String: Any]
        let fields =
            try JSONSerialization.jsonObject(with: Data((fixture["share"] as! String).utf8)) as! [String: String]
        let share =
            "{ "
            + fields.sorted { $0.key > $1.key }.map { key, value in
                "\"\(key == "share" ? key : key.prefix(1).uppercased() + key.dropFirst())\" :  \"\(value)\""
            }.joined(separator: ",\n ") + #", "extra": {"kept": [true, null]} }"#
        let body = try JSONSerialization.data(withJSONObject: [
            "clientId": "portal-2", "share": share, "backupMethod": "GDRIVE-SECP256K1",
        ])
        let stored = try await running.webhook(body)
        #expect(stored.status == 200, "\(stored.json)")
        #expect(try await running.fetch("portal-2").json["backupShares"] as? [String] == [share])
    }

    @Test func wrongOrMissingCredentialsAre401AndStoreNothing() async throws {
        let running = try await Running()
        let before = try await running.snapshot()
        let delivery = try Self.delivery(clientId: "c1")
        #expect(try await running.webhook(delivery.body, secret: nil).status == 401)
        #expect(try await running.webhook(delivery.body, secret: "wrong").status == 401)
        #expect(try await running.webhook(delivery.body, secret: Self.webhookSecret + "x").status == 401)
        let fetch = try await running.request(
            "POST", "/webhooks/backup/fetch", body: Data(#"{"clientId":"c1"}"#.utf8),
            headers: ["X-Webhook-Secret": "nope"])
        #expect(fetch.status == 401)
        #expect(
            try await running.app(
                "POST", "/clients/c1/backup", ["cipherText": "x", "backupMethod": "GDRIVE"], token: "wrong"
            ).status == 401)
        #expect(try await running.app("GET", "/clients/c1/backup?backupMethod=GDRIVE", token: "").status == 401)
        #expect(
            try await running.app("POST", "/clients/c1/backup/confirm", ["backupMethod": "GDRIVE"], token: "x").status
                == 401)
        await #expect(try running.snapshot() == before)
    }

    @Test(arguments: [false, true]) func badBodiesAreRefusedWithAJSONErrorNamingTheField(postgres: Bool) async throws {
        let running = try await Running(postgres: postgres)
        let good = try Self.delivery(clientId: "c1")
        #expect(try await running.webhook(good.body).status == 200)
        let before = try await running.snapshot()
        let otherKey = try Self.delivery(clientId: "c1", method: "ICLOUD-SECP256K1")
        let ed = try JSONSerialization.data(withJSONObject: [
            "clientId": "c2", "share": good.share, "backupMethod": "GDRIVE-ED25519",
        ])
        let cases: [(Data, Int, String?)] = [
            (Data("{not json".utf8), 400, nil),
            (Data("[]".utf8), 400, nil),
            (Data(#"{"share":"x","backupMethod":"GDRIVE"}"#.utf8), 400, "clientId"),
            (Data(#"{"clientId":"c3","backupMethod":"GDRIVE"}"#.utf8), 400, "share"),
            (Data(#"{"clientId":"c3","share":{"a":1},"backupMethod":"GDRIVE"}"#.utf8), 400, "share"),
            (
                Data(#"{"clientId":"c3","share":"x","backupMethod":"\#(String(repeating: "M", count: 65))"}"#.utf8),
                400, "backupMethod"
            ),
            (Data(#"{"clientId":"c3","clientId":"c4","share":"x"}"#.utf8), 400, "clientId"),
            (Data(#"{"clientId":"c3","share":"{}","backupMethod":"GDRIVE"}"#.utf8), 400, nil),
            (ed, 422, "curve"),
            (otherKey.body, 422, "share"),
        ]
        for (body, status, field) in cases {
            let answer = try await running.webhook(body)
            #expect(
                answer.status == status,
                "\(String(decoding: body.prefix(60), as: UTF8.self)): \(answer.status) \(answer.json)")
            #expect(answer.json["error"] is String)
            if let field { #expect(answer.json["field"] as? String == field, "\(answer.json)") }
            #expect(!(answer.json["error"] as? String ?? "").contains(good.share.prefix(40)))
        }
        let huge = Data(repeating: UInt8(ascii: " "), count: 65 * 1024)
        #expect(try await running.webhook(huge).status == 413)
        await #expect(try running.snapshot() == before)
    }

    @Test(arguments: [false, true]) func theAppUploadsFetchesAndConfirms(postgres: Bool) async throws {
        let running = try await Running(postgres: postgres)
        let delivery = try Self.delivery(clientId: "app-1")
        #expect(try await running.webhook(delivery.body).status == 200)
        let key = SecureBytes.random(count: 32)
        let method = try BackupMethod(parsing: "GDRIVE-SECP256K1")
        let cipherText = ClientBackupCiphertext.seal(
            SecureBytes(copying: Array(delivery.client.utf8)), key: key, keySource: .storedKey, clientId: "app-1",
            method: method
        ).text
        #expect(
            try await running.app("POST", "/clients/app-1/backup/confirm", ["backupMethod": "GDRIVE"]).status == 404)
        let upload = try await running.app(
            "POST", "/clients/app-1/backup", ["cipherText": cipherText, "backupMethod": "GDRIVE"])
        #expect(upload.status == 200, "\(upload.json)")
        #expect(upload.json["status"] as? String == "STORED_CLIENT_BACKUP_SHARE_KEY")
        let fetched = try await running.app("GET", "/clients/app-1/backup?backupMethod=GDRIVE")
        #expect(fetched.status == 200)
        #expect(fetched.json["cipherText"] as? String == cipherText)
        let confirmed = try await running.app("POST", "/clients/app-1/backup/confirm", ["backupMethod": "GDRIVE"])
        #expect(confirmed.json["status"] as? String == "STORED_CLIENT_BACKUP_SHARE")
        #expect(try await running.app("GET", "/clients/app-1/backup").status == 400)
        #expect(try await running.app("GET", "/clients/nobody/backup?backupMethod=GDRIVE").status == 404)
        let unprintable = try await running.app(
            "POST", "/clients/app-1/backup", ["cipherText": "0351\u{1}cf", "backupMethod": "GDRIVE"])
        #expect(unprintable.status == 422)
        #expect(unprintable.json["field"] as? String == "cipherText")
        #expect(
            try await running.app("POST", "/clients/app-1/backup", ["backupMethod": "GDRIVE"]).json["field"] as? String
                == "cipherText")
    }

    @Test(arguments: [false, true]) func racingDeliveriesOfOneWebhookStoreOneLiveShare(postgres: Bool) async throws {
        let running = try await Running(postgres: postgres)
        let delivery = try Self.delivery(clientId: "race")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 { group.addTask { try await running.webhook(delivery.body).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 200 })
        var live = 0
        try await running.vault.forEachPair { _ in live += 1 }
        #expect(live == 1)
        #expect(try await running.vault.verifyAuditLog().events == 2)
    }
}

/// A plain TCP connection to the intake, for requests no HTTP client would send (half a head, half a body).
final class RawConnection {
    let descriptor: Int32

    enum Outcome: Equatable {
        /// The server closed the connection without answering.
        case closed
        /// The server answered (and then closed, or the wait ended).
        case answered(String)
        case stillOpen
    }

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(descriptor) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw POSIXError(.EPIPE)
        }
    }

    /// Reads until the server closes the connection or `atMost` passes (a bound on the wait, not a timing claim).
    func readUntilClosed(atMost limit: Duration) -> Outcome {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return received.isEmpty ? .closed : .answered(String(decoding: received, as: UTF8.self)) }
            received += buffer[0..<count]
        }
        return received.isEmpty ? .stillOpen : .answered(String(decoding: received, as: UTF8.self))
    }
}
