import Dispatch
import Foundation
import ShareMath
import Synchronization

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
    /// The method, without a curve (see `curve`).
    public let method: BackupMethod
    public let pairId: Int64
    /// Why the drill failed; nil when it passed.
    public let problem: PairProblem?
    /// When the drill began.
    public let startedAt: Date
    public let milliseconds: Int

    public var passed: Bool { problem == nil }
    public var outcome: CheckOutcome { problem.map(CheckOutcome.failed) ?? .passed }

    enum CodingKeys: String, CodingKey {
        case clientId, curve, method, pairId, passed, problem, startedAt, milliseconds
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(clientId, forKey: .clientId)
        try container.encode(curve, forKey: .curve)
        try container.encode(method, forKey: .method)
        try container.encode(pairId, forKey: .pairId)
        try container.encode(passed, forKey: .passed)
        try container.encodeIfPresent(problem?.rawValue, forKey: .problem)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(milliseconds, forKey: .milliseconds)
    }
}

/// What a drill run found; reads like a verification summary.
public struct DrillSummary: Sendable, Encodable {
    public var drilled = 0
    public var passed = 0
    public var failed = 0
    public var failedByReason: [PairProblem: Int] = [:]
    /// The first outcomes, at most `VerifySummary.failureListLimit` (the counts cover them all).
    public var outcomes: [DrillOutcome] = []
    public var allPassed: Bool { failed == 0 }
}

extension Vault {
    /// Recovery drills: each pair is recovered in memory and proved by a signature the new shares make
    /// jointly (FROST; BIP-340 on secp256k1, Ed25519 on ed25519) over a fresh random challenge, accepted by
    /// the curve's standard verifier under the wallet's key. Only the result is kept.
    public func drill(
        _ selection: DrillSelection, keyStores: BackupKeyStores, batchSize: Int = 256,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, progress: ProgressHandler? = nil
    ) async throws -> DrillSummary {
        let store = self.store
        // Verification reports a wallet of a curve this build does not read; a drill, which would have to skip
        // it, refuses to start, as every other read of it does.
        let scope: String? = if case .client(let clientId) = selection { clientId } else { nil }
        if let wallet = try await store.walletsOfUnknownCurve(clientId: scope).first {
            throw VaultError.rowUnreadable(table: "wallet", rowId: wallet, column: "curve")
        }
        // Where the batches come from: each is found from the one before it.
        let next: @Sendable ([StoredPair]?) async throws -> [StoredPair]
        switch selection {
        case .client(let clientId):
            let pairs = try await store.livePairs(after: 0, limit: Int.max, clientId: clientId)
            if pairs.isEmpty { throw VaultError.unknownClient(clientId) }
            next = { previous in previous == nil ? pairs : [] }
        case .sample(let count):
            let ids = try await store.randomLivePairIds(count: count)
            next = { previous in
                var start = 0
                if let previous {
                    // The sample resumes after the last pair the previous batch held.
                    guard let last = previous.last, let index = ids.firstIndex(of: last.identity.pairId) else {
                        return []
                    }
                    start = index + 1
                }
                var pairs: [StoredPair] = []
                for id in ids[start..<min(start + batchSize, ids.count)] {
                    if let pair = try await store.livePair(id: id) { pairs.append(pair) }
                }
                return pairs
            }
        case .all:
            next = { previous in
                // The vault's key state first: a run that began before a rekey opens the shares it moved.
                try await self.refreshKeys()
                return try await store.livePairs(
                    after: previous?.last?.identity.pairId ?? 0, limit: batchSize, clientId: nil)
            }
        }
        let tally = Mutex(DrillSummary())
        try await streamPairs(
            parallelism: parallelism, next: next,
            check: { pair in self.drillOne(pair, keyStores: keyStores) },
            record: { _, outcomes in
                try await store.recordDrills(outcomes, at: Date(), audit: AuditEntry.drilled)
                tally.withLock { summary in
                    for outcome in outcomes {
                        summary.drilled += 1
                        if outcome.passed {
                            summary.passed += 1
                        } else {
                            summary.failed += 1
                            if let problem = outcome.problem { summary.failedByReason[problem, default: 0] += 1 }
                        }
                        if summary.outcomes.count < VerifySummary.failureListLimit { summary.outcomes.append(outcome) }
                    }
                }
            },
            progress: { drilled in progress?(.done, drilled, drilled) })
        return tally.withLock { $0 }
    }

    private func drillOne(_ pair: StoredPair, keyStores: BackupKeyStores) -> DrillOutcome {
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        var problem: PairProblem?
        do {
            switch pair.identity.curve {
            case .secp256k1: try drillPair(pair, suite: FROSTSecp256k1BIP340.self, keyStores: keyStores)
            case .ed25519: try drillPair(pair, suite: FROSTEd25519SHA512.self, keyStores: keyStores)
            }
        } catch let error as PairProblem {
            problem = error
        } catch {
            problem = .pairDoesNotInterpolate
        }
        let elapsed = clock.now - start
        let milliseconds = Int(elapsed / .milliseconds(1))
        return DrillOutcome(
            clientId: pair.identity.clientId, curve: pair.identity.curve, method: pair.identity.method,
            pairId: pair.identity.pairId, problem: problem, startedAt: startedAt,
            milliseconds: milliseconds)
    }

    /// Opens the pair, re-shares it in memory, and has the new shares sign a fresh random challenge.
    func drillPair<Suite: FROSTCiphersuite>(_ pair: StoredPair, suite: Suite.Type, keyStores: BackupKeyStores) throws {
        let opened: OpenedPair<Suite.C>
        do {
            opened = try openSoundPair(pair, on: Suite.C.self, keyStores: keyStores)
        } catch {
            // Named as verification names it: the first structural problem, else the deep one.
            throw fullAccount(pair, level: .deep, keyStores: keyStores).first { $0 != .incomplete } ?? error
        }
        let dealing = try reshare(opened)
        let challenge = SecureBytes.random(count: 32).withUnsafeBytes { Array($0) }
        let signature = FROST<Suite>.sign(dealing.shares, publicKey: opened.publicKey, message: challenge)
        guard Suite.verify(signature: signature, message: challenge, publicKey: opened.publicKey) else {
            throw PairProblem.signatureRejected
        }
    }
}
