import Dispatch
import Foundation
import ShareMath

/// A wallet `create` made, in public terms.
public struct CreatedWallet: Sendable, Encodable {
    public let clientId: String
    public let curve: CurveID
    public let publicKey: String
    public let address: String
    public let methods: [String]
}

/// The key stores `create` puts client backup keys into: a folder for most methods, a password for PASSWORD.
public struct BackupKeyStores: Sendable {
    public let directory: (any BackupKeyStore)?
    public let password: (any BackupKeyStore)?

    public init(directory: (any BackupKeyStore)?, password: (any BackupKeyStore)?) {
        self.directory = directory
        self.password = password
    }

    /// The store for `method`.
    public func store(for method: BackupMethod) throws -> any BackupKeyStore {
        if method.usesPassword {
            guard let password else { throw VaultError.passwordRequired }
            return password
        }
        guard let directory else { throw VaultError.keyStoreMissing(path: "(no --key-store given)") }
        return directory
    }
}

extension Vault {
    /// Device identifier 1 and custodian identifier 2, for wallets `create` makes.
    static let deviceIdentifier: UInt64 = 1
    static let custodianIdentifier: UInt64 = 2

    /// Makes new wallets as a device and an MPC provider would, for drills, tests and demos: per client and
    /// curve a key, a 2-of-2 signing pair (generation 1) and a 2-of-2 backup pair per method, the client half
    /// encrypted under a fresh key put in the key store, the custodian half sealed in the vault, the status
    /// walked to completed. Wallets are made on every core and written in batches, one transaction each.
    ///
    /// Unlike a real device and provider, which never hold the whole key, `create` deals from a fresh key
    /// and drops it at once: it is a dealer for test wallets, not a key ceremony.
    public func create(
        clientIds: [String], curves: [CurveID], methods: [BackupMethod], keyStores: BackupKeyStores,
        progress: ProgressHandler? = nil
    ) throws -> [CreatedWallet] {
        for clientId in clientIds { try ClientID.validate(clientId) }
        for method in methods { _ = try keyStores.store(for: method) }
        let jobs = clientIds.flatMap { clientId in curves.map { (clientId: clientId, curve: $0) } }
        var created: [CreatedWallet] = []
        created.reserveCapacity(jobs.count)
        // One transaction for the whole command; each batch is made on every core once the store has checked
        // that none of its clients already has the wallet.
        try store.createWallets(jobs, batchSize: 1000, at: VaultClock.now()) { batch in
            progress?(.generatingShare, created.count, jobs.count)
            let wallets = try makeWallets(batch, methods: methods, keyStores: keyStores)
            created += wallets.map(\.report)
            progress?(.storingShare, created.count, jobs.count)
            return wallets.map(\.wallet)
        }
        progress?(.done, created.count, jobs.count)
        logger.info("created wallets", metadata: ["count": "\(created.count)"])
        return created
    }

    /// Makes a batch of wallets in parallel; the first failure wins.
    private func makeWallets(
        _ batch: [(clientId: String, curve: CurveID)], methods: [BackupMethod], keyStores: BackupKeyStores
    ) throws -> [(wallet: NewWallet, report: CreatedWallet)] {
        let results = ResultSlots<(wallet: NewWallet, report: CreatedWallet)>(count: batch.count)
        DispatchQueue.concurrentPerform(iterations: batch.count) { index in
            let (clientId, curve) = batch[index]
            results.set(index, Result {
                switch curve {
                case .secp256k1: return try makeWallet(Secp256k1.self, clientId: clientId, methods: methods, keyStores: keyStores)
                case .ed25519: return try makeWallet(Ed25519.self, clientId: clientId, methods: methods, keyStores: keyStores)
                }
            })
        }
        return try results.values()
    }

    private func makeWallet<C: Curve>(
        _ curve: C.Type, clientId: String, methods: [BackupMethod], keyStores: BackupKeyStores
    ) throws -> (wallet: NewWallet, report: CreatedWallet) {
        let identifiers = [C.element(Self.deviceIdentifier), C.element(Self.custodianIdentifier)]
        let key = Scalar<C>.random()
        let signing = try Dealing<C>.split(secret: key, threshold: 2, identifiers: identifiers)
        let publicKey = signing.publicKey
        let signingRecord = SigningPairRecord(
            generation: 1, status: "active", deviceIdentifier: identifiers[0].encodedPublicly,
            devicePublicShare: C.baseMultiply(signing.shares[0].value).encoded,
            custodianIdentifier: identifiers[1].encodedPublicly,
            custodianPublicShare: C.baseMultiply(signing.shares[1].value).encoded, createdAt: VaultClock.now())
        var backups: [NewBackup] = []
        for method in methods {
            let onCurve = method.on(C.id)
            let backup = try Dealing<C>.split(secret: key, threshold: 2, identifiers: identifiers)
            let documents = ShareDocument.documents(for: backup)
            let clientPlaintext = SecureBytes(copying: Array(documents[0].exportJSON().utf8))
            let keyStore = try keyStores.store(for: onCurve)
            let (clientKey, source) = try keyStore.makeKey(clientId: clientId, method: onCurve)
            let cipherText = ClientBackupCiphertext.seal(
                clientPlaintext, key: clientKey, keySource: source, clientId: clientId, method: onCurve)
            let custodian = documents[1]
            let parsed = ParsedShare(
                layout: .native, threshold: 2, share: custodian.share, publicKey: publicKey,
                partnerIdentifier: identifiers[0], commitments: custodian.commitments)
            let record = custodianRecord(parsed, shareText: custodian.exportJSON(), clientId: clientId, method: onCurve)
            backups.append(NewBackup(method: method.name, custodian: record, cipherText: cipherText.text, status: .storedClientBackupShare))
        }
        let encodedKey = publicKey.encoded
        return (
            NewWallet(clientId: clientId, curve: C.id, publicKey: encodedKey, signing: signingRecord, backups: backups),
            CreatedWallet(
                clientId: clientId, curve: C.id, publicKey: Hex.encode(encodedKey),
                address: (try? WalletAddress.address(curve: C.id, publicKey: encodedKey)) ?? "",
                methods: methods.map { $0.on(C.id).description })
        )
    }
}

/// Result slots filled from concurrent work, read once it is all done.
final class ResultSlots<Value>: @unchecked Sendable {
    private var slots: [Result<Value, any Error>?]
    private let lock = NSLock()
    /// Signalled once per slot filled, for `wait()` on slots made `pending`.
    private let filled: DispatchSemaphore?

    init(count: Int, pending: Bool = false) {
        slots = Array(repeating: nil, count: count)
        filled = pending ? DispatchSemaphore(value: 0) : nil
    }

    func set(_ index: Int, _ result: Result<Value, any Error>) {
        lock.lock()
        slots[index] = result
        lock.unlock()
        filled?.signal()
    }

    func values() throws -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }

    /// The single value of a pending slot, once another thread has set it.
    func wait() throws -> Value {
        filled?.wait()
        return try values()[0]
    }
}
