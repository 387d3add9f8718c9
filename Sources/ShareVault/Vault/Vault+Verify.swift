import Foundation
import ShareMath
import Synchronization

/// What a verification run found.
public struct VerifySummary: Sendable, Encodable {
    public struct Failure: Sendable, Encodable {
        public let clientId: String
        public let curve: CurveID
        /// The method, without a curve (see `curve`).
        public let method: BackupMethod
        public let pairId: Int64
        public let problems: [PairProblem]
        /// What each level run found for this pair (an empty list: that level passed).
        public let levels: [VerificationLevel: [PairProblem]]
    }

    /// The highest level run, and every level it ran.
    public var level: VerificationLevel
    public var levelsRun: [VerificationLevel]
    /// The shard this run verified (`verify --shard K/N`); nil when it verified every pair.
    public var shard: String?
    public var checked = 0
    public var passed = 0
    public var failed = 0
    /// Failed pairs by their first problem.
    public var failedByReason: [PairProblem: Int] = [:]
    /// The first failures, for the report (at most `failureListLimit`; the counts cover them all).
    public var failures: [Failure] = []
    public var auditChainIntact = true
    public var auditChainProblem: String?
    /// What the vault's own records contradict (a deleted live pair, an old pair made live again, ...).
    public var bookkeepingProblems: [BookkeepingProblem] = []
    /// The pairs in the run's scope that are stale, when the run was asked (`verify --max-age`).
    public var staleness: StalenessSummary?

    public static let failureListLimit = 1000

    public var allPassed: Bool { failed == 0 && auditChainIntact && bookkeepingProblems.isEmpty }
}

extension Vault {
    /// Verifies live pairs (one client's, or all), streaming in batches on every core so memory stays flat.
    ///
    /// The public level needs no secret; the custodian level opens every custodian half with the vault key; the
    /// deep level, given `keyStores`, opens both halves and checks them against each other and the wallet's key.
    /// Each pair's outcome is recorded as its `last verified`.
    /// `level` defaults to deep when `keyStores` are given, else public. With `shard`, only the pairs and signing
    /// generations of that shard are checked (the audit chain and the bookkeeping queries, which read the whole
    /// vault, run in every shard).
    public func verify(
        clientId: String? = nil, level requested: VerificationLevel? = nil, keyStores: BackupKeyStores? = nil,
        shard: VerificationShard? = nil, batchSize: Int = 1024,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, progress: ProgressHandler? = nil
    ) async throws -> VerifySummary {
        if let clientId, try await store.clientDetail(clientId: clientId) == nil {
            throw VaultError.unknownClient(clientId)
        }
        let total = clientId == nil ? try await store.counts().livePairs / (shard?.count ?? 1) : 0
        let level = requested ?? (keyStores == nil ? .public : .deep)
        precondition(level < .deep || keyStores != nil, "deep verification needs the client halves' keys")
        var initial = VerifySummary(level: level, levelsRun: level.levelsRun)
        initial.shard = shard?.description
        let tally = Mutex(initial)
        let store = self.store
        // The audit chain and the wallets' signing generations are checked alongside the pairs, from the start.
        async let auditCheck = store.verifyAuditLog(expecting: nil)
        async let signingCheck = signingGenerationProblems(clientId: clientId, shard: shard, parallelism: parallelism)
        try await streamPairs(
            parallelism: parallelism,
            next: { previous in
                // The vault's key state first: a run that began before a rekey opens the shares it moved.
                try await self.refreshKeys()
                // A shard's next batch: the following pairs of the shard, reading on past batches with none.
                var after = previous?.last?.identity.pairId ?? 0
                while true {
                    let batch = try await store.livePairs(after: after, limit: batchSize, clientId: clientId)
                    guard let shard, let last = batch.last else { return batch }
                    let mine = batch.filter { shard.contains($0.identity.pairId) }
                    if !mine.isEmpty { return mine }
                    after = last.identity.pairId
                }
            },
            check: { pair in self.problems(pair, level: level, keyStores: keyStores) },
            record: { batch, problemLists in
                let outcomes = tally.withLock { summary in Self.tally(batch, problemLists, level: level, into: &summary)
                }
                try await store.recordVerifications(outcomes, at: Date())
            },
            progress: { checked in
                progress?(level == .public ? .parsingShare : .decryptingShare, checked, max(total, checked))
            })
        var summary = tally.withLock { $0 }
        let audit = try await auditCheck
        summary.auditChainIntact = audit.isIntact
        summary.auditChainProblem = audit.firstBadEvent.map { "event \($0.id): \($0.reason)" }
        summary.bookkeepingProblems = try await store.bookkeepingProblems(clientId: clientId) + (try await signingCheck)
        try await store.appendAudit(
            AuditEntry(
                kind: .verify, clientId: clientId,
                detail: [
                    "level": level.rawValue, "checked": String(summary.checked), "passed": String(summary.passed),
                    "failed": String(summary.failed), "auditChainIntact": String(audit.isIntact),
                    "bookkeepingProblems": String(summary.bookkeepingProblems.count),
                ].merging(shard.map { ["shard": $0.description] } ?? [:]) { first, _ in first }), at: Date())
        progress?(.done, summary.checked, summary.checked)
        logger.info("verified", metadata: ["checked": "\(summary.checked)", "failed": "\(summary.failed)"])
        return summary
    }

    /// The wallets whose active signing generation's public shares do not interpolate to the wallet's key (DESIGN
    /// section 3's public level): an edited signing pair, or one of another wallet.
    func signingGenerationProblems(
        clientId: String?, shard: VerificationShard?, parallelism: Int
    ) async throws -> [BookkeepingProblem] {
        var problems: [BookkeepingProblem] = []
        var after: Int64 = 0
        // Read in batches, each checked on every core (a variable-base multiplication a wallet), in bounded memory.
        while case let batch = try await store.activeSigningGenerations(after: after, limit: 4096, clientId: clientId),
            let last = batch.last
        {
            after = last.rowId
            let mine = shard.map { shard in batch.filter { shard.contains($0.rowId) } } ?? batch
            problems += try await mine.concurrentMap(parallelism: parallelism) { generation -> [BookkeepingProblem] in
                let holds: Bool
                switch generation.curve {
                case .secp256k1?: holds = self.interpolates(generation, on: Secp256k1.self)
                case .ed25519?: holds = self.interpolates(generation, on: Ed25519.self)
                case nil: return []  // an unknown curve is the bookkeeping check's to report
                }
                var found: [BookkeepingProblem.Kind] = holds ? [] : [.signingGenerationDoesNotInterpolate]
                // The address listings show is stored once; it must still be the key's.
                if let curve = generation.curve, let stored = generation.storedAddress,
                    stored != (try? WalletAddress.address(curve: curve, publicKey: generation.publicKey))
                {
                    found.append(.storedAddressWrong)
                }
                return found.map {
                    BookkeepingProblem(
                        clientId: generation.clientId, curve: generation.curve?.rawValue ?? "", method: nil,
                        pairId: nil, problem: $0)
                }
            }.flatMap { $0 }
        }
        return problems.sorted { ($0.clientId, $0.curve) < ($1.clientId, $1.curve) }
    }

    /// `λ_d·D + λ_c·C == X` for the device's public share `D` at `x_d` and the custodian's `C` at `x_c`, with the
    /// line's weight from the cache (every generation `create` or `recover` makes for a vault has the same two
    /// identifiers): `λ_d = −x_c/(x_d − x_c)`, `λ_c = 1 + x_c/(x_d − x_c)`.
    private func interpolates<C: Curve>(_ generation: ActiveSigningGeneration, on curve: C.Type) -> Bool {
        guard let key = try? Point<C>(decoding: generation.publicKey),
            let device = try? Scalar<C>(decoding: generation.deviceIdentifier),
            let custodian = try? Scalar<C>(decoding: generation.custodianIdentifier),
            let devicePublic = try? Point<C>(decoding: generation.devicePublicShare),
            let custodianPublic = try? Point<C>(decoding: generation.custodianPublicShare), device != custodian
        else { return false }
        // λ_d·D + λ_c·C with λ_c = 1 − λ_d is C + (C − D)·x_c/(x_d − x_c): one variable-base multiplication.
        let offset = lineWeights.weights(client: device, custodian: custodian).keyOffset
        return custodianPublic + (custodianPublic - devicePublic) * offset == key
    }

    /// Counts a checked batch into `summary` and returns each pair's outcome for the vault.
    private static func tally(
        _ batch: [StoredPair], _ problemLists: [[PairProblem]], level: VerificationLevel,
        into summary: inout VerifySummary
    ) -> [PairOutcome] {
        var outcomes: [PairOutcome] = []
        outcomes.reserveCapacity(batch.count)
        for (pair, problems) in zip(batch, problemLists) {
            summary.checked += 1
            if let first = problems.first {
                summary.failed += 1
                summary.failedByReason[first, default: 0] += 1
                if summary.failures.count < VerifySummary.failureListLimit {
                    summary.failures.append(
                        .init(
                            clientId: pair.identity.clientId, curve: pair.identity.curve, method: pair.identity.method,
                            pairId: pair.identity.pairId, problems: problems,
                            levels: findings(problems, upTo: level)))
                }
                outcomes.append(PairOutcome(pairId: pair.identity.pairId, outcome: .failed(first)))
            } else {
                summary.passed += 1
                outcomes.append(PairOutcome(pairId: pair.identity.pairId, outcome: .passed))
            }
        }
        return outcomes
    }

    /// Each level run up to `level`, with what it found; a level after the first failing one is listed only when
    /// it ran (a later level does not run on a pair whose public material does not decode).
    private static func findings(_ problems: [PairProblem], upTo level: VerificationLevel) -> [VerificationLevel:
        [PairProblem]]
    {
        var levels: [VerificationLevel: [PairProblem]] = [:]
        let stoppedAt = problems.first { $0 == .invalidPublicMaterial || $0.level > .public }?.level
        for run in level.levelsRun where stoppedAt.map({ run <= $0 }) ?? true {
            levels[run] = problems.filter { $0.level == run }
        }
        return levels
    }
}
