import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ShareMath
import ShareVault
import ShareVaultServer
import Testing

/// The intake's routes through Hummingbird's router, without a socket: every answer's status, content type and
/// JSON, the middleware's refusals, and the vault's state behind them. `IntakeServerTests` plays the same over
/// real HTTP.
@Suite struct IntakeRouterTests {
    static let secret = "whsec-router-0123456789"
    static let token = "token-router-abcdef"

    /// A scratch vault and the application on it, tested through the router.
    static func withIntake<R>(
        maximumBodySize: Int = 80 * 1024, _ body: @Sendable (any TestClientProtocol, Vault) async throws -> R
    ) async throws -> R {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sv-router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let vault = try await Vault.create(at: directory.appendingPathComponent("v.db").path)
        let server = IntakeServer(
            vault: vault,
            configuration: IntakeConfiguration(
                host: "127.0.0.1", port: 0, webhookRoot: "/hooks/portal",
                webhookSecret: SecureBytes(copying: Array(secret.utf8)),
                apiToken: SecureBytes(copying: Array(token.utf8)),
                maximumBodySize: maximumBodySize),
            logger: .init(label: "router-test"))
        return try await server.application().test(.router) { client in try await body(client, vault) }
    }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    static func post(
        _ client: any TestClientProtocol, _ uri: String, _ body: Data, headers: HTTPFields
    ) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    static let webhookHeaders: HTTPFields = [.webhookSecretForTests: secret, .contentType: "application/json"]
    static let appHeaders: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

    @Test func aDeliveryIsStoredOnceAndFetchedByteForByte() async throws {
        let delivery = try IntakeServerTests.delivery(clientId: "r1")
        try await Self.withIntake { client, vault in
            let stored = try await Self.post(
                client, "/hooks/portal/backup", delivery.body, headers: Self.webhookHeaders)
            #expect(stored.status == .ok)
            #expect(stored.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(
                Self.json(stored) as? [String: String] == [
                    "status": "stored", "clientId": "r1", "backupMethod": "GDRIVE",
                ])
            let again = try await Self.post(client, "/hooks/portal/backup", delivery.body, headers: Self.webhookHeaders)
            #expect(Self.json(again)["status"] as? String == "duplicate")
            let fetched = try await Self.post(
                client, "/hooks/portal/backup/fetch", Data(#"{"clientId":"r1"}"#.utf8), headers: Self.webhookHeaders)
            #expect(fetched.status == .ok)
            #expect(Self.json(fetched)["backupShares"] as? [String] == [delivery.share])
            var pairs = 0
            try await vault.forEachPair { _ in pairs += 1 }
            #expect(pairs == 1)
        }
    }

    @Test func theAppUploadsConfirmsAndFetchesItsCiphertext() async throws {
        let delivery = try IntakeServerTests.delivery(clientId: "r2")
        try await Self.withIntake { client, _ in
            _ = try await Self.post(client, "/hooks/portal/backup", delivery.body, headers: Self.webhookHeaders)
            let upload = try await Self.post(
                client, "/clients/r2/backup", Data(#"{"cipherText":"0123abcd","backupMethod":"GDRIVE"}"#.utf8),
                headers: Self.appHeaders)
            #expect(upload.status == .ok)
            #expect(Self.json(upload)["status"] as? String == "STORED_CLIENT_BACKUP_SHARE_KEY")
            let confirmed = try await Self.post(
                client, "/clients/r2/backup/confirm", Data(#"{"backupMethod":"GDRIVE"}"#.utf8), headers: Self.appHeaders
            )
            #expect(Self.json(confirmed)["status"] as? String == "STORED_CLIENT_BACKUP_SHARE")
            let fetched = try await client.execute(
                uri: "/clients/r2/backup?backupMethod=GDRIVE", method: .get, headers: Self.appHeaders)
            #expect(fetched.status == .ok)
            #expect(Self.json(fetched) as? [String: String] == ["cipherText": "0123abcd"])
        }
    }

    /// The credential middleware answers before any body is read or any vault work done.
    @Test func aMissingOrWrongCredentialIs401AndStoresNothing() async throws {
        let delivery = try IntakeServerTests.delivery(clientId: "r3")
        try await Self.withIntake { client, vault in
            for headers: HTTPFields in [
                [:], [.webhookSecretForTests: "wrong"], [.webhookSecretForTests: ""],
                [.authorization: "Bearer \(Self.secret)"],
            ] {
                let answer = try await Self.post(client, "/hooks/portal/backup", delivery.body, headers: headers)
                #expect(answer.status == .unauthorized)
                #expect(Self.json(answer)["error"] as? String == "missing or wrong credentials")
            }
            for headers: HTTPFields in [
                [:], [.authorization: "Bearer wrong"], [.authorization: Self.token],
                [.webhookSecretForTests: Self.token],
            ] {
                let answer = try await client.execute(
                    uri: "/clients/r3/backup?backupMethod=GDRIVE", method: .get, headers: headers)
                #expect(answer.status == .unauthorized)
            }
            var pairs = 0
            try await vault.forEachPair { _ in pairs += 1 }
            #expect(pairs == 0)
        }
    }

    /// The body limit is the configuration's, applied once for every route.
    @Test func aBodyOverTheLimitIs413OnEveryRoute() async throws {
        try await Self.withIntake(maximumBodySize: 1000) { client, _ in
            let big = Data(repeating: UInt8(ascii: " "), count: 1001)
            for (uri, headers) in [
                ("/hooks/portal/backup", Self.webhookHeaders), ("/hooks/portal/backup/fetch", Self.webhookHeaders),
                ("/clients/r4/backup", Self.appHeaders), ("/clients/r4/backup/confirm", Self.appHeaders),
            ] {
                let answer = try await Self.post(client, uri, big, headers: headers)
                #expect(answer.status == .contentTooLarge, "\(uri)")
                #expect(Self.json(answer)["error"] as? String == "body larger than 1000 bytes", "\(uri)")
            }
            let fits = try await Self.post(
                client, "/hooks/portal/backup/fetch", Data(#"{"clientId":"nobody"}"#.utf8) + big.prefix(900),
                headers: Self.webhookHeaders)
            #expect(fits.status == .notFound)
        }
    }

    /// The library's errors come back as JSON naming the field, with the status their kind calls for, and never
    /// quote the share.
    @Test func libraryErrorsAreTypedAnswersThatNameTheField() async throws {
        let delivery = try IntakeServerTests.delivery(clientId: "r5")
        try await Self.withIntake { client, vault in
            let cases: [(Data, HTTPResponse.Status, String?)] = [
                (Data("not json".utf8), .badRequest, nil),
                (Data(#"{"clientId":"r5","backupMethod":"GDRIVE"}"#.utf8), .badRequest, "share"),
                (Data(#"{"clientId":"r5","share":"x","share":"y"}"#.utf8), .badRequest, "share"),
                (Data(#"{"clientId":"r5","share":7}"#.utf8), .badRequest, "share"),
                (Data(#"{"clientId":"bad id","share":"{}"}"#.utf8), .badRequest, "clientId"),
                (
                    Data(
                        String(decoding: delivery.body, as: UTF8.self).replacingOccurrences(
                            of: "GDRIVE-SECP256K1", with: "GDRIVE-ED25519"
                        ).utf8), .unprocessableContent, "curve"
                ),
            ]
            for (body, status, field) in cases {
                let answer = try await Self.post(client, "/hooks/portal/backup", body, headers: Self.webhookHeaders)
                let text = String(buffer: answer.body)
                #expect(answer.status == status, "\(text)")
                #expect(Self.json(answer)["field"] as? String == field, "\(text)")
                #expect(Self.json(answer)["error"] is String, "\(text)")
                #expect(!text.contains(delivery.share.prefix(60)))
            }
            let unknown = try await client.execute(
                uri: "/clients/nobody/backup?backupMethod=GDRIVE", method: .get, headers: Self.appHeaders)
            #expect(unknown.status == .notFound)
            let noMethod = try await client.execute(uri: "/clients/r5/backup", method: .get, headers: Self.appHeaders)
            #expect(noMethod.status == .badRequest)
            #expect(Self.json(noMethod)["field"] as? String == "backupMethod")
            var pairs = 0
            try await vault.forEachPair { _ in pairs += 1 }
            #expect(pairs == 0)
        }
    }
}

extension HTTPField.Name {
    static let webhookSecretForTests = HTTPField.Name("X-Webhook-Secret")!
}
