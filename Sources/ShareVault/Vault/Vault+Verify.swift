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
        // A pipeline: while one batch is checked on every core, the next is read, and the last one's outcomes
        // are tallied and written, each on its own queue; the audit chain is checked alongside from the start.
        let reader = DispatchQueue(label: "sharevault.verify.reader")
        let writer = DispatchQueue(label: "sharevault.verify.writer")
        let writes = DispatchGroup()
        let writeFailure = ResultSlots<Void>(count: 1)
        writeFailure.set(0, .success(()))
        let tally = Mutex(VerifySummary(deep: keyStores != nil))
        let store = self.store
        let auditCheck = ResultSlots<AuditVerification>(count: 1, pending: true)
        DispatchQueue.global().async { auditCheck.set(0, Result { try store.verifyAuditLog() }) }
        func read(after pairId: Int64) -> ResultSlots<[StoredPair]> {
            let slot = ResultSlots<[StoredPair]>(count: 1, pending: true)
            reader.async { slot.set(0, Result { try store.livePairs(after: pairId, limit: batchSize, clientId: clientId) }) }
            return slot
        }
        var checked = 0
        var pending = read(after: 0)
        while true {
            let batch = try pending.wait()
            guard let lastPair = batch.last else { break }
            pending = read(after: lastPair.summary.pairId)
            let results = ResultSlots<[PairProblem]>(count: batch.count)
            // Each worker takes the next unchecked pair, so one slowed by the reader or writer sharing its core
            // does not hold the others back at the batch's end.
            let next = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: max(1, min(parallelism, batch.count))) { _ in
                while case let index = next.wrappingAdd(1, ordering: .relaxed).oldValue, index < batch.count {
                    results.set(index, .success(problems(batch[index], keyStores: keyStores)))
                }
            }
            let problemLists = try results.values()
            writes.wait()
            _ = try writeFailure.values()
            writer.async(group: writes) {
                let outcomes = tally.withLock { summary in Self.tally(batch, problemLists, into: &summary) }
                writeFailure.set(0, Result { try store.recordVerifications(outcomes, at: VaultClock.now()) })
            }
            checked += batch.count
            progress?(keyStores == nil ? .parsingShare : .decryptingShare, checked, max(total, checked))
        }
        writes.wait()
        _ = try writeFailure.values()
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
