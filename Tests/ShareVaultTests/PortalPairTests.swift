import Foundation
import ShareMath
import Testing

@testable import ShareVault

/// Whole Portal-layout and native pairs from fixtures/webhooks/good: the custodian half by webhook, the
/// client half (Portal's MpcShare layout, or a native document) encrypted as the app would, then every
/// operator job on the pair: deep verify, drill, recover, eject.
@Suite struct PortalPairTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/webhooks/good")

    static let fixtures = [
        "portal-secp256k1", "portal-ed25519", "portal-secp256k1-capitalized", "portal-ed25519-capitalized",
        "portal-ed25519-method-without-curve", "portal-no-method", "portal-method-free-form", "native-secp256k1",
        "native-ed25519",
    ]

    @Test(arguments: fixtures)
    func everyOperatorJobWorksOnTheFixturePair(name: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sv-portal-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vault = try await Vault.create(at: directory + "/v.db")
        let body = try Data(contentsOf: Self.root.appendingPathComponent(name + ".json"))
        let report = try await vault.ingestCustodian(body)
        let clientHalf = try Data(contentsOf: Self.root.appendingPathComponent(name + ".client-share.json"))

        // The app's side: a fresh key in the user's cloud folder, the client half encrypted under it.
        let keyStore = try DirectoryKeyStore(directory: directory + "/cloud", create: true)
        let method = report.method
        let (key, source) = try keyStore.makeKey(clientId: report.clientId, method: method)
        let cipherText = ClientBackupCiphertext.seal(
            SecureBytes(copying: [UInt8](clientHalf)), key: key, keySource: source, clientId: report.clientId,
            method: method)
        _ = try await vault.ingestClient(
            clientId: report.clientId, method: report.method, body: Data(cipherText.text.utf8))
        _ = try await vault.confirm(clientId: report.clientId, method: report.method)
        let stores = BackupKeyStores(directory: keyStore, password: nil)

        let deep = try await vault.verify(level: .deep, keyStores: stores)
        #expect(deep.checked == 1 && deep.allPassed, "\(deep.failures.map(\.problems))")
        let drill = try await vault.drill(.all, keyStores: stores)
        #expect(drill.allPassed, "\(drill.outcomes.map(\.outcome))")

        let ejected = try await vault.eject(clientId: report.clientId, method: report.method, keyStores: stores)
        let publicKey = try Hex.decode(ejected.publicKey)
        switch report.curve {
        case .secp256k1:
            let secret = try Scalar<Secp256k1>(decoding: Hex.decode(ejected.privateKey))
            #expect(Secp256k1.baseMultiply(secret).encoded == publicKey)
        case .ed25519:
            let secret = try Scalar<Ed25519>(decoding: try #require(Base58.decode(ejected.privateKey)))
            #expect(Ed25519.baseMultiply(secret).encoded == publicKey)
        }

        let prepared = try await vault.prepareRecovery(
            clientId: report.clientId, method: report.method, keyStores: stores)
        let combined = try ShareCeremony.combine(
            [
                LabeledShareDocument(label: "device", document: prepared.deviceShare),
                LabeledShareDocument(label: "custodian", document: prepared.custodianShare),
            ], revealSecret: false)
        #expect(combined.publicKey == publicKey)
        await #expect(try vault.commitRecovery(prepared).generation == 1)
        #expect(try await vault.verifyAuditLog().isIntact)
    }

    @Test func aClientHalfOfAnotherWalletIsNamed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sv-portal-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vault = try await Vault.create(at: directory + "/v.db")
        let report = try await vault.ingestCustodian(
            try Data(contentsOf: Self.root.appendingPathComponent("portal-secp256k1.json")))
        // The other fixture's client half: a real share, of a different wallet.
        let foreign = try Data(
            contentsOf: Self.root.appendingPathComponent("portal-secp256k1-capitalized.client-share.json"))
        let keyStore = try DirectoryKeyStore(directory: directory + "/cloud", create: true)
        let method = report.method
        let (key, source) = try keyStore.makeKey(clientId: report.clientId, method: method)
        let cipherText = ClientBackupCiphertext.seal(
            SecureBytes(copying: [UInt8](foreign)), key: key, keySource: source, clientId: report.clientId,
            method: method)
        _ = try await vault.ingestClient(
            clientId: report.clientId, method: report.method, body: Data(cipherText.text.utf8))
        _ = try await vault.confirm(clientId: report.clientId, method: report.method)
        let deep = try await vault.verify(level: .deep, keyStores: BackupKeyStores(directory: keyStore, password: nil))
        #expect(deep.failedByReason == [.clientShareWrongWallet: 1])
    }
}
