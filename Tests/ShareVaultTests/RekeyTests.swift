import Foundation
import ShareMath
import SharevaultTestSupport
import Testing

@testable import ShareVault
@testable import ShareVaultPostgres

/// `Vault.rekey` (DESIGN section 8): every custodian share, live and in history, moved to a new vault key in
/// resumable batches while the intake keeps running; the old key retired, the audit chain readable across the
/// switch of audit keys.
@Suite struct RekeyTests {
    typealias Scratch = VaultStoreTests.Scratch

    /// A vault on `engine` with its location and key, and the paths of its key files.
    struct Fixture {
        let scratch: Scratch
        let location: StoreLocation
        let keyPath: String
        let vault: Vault
        /// The clients fed through the webhook (each with a replaced pair in history).
        let webhookClients: [String]
        /// The webhook bodies delivered, live and replaced, in order.
        let webhookBodies: [Data]

        func open(keyPath: String? = nil) async throws -> Vault {
            try await Vault.open(store: location, keyPath: keyPath ?? self.keyPath, needsKey: true)
        }

        func newKeyPath(_ name: String = "new") -> String { scratch.path("\(name)-\(UUID().uuidString).key") }
    }

    /// A vault with `created` clients made by `create` (both curves), `webhook` clients each delivered two shares
    /// (the first replaced, in history), and every third custodian row made to look as the first release wrote
    /// it (no key version, sealed with the first format's associated data).
    static func fixture(_ engine: StoreEngine, created: Int = 12, webhook: Int = 4) async throws -> Fixture {
        let scratch = try Scratch()
        let location = try await TestStores.freshLocation(engine, in: scratch.directory)
        let keyPath = TestStores.keyPath(location, in: scratch.directory)
        let vault = try await Vault.create(store: location, keyPath: keyPath)
        let stores = BackupKeyStores(
            directory: try DirectoryKeyStore(directory: scratch.path("keys"), create: true), password: nil)
        _ = try await vault.create(
            clientIds: (0..<created).map { "made-\($0)" }, curves: [.secp256k1, .ed25519],
            methods: [try BackupMethod(parsing: "GDRIVE")], keyStores: stores)
        var clients: [String] = []
        var bodies: [Data] = []
        for index in 0..<webhook {
            let (first, second) = try TestWebhooks.twoDealings()
            let clientId = "hook-\(index)"
            bodies += [TestWebhooks.body(clientId, first), TestWebhooks.body(clientId, second)]
            #expect(try await vault.ingestCustodian(TestWebhooks.body(clientId, first)).outcome == .stored)
            #expect(try await vault.ingestCustodian(TestWebhooks.body(clientId, second)).outcome == .replaced)
            clients.append(clientId)
        }
        let rows = try await Self.rows(vault)
        #expect(rows.count == 2 * created + 2 * webhook)
        var edits: [String] = []
        for row in rows where row.pairId % 3 == 0 {
            let method = row.method.on(row.curve)
            let text = try #require(
                try? vault.keys.openCustodianShare(
                    row.sealedShare, version: row.keyVersion, clientId: row.clientId, method: method))
            let sealed = XChaCha20Poly1305.seal(
                text, key: try #require(vault.keys.key(version: 1)),
                associatedData: VaultKeyring.custodianAssociatedData(
                    version: nil, clientId: row.clientId, method: method))
            edits.append(
                "UPDATE custodianShare SET keyVersion = NULL, sealedShare = "
                    + "\(TestStores.bytesLiteral(sealed, for: vault)) WHERE pairId = \(row.pairId)")
        }
        try await TestStores.tamper(vault, edits.joined(separator: "; "))
        let versions = Set(try await Self.rows(vault).map(\.keyVersion))
        #expect(versions == [nil, 1], "rows of the first release and of version 1: \(versions)")
        return Fixture(
            scratch: scratch, location: location, keyPath: keyPath, vault: vault, webhookClients: clients,
            webhookBodies: bodies)
    }

    /// Every custodian share row, live and in history, as the store reads them.
    static func rows(_ vault: Vault) async throws -> [SealedCustodianShare] {
        try await vault.store.custodianSharesSealed(otherThan: Int(Int32.max), after: 0, limit: 1_000_000)
    }

    /// The audit events' kinds, in order.
    static func auditKinds(_ vault: Vault) async throws -> [String] {
        var kinds: [String] = []
        try await vault.forEachAuditEvent { kinds.append($0.kind) }
        return kinds
    }

    /// Every row is at `version` and opens under `key` with that version's associated data; none opens under any
    /// key of `retired` with any associated data a row was ever sealed with.
    static func expectAllMoved(
        _ vault: Vault, to version: Int, key: SecureBytes, retired: [SecureBytes], _ context: String = ""
    ) async throws {
        let rows = try await Self.rows(vault)
        #expect(!rows.isEmpty)
        for row in rows {
            let method = row.method.on(row.curve)
            #expect(row.keyVersion == version, "pair \(row.pairId) at \(row.keyVersion as Any) \(context)")
            #expect(
                (try? XChaCha20Poly1305.open(
                    row.sealedShare, key: key,
                    associatedData: VaultKeyring.custodianAssociatedData(
                        version: version, clientId: row.clientId, method: method))) != nil,
                "pair \(row.pairId) does not open under the new key \(context)")
            for old in retired {
                for variant in [nil] + Array(1...version) as [Int?] {
                    #expect(
                        (try? XChaCha20Poly1305.open(
                            row.sealedShare, key: old,
                            associatedData: VaultKeyring.custodianAssociatedData(
                                version: variant, clientId: row.clientId, method: method))) == nil,
                        "pair \(row.pairId) still opens under a retired key \(context)")
                }
            }
        }
    }

    /// Custodian verification of every live pair: no pair fails a custodian check, and the chain is intact. (The
    /// webhook clients' pairs have no client half yet: they fail the public level's completeness checks, and the
    /// custodian level, which still opens their custodian half, must find nothing.)
    static func expectCustodianVerifies(_ vault: Vault, webhookClients: [String], _ context: String = "") async throws {
        let summary = try await vault.verify(level: .custodian)
        let live = try await vault.store.counts().livePairs
        #expect(summary.checked == live, "\(context)")
        #expect(summary.auditChainIntact, "\(summary.auditChainProblem ?? "") \(context)")
        #expect(summary.failed == webhookClients.count, "\(summary.failures) \(context)")
        for failure in summary.failures {
            #expect(webhookClients.contains(failure.clientId), "\(failure) \(context)")
            #expect(failure.levels[.custodian] == [], "\(failure) \(context)")
            #expect(failure.problems.contains(.incomplete), "\(failure) \(context)")
            #expect(failure.problems.allSatisfy { $0.level == .public }, "\(failure) \(context)")
        }
    }

    /// Delivers `bodies` to `intake` from `senders` concurrent senders, each taking an equal run of them in order
    /// and pausing `pause` after each delivery; every delivery's outcome, or its error.
    static func deliver(_ bodies: [Data], to intake: Vault, senders: Int, pause: Duration) async
        -> [Result<IngestOutcome, any Error>]
    {
        let run = (bodies.count + senders - 1) / senders
        return await withTaskGroup(of: [Result<IngestOutcome, any Error>].self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var results: [Result<IngestOutcome, any Error>] = []
                    for body in bodies[min(sender * run, bodies.count)..<min(sender * run + run, bodies.count)] {
                        do {
                            results.append(.success(try await intake.ingestCustodian(body).outcome))
                        } catch {
                            results.append(.failure(error))
                        }
                        try? await Task.sleep(for: pause)
                    }
                    return results
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Begins a rekey of `vault` to `newKey` and cancels it (from its progress handler, which runs in the rekey's
    /// task once a batch has committed) once `shares` shares are resealed: the rekey stays recorded, the batches
    /// before the cancellation moved, the rest not.
    static func rekeyCancelled(
        _ vault: Vault, to newKey: NewVaultKey, batchSize: Int, afterShares shares: Int,
        _ context: String = ""
    ) async {
        let task = Task {
            try await vault.rekey(
                to: newKey, batchSize: batchSize,
                progress: { step, done, _ in
                    if step == .encryptingShare && done >= shares { withUnsafeCurrentTask { $0?.cancel() } }
                })
        }
        await #expect(throws: CancellationError.self, "\(context)") { try await task.value }
    }

    static func loadKey(_ path: String) throws -> SecureBytes {
        try VaultKeyFile.load(at: path, passphrase: { nil })
    }

    @Test(arguments: StoreEngine.allCases) func aRekeyMovesEveryShareAndRetiresTheOldKey(engine: StoreEngine)
        async throws
    {
        let fixture = try await Self.fixture(engine)
        let vault = fixture.vault
        let oldKey = try Self.loadKey(fixture.keyPath)
        let headBefore = try #require(try await vault.exportAuditHead().head)
        let eventsBefore = try await Self.auditKinds(vault).count
        let total = try await Self.rows(vault).count

        let newKeyPath = fixture.newKeyPath()
        let report = try await vault.rekey(to: .file(at: newKeyPath, passphrase: nil), batchSize: 7)
        #expect(report.fromVersion == 1 && report.toVersion == 2 && !report.resumed)
        #expect(report.resealed == total)
        let newKey = try Self.loadKey(newKeyPath)
        try await Self.expectAllMoved(vault, to: 2, key: newKey, retired: [oldKey])

        await #expect(throws: VaultError.keyRetired(path: fixture.keyPath, version: 1)) {
            _ = try await fixture.open()
        }
        let reopened = try await fixture.open(keyPath: newKeyPath)
        try await Self.expectCustodianVerifies(reopened, webhookClients: fixture.webhookClients)
        // The digests were made anew under the new key: every delivery the vault held before, live or replaced
        // (a first-release row among them), is still known as a duplicate, and nothing rolls back.
        for body in fixture.webhookBodies {
            #expect(try await reopened.ingestCustodian(body).outcome == .duplicate)
        }
        let chain = try await reopened.verifyAuditLog()
        #expect(chain.isIntact && chain.macsChecked && chain.unsealedTail == 0, "\(chain)")
        let kinds = try await Self.auditKinds(reopened)
        #expect(kinds.filter { $0 == "rekey-started" }.count == 1, "\(kinds)")
        #expect(kinds.filter { $0 == "rekey-finished" }.count == 1, "\(kinds)")
        #expect(Array(kinds[eventsBefore..<eventsBefore + 2]) == ["rekey-started", "rekey-finished"], "\(kinds)")
        let fromOldHead = try await reopened.verifyAuditLog(expecting: headBefore)
        #expect(fromOldHead.isIntact && fromOldHead.macsChecked, "\(fromOldHead)")
        // The vault that ran the rekey moved with it: it writes under the new version, and the chain holds.
        let (first, _) = try TestWebhooks.twoDealings()
        #expect(try await vault.ingestCustodian(TestWebhooks.body("after-1", first)).outcome == .stored)
        #expect(try await reopened.verifyAuditLog().isIntact)
        let headOfVersion2 = try #require(try await reopened.exportAuditHead().head)

        // A second rekey: the audit keys of versions 1 and 2 are archived under version 3's key.
        let thirdKeyPath = fixture.newKeyPath("third")
        let second = try await reopened.rekey(to: .file(at: thirdKeyPath, passphrase: nil), batchSize: 5)
        #expect(second.fromVersion == 2 && second.toVersion == 3 && second.resealed == total + 1)
        let thirdKey = try Self.loadKey(thirdKeyPath)
        try await Self.expectAllMoved(reopened, to: 3, key: thirdKey, retired: [oldKey, newKey])
        await #expect(throws: VaultError.keyRetired(path: newKeyPath, version: 2)) {
            _ = try await fixture.open(keyPath: newKeyPath)
        }
        await #expect(throws: VaultError.keyRetired(path: fixture.keyPath, version: 1)) {
            _ = try await fixture.open()
        }
        let third = try await fixture.open(keyPath: thirdKeyPath)
        try await Self.expectCustodianVerifies(third, webhookClients: fixture.webhookClients + ["after-1"])
        let chain3 = try await third.verifyAuditLog()
        #expect(chain3.isIntact && chain3.macsChecked && chain3.unsealedTail == 0, "\(chain3)")
        for head in [headBefore, headOfVersion2] {
            let checked = try await third.verifyAuditLog(expecting: head)
            #expect(checked.isIntact && checked.macsChecked, "\(checked)")
        }
        let kinds3 = try await Self.auditKinds(third)
        #expect(
            kinds3.filter { $0 == "rekey-started" }.count == 2 && kinds3.filter { $0 == "rekey-finished" }.count == 2)
    }

    /// Damages the row the rekey reaches in batch `k` (counting from 0), so that the rekey stops there with the
    /// `k` batches before it committed (the rows sealed under another version than `target`, in id order); returns the row's pair and its stored seal, to put back.
    static func damageRow(inBatch k: Int, batchSize: Int, of vault: Vault, sealedOtherThan target: Int) async throws
        -> (
            pairId: Int64, sealed: [UInt8], version: Int
        )
    {
        let pending = try await vault.store.custodianSharesSealed(otherThan: target, after: 0, limit: 1_000_000)
        var generator = SystemRandomNumberGenerator()
        let index = k * batchSize + Int.random(in: 0..<batchSize, using: &generator)
        let row = pending[min(index, pending.count - 1)]
        let garbage = (0..<row.sealedShare.count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await TestStores.tamper(
            vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(garbage, for: vault)) "
                + "WHERE pairId = \(row.pairId)")
        return (row.pairId, row.sealedShare, row.keyVersion ?? 1)
    }

    /// Three rekeys in a row on one vault, each stopped by `stop` after a random number `k` of batches of a random
    /// size, then taken up by a freshly opened vault: where each stood, and that each ends with every share under
    /// its new key. `stop` begins the rekey of `vault` to a key file at `newKeyPath` and stops it once `k` batches
    /// have committed; it returns what puts right what stopped it, run before the rekey is taken up.
    static func threeRekeysStoppedAtRandom(
        _ fixture: Fixture, stoppedBy how: String,
        stop: (
            _ vault: Vault, _ newKeyPath: String, _ round: Int, _ batchSize: Int, _ k: Int, _ context: String
        ) async throws -> () async throws -> Void
    ) async throws {
        var generator = SystemRandomNumberGenerator()
        var keyPath = fixture.keyPath
        var retired: [SecureBytes] = []
        for round in 1...3 {
            let vault = try await fixture.open(keyPath: keyPath)
            let total = try await Self.rows(vault).count
            let batchSize = Int.random(in: 4...9, using: &generator)
            let batches = (total + batchSize - 1) / batchSize
            let k = Int.random(in: 1..<batches - 1, using: &generator)
            let context = "round \(round): batch size \(batchSize), \(how) after \(k) of \(batches) batches"
            let newKeyPath = fixture.newKeyPath("round\(round)")
            let putRight = try await stop(vault, newKeyPath, round, batchSize, k, context)
            // Stopped mid-rekey: the rekey is recorded, k batches moved, the rest not.
            let meta = try await vault.store.keyMeta()
            #expect(meta.rekeyVersion == round + 1 && meta.keyVersion == round, "\(context)")
            let versions = try await Self.rows(vault).map { $0.keyVersion ?? 1 }
            #expect(versions.filter { $0 == round + 1 }.count == k * batchSize, "\(context)")
            #expect(versions.filter { $0 < round + 1 }.count == total - k * batchSize, "\(context)")
            await #expect(throws: VaultError.keyOfRekeyInProgress(path: newKeyPath), "\(context)") {
                _ = try await fixture.open(keyPath: newKeyPath)
            }

            try await putRight()
            let resumer = try await fixture.open(keyPath: keyPath)
            let report = try await resumer.rekey(to: nil, batchSize: batchSize)
            #expect(report.resumed && report.fromVersion == round && report.toVersion == round + 1, "\(context)")
            #expect(report.resealed == total - k * batchSize, "\(context)")
            retired.append(try Self.loadKey(keyPath))
            keyPath = newKeyPath
            let newKey = try Self.loadKey(newKeyPath)
            try await Self.expectAllMoved(resumer, to: round + 1, key: newKey, retired: retired, context)
            let current = try await fixture.open(keyPath: newKeyPath)
            try await Self.expectCustodianVerifies(current, webhookClients: fixture.webhookClients, context)
            let chain = try await current.verifyAuditLog()
            #expect(chain.isIntact && chain.macsChecked, "\(chain) \(context)")
            let kinds = try await Self.auditKinds(current)
            #expect(kinds.filter { $0 == "rekey-started" }.count == round, "\(kinds) \(context)")
            #expect(kinds.filter { $0 == "rekey-finished" }.count == round, "\(kinds) \(context)")
        }
    }

    /// A rekey stopped after a random number of batches (by a share that does not open, found in the batch
    /// after them), then taken up by a freshly opened vault once the share is repaired; three rekeys in a row
    /// on one vault, each stopped at its own point.
    @Test(arguments: StoreEngine.allCases) func aRekeyStoppedAtAnyBatchIsTakenUpWhereItStood(engine: StoreEngine)
        async throws
    {
        let fixture = try await Self.fixture(engine, created: 20, webhook: 4)
        try await Self.threeRekeysStoppedAtRandom(fixture, stoppedBy: "stopped") {
            vault, newKeyPath, round, batchSize, k, context in
            let (damagedPair, original, damagedVersion) = try await Self.damageRow(
                inBatch: k, batchSize: batchSize, of: vault, sealedOtherThan: round + 1)
            await #expect(
                throws: VaultError.shareDoesNotOpen(pairId: damagedPair, version: damagedVersion), "\(context)"
            ) {
                _ = try await vault.rekey(to: .file(at: newKeyPath, passphrase: nil), batchSize: batchSize)
            }
            return {
                try await TestStores.tamper(
                    vault,
                    "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: vault)) "
                        + "WHERE pairId = \(damagedPair)")
            }
        }
    }

    /// Deliveries to a vault opened before the rekey began, racing a rekey run by another instance: every one is
    /// acknowledged and kept, and the rekey moves them too. An instance that slept through the rekey cannot reach
    /// the new key: its next delivery is refused and it reports itself not ready.
    @Test(arguments: StoreEngine.allCases) func theIntakeKeepsRunningThroughARekey(engine: StoreEngine) async throws {
        let fixture = try await Self.fixture(engine, created: 20, webhook: 2)
        let intake = try await fixture.open()
        let sleeper = try await fixture.open()
        let rekeyer = try await fixture.open()
        let livePairsBefore = try await fixture.vault.store.counts().livePairs
        var generator = SystemRandomNumberGenerator()
        let batchSize = Int.random(in: 5...20, using: &generator)
        let bodies = try (0..<48).map { TestWebhooks.body("race-\($0)", try TestWebhooks.twoDealings().0) }
        let newKeyPath = fixture.newKeyPath()

        async let rekeyed = rekeyer.rekey(
            to: .file(at: newKeyPath, passphrase: nil), batchSize: batchSize, settle: .seconds(1))
        // Four senders, each a delivery every 30 ms: the deliveries span the rekey's start, batches and end. The
        // fourth starts once the rekey has begun, so that deliveries land during it whatever the timing (the
        // settle holds it open for a second).
        let vault = fixture.vault
        async let during = { () async -> [Result<IngestOutcome, any Error>] in
            let deadline = ContinuousClock.now + .seconds(30)
            while (try? await vault.store.keyMeta().rekeyVersion) == nil, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(2))
            }
            return await Self.deliver(Array(bodies[36...]), to: intake, senders: 1, pause: .milliseconds(30))
        }()
        let outcomes =
            await Self.deliver(Array(bodies[..<36]), to: intake, senders: 3, pause: .milliseconds(30)) + during
        let report = try await rekeyed
        let context = "batch size \(batchSize)"
        #expect(report.toVersion == 2, "\(context)")
        #expect(outcomes.count == bodies.count)
        for outcome in outcomes {
            switch outcome {
            case .success(let stored): #expect(stored == .stored || stored == .duplicate, "\(context)")
            case .failure(let error): Issue.record("a delivery failed during the rekey: \(error) (\(context))")
            }
        }
        #expect(try await fixture.vault.store.counts().livePairs == livePairsBefore + bodies.count, "\(context)")
        for index in 0..<bodies.count {
            #expect(try await rekeyer.inspect(clientId: "race-\(index)").wallets.count == 1, "\(context)")
        }
        let newKey = try Self.loadKey(newKeyPath)
        try await Self.expectAllMoved(
            rekeyer, to: 2, key: newKey, retired: [try Self.loadKey(fixture.keyPath)], context)
        let current = try await fixture.open(keyPath: newKeyPath)
        try await Self.expectCustodianVerifies(
            current, webhookClients: fixture.webhookClients + (0..<bodies.count).map { "race-\($0)" }, context)
        let kinds = try await Self.auditKinds(current)
        #expect(kinds.filter { $0 == "ingest-custodian" }.count >= bodies.count, "\(context)")
        #expect(kinds.filter { $0 == "rekey-started" }.count == 1 && kinds.filter { $0 == "rekey-finished" }.count == 1)
        // The race was run: deliveries landed while the rekey was in progress.
        let started = try #require(kinds.firstIndex(of: "rekey-started"))
        let finished = try #require(kinds.firstIndex(of: "rekey-finished"))
        #expect(kinds[started..<finished].contains("ingest-custodian"), "no delivery during the rekey: \(kinds)")

        // The intake that took part in the rekey holds the new key and goes on.
        #expect(await intake.readiness(within: .seconds(5)) == .ready)
        let (later, _) = try TestWebhooks.twoDealings()
        #expect(try await intake.ingestCustodian(TestWebhooks.body("later", later)).outcome == .stored)
        // The one that slept through it holds only the retired key.
        // Its readiness probe takes the vault's key state and finds the vault at a key it does not hold.
        guard case .notReady(let first) = await sleeper.readiness(within: .seconds(5)) else {
            Issue.record("a vault holding only a retired key reports itself ready")
            return
        }
        #expect(first.contains("rekeyed"), "\(first)")
        let (late, _) = try TestWebhooks.twoDealings()
        await #expect(throws: VaultError.keyringStale(path: fixture.keyPath)) {
            _ = try await sleeper.ingestCustodian(TestWebhooks.body("late", late))
        }
        guard case .notReady(let reason) = await sleeper.readiness(within: .seconds(5)) else {
            Issue.record("a vault holding a retired key reports itself ready")
            return
        }
        #expect(reason.contains("rekeyed"))
        await #expect(throws: VaultError.unknownClient("late")) { _ = try await current.inspect(clientId: "late") }
    }

    /// What `rekey` refuses leaves the vault as it was: no key state changed, no audit event, no key file.
    @Test(arguments: StoreEngine.allCases) func aRefusedRekeyChangesNothing(engine: StoreEngine) async throws {
        let fixture = try await Self.fixture(engine, created: 6, webhook: 1)
        let vault = fixture.vault
        let meta = try await vault.store.keyMeta()
        let events = try await Self.auditKinds(vault)
        let rows = try await Self.rows(vault)

        // No rekey to take up.
        await #expect(throws: VaultError.noRekeyInProgress) { _ = try await vault.rekey(to: nil) }
        // A new key file that exists is never replaced.
        let existing = fixture.newKeyPath("existing")
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: existing))
        await #expect(throws: VaultError.keyFileExists(path: existing)) {
            _ = try await vault.rekey(to: .file(at: existing, passphrase: nil))
        }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "not a key\n")
        // The current key named as the new one is an existing file too.
        await #expect(throws: VaultError.keyFileExists(path: fixture.keyPath)) {
            _ = try await vault.rekey(to: .file(at: fixture.keyPath, passphrase: nil))
        }
        #expect(try await vault.store.keyMeta() == meta)
        #expect(try await Self.auditKinds(vault) == events)
        #expect(try await Self.rows(vault).map(\.sealedShare) == rows.map(\.sealedShare))
        _ = try await fixture.open()

        // A rekey in progress (stopped by a share that does not open) is not begun again to another key.
        let (pairId, original, version) = try await Self.damageRow(
            inBatch: 1, batchSize: 3, of: vault, sealedOtherThan: 2)
        let pendingPath = fixture.newKeyPath("pending")
        await #expect(throws: VaultError.shareDoesNotOpen(pairId: pairId, version: version)) {
            _ = try await vault.rekey(to: .file(at: pendingPath, passphrase: nil), batchSize: 3)
        }
        let inProgress = try await vault.store.keyMeta()
        #expect(inProgress.rekeyVersion == 2)
        let otherPath = fixture.newKeyPath("other")
        await #expect {
            _ = try await vault.rekey(to: .file(at: otherPath, passphrase: nil))
        } throws: { error in
            guard case .rekeyInProgress(let version, _) = error as? VaultError else { return false }
            return version == 2
        }
        #expect(!FileManager.default.fileExists(atPath: otherPath))
        #expect(try await vault.store.keyMeta() == inProgress)
        await #expect(throws: VaultError.keyOfRekeyInProgress(path: pendingPath)) {
            _ = try await fixture.open(keyPath: pendingPath)
        }

        // The rekey's new key, sealed in the vault, damaged: no process opens the vault with the current key.
        let sealed = try #require(inProgress.values["rekeyKeySealed"])
        var bytes = try Hex.decode(sealed)
        bytes[bytes.count / 2] ^= 0x01
        try await TestStores.tamper(
            vault, "UPDATE vaultMeta SET value = '\(Hex.encode(bytes))' WHERE name = 'rekeyKeySealed'")
        await #expect {
            _ = try await fixture.open()
        } throws: { error in
            guard case .keyStateDamaged = error as? VaultError else { return false }
            return true
        }
        // Put back, the vault opens and the rekey is taken up.
        try await TestStores.tamper(vault, "UPDATE vaultMeta SET value = '\(sealed)' WHERE name = 'rekeyKeySealed'")
        try await TestStores.tamper(
            vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: vault)) "
                + "WHERE pairId = \(pairId)")
        let report = try await fixture.open().rekey(to: nil)
        #expect(report.resumed && report.toVersion == 2)
    }
}

extension RekeyTests {
    /// A rekey whose task is cancelled after a random number of batches (from its progress handler, which runs
    /// in the rekey's task once a batch has committed) stops at the next batch, and a freshly opened vault takes
    /// it up; three rekeys in a row on one vault, each cancelled at its own point.
    @Test(arguments: StoreEngine.allCases) func aCancelledRekeyStopsAndIsTakenUp(engine: StoreEngine) async throws {
        let fixture = try await Self.fixture(engine, created: 20, webhook: 2)
        try await Self.threeRekeysStoppedAtRandom(fixture, stoppedBy: "cancelled") {
            vault, newKeyPath, _, batchSize, k, context in
            await Self.rekeyCancelled(
                vault, to: .file(at: newKeyPath, passphrase: nil), batchSize: batchSize, afterShares: k * batchSize,
                context)
            return {}
        }
    }
}

extension RekeyTests {
    /// `create` in a process that opened the vault before a rekey began joins the rekey as the intake does: it
    /// seals under the new version while the rekey runs, and goes on creating after the rekey ended.
    @Test(arguments: StoreEngine.allCases) func createJoinsARekeyInProgress(engine: StoreEngine) async throws {
        let fixture = try await Self.fixture(engine, created: 4, webhook: 1)
        let creator = try await fixture.open()
        let stores = BackupKeyStores(
            directory: try DirectoryKeyStore(directory: fixture.scratch.path("keys"), create: false), password: nil)
        let gdrive = try BackupMethod(parsing: "GDRIVE")
        let (pairId, original, version) = try await Self.damageRow(
            inBatch: 1, batchSize: 3, of: fixture.vault, sealedOtherThan: 2)
        let newKeyPath = fixture.newKeyPath()
        await #expect(throws: VaultError.shareDoesNotOpen(pairId: pairId, version: version)) {
            _ = try await fixture.vault.rekey(to: .file(at: newKeyPath, passphrase: nil), batchSize: 3)
        }

        _ = try await creator.create(
            clientIds: ["during-0", "during-1"], curves: [.secp256k1], methods: [gdrive], keyStores: stores)
        let during = try await Self.rows(creator).filter { $0.clientId.hasPrefix("during-") }
        #expect(during.count == 2 && during.allSatisfy { $0.keyVersion == 2 }, "\(during.map(\.keyVersion))")

        try await TestStores.tamper(
            fixture.vault,
            "UPDATE custodianShare SET sealedShare = \(TestStores.bytesLiteral(original, for: fixture.vault)) "
                + "WHERE pairId = \(pairId)")
        _ = try await fixture.open().rekey(to: nil)
        _ = try await creator.create(clientIds: ["after-0"], curves: [.secp256k1], methods: [gdrive], keyStores: stores)
        let current = try await fixture.open(keyPath: newKeyPath)
        try await Self.expectAllMoved(
            current, to: 2, key: try Self.loadKey(newKeyPath), retired: [try Self.loadKey(fixture.keyPath)])
        try await Self.expectCustodianVerifies(current, webhookClients: fixture.webhookClients)
    }
}

extension RekeyTests {
    /// A rekey whose new key file went missing while it was stopped re-seals what is left but does not retire
    /// the old key (nothing else would open the vault); once the file is back, it ends.
    @Test(arguments: StoreEngine.allCases) func aRekeyWhoseNewKeyFileIsGoneDoesNotEnd(engine: StoreEngine)
        async throws
    {
        let fixture = try await Self.fixture(engine, created: 10, webhook: 1)
        let vault = try await fixture.open()
        let newKeyPath = fixture.newKeyPath()
        await Self.rekeyCancelled(vault, to: .file(at: newKeyPath, passphrase: nil), batchSize: 3, afterShares: 3)
        let moved = try #require(FileManager.default.contents(atPath: newKeyPath))
        try FileManager.default.removeItem(atPath: newKeyPath)

        let resumer = try await fixture.open()
        await #expect(throws: VaultError.newKeyFileGone(path: newKeyPath)) {
            _ = try await resumer.rekey(to: nil)
        }
        // Every share moved, yet the old key is still the current one, and opens the vault.
        let meta = try await resumer.store.keyMeta()
        #expect(meta.keyVersion == 1 && meta.rekeyVersion == 2)
        #expect(try await Self.rows(resumer).allSatisfy { $0.keyVersion == 2 })
        _ = try await fixture.open()
        // A file at the path that is not the new key (emptied, cut, garbage, another key) does not do either.
        let other = fixture.newKeyPath("other")
        _ = try VaultKeyFile.create(at: other, passphrase: nil)
        let impostors = [
            Data(), moved.prefix(moved.count / 2), Data("garbage\n".utf8),
            try #require(FileManager.default.contents(atPath: other)),
        ]
        for impostor in impostors {
            #expect(
                FileManager.default.createFile(
                    atPath: newKeyPath, contents: impostor, attributes: [.posixPermissions: 0o600]))
            await #expect(throws: VaultError.newKeyFileGone(path: newKeyPath)) {
                _ = try await fixture.open().rekey(to: nil)
            }
            try FileManager.default.removeItem(atPath: newKeyPath)
        }
        #expect(try await resumer.store.keyMeta().keyVersion == 1)

        #expect(
            FileManager.default.createFile(atPath: newKeyPath, contents: moved, attributes: [.posixPermissions: 0o600]))
        let report = try await fixture.open().rekey(to: nil)
        #expect(report.resumed && report.toVersion == 2 && report.resealed == 0)
        await #expect(throws: VaultError.keyRetired(path: fixture.keyPath, version: 1)) {
            _ = try await fixture.open()
        }
    }
}

extension RekeyTests {
    /// A rekey to officers does not end while fewer than the threshold of its files are still shares of the new
    /// dealing: files removed, emptied or replaced by another dealing's shares do not count, whatever is at the
    /// path. Put back, the rekey ends.
    @Test(arguments: StoreEngine.allCases) func aRekeyWhoseOfficerFilesWereReplacedDoesNotEnd(engine: StoreEngine)
        async throws
    {
        let fixture = try await Self.fixture(engine, created: 6, webhook: 1)
        let vault = try await fixture.open()
        let officers = fixture.scratch.path("officers")
        let other = fixture.scratch.path("other")
        for directory in [officers, other] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let names = ["alice", "bob", "carol"]
        await Self.rekeyCancelled(
            vault, to: .officers(threshold: 2, officers: names, directory: officers), batchSize: 3, afterShares: 3)
        let paths = names.map { OfficerShareFiles.path(for: $0, in: officers) }
        let kept = try paths.map { try #require(FileManager.default.contents(atPath: $0)) }
        // Another dealing to the same names: its files look right but name another fingerprint.
        let (quorum, shares, _) = try KeyQuorum.deal(threshold: 2, officers: names)
        _ = try OfficerShareFiles.write(shares, quorum: quorum, directory: other, wraps: nil)

        func replace(_ index: Int, with contents: Data?) throws {
            try? FileManager.default.removeItem(atPath: paths[index])
            if let contents {
                #expect(
                    FileManager.default.createFile(
                        atPath: paths[index], contents: contents, attributes: [.posixPermissions: 0o600]))
            }
        }
        let foreign = try #require(FileManager.default.contents(atPath: OfficerShareFiles.path(for: "bob", in: other)))
        // A file cut after its public lines still names the dealing, but holds no share.
        let headerOnly = Data(
            (String(decoding: kept[1], as: UTF8.self).split(separator: "\n").prefix(5).joined(separator: "\n") + "\n")
                .utf8)
        let cases: [(Data?, Data?)] = [
            (foreign, Data()), (nil, foreign), (Data("garbage\n".utf8), nil), (headerOnly, headerOnly),
        ]
        for (bob, carol) in cases {
            try replace(1, with: bob)
            try replace(2, with: carol)
            await #expect(throws: VaultError.newKeyFileGone(path: "\(paths[1]), \(paths[2])")) {
                _ = try await fixture.open().rekey(to: nil)
            }
            #expect(try await vault.store.keyMeta().rekeyVersion == 2)
        }
        // Two of the new dealing's files are enough.
        try replace(1, with: kept[1])
        let report = try await fixture.open().rekey(to: nil)
        #expect(report.resumed && report.toVersion == 2)
    }

    /// Someone who kept the retired key and can write to the database cuts the chain back to before the rekey
    /// ended and continues it with the retired key's audit key: every MAC they make is one the archive holds, so
    /// only the vault's recorded key version shows it. A head they mint with the retired key for a point after
    /// the rekey is refused too.
    @Test(arguments: StoreEngine.allCases) func aRetiredKeyCannotRewriteTheChainAfterTheRekey(engine: StoreEngine)
        async throws
    {
        let fixture = try await Self.fixture(engine, created: 4, webhook: 1)
        let vault = fixture.vault
        let oldAudit = AuditKey(vaultKey: try Self.loadKey(fixture.keyPath))
        let newKeyPath = fixture.newKeyPath()
        _ = try await vault.rekey(to: .file(at: newKeyPath, passphrase: nil))
        let (first, _) = try TestWebhooks.twoDealings()
        _ = try await vault.ingestCustodian(TestWebhooks.body("after-rekey", first))
        let rekeyed = try await fixture.open(keyPath: newKeyPath)
        #expect(try await rekeyed.verifyAuditLog().isIntact)

        // A head for the chain as it stands, sealed with the retired key's audit key: refused.
        let intact = try await rekeyed.verifyAuditLog()
        let minted = AuditHead(events: Int64(intact.events), hash: intact.headHash, key: oldAudit)
        let checked = try await rekeyed.verifyAuditLog(expecting: minted)
        #expect(!checked.isIntact, "a head sealed with a retired audit key vouches for nothing after its rekey")

        // The chain cut back to before rekey-finished and continued under version 1.
        var events: [AuditEvent] = []
        try await rekeyed.forEachAuditEvent { events.append($0) }
        let finished = try #require(events.first { $0.kind == "rekey-finished" })
        let kept = events.filter { $0.id < finished.id }
        let forged = try AuditLog.next(
            after: Hex.encode(try #require(kept.last).hash), lastId: kept.last?.id, key: oldAudit,
            storedKind: "eject", clientId: "made-0", detail: ["note": "forged"], at: VaultClock.format(Date()))
        let bytes = { (value: [UInt8]) in TestStores.bytesLiteral(value, for: rekeyed) }
        try await TestStores.tamper(
            rekeyed,
            """
            DELETE FROM auditEvent WHERE id >= \(finished.id);
            INSERT INTO auditEvent (id, at, kind, clientId, detail, previousHash, hash, mac) VALUES
                (\(forged.id), '\(forged.at)', 'eject', 'made-0', '\(forged.detail)', \(bytes(forged.previousHash)),
                \(bytes(forged.hash)), \(bytes(forged.mac!)));
            UPDATE vaultMeta SET value = '\(Hex.encode(forged.hash))' WHERE name = 'auditHead';
            UPDATE vaultMeta SET value = '\(forged.id)' WHERE name = 'auditCount'
            """)
        let verdict = try await rekeyed.verifyAuditLog()
        #expect(!verdict.isIntact)
        #expect(verdict.firstBadEvent?.reason.contains("ends under key version 1") == true, "\(verdict)")
        #expect(try await rekeyed.exportAuditHead().head == nil, "no head for a chain that does not hold")
    }
}
