import Dispatch
import Foundation
import ShareMath
import Synchronization

/// A wallet `create` made, in public terms.
public struct CreatedWallet: Sendable, Encodable {
    public let clientId: String
    public let curve: CurveID
    public let publicKey: String
    public let address: String
    /// The methods, each on the wallet's curve (`GDRIVE-SECP256K1`).
    public let methods: [BackupMethod]
}

/// The key stores `create` puts client backup keys into: a folder for most methods, a password for PASSWORD.
/// Opening client halves also takes a decrypt command, for ciphertexts of formats sharevault cannot open.
public struct BackupKeyStores: Sendable {
    public let directory: (any BackupKeyStore)?
    public let password: (any BackupKeyStore)?
    public let decryptCommand: ClientDecryptCommand?

    public init(
        directory: (any BackupKeyStore)?, password: (any BackupKeyStore)?, decryptCommand: ClientDecryptCommand? = nil
    ) {
        self.directory = directory
        self.password = password
        self.decryptCommand = decryptCommand
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

/// The layout `create` writes the halves of a test wallet in.
public enum WalletLayout: String, Sendable, CaseIterable {
    /// sharevault's own share documents.
    case native
    /// Portal's exact layouts: the flat custodian JSON, and `MpcShare`s in Portal's two-curve client plaintext.
    case portal
}

extension Vault {
    /// Device identifier 1 and custodian identifier 2, for wallets `create` makes.
    static let deviceIdentifier: UInt64 = 1
    static let custodianIdentifier: UInt64 = 2

    /// Makes new wallets as a device and an MPC provider would, for drills, tests and demos: per client and
    /// curve a key, a 2-of-2 signing pair (generation 1) and a 2-of-2 backup pair per method; per client and
    /// method one client plaintext covering every curve (Portal's two-curve form), encrypted under a fresh key
    /// put in the key store; the custodian halves sealed in the vault; the status walked to completed. Clients
    /// are made on every core and written in batches of 500, a transaction each, once every clash with an existing
    /// wallet has been refused (see `VaultStore.createWallets`).
    ///
    /// Unlike a real device and provider, which never hold the whole key, `create` deals from a fresh key
    /// and drops it at once: it is a dealer for test wallets, not a key ceremony.
    public func create(
        clientIds: [String], curves: [CurveID], methods: [BackupMethod], keyStores: BackupKeyStores,
        layout: WalletLayout = .native, progress: ProgressHandler? = nil
    ) async throws -> [CreatedWallet] {
        for clientId in clientIds { try ClientID.validate(clientId) }
        for method in methods { _ = try keyStores.store(for: method) }
        let created = Mutex<[CreatedWallet]>([])
        let total = clientIds.count * curves.count
        // The keys made for the batch in hand: if that batch is not committed, they open nothing and must go, or
        // a retry would stop on them (key files are never replaced).
        let batchKeys = Mutex<[(clientId: String, method: BackupMethod)]>([])
        func makeBatch(_ batch: [String]) async throws -> [NewClient] {
            batchKeys.withLock { $0.removeAll() }
            // Each batch sealed under the vault's key state as it now is: a rekey begun meanwhile is joined (its
            // new version sealed), one ended moves the keyring on, as the intake does.
            try await refreshKeys()
            progress?(.generatingShare, created.withLock(\.count), total)
            let clients = try await makeClients(
                batch, curves: curves, methods: methods, keyStores: keyStores, layout: layout,
                madeKey: { clientId, method in batchKeys.withLock { $0.append((clientId, method)) } })
            let count = created.withLock { made in
                made += clients.flatMap(\.reports)
                return made.count
            }
            progress?(.storingShare, count, total)
            return clients.map(\.client)
        }
        // A transaction per batch; each batch is made on every core, holding no lock, once the store has checked
        // that no client of the whole run already has the wallet.
        do {
            try await store.createWallets(
                clientIds, curves: curves, batchSize: 500, at: Date(), make: makeBatch, audit: AuditEntry.created)
        } catch {
            for made in batchKeys.withLock({ $0 }) {
                (try? keyStores.store(for: made.method))?.discardKey(clientId: made.clientId, method: made.method)
            }
            throw error
        }
        let made = created.withLock { $0 }
        progress?(.done, made.count, total)
        logger.info("created wallets", metadata: ["count": "\(made.count)"])
        return made
    }

    /// Makes a batch of clients on every core; the first failure wins.
    private func makeClients(
        _ batch: [String], curves: [CurveID], methods: [BackupMethod], keyStores: BackupKeyStores, layout: WalletLayout,
        madeKey: @escaping @Sendable (String, BackupMethod) -> Void
    ) async throws -> [(client: NewClient, reports: [CreatedWallet])] {
        try await batch.concurrentMap(parallelism: ProcessInfo.processInfo.activeProcessorCount) { clientId in
            try self.makeClient(
                clientId, curves: curves, methods: methods, keyStores: keyStores, layout: layout, madeKey: madeKey)
        }
    }

    private func makeClient(
        _ clientId: String, curves: [CurveID], methods: [BackupMethod], keyStores: BackupKeyStores,
        layout: WalletLayout,
        madeKey: @Sendable (String, BackupMethod) -> Void
    ) throws -> (client: NewClient, reports: [CreatedWallet]) {
        var wallets: [NewWallet] = []
        var reports: [CreatedWallet] = []
        var clientHalves: [String: [(curve: CurveID, id: String, share: SecureBytes)]] = [:]
        for curve in curves {
            let made:
                (
                    wallet: NewWallet, report: CreatedWallet,
                    clientHalves: [(method: String, id: String, share: SecureBytes)]
                )
            switch curve {
            case .secp256k1: made = try makeWallet(Secp256k1.self, clientId: clientId, methods: methods, layout: layout)
            case .ed25519: made = try makeWallet(Ed25519.self, clientId: clientId, methods: methods, layout: layout)
            }
            wallets.append(made.wallet)
            reports.append(made.report)
            for half in made.clientHalves {
                clientHalves[half.method, default: []].append((curve, half.id, half.share))
            }
        }
        var ciphertexts: [NewCiphertext] = []
        for method in methods {
            let plaintext = PortalShareWriter.plaintext(clientHalves[method.name] ?? [])
            let (clientKey, source) = try keyStores.store(for: method).makeKey(
                clientId: clientId, method: method.withoutCurve)
            madeKey(clientId, method.withoutCurve)
            let cipherText = ClientBackupCiphertext.seal(
                plaintext, key: clientKey, keySource: source, clientId: clientId, method: method)
            ciphertexts.append(NewCiphertext(method: method.withoutCurve, cipherText: cipherText.text, confirmed: true))
        }
        return (NewClient(clientId: clientId, wallets: wallets, ciphertexts: ciphertexts), reports)
    }

    private func makeWallet<C: Curve>(
        _ curve: C.Type, clientId: String, methods: [BackupMethod], layout: WalletLayout
    ) throws -> (
        wallet: NewWallet, report: CreatedWallet, clientHalves: [(method: String, id: String, share: SecureBytes)]
    ) {
        let identifiers = [C.element(Self.deviceIdentifier), C.element(Self.custodianIdentifier)]
        let key = Scalar<C>.random()
        let signing = try Dealing<C>.split(secret: key, threshold: 2, identifiers: identifiers)
        let publicKey = signing.publicKey
        let signingRecord = SigningPairRecord(
            generation: 1, status: .active, deviceIdentifier: identifiers[0].encodedPublicly,
            devicePublicShare: C.baseMultiply(signing.shares[0].value).encoded,
            custodianIdentifier: identifiers[1].encodedPublicly,
            custodianPublicShare: C.baseMultiply(signing.shares[1].value).encoded, createdAt: Date())
        var backups: [NewBackup] = []
        var clientHalves: [(method: String, id: String, share: SecureBytes)] = []
        for method in methods {
            let onCurve = method.on(C.id)
            let backup = try Dealing<C>.split(secret: key, threshold: 2, identifiers: identifiers)
            let pairId = PortalShareWriter.pairId()
            let (parsed, custodianText, clientText): (ParsedShare<C>, SecureBytes, SecureBytes)
            switch layout {
            case .native:
                let documents = ShareDocument.documents(for: backup)
                parsed = ParsedShare(
                    layout: .native, threshold: 2, share: documents[1].share, publicKey: publicKey,
                    partnerIdentifier: identifiers[0], commitments: documents[1].commitments)
                (custodianText, clientText) = (documents[1].exportJSON(), documents[0].exportJSON())
            case .portal:
                let pair = PortalShareWriter.Pair(
                    clientId: clientId, backupSharePairId: pairId, signingSharePairId: PortalShareWriter.pairId(),
                    publicKey: publicKey, client: backup.shares[0], custodian: backup.shares[1])
                parsed = ParsedShare(
                    layout: .portalCustodian, threshold: 2, share: backup.shares[1], publicKey: publicKey,
                    partnerIdentifier: identifiers[0], commitments: nil,
                    partnerPublicShare: C.baseMultiply(backup.shares[0].value), backupSharePairId: pairId)
                (custodianText, clientText) = (
                    PortalShareWriter.custodianJSON(pair), PortalShareWriter.clientJSON(pair)
                )
            }
            let record = custodianRecord(parsed, shareText: custodianText, clientId: clientId, method: onCurve)
            backups.append(NewBackup(method: method.withoutCurve, custodian: record, status: .storedClientBackupShare))
            clientHalves.append((method.name, pairId, clientText))
        }
        let encodedKey = publicKey.encoded
        return (
            NewWallet(curve: C.id, publicKey: encodedKey, signing: signingRecord, backups: backups),
            CreatedWallet(
                clientId: clientId, curve: C.id, publicKey: Hex.encode(encodedKey),
                address: (try? WalletAddress.address(curve: C.id, publicKey: encodedKey)) ?? "",
                methods: methods.map { $0.on(C.id) }),
            clientHalves
        )
    }
}
