import Foundation
import ShareMath
import ShareVault

/// `sharevault demo`: the main job on a scratch vault, with nothing to set up.
///
/// Creates a vault in `directory`, makes wallets on both curves, takes one backup the way the intake would
/// (a custodian webhook, the app's encrypted upload, its confirmation), and checks the audit chain.
public enum VaultDemo {
    /// One step's outcome, for printing.
    public struct Step: Sendable, Encodable {
        public let step: String
        public let passed: Bool
    }

    public static func run(in directory: String, progress: ProgressHandler? = nil) async throws -> (
        vault: Vault, steps: [Step]
    ) {
        var steps: [Step] = []
        func record(_ step: String, _ passed: Bool) { steps.append(Step(step: step, passed: passed)) }

        for curve in CurveID.allCases {
            for step in try ShareMathDemo.run(curve: curve) { record("\(curve): \(step.step)", step.passed) }
        }

        let vaultPath = (directory as NSString).appendingPathComponent("demo.db")
        let vault = try await Vault.create(at: vaultPath)
        record("created a scratch vault and its key file at \(vaultPath)", true)

        let keyStore = try DirectoryKeyStore(
            directory: (directory as NSString).appendingPathComponent("cloud"), create: true)
        let password = SecureBytes(copying: Array("correct horse battery staple".utf8))
        let stores = BackupKeyStores(directory: keyStore, password: PasswordKeyStore(password: password))
        let methods = try ["GDRIVE", "PASSWORD"].map { try BackupMethod(parsing: $0) }
        let created = try await vault.create(
            clientIds: ["demo-alice", "demo-bob", "demo-carol"], curves: CurveID.allCases, methods: methods,
            keyStores: stores, progress: progress)
        record(
            "created \(created.count) wallets on both curves, each with GDRIVE and PASSWORD backup pairs",
            created.count == 6)

        // One Portal client backed up the way Portal's device and provider do it: a custodian webhook per curve
        // in Portal's flat layout, then one client ciphertext covering both curves, uploaded once, confirmed.
        var webhooks: [Data] = []
        var clientHalves: [(curve: CurveID, id: String, share: SecureBytes)] = []
        for curve in CurveID.allCases {
            let (webhook, half) =
                switch curve {
                case .secp256k1: try portalBackup(Secp256k1.self, clientId: "demo-dave")
                case .ed25519: try portalBackup(Ed25519.self, clientId: "demo-dave")
                }
            webhooks.append(webhook)
            clientHalves.append((curve, half.id, half.share))
        }
        var ingested: [CustodianIngestReport] = []
        for webhook in webhooks { ingested.append(try await vault.ingestCustodian(webhook)) }
        let again = try await vault.ingestCustodian(webhooks[0])
        record(
            "took Portal's custodian webhooks for demo-dave (GDRIVE-SECP256K1, GDRIVE-ED25519); a repeated delivery stored nothing new",
            ingested.allSatisfy { $0.outcome == .stored && $0.layout == .portalCustodian }
                && again.outcome == .duplicate)

        let gdrive = BackupMethod(name: "GDRIVE", curve: nil)
        let (clientKey, source) = try keyStore.makeKey(clientId: "demo-dave", method: gdrive)
        let plaintext = PortalShareWriter.plaintext(clientHalves)
        let cipherText = ClientBackupCiphertext.seal(
            plaintext, key: clientKey, keySource: source, clientId: "demo-dave", method: gdrive)
        let uploaded = try await vault.ingestClient(
            clientId: "demo-dave", method: gdrive, body: Data(cipherText.text.utf8))
        let confirmed = try await vault.confirm(clientId: "demo-dave", method: gdrive)
        record(
            "took demo-dave's one GDRIVE ciphertext (both curves' MpcShares) and the app's confirmation: both pairs completed",
            uploaded.count == 2 && uploaded.allSatisfy { $0.status == .storedClientBackupShareKey }
                && confirmed.count == 2 && confirmed.allSatisfy { $0.status == .storedClientBackupShare })

        var pairs = 0
        var completed = 0
        try await vault.forEachPair { pair in
            pairs += 1
            if pair.completed { completed += 1 }
        }
        record("the vault lists \(pairs) live backup pairs, \(completed) completed", pairs == 14 && completed == 14)

        let structural = try await vault.verify(progress: progress)
        record(
            "public verification, no secret at all: \(structural.passed) of \(structural.checked) pairs pass",
            structural.allPassed)
        let custodian = try await vault.verify(level: .custodian, progress: progress)
        record(
            "custodian verification, custodian halves opened with the vault key: \(custodian.passed) of \(custodian.checked) pass",
            custodian.allPassed)
        let deep = try await vault.verify(level: .deep, keyStores: stores, progress: progress)
        record("deep verification, both halves opened: \(deep.passed) of \(deep.checked) pairs pass", deep.allPassed)
        let drills = try await vault.drill(.all, keyStores: stores, progress: progress)
        record(
            "drills: every pair recovered in memory and proved by a threshold signature (\(drills.passed) of \(drills.drilled))",
            drills.allPassed)

        // demo-alice loses her phone: a new signing pair from her GDRIVE backup, then a drill of that backup.
        let prepared = try await vault.prepareRecovery(
            clientId: "demo-alice", method: .init(name: "GDRIVE", curve: .secp256k1), keyStores: stores)
        let recovered = try await vault.commitRecovery(prepared)
        let newShares = [prepared.deviceShare, prepared.custodianShare].map {
            LabeledShareDocument(label: "new", document: $0)
        }
        let combined = try ShareCeremony.combine(newShares, revealSecret: false)
        record(
            "demo-alice lost her device: recovered into signing generation \(recovered.generation), same public key",
            recovered.generation == 2 && Hex.encode(combined.publicKey) == recovered.publicKey)
        let redrill = try await vault.drill(.client("demo-alice"), keyStores: stores)
        record(
            "drilled demo-alice again after the recovery: \(redrill.passed) of \(redrill.drilled) pass",
            redrill.allPassed)
        let portalRecovery = try await vault.commitRecovery(
            try vault.prepareRecovery(clientId: "demo-dave", method: gdrive.on(.ed25519), keyStores: stores))
        let portalDrill = try await vault.drill(.client("demo-dave"), keyStores: stores)
        record(
            "recovered demo-dave's Portal ed25519 wallet (generation \(portalRecovery.generation)) and drilled both of its pairs: \(portalDrill.passed) of \(portalDrill.drilled) pass",
            portalRecovery.generation == 1 && portalDrill.allPassed && portalDrill.drilled == 2)
        let audit = try await vault.verifyAuditLog()
        let head = try await vault.exportAuditHead().head
        var headHolds = false
        if let head { headHolds = try await vault.verifyAuditLog(expecting: head).isIntact }
        record(
            "the keyed audit chain holds: \(audit.events) events, every MAC checked; its exported head is held",
            audit.isIntact && audit.macsChecked && headHolds)
        return (vault, steps)
    }

    /// A Portal-layout backup for one curve: the custodian webhook body, and the client's `MpcShare`.
    private static func portalBackup<C: Curve>(_ curve: C.Type, clientId: String) throws -> (
        Data, (id: String, share: SecureBytes)
    ) {
        let identifiers = [C.element(1), C.element(2)]
        let dealing = try Dealing<C>.split(secret: .random(), threshold: 2, identifiers: identifiers)
        let pair = PortalShareWriter.Pair(
            clientId: clientId, backupSharePairId: PortalShareWriter.pairId(),
            signingSharePairId: PortalShareWriter.pairId(),
            publicKey: dealing.publicKey, client: dealing.shares[0], custodian: dealing.shares[1])
        // The body leaves guarded memory here, as it does at the provider: it is what goes over the wire.
        let webhook = WebhookBody.encoded(
            clientId: clientId, share: PortalShareWriter.custodianJSON(pair),
            backupMethod: "GDRIVE-\(C.id.rawValue.uppercased())"
        ).withUnsafeBytes { Data($0) }
        return (webhook, (pair.backupSharePairId, PortalShareWriter.clientJSON(pair)))
    }
}
