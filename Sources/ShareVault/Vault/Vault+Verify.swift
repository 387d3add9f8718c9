import Dispatch
import Foundation
import ShareMath
import Synchronization

/// What a verification run found.
public struct VerifySummary: Sendable, Encodable {
    public struct Failure: Sendable, Encodable {
        public let clientId: String
        public let curve: CurveID
        public let method: String
        public let pairId: Int64
        public let problems: [String]
    }

    public var deep: Bool
    public var checked = 0
    public var passed = 0
    public var failed = 0
    /// Failed pairs by their first problem.
    public var failedByReason: [String: Int] = [:]
    /// The first failures, for the report (at most `failureListLimit`; the counts cover them all).
    public var failures: [Failure] = []
    public var auditChainIntact = true
    public var auditChainProblem: String?

    public static let failureListLimit = 1000

    public var allPassed: Bool { failed == 0 && auditChainIntact }
}

extension Vault {
    /// Verifies live pairs (one client's, or all), streaming in batches on every core so memory stays flat.
    ///
    /// Structural checks need no secret; with `keyStores`, both halves are opened and checked against each
    /// other and the wallet's key. Each pair's outcome is recorded as its `last verified`.
    public func verify(
        clientId: String? = nil, keyStores: BackupKeyStores? = nil, batchSize: Int = 1024,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, progress: ProgressHandler? = nil
    ) throws -> VerifySummary {
        if let clientId, try store.clientDetail(clientId: clientId) == nil { throw VaultError.unknownClient(clientId) }
        let total = clientId == nil ? try store.counts().livePairs : 0
        let tally = Mutex(VerifySummary(deep: keyStores != nil))
        let store = self.store
        // The audit chain is checked alongside the pairs, from the start.
        let auditCheck = ResultSlots<AuditVerification>(count: 1, pending: true)
        DispatchQueue.global().async { auditCheck.set(0, Result { try store.verifyAuditLog() }) }
        try streamPairs(
            parallelism: parallelism,
            next: { previous in
                try store.livePairs(after: previous?.last?.summary.pairId ?? 0, limit: batchSize, clientId: clientId)
            },
            check: { pair in problems(pair, keyStores: keyStores) },
            record: { batch, problemLists in
                let outcomes = tally.withLock { summary in Self.tally(batch, problemLists, into: &summary) }
                try store.recordVerifications(outcomes, at: VaultClock.now())
            },
            progress: { checked in
                progress?(keyStores == nil ? .parsingShare : .decryptingShare, checked, max(total, checked))
            })
        var summary = tally.withLock { $0 }
        let audit = try auditCheck.wait()
        summary.auditChainIntact = audit.isIntact
        summary.auditChainProblem = audit.firstBadEvent.map { "event \($0.id): \($0.reason)" }
        try store.appendAudit(
            kind: "verify", clientId: clientId,
            detail: [
                "deep": String(keyStores != nil), "checked": String(summary.checked), "passed": String(summary.passed),
                "failed": String(summary.failed), "auditChainIntact": String(audit.isIntact),
            ], at: VaultClock.now())
        progress?(.done, summary.checked, summary.checked)
        logger.info("verified", metadata: ["checked": "\(summary.checked)", "failed": "\(summary.failed)"])
        return summary
    }

    /// Counts a checked batch into `summary` and returns each pair's outcome for the vault.
    private static func tally(_ batch: [StoredPair], _ problemLists: [[PairProblem]], into summary: inout VerifySummary) -> [PairOutcome] {
        var outcomes: [PairOutcome] = []
        outcomes.reserveCapacity(batch.count)
        for (pair, problems) in zip(batch, problemLists) {
            summary.checked += 1
            if let first = problems.first {
                summary.failed += 1
                summary.failedByReason[first.rawValue, default: 0] += 1
                if summary.failures.count < VerifySummary.failureListLimit {
                    summary.failures.append(
                        .init(
                            clientId: pair.summary.clientId, curve: pair.summary.curve, method: pair.summary.method,
                            pairId: pair.summary.pairId, problems: problems.map(\.rawValue)))
                }
                outcomes.append(PairOutcome(pairId: pair.summary.pairId, outcome: first.rawValue))
            } else {
                summary.passed += 1
                outcomes.append(PairOutcome(pairId: pair.summary.pairId, outcome: "passed"))
            }
        }
        return outcomes
    }
}
