import Foundation
import ShareMath
import Testing

@testable import ShareVault
@testable import ShareVaultPostgres

/// Every promise of `VaultStore`, on each engine, through the vault's operations: the same calls, the same
/// answers, on a SQLite file and on a real PostgreSQL server.
@Suite struct StoreConformanceTests {
    let scratch = try! VaultStoreTests.Scratch()

    func keyStores() throws -> BackupKeyStores {
        BackupKeyStores(
            directory: try DirectoryKeyStore(directory: scratch.path("cloud"), create: true),
            password: PasswordKeyStore(password: SecureBytes(copying: Array("correct horse".utf8))))
    }

    func webhook(clientId: String, method: String, dealing: Dealing<Secp256k1>) throws -> Data {
        try VaultStoreTests().webhook(clientId: clientId, method: method, dealing: dealing)
    }

    func dealing() throws -> Dealing<Secp256k1> { try VaultStoreTests().newDealing() }

    func livePairs(_ vault: Vault) async throws -> [PairSummary] {
        var pairs: [PairSummary] = []
        try await vault.forEachPair { pairs.append($0) }
        return pairs
    }

    /// Made wallets verify at every level, drill, recover and eject; each step is audited and the chain holds.
    @Test(arguments: StoreEngine.allCases) func theWholeLifeOfAWallet(engine: StoreEngine) async throws {
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        let keys = try keyStores()
        let methods = try ["GDRIVE", "PASSWORD"].map { try BackupMethod(parsing: $0) }
        let made = try await vault.create(
            clientIds: ["alice", "bob", "carol"], curves: CurveID.allCases, methods: methods, keyStores: keys)
        #expect(made.count == 6)
        let counts = try await vault.store.counts()
        #expect(counts.clients == 3 && counts.wallets == 6 && counts.livePairs == 12)
        #expect(try await livePairs(vault).count == 12)
        #expect(try await livePairs(vault).allSatisfy { $0.completed && $0.live })

        for level in [VerificationLevel.public, .custodian, .deep] {
            let summary = try await vault.verify(level: level, keyStores: level == .public ? nil : keys)
            #expect(summary.checked == 12 && summary.failed == 0 && summary.allPassed, "\(level)")
        }
        let drill = try await vault.drill(.all, keyStores: keys)
        #expect(drill.drilled == 12 && drill.allPassed)
        let prepared = try await vault.prepareRecovery(
            clientId: "bob", method: BackupMethod(parsing: "GDRIVE-ED25519"), keyStores: keys)
        let recovered = try await vault.commitRecovery(prepared)
        #expect(recovered.generation == 2)
        let ejected = try await vault.eject(
            clientId: "carol", method: BackupMethod(parsing: "PASSWORD-SECP256K1"), keyStores: keys)
        #expect(ejected.curve == .secp256k1)

        let detail = try await vault.inspect(clientId: "bob")
        let ed25519 = try #require(detail.wallets.first { $0.curve == .ed25519 })
        #expect(ed25519.signingPairs.map(\.generation) == [1, 2])
        #expect(ed25519.signingPairs.map(\.status) == [.revoked, .active])
        #expect(detail.clientCiphertexts.count == 2)
        // A second verification after recovery still passes: the new generation interpolates to the key.
        #expect(try await vault.verify(level: .public).allPassed)

        var kinds: [String] = []
        try await vault.forEachAuditEvent { kinds.append($0.kind) }
        #expect(kinds.first == "init")
        #expect(kinds.filter { $0 == "create" }.count == 12)
        #expect(kinds.filter { $0 == "drill" }.count == 12)
        #expect(kinds.contains("recover") && kinds.contains("eject") && kinds.contains("verify"))
        let audit = try await vault.verifyAuditLog()
        #expect(audit.isIntact && audit.macsChecked && audit.events == kinds.count)
        let (head, _) = try await vault.exportAuditHead()
        #expect(try await vault.verifyAuditLog(expecting: try #require(head)).isIntact)
    }

    /// The intake's promises: a repeated delivery stores nothing, a new share replaces the live pair and keeps
    /// the old one in history, a contradicting key changes nothing, and the client half flows to completed.
    @Test(arguments: StoreEngine.allCases) func theIntakesPromises(engine: StoreEngine) async throws {
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        let first = try webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: try dealing())
        #expect(try await vault.ingestCustodian(first).outcome == .stored)
        #expect(try await vault.ingestCustodian(first).outcome == .duplicate)
        let events = try await vault.verifyAuditLog().events

        // Another key for the same client's secp256k1 wallet: refused, nothing written.
        await #expect(throws: VaultError.self) {
            _ = try await vault.ingestCustodian(
                try webhook(clientId: "c1", method: "ICLOUD-SECP256K1", dealing: try dealing()))
        }
        #expect(try await vault.verifyAuditLog().events == events)

        // A client half before and after: STORED_CUSTODIAN -> KEY -> completed.
        #expect(try await livePairs(vault).map(\.status) == [.storedCustodianBackupShare])
        await #expect(throws: VaultError.noClientBackup(clientId: "c1", method: "GDRIVE")) {
            _ = try await vault.confirm(clientId: "c1", method: BackupMethod(parsing: "GDRIVE"))
        }
        let method = try BackupMethod(parsing: "GDRIVE")
        _ = try await vault.ingestClient(clientId: "c1", method: method, cipherText: "opaque-ciphertext-1")
        _ = try await vault.ingestClient(clientId: "c1", method: method, cipherText: "opaque-ciphertext-1")
        #expect(try await livePairs(vault).map(\.status) == [.storedClientBackupShareKey])
        _ = try await vault.confirm(clientId: "c1", method: method)
        #expect(try await livePairs(vault).map(\.status) == [.storedClientBackupShare])
        #expect(try await vault.clientCipherText(clientId: "c1", method: method) == "opaque-ciphertext-1")
        _ = try await vault.ingestClient(clientId: "c1", method: method, cipherText: "opaque-ciphertext-2")
        let detail = try await vault.inspect(clientId: "c1")
        #expect(detail.clientCiphertexts.map(\.live) == [true, false])

        await #expect(throws: VaultError.unknownClient("nobody")) {
            _ = try await vault.ingestClient(clientId: "nobody", method: method, cipherText: "x")
        }
        #expect(try await vault.custodianShares(clientId: "c1").count == 1)
        let audit = try await vault.verifyAuditLog()
        #expect(audit.isIntact)
        #expect(try await vault.verify(level: .public).bookkeepingProblems.isEmpty)
    }

    /// Deliveries that share one commit land each as if alone, in order: a duplicate of a share earlier in the
    /// same commit stores nothing, a refresh of it replaces it, another key for a known wallet is refused alone.
    @Test(arguments: StoreEngine.allCases) func deliveriesInOneCommitLandAsIfAlone(engine: StoreEngine) async throws {
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        _ = try await vault.ingestCustodian(try webhook(clientId: "bob", method: "GDRIVE", dealing: try dealing()))
        let eventsBefore = try await vault.verifyAuditLog().events
        let first = try dealing()
        let refreshed = try Dealing<Secp256k1>.refresh(first.shares, threshold: 2, publicKey: first.publicKey)
        let bodies = [
            try webhook(clientId: "alice", method: "GDRIVE-SECP256K1", dealing: first),
            try webhook(clientId: "alice", method: "GDRIVE", dealing: first),
            try webhook(clientId: "alice", method: "GDRIVE-SECP256K1", dealing: refreshed),
            try webhook(clientId: "bob", method: "ICLOUD", dealing: try dealing()),
            try webhook(clientId: "carol", method: "GDRIVE", dealing: try dealing()),
        ]
        let prepared = try bodies.map { try vault.prepareCustodian($0) }
        let outcomes = try await vault.store.storeCustodianShares(prepared.map(\.delivery))
        guard outcomes.count == 5, case .success(.stored(let alice, nil)) = outcomes[0],
            case .success(.stored(let replacement, alice)) = outcomes[2],
            case .success(.stored(let carol, nil)) = outcomes[4]
        else {
            Issue.record("unexpected outcomes \(outcomes)")
            return
        }
        #expect(outcomes[1] == .success(.duplicate(pairId: alice)))
        guard case .failure(.publicKeyMismatch(clientId: "bob", curve: .secp256k1, _, _)) = outcomes[3] else {
            Issue.record("bob's other key was not refused: \(outcomes[3])")
            return
        }
        let live = try await livePairs(vault).filter { $0.clientId != "bob" }.map(\.pairId)
        #expect(Set(live) == [replacement, carol])
        let audit = try await vault.verifyAuditLog()
        #expect(audit.isIntact && audit.events == eventsBefore + 3)
        #expect(try await vault.inspect(clientId: "bob").wallets.flatMap(\.backupPairs).count == 1)
        #expect(try await vault.verify(level: .public).bookkeepingProblems.isEmpty)
    }

    /// Many deliveries at once through the intake's group commit: each stored once, the chain whole.
    @Test(arguments: StoreEngine.allCases) func concurrentDeliveriesAllLand(engine: StoreEngine) async throws {
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        let bodies = try (0..<48).map {
            try webhook(clientId: "client-\($0)", method: "GDRIVE", dealing: try dealing())
        }
        let reports = try await withThrowingTaskGroup(of: CustodianIngestReport.self) { group in
            for body in bodies { group.addTask { try await vault.ingestCustodian(body) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.allSatisfy { $0.outcome == .stored })
        #expect(Set(reports.map(\.pairId)).count == bodies.count)
        #expect(Set(try await livePairs(vault).map(\.pairId)) == Set(reports.map(\.pairId)))
        let audit = try await vault.verifyAuditLog()
        #expect(audit.isIntact && audit.events == bodies.count + 1)
        // Every delivery went through the group commit, each counted once.
        #expect(await vault.custodianIntake.items == bodies.count)
    }

    /// A vault is opened only with its own key, never made twice, and a location with no vault is refused.
    @Test(arguments: StoreEngine.allCases) func openingChecksTheVaultAndItsKey(engine: StoreEngine) async throws {
        let first = try await TestStores.freshLocation(engine, in: scratch.directory)
        let second = try await TestStores.freshLocation(engine, in: scratch.directory)
        _ = try await Vault.create(store: first, keyPath: TestStores.keyPath(first, in: scratch.directory))
        _ = try await Vault.create(store: second, keyPath: TestStores.keyPath(second, in: scratch.directory))
        let wrongKey = TestStores.keyPath(second, in: scratch.directory)
        await #expect(throws: VaultError.keyDoesNotMatchVault(path: wrongKey)) {
            _ = try await Vault.open(store: first, keyPath: wrongKey, needsKey: true)
        }
        await #expect(throws: VaultError.vaultExists(path: first.description)) {
            _ = try await Vault.create(
                store: first, keyPath: (scratch.directory as NSString).appendingPathComponent("another.key"))
        }
        let empty = try await TestStores.freshLocation(engine, in: scratch.directory)
        await #expect(throws: VaultError.vaultMissing(path: empty.description)) {
            _ = try await Vault.open(store: empty, keyPath: nil, needsKey: false)
        }
        // Opened without its key, a vault reads and verifies the public level.
        let reader = try await Vault.open(store: first, keyPath: nil, needsKey: false, readOnly: true)
        #expect(try await reader.verifyAuditLog().isIntact)
    }

    /// `verify --shard K/N`: the shards' runs check every live pair exactly once between them, each recording
    /// only its own pairs' outcomes.
    @Test(arguments: StoreEngine.allCases) func shardsVerifyEveryPairExactlyOnce(engine: StoreEngine) async throws {
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        _ = try await vault.create(
            clientIds: (1...40).map { "s\($0)" }, curves: CurveID.allCases,
            methods: [try BackupMethod(parsing: "GDRIVE")], keyStores: try keyStores())
        let all = Set(try await livePairs(vault).map(\.pairId))
        #expect(all.count == 80)
        var verified: Set<Int64> = []
        var checked = 0
        for index in 1...3 {
            let shard = try VerificationShard(index: index, count: 3)
            let summary = try await vault.verify(level: .public, shard: shard, batchSize: 7)
            #expect(summary.allPassed && summary.shard == "\(index)/3")
            let now = Set(try await livePairs(vault).filter { $0.lastVerifiedAt != nil }.map(\.pairId))
            let new = now.subtracting(verified)
            // This run recorded exactly the pairs it checked, all of them its shard's and none seen before.
            #expect(new.count == summary.checked)
            #expect(new.allSatisfy(shard.contains))
            #expect(summary.checked > 10, "a shard of a third should hold about 27 of 80 pairs")
            verified.formUnion(now)
            checked += summary.checked
        }
        #expect(verified == all)
        #expect(checked == all.count)
    }
}

/// The public level's bookkeeping findings on both engines: each edit someone with write access could make
/// behind the tool's back is named.
@Suite struct BookkeepingConformanceTests {
    let scratch = try! VaultStoreTests.Scratch()

    /// Pair 1 is c1's first share, pair 2 the refreshed share that replaced it; wallet 2 is s1's, whose signing
    /// generation 1 was revoked when a recovery made generation 2.
    static let edits: [(sql: String, table: String?, finding: BookkeepingProblem.Kind)] = [
        (
            """
            UPDATE backupPair SET replacedById = NULL WHERE id = 1; DELETE FROM custodianShare WHERE pairId = 2;
            DELETE FROM backupPair WHERE id = 2
            """, nil, .recordedPairMissing
        ),
        (
            "UPDATE backupPair SET isLive = FALSE WHERE id = 2; UPDATE backupPair SET isLive = TRUE WHERE id = 1", nil,
            .livePairMarkedReplaced
        ),
        ("UPDATE backupPair SET isLive = FALSE WHERE id = 2", nil, .noLivePair),
        ("UPDATE wallet SET curve = 'p256' WHERE id = 1", "wallet", .unknownCurve),
        ("UPDATE signingPair SET status = 'active'", nil, .severalActiveSigningGenerations),
        (
            """
            UPDATE backupPair SET isLive = FALSE, replacedAt = NULL, replacedById = NULL WHERE id = 2;
            UPDATE backupPair SET isLive = TRUE, replacedAt = NULL, replacedById = NULL WHERE id = 1
            """, nil, .olderPairLive
        ),
        ("UPDATE backupPair SET replacedById = NULL WHERE id = 1", nil, .replacementMissing),
        // The address listings and the report show, stored once, no longer the key's.
        (
            "UPDATE wallet SET address = 'AttackerAddress1111111111111111111111111111' WHERE id = 2", nil,
            .storedAddressWrong
        ),
    ]

    @Test(arguments: StoreEngine.allCases, edits.indices)
    func anEditBehindTheStoresBackIsNamed(engine: StoreEngine, index: Int) async throws {
        let conformance = StoreConformanceTests()
        let vault = try await TestStores.newVault(engine, in: scratch.directory)
        let dealing = try conformance.dealing()
        _ = try await vault.ingestCustodian(
            try conformance.webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: dealing))
        let refreshed = try Dealing<Secp256k1>.refresh(dealing.shares, threshold: 2, publicKey: dealing.publicKey)
        #expect(
            try await vault.ingestCustodian(
                try conformance.webhook(clientId: "c1", method: "GDRIVE-SECP256K1", dealing: refreshed)
            ).outcome == .replaced)
        let keys = try conformance.keyStores()
        _ = try await vault.create(
            clientIds: ["s1"], curves: [.ed25519], methods: [try BackupMethod(parsing: "GDRIVE")], keyStores: keys)
        _ = try await vault.commitRecovery(
            try await vault.prepareRecovery(clientId: "s1", method: BackupMethod(parsing: "GDRIVE"), keyStores: keys))
        #expect(try await vault.verify(level: .public).bookkeepingProblems.isEmpty)

        let edit = Self.edits[index]
        try await TestStores.tamper(vault, edit.sql, ignoringChecksOn: edit.table)
        let findings = try await vault.verify(level: .public).bookkeepingProblems.map(\.problem)
        #expect(findings.contains(edit.finding), "\(edit.finding): \(findings)")
    }
}

/// `copy`: a vault moved between engines arrives whole, and the comparison that proves it notices a changed
/// byte or a missing row.
@Suite struct VaultCopyTests {
    let scratch = try! VaultStoreTests.Scratch()

    @Test(arguments: [(StoreEngine.sqlite, StoreEngine.postgres), (.postgres, .sqlite), (.sqlite, .sqlite)])
    func aCopyArrivesWholeAndTheComparisonCatchesAnyChange(from: StoreEngine, to: StoreEngine) async throws {
        let conformance = StoreConformanceTests()
        let vault = try await TestStores.newVault(from, in: scratch.directory)
        let keys = try conformance.keyStores()
        _ = try await vault.create(
            clientIds: (1...12).map { "copy\($0)" }, curves: CurveID.allCases,
            methods: try ["GDRIVE", "PASSWORD"].map { try BackupMethod(parsing: $0) }, keyStores: keys)
        let webhook = try conformance.webhook(
            clientId: "copy-webhook", method: "ICLOUD-SECP256K1", dealing: try conformance.dealing())
        _ = try await vault.ingestCustodian(webhook)
        _ = try await vault.drill(.sample(4), keyStores: keys)
        _ = try await vault.verify(level: .public)

        let location = try await TestStores.freshLocation(to, in: scratch.directory)
        let report = try await vault.copy(to: location, batchSize: 7)
        #expect(report.matches, "\(report.tables.filter { !$0.matches }.map(\.name))")
        #expect(report.tables.first { $0.name == "backupPair" }?.copiedRows == 49)

        // The copy opens with the same key, reads the same, verifies, and takes new writes (ids past the copied).
        let keyPath = TestStores.keyPath(try Self.location(of: vault), in: scratch.directory)
        let opened = try await Vault.open(store: location, keyPath: keyPath, needsKey: true)
        #expect(try await conformance.livePairs(opened).map(\.pairId) == conformance.livePairs(vault).map(\.pairId))
        // The webhook's pair is incomplete (no client half yet), in the copy as in the original; all else passes.
        let verified = try await opened.verify(level: .custodian)
        #expect(verified.checked == 49 && verified.failed == 1 && verified.failedByReason == [.incomplete: 1])
        #expect(verified.auditChainIntact && verified.bookkeepingProblems.isEmpty)
        #expect(try await opened.verifyAuditLog().isIntact)
        let added = try await opened.ingestCustodian(
            try conformance.webhook(
                clientId: "after-copy", method: "GDRIVE-SECP256K1", dealing: try conformance.dealing()))
        #expect(added.pairId > 49)

        // A changed byte in a copied row, with the counts equal, is a difference; so is a missing row.
        let fresh = try await TestStores.freshLocation(to, in: scratch.directory)
        _ = try await vault.copy(to: fresh)
        let target = try await Vault.open(store: fresh, needsKey: false)
        try await TestStores.tamper(target, "UPDATE wallet SET createdAt = '2026-01-01T00:00:00.000Z' WHERE id = 3")
        try await TestStores.tamper(target, "DELETE FROM drill WHERE id = 2")
        let compared = try await VaultCopy.compare(
            vault.store as! any VaultRowCopying, sourceName: "a", target.store as! any VaultRowCopying,
            destinationName: "b", batchSize: 5)
        #expect(!compared.matches)
        #expect(compared.tables.filter { !$0.matches }.map(\.name) == ["wallet", "drill"])
        #expect(compared.tables.first { $0.name == "wallet" }.map { $0.sourceRows == $0.copiedRows } == true)
    }

    static func location(of vault: Vault) throws -> StoreLocation {
        vault.store is PostgresVaultStore
            ? .postgres(try PostgresURL(parsing: vault.path, password: nil)) : .sqlite(path: vault.path)
    }
}
