import Foundation
import ShareMath

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

    public static func run(in directory: String, progress: ProgressHandler? = nil) throws -> (vault: Vault, steps: [Step]) {
        var steps: [Step] = []
        func record(_ step: String, _ passed: Bool) { steps.append(Step(step: step, passed: passed)) }

        for curve in CurveID.allCases {
            for step in try ShareMathDemo.run(curve: curve) { record("\(curve): \(step.step)", step.passed) }
        }

        let vaultPath = (directory as NSString).appendingPathComponent("demo.db")
        let vault = try Vault.create(at: vaultPath)
        record("created a scratch vault and its key file at \(vaultPath)", true)

        let keyStore = try DirectoryKeyStore(directory: (directory as NSString).appendingPathComponent("cloud"), create: true)
        let password = SecureBytes(copying: Array("correct horse battery staple".utf8))
        let stores = BackupKeyStores(directory: keyStore, password: PasswordKeyStore(password: password))
        let methods = try ["GDRIVE", "PASSWORD"].map { try BackupMethod(parsing: $0) }
        let created = try vault.create(
            clientIds: ["demo-alice", "demo-bob", "demo-carol"], curves: CurveID.allCases, methods: methods,
            keyStores: stores, progress: progress)
        record("created \(created.count) wallets on both curves, each with GDRIVE and PASSWORD backup pairs", created.count == 6)

        // One backup taken the way the intake takes it: webhook, upload, confirmation.
        let identifiers = [Secp256k1.element(1), Secp256k1.element(2)]
        let dealing = try Dealing<Secp256k1>.split(secret: .random(), threshold: 2, identifiers: identifiers)
        let documents = ShareDocument.documents(for: dealing)
        let webhook = try JSONSerialization.data(
            withJSONObject: ["clientId": "demo-dave", "share": documents[1].exportJSON(), "backupMethod": "ICLOUD-SECP256K1"],
            options: [.sortedKeys])
        let ingested = try vault.ingestCustodian(webhook)
        let again = try vault.ingestCustodian(webhook)
        record("took a custodian webhook for demo-dave (ICLOUD-SECP256K1); the same delivery again stored nothing new",
            ingested.outcome == "stored" && again.outcome == "duplicate")

        let method = try BackupMethod(parsing: "ICLOUD-SECP256K1")
        let (clientKey, source) = try keyStore.makeKey(clientId: "demo-dave", method: method)
        let plaintext = SecureBytes(copying: Array(documents[0].exportJSON().utf8))
        let cipherText = ClientBackupCiphertext.seal(
            plaintext, key: clientKey, keySource: source, clientId: "demo-dave", method: method)
        let uploaded = try vault.ingestClient(clientId: "demo-dave", method: "ICLOUD", body: Data(cipherText.text.utf8))
        let confirmed = try vault.confirm(clientId: "demo-dave", method: "ICLOUD")
        record("took demo-dave's encrypted client backup share and the app's confirmation: pair completed",
            uploaded.status == .storedClientBackupShareKey && confirmed.status == .storedClientBackupShare)

        var pairs = 0
        var completed = 0
        try vault.forEachPair { pair in
            pairs += 1
            if pair.completed { completed += 1 }
        }
        record("the vault lists \(pairs) live backup pairs, \(completed) completed", pairs == 13 && completed == 13)

        let structural = try vault.verify(progress: progress)
        record("structural verification, no secret: \(structural.passed) of \(structural.checked) pairs pass", structural.allPassed)
        let deep = try vault.verify(keyStores: stores, progress: progress)
        record("deep verification, both halves opened: \(deep.passed) of \(deep.checked) pairs pass", deep.allPassed)
        let drills = try vault.drill(.all, keyStores: stores, progress: progress)
        record("drills: every pair recovered in memory and proved by a threshold signature (\(drills.passed) of \(drills.drilled))",
            drills.allPassed)

        // demo-alice loses her phone: a new signing pair from her GDRIVE backup, then a drill of that backup.
        let prepared = try vault.prepareRecovery(clientId: "demo-alice", method: "GDRIVE-SECP256K1", keyStores: stores)
        let recovered = try vault.commitRecovery(prepared)
        let newShares = [prepared.deviceShare, prepared.custodianShare].map { LabeledShareDocument(label: "new", document: $0) }
        let combined = try ShareCeremony.combine(newShares, revealSecret: false)
        record("demo-alice lost her device: recovered into signing generation \(recovered.generation), same public key",
            recovered.generation == 2 && Hex.encode(combined.publicKey) == recovered.publicKey)
        let redrill = try vault.drill(.client("demo-alice"), keyStores: stores)
        record("drilled demo-alice again after the recovery: \(redrill.passed) of \(redrill.drilled) pass", redrill.allPassed)
        let audit = try vault.verifyAuditLog()
        record("the audit chain holds: \(audit.events) events", audit.isIntact)
        return (vault, steps)
    }
}
