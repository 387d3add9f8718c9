import Foundation
import ShareMath
import SharevaultTestSupport
import Testing

@testable import ShareVault
@testable import ShareVaultPostgres

/// `Vault.abortRekey`: a rekey in progress abandoned, every share back under the current key, the rekey's key
/// gone; resumable after a stop, with the intake running, and the next rekey free to begin.
@Suite struct RekeyAbortTests {
    typealias Fixture = RekeyTests.Fixture

    /// Begins a rekey to a new key file and cancels it once `k` batches of `batchSize` have committed; returns the
    /// new key's path.
    static func rekeyStopped(after k: Int, batchSize: Int, _ fixture: Fixture, vault: Vault) async throws -> String {
        let newKeyPath = fixture.newKeyPath("abandoned")
        await RekeyTests.rekeyCancelled(
            vault, to: .file(at: newKeyPath, passphrase: nil), batchSize: batchSize, afterShares: k * batchSize)
        return newKeyPath
    }

    /// Every row is at `version` (a row from before versions may stay so, at 1) and opens under `key` through the
    /// keyring; none opens under `abandoned` with any associated data.
    static func expectAllUnder(
        _ vault: Vault, version: Int, abandoned: SecureBytes, _ context: String
    ) async throws {
        let rows = try await RekeyTests.rows(vault)
        #expect(!rows.isEmpty)
        for row in rows {
            let method = row.method.on(row.curve)
            #expect((row.keyVersion ?? 1) == version, "pair \(row.pairId) at \(row.keyVersion as Any) \(context)")
            #expect(
                (try? vault.keys.openCustodianShare(
                    row.sealedShare, version: row.keyVersion, clientId: row.clientId, method: method)) != nil,
                "pair \(row.pairId) does not open under the current key \(context)")
            for variant in [nil, 1, 2, 3] as [Int?] {
                #expect(
                    (try? XChaCha20Poly1305.open(
                        row.sealedShare, key: abandoned,
                        associatedData: VaultKeyring.custodianAssociatedData(
                            version: variant, clientId: row.clientId, method: method))) == nil,
                    "pair \(row.pairId) opens under the abandoned key \(context)")
            }
        }
    }

    @Test(arguments: StoreEngine.allCases) func anAbortedRekeyLeavesEveryShareUnderTheCurrentKey(engine: StoreEngine)
        async throws
    {
        let fixture = try await RekeyTests.fixture(engine, created: 20, webhook: 4)
        let vault = fixture.vault
        let total = try await RekeyTests.rows(vault).count
        let eventsBefore = try await RekeyTests.auditKinds(vault).count
        var generator = SystemRandomNumberGenerator()
        let batchSize = Int.random(in: 4...9, using: &generator)
        let batches = (total + batchSize - 1) / batchSize
        let k = Int.random(in: 1..<batches - 1, using: &generator)
        let context = "batch size \(batchSize), stopped after \(k) of \(batches) batches"
        let abandonedPath = try await Self.rekeyStopped(after: k, batchSize: batchSize, fixture, vault: vault)
        let abandoned = try RekeyTests.loadKey(abandonedPath)
        let stopped = try await vault.store.keyMeta()
        #expect(stopped.rekeyVersion == 2, "\(context)")

        let aborter = try await fixture.open()
        let report = try await aborter.abortRekey(batchSize: batchSize)
        #expect(report.keyVersion == 1 && report.abandonedVersion == 2 && !report.resumed, "\(context)")
        #expect(report.resealed == k * batchSize, "\(context)")
        #expect(report.removedFiles == [abandonedPath], "\(context)")
        #expect(!FileManager.default.fileExists(atPath: abandonedPath), "\(context)")

        let meta = try await vault.store.keyMeta()
        #expect(meta.rekeyVersion == nil && meta.keyVersion == 1 && !meta.rekeyAborted, "\(context)")
        #expect(meta.values.keys.filter { $0.hasPrefix("rekey") }.isEmpty, "\(meta.values.keys) \(context)")
        #expect(meta.serial == stopped.serial + 2, "\(context)")
        try await Self.expectAllUnder(aborter, version: 1, abandoned: abandoned, context)
        let reopened = try await fixture.open()
        try await RekeyTests.expectCustodianVerifies(reopened, webhookClients: fixture.webhookClients, context)
        // The digests were made again under the current key: every delivery held is still a duplicate.
        for body in fixture.webhookBodies {
            #expect(try await reopened.ingestCustodian(body).outcome == .duplicate, "\(context)")
        }
        let chain = try await reopened.verifyAuditLog()
        #expect(chain.isIntact && chain.macsChecked && chain.unsealedTail == 0, "\(chain) \(context)")
        let kinds = try await RekeyTests.auditKinds(reopened)
        #expect(
            Array(kinds[eventsBefore..<eventsBefore + 3]) == ["rekey-started", "rekey-abort-started", "rekey-aborted"],
            "\(kinds) \(context)")

        // The vault that began the abandoned rekey moved back with the abort: it seals under version 1 again.
        let (first, _) = try TestWebhooks.twoDealings()
        #expect(try await vault.ingestCustodian(TestWebhooks.body("after-abort", first)).outcome == .stored)
        let rows = try await RekeyTests.rows(vault)
        #expect(rows.allSatisfy { ($0.keyVersion ?? 1) == 1 }, "\(context)")

        // A new rekey begins and ends, past the abandoned version 2 (never used again); the abandoned key opens
        // nothing.
        #expect(meta.abandonedVersions == [2] && meta.nextVersion == 3)
        let nextPath = fixture.newKeyPath("next")
        let next = try await reopened.rekey(to: .file(at: nextPath, passphrase: nil), batchSize: batchSize)
        #expect(next.fromVersion == 1 && next.toVersion == 3 && next.resealed == total + 1 && !next.resumed)
        try await RekeyTests.expectAllMoved(
            reopened, to: 3, key: try RekeyTests.loadKey(nextPath),
            retired: [try RekeyTests.loadKey(fixture.keyPath), abandoned], context)
        let current = try await fixture.open(keyPath: nextPath)
        let chain2 = try await current.verifyAuditLog()
        #expect(chain2.isIntact && chain2.macsChecked && chain2.unsealedTail == 0, "\(chain2) \(context)")
    }

    /// An abort stopped by a share that does not open under the abandoned key (after a random number of batches
    /// moved back) is taken up, once the share is repaired, by running it again.
    @Test(arguments: StoreEngine.allCases) func aStoppedAbortIsTakenUp(engine: StoreEngine) async throws {
        let fixture = try await RekeyTests.fixture(engine, created: 30, webhook: 2)
        let vault = fixture.vault
        var generator = SystemRandomNumberGenerator()
        let batchSize = Int.random(in: 3...5, using: &generator)
        // A rekey stopped after 8 batches: 8 batches' worth of shares under the abandoned key.
        let abandonedPath = try await Self.rekeyStopped(after: 8, batchSize: batchSize, fixture, vault: vault)
        let abandoned = try RekeyTests.loadKey(abandonedPath)
        let moved = try await RekeyTests.rows(vault).filter { $0.keyVersion == 2 }.count
        #expect(moved == 8 * batchSize)
        let k = Int.random(in: 1...6, using: &generator)
        let context = "batch size \(batchSize), abort stopped after \(k) of 8 batches"
        let (pairId, original, version) = try await RekeyTests.damageRow(
            inBatch: k, batchSize: batchSize, of: vault, sealedOtherThan: 1)
        #expect(version == 2, "\(context)")

        let aborter = try await fixture.open()
        await #expect(throws: VaultError.shareDoesNotOpen(pairId: pairId, version: 2), "\(context)") {
            _ = try await aborter.abortRekey(batchSize: batchSize)
        }
        let stopped = try await vault.store.keyMeta()
        #expect(stopped.rekeyAborted && stopped.rekeyVersion == 2, "\(context)")
        // The new key's file went as the abort began: the vault holds that key while shares are left under it.
        #expect(!FileManager.default.fileExists(atPath: abandonedPath), "\(context)")
        let remaining = try await RekeyTests.rows(vault).filter { $0.keyVersion == 2 }.count
        #expect(remaining == moved - k * batchSize, "\(context)")
        // While the abort is unfinished, the rekey is neither taken up nor begun anew.
        await #expect(throws: VaultError.rekeyBeingAborted(version: 2)) { _ = try await aborter.rekey(to: nil) }
        let otherPath = fixture.newKeyPath("other")
        await #expect(throws: VaultError.rekeyBeingAborted(version: 2)) {
            _ = try await aborter.rekey(to: .file(at: otherPath, passphrase: nil))
        }
        #expect(!FileManager.default.fileExists(atPath: otherPath))
        #expect(try await vault.store.keyMeta() == stopped)

        try await TestStores.tamper(
            vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: vault)) "
                + "WHERE pairId = \(pairId)")
        let report = try await fixture.open().abortRekey(batchSize: batchSize)
        #expect(report.resumed && report.resealed == remaining, "\(context)")
        #expect(report.removedFiles == [] && report.keptFiles == [])
        try await Self.expectAllUnder(try await fixture.open(), version: 1, abandoned: abandoned, context)
        let kinds = try await RekeyTests.auditKinds(vault)
        #expect(kinds.filter { $0 == "rekey-abort-started" }.count == 1, "\(kinds)")
        #expect(kinds.filter { $0 == "rekey-aborted" }.count == 1, "\(kinds)")
        #expect(try await vault.verifyAuditLog().isIntact)
    }

    /// Deliveries to an instance that joined the rekey (it seals under the abandoned key until it takes the abort),
    /// during an abort that stopped midway and racing the abort's end: every one is acknowledged and ends under
    /// the current key. An instance that joined the rekey and slept through the whole abort is moved back at its
    /// next delivery.
    @Test(arguments: StoreEngine.allCases) func theIntakeKeepsRunningThroughAnAbort(engine: StoreEngine) async throws {
        let fixture = try await RekeyTests.fixture(engine, created: 20, webhook: 2)
        let intake = try await fixture.open()
        let sleeper = try await fixture.open()
        let livePairsBefore = try await fixture.vault.store.counts().livePairs
        let abandonedPath = try await Self.rekeyStopped(after: 8, batchSize: 4, fixture, vault: fixture.vault)
        let abandoned = try RekeyTests.loadKey(abandonedPath)
        // Both instances join the rekey: they seal under version 2 now.
        try await intake.refreshKeys()
        try await sleeper.refreshKeys()
        let (joined, _) = try TestWebhooks.twoDealings()
        #expect(try await intake.ingestCustodian(TestWebhooks.body("joined", joined)).outcome == .stored)
        #expect(try await RekeyTests.rows(intake).contains { $0.clientId == "joined" && $0.keyVersion == 2 })

        // An abort that began and stopped (at a share that does not open) after two batches moved back.
        let aborter = try await fixture.open()
        let (pairId, original, _) = try await RekeyTests.damageRow(
            inBatch: 2, batchSize: 3, of: fixture.vault, sealedOtherThan: 1)
        await #expect(throws: VaultError.shareDoesNotOpen(pairId: pairId, version: 2)) {
            _ = try await aborter.abortRekey(batchSize: 3)
        }
        #expect(try await fixture.vault.store.keyMeta().rekeyAborted)
        // The intake still seals under version 2: the store refuses that, and the intake seals it under 1.
        let (midway, _) = try TestWebhooks.twoDealings()
        #expect(try await intake.ingestCustodian(TestWebhooks.body("midway", midway)).outcome == .stored)
        #expect(try await RekeyTests.rows(intake).contains { $0.clientId == "midway" && $0.keyVersion == 1 })
        try await TestStores.tamper(
            fixture.vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: fixture.vault)) "
                + "WHERE pairId = \(pairId)")

        // The abort taken up, racing four senders.
        let bodies = try (0..<32).map { TestWebhooks.body("race-\($0)", try TestWebhooks.twoDealings().0) }
        async let aborted = aborter.abortRekey(batchSize: 2)
        let outcomes = await RekeyTests.deliver(bodies, to: intake, senders: 4, pause: .milliseconds(10))
        let report = try await aborted
        #expect(report.abandonedVersion == 2 && report.keyVersion == 1 && report.resumed)
        #expect(outcomes.count == bodies.count)
        for outcome in outcomes {
            switch outcome {
            case .success(let stored): #expect(stored == .stored)
            case .failure(let error): Issue.record("a delivery failed during the abort: \(error)")
            }
        }
        #expect(try await fixture.vault.store.counts().livePairs == livePairsBefore + bodies.count + 2)

        // The sleeper still seals under the abandoned key: the store refuses that seal, and the sleeper takes the
        // vault's key state (newer than its own, so the abandoned key goes) and seals under version 1.
        let (late, _) = try TestWebhooks.twoDealings()
        #expect(try await sleeper.ingestCustodian(TestWebhooks.body("late", late)).outcome == .stored)
        #expect(await sleeper.readiness(within: .seconds(5)) == .ready)
        #expect(sleeper.keys.key(version: 2) == nil)
        try await Self.expectAllUnder(try await fixture.open(), version: 1, abandoned: abandoned, "after the abort")
        try await RekeyTests.expectCustodianVerifies(
            try await fixture.open(),
            webhookClients: fixture.webhookClients + ["joined", "midway", "late"]
                + (0..<bodies.count).map { "race-\($0)" })
    }

    /// `abortRekey` with no rekey in progress is refused and changes nothing.
    @Test(arguments: StoreEngine.allCases) func anAbortWithNothingToAbortChangesNothing(engine: StoreEngine)
        async throws
    {
        let fixture = try await RekeyTests.fixture(engine, created: 3, webhook: 1)
        let meta = try await fixture.vault.store.keyMeta()
        let events = try await RekeyTests.auditKinds(fixture.vault)
        await #expect(throws: VaultError.noRekeyToAbort) { _ = try await fixture.vault.abortRekey() }
        #expect(try await fixture.vault.store.keyMeta() == meta)
        #expect(try await RekeyTests.auditKinds(fixture.vault) == events)
        // After a finished rekey there is nothing to abort either.
        let newKeyPath = fixture.newKeyPath()
        _ = try await fixture.vault.rekey(to: .file(at: newKeyPath, passphrase: nil))
        let after = try await fixture.vault.store.keyMeta()
        await #expect(throws: VaultError.noRekeyToAbort) { _ = try await fixture.vault.abortRekey() }
        #expect(try await fixture.vault.store.keyMeta() == after)
        #expect(FileManager.default.fileExists(atPath: newKeyPath))
    }

    /// A keyring takes a key state only if it is newer than the one it holds (by the state's serial): two reads
    /// crossing as a rekey begins, is aborted or ends never take it back, and an abort drops the abandoned key.
    @Test func aKeyringTakesOnlyNewerKeyStates() async throws {
        let fixture = try await RekeyTests.fixture(.sqlite, created: 4, webhook: 1)
        let vault = fixture.vault
        let before = try await vault.store.keyMeta()
        _ = try await Self.rekeyStopped(after: 1, batchSize: 2, fixture, vault: vault)
        let rekeying = try await vault.store.keyMeta()
        let (pairId, original, _) = try await RekeyTests.damageRow(
            inBatch: 0, batchSize: 2, of: vault, sealedOtherThan: 1)
        await #expect(throws: VaultError.shareDoesNotOpen(pairId: pairId, version: 2)) {
            _ = try await fixture.open().abortRekey(batchSize: 2)
        }
        let aborting = try await vault.store.keyMeta()
        try await TestStores.tamper(
            vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: vault)) "
                + "WHERE pairId = \(pairId)")
        _ = try await fixture.open().abortRekey(batchSize: 2)
        let aborted = try await vault.store.keyMeta()
        #expect([before, rekeying, aborting, aborted].map(\.serial) == [0, 1, 2, 3])

        let keyring = try VaultKeyring(
            unlocking: try RekeyTests.loadKey(fixture.keyPath), label: fixture.keyPath, meta: before)
        func sealingVersion() -> Int {
            keyring.sealCustodianShare(
                SecureBytes(copying: [1, 2, 3]), clientId: "c", method: BackupMethod(name: "GDRIVE", curve: .secp256k1)
            ).version
        }
        #expect(sealingVersion() == 1)
        try keyring.reload(rekeying)
        #expect(sealingVersion() == 2 && keyring.key(version: 2) != nil)
        try keyring.reload(before)
        #expect(sealingVersion() == 2 && keyring.key(version: 2) != nil, "a read from before the rekey took it back")
        try keyring.reload(aborting)
        #expect(sealingVersion() == 1 && keyring.key(version: 2) != nil, "an aborting rekey's key is still read")
        try keyring.reload(rekeying)
        #expect(sealingVersion() == 1, "a read from before the abort took it back")
        try keyring.reload(aborted)
        #expect(sealingVersion() == 1 && keyring.key(version: 2) == nil)
        #expect(throws: VaultError.keyringStale(path: fixture.keyPath)) { try keyring.auditKey(version: 2) }
        try keyring.reload(aborting)
        #expect(keyring.key(version: 2) == nil, "a read from before the abort's end brought the abandoned key back")
        #expect(!keyring.isStale)
    }

    /// `keyStatus` follows the key state through a rekey stopped midway, its abort stopped midway, the abort's end
    /// and a rekey to an officers' quorum, counting the shares under each version, from a vault opened without
    /// its key.
    @Test(arguments: StoreEngine.allCases) func theKeyStatusFollowsARekeyAndItsAbort(engine: StoreEngine) async throws {
        let fixture = try await RekeyTests.fixture(engine, created: 10, webhook: 2)
        let keyless = try await Vault.open(store: fixture.location, keyPath: nil, needsKey: false)
        let total = try await RekeyTests.rows(fixture.vault).count
        typealias Under = VaultKeyStatus.SharesUnder

        let first = try await keyless.keyStatus()
        #expect(first.keyVersion == 1 && first.key.kind == "file" && first.key.quorum == nil)
        #expect(first.retiredVersions.isEmpty && first.rekey == nil && first.keyStateChanges == 0)
        #expect(first.sharesByKeyVersion == [Under(keyVersion: 1, shares: total)])

        let abandonedPath = try await Self.rekeyStopped(after: 2, batchSize: 3, fixture, vault: fixture.vault)
        let rekeying = try await keyless.keyStatus()
        #expect(rekeying.rekey?.toVersion == 2 && rekeying.rekey?.aborting == false)
        #expect(rekeying.rekey?.newKeyFiles == [abandonedPath] && rekeying.rekey?.newKey.kind == "file")
        #expect(
            rekeying.sharesByKeyVersion == [Under(keyVersion: 1, shares: total - 6), Under(keyVersion: 2, shares: 6)])
        #expect(rekeying.sharesNotUnderCurrentVersion == 6 && rekeying.keyStateChanges == 1)

        let (pairId, original, _) = try await RekeyTests.damageRow(
            inBatch: 1, batchSize: 2, of: fixture.vault, sealedOtherThan: 1)
        await #expect(throws: VaultError.shareDoesNotOpen(pairId: pairId, version: 2)) {
            _ = try await fixture.open().abortRekey(batchSize: 2)
        }
        let aborting = try await keyless.keyStatus()
        #expect(aborting.rekey?.aborting == true && aborting.keyStateChanges == 2)
        #expect(
            aborting.sharesByKeyVersion == [Under(keyVersion: 1, shares: total - 4), Under(keyVersion: 2, shares: 4)])

        try await TestStores.tamper(
            fixture.vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: fixture.vault)) "
                + "WHERE pairId = \(pairId)")
        _ = try await fixture.open().abortRekey()
        let aborted = try await keyless.keyStatus()
        #expect(aborted.rekey == nil && aborted.keyVersion == 1 && aborted.keyStateChanges == 3)
        #expect(aborted.sharesByKeyVersion == [Under(keyVersion: 1, shares: total)])

        let officers = fixture.scratch.path("officers")
        try FileManager.default.createDirectory(atPath: officers, withIntermediateDirectories: true)
        _ = try await fixture.open().rekey(
            to: .officers(threshold: 2, officers: ["alice", "bob", "carol"], directory: officers))
        let quorum = try await keyless.keyStatus()
        #expect(quorum.keyVersion == 3 && quorum.retiredVersions == [1] && quorum.rekey == nil)
        #expect(quorum.abandonedVersions == [2] && aborted.abandonedVersions == [2] && first.abandonedVersions == [])
        #expect(quorum.key.kind == "officers" && quorum.key.quorum == "2-of-3")
        #expect(quorum.key.officers == ["alice", "bob", "carol"] && quorum.key.fingerprint?.count == 16)
        #expect(quorum.sharesByKeyVersion == [Under(keyVersion: 3, shares: total)] && quorum.keyStateChanges == 5)
    }

    /// A process that joined a rekey and slept through its abort and the start of the next rekey still seals under
    /// the abandoned key: the next rekey moved past that version, so the store refuses the seal, and the process
    /// takes the key state and seals under the next rekey's key. Nothing lands under a key nobody holds.
    @Test(arguments: StoreEngine.allCases) func aProcessHoldingTheAbandonedKeyNeverWritesUnderTheNextRekey(
        engine: StoreEngine
    ) async throws {
        let fixture = try await RekeyTests.fixture(engine, created: 10, webhook: 1)
        let intake = try await fixture.open()
        let abandonedPath = try await Self.rekeyStopped(after: 2, batchSize: 3, fixture, vault: fixture.vault)
        let abandoned = try RekeyTests.loadKey(abandonedPath)
        try await intake.refreshKeys()
        _ = try await fixture.open().abortRekey()
        // The next rekey, begun and stopped after a batch, by yet another process.
        let nextPath = fixture.newKeyPath("next")
        await RekeyTests.rekeyCancelled(
            try await fixture.open(), to: .file(at: nextPath, passphrase: nil), batchSize: 3, afterShares: 3)
        #expect(try await fixture.vault.store.keyMeta().rekeyVersion == 3)
        // The sleeper still seals under version 2, the abandoned key.
        #expect(intake.keys.key(version: 2) != nil)
        let (late, _) = try TestWebhooks.twoDealings()
        #expect(try await intake.ingestCustodian(TestWebhooks.body("late", late)).outcome == .stored)
        let row = try #require(try await RekeyTests.rows(fixture.vault).first { $0.clientId == "late" })
        #expect(row.keyVersion == 3)
        #expect(intake.keys.key(version: 2) == nil)

        let report = try await fixture.open().rekey(to: nil)
        #expect(report.toVersion == 3)
        try await RekeyTests.expectAllMoved(
            try await fixture.open(keyPath: nextPath), to: 3, key: try RekeyTests.loadKey(nextPath),
            retired: [try RekeyTests.loadKey(fixture.keyPath), abandoned])
        let chain = try await fixture.open(keyPath: nextPath).verifyAuditLog()
        #expect(chain.isIntact && chain.macsChecked && chain.unsealedTail == 0, "\(chain)")
    }

    /// The store takes a rekey's batch only under the key state it was made for: a batch made before an abort
    /// began (or before an abort ended and the next rekey began) is refused whole, and changes nothing.
    @Test(arguments: StoreEngine.allCases) func aBatchMadeForAnotherKeyStateIsRefused(engine: StoreEngine)
        async throws
    {
        let fixture = try await RekeyTests.fixture(engine, created: 6, webhook: 1)
        let vault = fixture.vault
        _ = try await Self.rekeyStopped(after: 1, batchSize: 2, fixture, vault: vault)
        let rekeying = try await vault.store.keyMeta()
        let rows = try await vault.store.custodianSharesSealed(otherThan: 2, after: 0, limit: 3)
        let batch = rows.map {
            CustodianReseal(
                pairId: $0.pairId, previousVersion: $0.keyVersion, keyVersion: 2, sealedShare: $0.sealedShare,
                shareDigest: Array(repeating: 7, count: 32))
        }
        let before = try await RekeyTests.rows(vault)
        await #expect(throws: VaultError.keyStateChanged) {
            _ = try await vault.store.resealCustodianShares(batch, keyStateSerial: rekeying.serial - 1)
        }
        // The abort begins (and stops, at a damaged share): the rekey's batch, made before, is refused.
        let (pairId, original, _) = try await RekeyTests.damageRow(
            inBatch: 0, batchSize: 2, of: vault, sealedOtherThan: 1)
        await #expect(throws: VaultError.shareDoesNotOpen(pairId: pairId, version: 2)) {
            _ = try await fixture.open().abortRekey(batchSize: 2)
        }
        let damaged = try await RekeyTests.rows(vault)
        await #expect(throws: VaultError.keyStateChanged) {
            _ = try await vault.store.resealCustodianShares(batch, keyStateSerial: rekeying.serial)
        }
        #expect(try await RekeyTests.rows(vault).map(\.sealedShare) == damaged.map(\.sealedShare))
        #expect(
            damaged.filter { $0.pairId != pairId }.map(\.sealedShare)
                == before.filter { $0.pairId != pairId }.map(\.sealedShare))
        try await TestStores.tamper(
            vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: vault)) "
                + "WHERE pairId = \(pairId)")
        // The rekey is not taken up while its abort is unfinished.
        await #expect(throws: VaultError.rekeyBeingAborted(version: 2)) { _ = try await vault.rekey(to: nil) }
    }

    /// The abort removes only files shown to hold the abandoned key: a wrapped key file (unreadable without its
    /// passphrase) and a key file replaced since by another key are kept and reported.
    @Test func theAbortRemovesOnlyFilesShownToBeTheAbandonedKeys() async throws {
        let fixture = try await RekeyTests.fixture(.sqlite, created: 4, webhook: 1)
        let wrappedPath = fixture.newKeyPath("wrapped")
        await RekeyTests.rekeyCancelled(
            fixture.vault, to: .file(at: wrappedPath, passphrase: "a passphrase".secure), batchSize: 2,
            afterShares: 2)
        let wrapped = try await fixture.open().abortRekey()
        #expect(wrapped.removedFiles == [] && wrapped.keptFiles == [wrappedPath])
        #expect(FileManager.default.fileExists(atPath: wrappedPath))

        let clearPath = try await Self.rekeyStopped(after: 1, batchSize: 2, fixture, vault: try await fixture.open())
        try FileManager.default.removeItem(atPath: clearPath)
        let other = try VaultKeyFile.create(at: clearPath, passphrase: nil)
        let replaced = try await fixture.open().abortRekey()
        #expect(replaced.removedFiles == [] && replaced.keptFiles == [clearPath])
        #expect(try RekeyTests.loadKey(clearPath) == other)
        #expect(try await fixture.vault.store.keyMeta().abandonedVersions == [2, 3])
    }

    /// A share-verification event that claims a quorum unlocked the key, written without the key (as anyone with
    /// write access to the database could), is refused by the chain's check; one that claims no unlock is not.
    @Test(arguments: StoreEngine.allCases) func anUnsealedClaimOfAQuorumUnlockIsRefused(engine: StoreEngine)
        async throws
    {
        let fixture = try await RekeyTests.fixture(engine, created: 2, webhook: 1)
        let keyless = try await Vault.open(store: fixture.location, keyPath: nil, needsKey: false)
        let detail = ["quorum": "3-of-5", "quorumFingerprint": "0011223344556677", "passed": "a,b,c", "failed": ""]
        try await keyless.store.appendAudit(
            AuditEntry(kind: .keySharesVerified, clientId: nil, detail: detail), at: Date())
        let honest = try await fixture.vault.verifyAuditLog()
        #expect(honest.isIntact && honest.unsealedTail == 1, "\(honest)")
        try await keyless.store.appendAudit(
            AuditEntry(kind: .keySharesVerified, clientId: nil, detail: detail.merging(["unlock": "passed"]) { $1 }),
            at: Date())
        let forged = try await fixture.vault.verifyAuditLog()
        #expect(!forged.isIntact)
        #expect(forged.firstBadEvent?.reason.contains("that a quorum unlocked the key") == true, "\(forged)")

        // The claim in a detail that is not a flat object of strings (which no writer makes) is refused too.
        let other = try await RekeyTests.fixture(engine, created: 2, webhook: 1)
        var events: [AuditEvent] = []
        try await other.vault.forEachAuditEvent { events.append($0) }
        let last = try #require(events.last)
        let (id, at, nested) = (last.id + 1, VaultClock.format(Date()), #"{"n":1,"unlock":"passed"}"#)
        let hash = AuditEvent.link(
            previous: last.hash, id: id, at: at, kind: "key-shares-verified", clientId: nil, detail: nested)
        let bytes = { (value: [UInt8]) in TestStores.bytesLiteral(value, for: other.vault) }
        try await TestStores.tamper(
            other.vault,
            """
            INSERT INTO auditEvent (id, at, kind, clientId, detail, previousHash, hash, mac) VALUES
                (\(id), '\(at)', 'key-shares-verified', NULL, '\(nested)', \(bytes(last.hash)), \(bytes(hash)), NULL);
            UPDATE vaultMeta SET value = '\(Hex.encode(hash))' WHERE name = 'auditHead';
            UPDATE vaultMeta SET value = '\(id)' WHERE name = 'auditCount'
            """)
        let nestedClaim = try await other.vault.verifyAuditLog()
        #expect(nestedClaim.firstBadEvent?.id == id, "\(nestedClaim)")
        #expect(nestedClaim.firstBadEvent?.reason.contains("that a quorum unlocked the key") == true)
    }
}
