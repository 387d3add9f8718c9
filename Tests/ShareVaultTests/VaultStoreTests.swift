import Foundation
import Logging
import ShareMath
import Testing

@testable import ShareVault
@testable import ShareVaultPostgres

/// The store's transactions and the audit chain, on a real file vault.
@Suite struct VaultStoreTests {
    final class Scratch {
        let directory: String
        init() throws {
            directory =
                FileManager.default.temporaryDirectory.appendingPathComponent("sv-store-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: directory) }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    }

    func webhook(clientId: String, method: String, dealing: Dealing<Secp256k1>, index: Int = 1) throws -> Data {
        let document = ShareDocument.documents(for: dealing)[index]
        return try JSONSerialization.data(
            withJSONObject: ["clientId": clientId, "share": document.exportJSON().text, "backupMethod": method])
    }

    func newDealing() throws -> Dealing<Secp256k1> {
        try Dealing<Secp256k1>.split(
            secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
    }

    func livePairs(_ vault: Vault) async throws -> [PairSummary] {
        var pairs: [PairSummary] = []
        try await vault.forEachPair { pairs.append($0) }
        return pairs
    }

    @Test(arguments: StoreEngine.allCases) func replacingAPairKeepsTheOldOneInHistory(engine: StoreEngine) async throws
    {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        let dealing = try newDealing()
        let first = try await vault.ingestCustodian(
            try webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: dealing))
        #expect(first.outcome == .stored)
        await #expect(
            try vault.ingestCustodian(try webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: dealing)).outcome
                == .duplicate)
        let refreshed = try Dealing<Secp256k1>.refresh(dealing.shares, threshold: 2, publicKey: dealing.publicKey)
        let second = try await vault.ingestCustodian(
            try webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: refreshed))
        #expect(second.outcome == .replaced)
        #expect(second.replacedPairId == first.pairId)
        await #expect(try livePairs(vault).map(\.pairId) == [second.pairId])
        let detail = try await vault.inspect(clientId: "c1")
        #expect(detail.wallets.count == 1)
        #expect(detail.wallets[0].backupPairs.map(\.summary.live) == [true, false])
        #expect(try await vault.verifyAuditLog().isIntact)
    }

    @Test(arguments: StoreEngine.allCases) func aContradictingPublicKeyChangesNothing(engine: StoreEngine) async throws
    {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        _ = try await vault.ingestCustodian(
            try webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: try newDealing()))
        let before = try await livePairs(vault).map(\.pairId)
        let events = try await vault.verifyAuditLog().events
        await #expect {
            _ = try await vault.ingestCustodian(
                try webhook(clientId: "c1", method: "ICLOUD-SECP256K1", dealing: try newDealing()))
        } throws: { error in
            (error as? VaultError).map { "\($0)".contains("already has a secp256k1 wallet") } ?? false
        }
        await #expect(try livePairs(vault).map(\.pairId) == before)
        #expect(try await vault.verifyAuditLog().events == events)
    }

    /// Issue 10 row 9: `create` commits batch by batch and makes each batch holding no lock, so a webhook taken
    /// through another connection while a create runs lands at once (before, it waited on the lock until the
    /// busy timeout and failed).
    @Test(arguments: StoreEngine.allCases) func createCommitsBatchByBatchSoOtherWritersGoOn(engine: StoreEngine)
        async throws
    {
        let scratch = try Scratch()
        let location = try await TestStores.freshLocation(engine, in: scratch.directory)
        let keyPath = TestStores.keyPath(location, in: scratch.directory)
        let vault = try await Vault.create(store: location, keyPath: keyPath)
        let other = try await Vault.open(store: location, keyPath: keyPath, needsKey: true)
        let body = try webhook(clientId: "between", method: "GDRIVE-SECP256K1", dealing: try newDealing())
        var batches = 0
        try await vault.store.createWallets(
            ["a", "b", "c", "d"], curves: [.secp256k1], batchSize: 2, at: Date(),
            make: { _ in
                batches += 1
                if batches == 2 {
                    let report = try await other.ingestCustodian(body)
                    #expect(report.outcome == .stored)
                }
                return []
            }, audit: AuditEntry.created)
        #expect(batches == 2)
        await #expect(try vault.inspect(clientId: "between").wallets.count == 1)
    }

    /// A create that clashes with an existing wallet in any batch is refused before anything is made or written.
    @Test(arguments: StoreEngine.allCases) func aCreateClashingInALaterBatchWritesNothing(engine: StoreEngine)
        async throws
    {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        _ = try await vault.ingestCustodian(
            try webhook(clientId: "d", method: "GDRIVE-SECP256K1", dealing: try newDealing()))
        let events = try await vault.verifyAuditLog().events
        var made = 0
        do {
            try await vault.store.createWallets(
                ["a", "b", "c", "d"], curves: [.secp256k1], batchSize: 2, at: Date(),
                make: { _ in
                    made += 1
                    return []
                }, audit: AuditEntry.created)
            Issue.record("a create clashing with client d's wallet was not refused")
        } catch {
            #expect(error is VaultError)
        }
        #expect(made == 0)
        #expect(try await vault.verifyAuditLog().events == events)
    }

    /// A delivery repeated after the upgrade to release 2, whose row carries the first release's digest of the
    /// share's bytes, is still a duplicate: it must not demote the completed pair.
    @Test(arguments: StoreEngine.allCases) func aRowOfTheFirstReleaseStillKnowsItsShare(engine: StoreEngine)
        async throws
    {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        let body = try webhook(clientId: "old", method: "GDRIVE-SECP256K1", dealing: try newDealing())
        _ = try await vault.ingestCustodian(body)
        let share = try #require(
            (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["share"] as? String)
        let legacy = Vault.legacyDigest(
            shareText: SecureBytes(copying: Array(share.utf8)), key: try #require(vault.keyring?.key(version: 1)))
        // The row as the first release wrote it: its bytes' digest, sealed before key versions.
        let sealedByFirstRelease = XChaCha20Poly1305.seal(
            SecureBytes(copying: Array(share.utf8)), key: try #require(vault.keyring?.key(version: 1)),
            associatedData: VaultKeyring.custodianAssociatedData(
                version: nil, clientId: "old", method: try BackupMethod(parsing: "GDRIVE-SECP256K1")))
        try await TestStores.tamper(
            vault,
            "UPDATE custodianShare SET keyVersion = NULL, sealedShare = \(TestStores.bytesLiteral(sealedByFirstRelease, for: vault))"
        )
        try await TestStores.tamper(
            vault, "UPDATE custodianShare SET shareDigest = \(TestStores.bytesLiteral(legacy, for: vault))")
        await #expect(try vault.ingestCustodian(body).outcome == .duplicate)
    }

    @Test(arguments: StoreEngine.allCases) func theStatusFlowNeedsItsStepsInOrder(engine: StoreEngine) async throws {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        await #expect(throws: VaultError.unknownClient("c1")) {
            _ = try await vault.confirm(clientId: "c1", method: BackupMethod(parsing: "GDRIVE"))
        }
        _ = try await vault.ingestCustodian(
            try webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: try newDealing()))
        await #expect(throws: VaultError.noClientBackup(clientId: "c1", method: "GDRIVE")) {
            _ = try await vault.confirm(clientId: "c1", method: BackupMethod(parsing: "GDRIVE"))
        }
        await #expect(throws: VaultError.noBackupPair(clientId: "c1", method: "ICLOUD")) {
            _ = try await vault.confirm(clientId: "c1", method: BackupMethod(parsing: "ICLOUD"))
        }
        let key = SecureBytes.random(count: 32)
        let method = try BackupMethod(parsing: "GDRIVE-SECP256K1")
        let text = ClientBackupCiphertext.seal(
            SecureBytes(copying: [1]), key: key, keySource: .storedKey, clientId: "c1", method: method
        ).text
        await #expect(
            try vault.ingestClient(clientId: "c1", method: BackupMethod(parsing: "GDRIVE"), body: Data(text.utf8)).map(
                \.status) == [
                    .storedClientBackupShareKey
                ])
        await #expect(
            try vault.confirm(clientId: "c1", method: BackupMethod(parsing: "GDRIVE-SECP256K1")).map(\.status) == [
                .storedClientBackupShare
            ])
    }

    @Test func aWrongVaultKeyIsRefused() async throws {
        let scratch = try Scratch()
        _ = try await Vault.create(at: scratch.path("a.db"))
        _ = try await Vault.create(at: scratch.path("b.db"))
        #expect(throws: VaultError.keyDoesNotMatchVault(path: scratch.path("b.db.key"))) {
            _ = try Vault.open(at: scratch.path("a.db"), keyPath: scratch.path("b.db.key"), needsKey: true)
        }
        #expect(throws: VaultError.vaultMissing(path: scratch.path("c.db"))) {
            _ = try Vault.open(at: scratch.path("c.db"), needsKey: false)
        }
    }

    @Test(arguments: StoreEngine.allCases) func theAuditChainNamesTheFirstEditedEvent(engine: StoreEngine) async throws
    {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        for index in 0..<4 {
            _ = try await vault.ingestCustodian(
                try webhook(clientId: "c\(index)", method: "GDRIVE", dealing: try newDealing()))
        }
        let whole = try await vault.verifyAuditLog()
        #expect(whole.events == 5 && whole.isIntact && whole.macsChecked && whole.unsealedTail == 0)
        try await TestStores.tamper(vault, "UPDATE auditEvent SET detail = '{}' WHERE id = 3")
        #expect(try await vault.verifyAuditLog().firstBadEvent?.id == 3)
        try await TestStores.tamper(vault, "DELETE FROM auditEvent WHERE id = 3")
        #expect(try await vault.verifyAuditLog().firstBadEvent?.id == 3)
    }

    @Test(arguments: StoreEngine.allCases) func theTailCannotBeDeletedUnnoticed(engine: StoreEngine) async throws {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        _ = try await vault.ingestCustodian(try webhook(clientId: "c1", method: "GDRIVE", dealing: try newDealing()))
        try await TestStores.tamper(vault, "DELETE FROM auditEvent WHERE id = 2")
        let result = try await vault.verifyAuditLog()
        #expect(result.firstBadEvent?.id == 2)
        #expect(result.firstBadEvent?.reason.contains("deleted") == true)
    }

    @Test(arguments: StoreEngine.allCases) func sealedCustodianSharesAreBoundToTheirRecord(engine: StoreEngine)
        async throws
    {
        let scratch = try Scratch()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        let body = try webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: try newDealing())
        _ = try await vault.ingestCustodian(body)
        let sealed = try await vault.store.livePair(clientId: "c1", method: BackupMethod(parsing: "GDRIVE"))
            .custodian.sealedShare
        let original = try JSONSerialization.jsonObject(with: body) as! [String: String]
        let method = try BackupMethod(parsing: "GDRIVE-SECP256K1")
        let key = try #require(vault.keyring?.key(version: 1))
        let opened = try XChaCha20Poly1305.open(
            sealed, key: key,
            associatedData: VaultKeyring.custodianAssociatedData(version: 1, clientId: "c1", method: method))
        #expect(opened == SecureBytes(copying: Array(original["share"]!.utf8)))
        // The seal binds the client and the key version.
        #expect(throws: SealingError.authenticationFailed) {
            _ = try XChaCha20Poly1305.open(
                sealed, key: key,
                associatedData: VaultKeyring.custodianAssociatedData(version: 1, clientId: "c2", method: method))
        }
        #expect(throws: SealingError.authenticationFailed) {
            _ = try XChaCha20Poly1305.open(
                sealed, key: key,
                associatedData: VaultKeyring.custodianAssociatedData(version: 2, clientId: "c1", method: method))
        }
        #expect(throws: SealingError.authenticationFailed) {
            _ = try XChaCha20Poly1305.open(
                sealed, key: key,
                associatedData: VaultKeyring.custodianAssociatedData(version: nil, clientId: "c1", method: method))
        }
    }
}

/// Rows read back into typed records: a value this build does not know is an error naming the table, row and
/// column, never a guess.
@Suite struct TypedRowTests {
    /// One stored value edited behind the tool's back, and the record that must refuse it.
    struct Edit: Sendable, CustomTestStringConvertible {
        let table: String
        let column: String
        let value: String
        /// The error names this table (a pair's summary is read from its `backupPair` row).
        let namedTable: String
        let read: @Sendable (Vault) async throws -> Void
        var testDescription: String { "\(table).\(column) = '\(value)'" }
    }

    static let edits: [Edit] = [
        Edit(table: "signingPair", column: "status", value: "frozen", namedTable: "signingPair") {
            _ = try await $0.inspect(clientId: "c1")
        },
        Edit(table: "signingPair", column: "createdAt", value: "last tuesday", namedTable: "signingPair") {
            _ = try await $0.inspect(clientId: "c1")
        },
        Edit(table: "backupPair", column: "status", value: "LOST", namedTable: "backupPair") {
            try await $0.forEachPair { _ in }
        },
        Edit(table: "backupPair", column: "updatedAt", value: "2026-13-45", namedTable: "backupPair") {
            try await $0.forEachPair { _ in }
        },
        Edit(table: "backupPair", column: "lastVerifiedOutcome", value: "fine", namedTable: "backupPair") {
            try await $0.forEachPair { _ in }
        },
        Edit(table: "backupPair", column: "lastDrilledAt", value: "", namedTable: "backupPair") {
            try await $0.forEachPair { _ in }
        },
        Edit(table: "wallet", column: "curve", value: "p256", namedTable: "wallet") {
            try await $0.forEachPair { _ in }
        },
        Edit(table: "wallet", column: "curve", value: "p256", namedTable: "wallet") {
            _ = try await $0.drill(.all, keyStores: BackupKeyStores(directory: nil, password: nil))
        },
        Edit(table: "custodianShare", column: "layout", value: "scroll", namedTable: "custodianShare") {
            _ = try await $0.verify(level: .public)
        },
        Edit(table: "wallet", column: "createdAt", value: "0", namedTable: "wallet") {
            _ = try await $0.inspect(clientId: "c1")
        },
        Edit(table: "clientCiphertext", column: "receivedAt", value: "soon", namedTable: "clientCiphertext") {
            _ = try await $0.inspect(clientId: "c1")
        },
        Edit(table: "client", column: "createdAt", value: "?", namedTable: "client") {
            _ = try await $0.inspect(clientId: "c1")
        },
    ]

    /// A vault on an in-memory database: the store is handed its writer, as any GRDB database type is.
    static func inMemoryVault() async throws -> Vault {
        let key = SecureBytes.random(count: 32)
        let keyring = VaultKeyring(newVaultKey: key, label: "(memory)")
        let store = try SQLiteVaultStore.inMemory(keyring: keyring)
        try await store.setUp(at: Date(), event: .initialized([:]), metadata: [:])
        return Vault(path: ":memory:", store: store, keyring: keyring, logger: Logger(label: "test"))
    }

    @Test(arguments: StoreEngine.allCases, edits) func anUnreadableValueIsAnErrorNamingItsRow(
        engine: StoreEngine, edit: Edit
    ) async throws {
        let scratch = try VaultStoreTests.Scratch()
        let vault =
            engine == .sqlite
            ? try await Self.inMemoryVault() : try await TestStores.newVault(engine, in: scratch.directory)
        let stores = BackupKeyStores(
            directory: try DirectoryKeyStore(directory: scratch.path("keys"), create: true), password: nil)
        _ = try await vault.create(
            clientIds: ["c1"], curves: [.secp256k1], methods: [try BackupMethod(parsing: "GDRIVE")], keyStores: stores)
        _ = try await vault.verify(level: .public)
        _ = try await vault.drill(.all, keyStores: stores)
        // Read whole before the edit: the same reads succeed on the vault as the tool wrote it.
        try await edit.read(vault)
        try await TestStores.tamper(
            vault, "UPDATE \(edit.table) SET \(edit.column) = '\(edit.value)'", ignoringChecksOn: edit.table)
        await #expect(throws: VaultError.rowUnreadable(table: edit.namedTable, rowId: 1, column: edit.column)) {
            try await edit.read(vault)
        }
    }
}
