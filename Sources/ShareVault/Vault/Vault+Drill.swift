import Dispatch
import Foundation
import ShareMath

/// Which pairs a drill covers.
public enum DrillSelection: Sendable {
    case client(String)
    case sample(Int)
    case all
}

/// One drill's outcome.
public struct DrillOutcome: Sendable, Encodable {
    public let clientId: String
    public let curve: CurveID
    public let method: String
    public let pairId: Int64
    public let passed: Bool
    public let problem: String?
    public let milliseconds: Int
}

/// What a drill run found; reads like a verification summary.
public struct DrillSummary: Sendable, Encodable {
    public var drilled = 0
    public var passed = 0
    public var failed = 0
    public var failedByReason: [String: Int] = [:]
    /// The first outcomes, at most `VerifySummary.failureListLimit` (the counts cover them all).
    public var outcomes: [DrillOutcome] = []
    public var allPassed: Bool { failed == 0 }
}

extension Vault {
    /// Recovery drills: each pair is recovered in memory and proved by a signature the new shares make
    /// jointly (FROST; BIP-340 on secp256k1, Ed25519 on ed25519) over a fresh random challenge, accepted by
    /// the curve's standard verifier under the wallet's key. Only the result is kept.
    public func drill(
        _ selection: DrillSelection, keyStores: BackupKeyStores, batchSize: Int = 256, progress: ProgressHandler? = nil
    ) throws -> DrillSummary {
        var summary = DrillSummary()
        func run(_ batch: [StoredPair]) throws {
            let results = ResultSlots<DrillOutcome>(count: batch.count)
            DispatchQueue.concurrentPerform(iterations: batch.count) { index in
                results.set(index, .success(drillOne(batch[index], keyStores: keyStores)))
            }
            let outcomes = try results.values()
            for (pair, outcome) in zip(batch, outcomes) {
                try store.recordDrill(
                    pair, startedAt: VaultClock.now(), milliseconds: outcome.milliseconds,
                    outcome: outcome.passed ? "passed" : outcome.problem ?? "failed", detail: outcome.problem ?? "",
                    at: VaultClock.now())
                summary.drilled += 1
                if outcome.passed { summary.passed += 1 } else {
                    summary.failed += 1
                    summary.failedByReason[outcome.problem ?? "failed", default: 0] += 1
                }
                if summary.outcomes.count < VerifySummary.failureListLimit { summary.outcomes.append(outcome) }
            }
            progress?(.done, summary.drilled, summary.drilled)
        }
        switch selection {
        case .client(let clientId):
            let pairs = try store.livePairs(after: 0, limit: Int.max, clientId: clientId)
            if pairs.isEmpty { throw VaultError.unknownClient(clientId) }
            try run(pairs)
        case .sample(let count):
            let ids = try store.randomLivePairIds(count: count)
            try run(try ids.compactMap { try store.livePair(id: $0) })
        case .all:
            var last: Int64 = 0
            while true {
                let batch = try store.livePairs(after: last, limit: batchSize, clientId: nil)
                guard let lastPair = batch.last else { break }
                last = lastPair.summary.pairId
                try run(batch)
            }
        }
        return summary
    }

    private func drillOne(_ pair: StoredPair, keyStores: BackupKeyStores) -> DrillOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var problem: PairProblem?
        do {
            switch pair.summary.curve {
            case .secp256k1: try drillPair(pair, suite: FROSTSecp256k1BIP340.self, keyStores: keyStores)
            case .ed25519: try drillPair(pair, suite: FROSTEd25519SHA512.self, keyStores: keyStores)
            }
        } catch let error as PairProblem {
            problem = error
        } catch {
            problem = .pairDoesNotInterpolate
        }
        let elapsed = clock.now - start
        let milliseconds = Int(elapsed.inSeconds * 1000)
        return DrillOutcome(
            clientId: pair.summary.clientId, curve: pair.summary.curve, method: pair.summary.method,
            pairId: pair.summary.pairId, passed: problem == nil, problem: problem?.rawValue, milliseconds: milliseconds)
    }

    /// Opens the pair, re-shares it in memory, and has the new shares sign a fresh random challenge.
    func drillPair<Suite: FROSTCiphersuite>(_ pair: StoredPair, suite: Suite.Type, keyStores: BackupKeyStores) throws {
        for problem in Self.structuralProblems(pair) where problem != .incomplete { throw problem }
        let opened = try openPair(pair, on: Suite.C.self, keyStores: keyStores)
        let dealing = try reshare(opened)
        let challenge = SecureBytes.random(count: 32).withUnsafeBytes { Array($0) }
        let signature = FROST<Suite>.sign(dealing.shares, publicKey: opened.publicKey, message: challenge)
        guard Suite.verify(signature: signature, message: challenge, publicKey: opened.publicKey) else {
            throw PairProblem.signatureRejected
        }
    }
}
