import Foundation
import ShareMath

extension Vault {
    /// The operator's audit report (DESIGN section 6), from public material only: needs no vault key and writes
    /// nothing, so a vault opened read-only will do.
    ///
    /// Memory stays flat in the vault's size: the live pairs, the active signing generations and the audit chain
    /// are each streamed once into counters, keeping only the first `listLimit` pairs of each list and the last
    /// `runLimit` verification runs and drills. The pairs' figures come from one read, so they agree with one
    /// another; the client and wallet counts, the signing generations and the audit chain are read separately
    /// and may be a commit apart from them on a vault that is being written.
    /// - Parameter now: the time ages are measured from, and the report's date.
    public func report(now: Date = Date(), listLimit: Int = 20, runLimit: Int = 10) async throws -> VaultReport {
        let verification = try await store.verifyAuditLog(expecting: nil)
        var report = VaultReport(
            generatedAt: now, vault: path, verification: .init(listLimit: listLimit),
            drill: .init(listLimit: listLimit), awaitingClientHalf: .init(limit: listLimit),
            auditChain: .init(verification), recordedRuns: .init(), listLimit: listLimit, runLimit: runLimit)
        let counts = try await store.counts()
        report.clients = counts.clients
        report.wallets = counts.wallets

        for status in BackupStatus.allCases { report.pairsByStatus[status.rawValue] = 0 }
        for curve in CurveID.allCases { report.pairsByCurve[curve.rawValue] = 0 }
        var inventory: [VaultReport.InventoryRow.Key: Int] = [:]
        try await store.forEachLivePair(completed: nil) { pair in
            report.livePairs += 1
            if pair.completed { report.completedPairs += 1 }
            report.pairsByStatus[pair.status.rawValue, default: 0] += 1
            report.pairsByMethod[pair.method.name, default: 0] += 1
            report.pairsByCurve[pair.curve.rawValue, default: 0] += 1
            let key = VaultReport.InventoryRow.Key(
                curve: pair.curve.rawValue, method: pair.method.name, status: pair.status.rawValue)
            inventory[key, default: 0] += 1
            report.verification.add(pair, at: pair.lastVerifiedAt, outcome: pair.lastVerifiedOutcome, now: now)
            report.drill.add(pair, at: pair.lastDrilledAt, outcome: pair.lastDrilledOutcome, now: now)
            if StalenessPolicy.awaitsClientHalf(pair, now: now) {
                report.awaitingClientHalf.add(.init(pair))
            }
        }
        report.inventory = inventory.map { .init(curve: $0.curve, method: $0.method, status: $0.status, pairs: $1) }
            .sorted { ($0.curve, $0.method, $0.status) < ($1.curve, $1.method, $1.status) }

        var generations: [VaultReport.SigningGenerationRow.Key: Int] = [:]
        var after: Int64 = 0
        while case let batch = try await store.activeSigningGenerations(after: after, limit: 4096, clientId: nil),
            let last = batch.last
        {
            after = last.rowId
            for generation in batch {
                let key = VaultReport.SigningGenerationRow.Key(
                    curve: generation.curve?.rawValue ?? "unknown", generation: generation.generation)
                generations[key, default: 0] += 1
            }
        }
        report.signingGenerations = generations.map { .init(curve: $0.curve, generation: $0.generation, wallets: $1) }
            .sorted { ($0.curve, $0.generation) < ($1.curve, $1.generation) }

        var runs = VaultReport.RecordedRuns.Builder(limit: runLimit)
        try await store.forEachAuditEvent { event in
            report.auditChain.eventsByKind[event.kind, default: 0] += 1
            runs.add(event)
        }
        report.recordedRuns = runs.finish()
        report.keyState = try await keyStatus()
        return report
    }
}

extension VaultReport.InventoryRow {
    /// What the inventory counts by.
    struct Key: Hashable {
        var curve: String
        var method: String
        var status: String
    }
}

extension VaultReport.SigningGenerationRow {
    /// What the signing generations are counted by.
    struct Key: Hashable {
        var curve: String
        var generation: Int
    }
}

extension VaultReport.RecordedRuns {
    /// Takes the audit chain's events in order and keeps the counts and the last runs and drills.
    struct Builder {
        private var runs = VaultReport.RecordedRuns()
        private let limit: Int
        private let decoder = JSONDecoder()

        init(limit: Int) { self.limit = limit }

        mutating func add(_ event: AuditEvent) {
            switch event.knownKind {
            case .verify?:
                let detail = self.detail(event)
                runs.verifyRuns += 1
                Self.keep(
                    VaultReport.VerifyRun(
                        event: event.id, at: event.at, level: detail["level"], clientId: event.clientId,
                        shard: detail["shard"], checked: detail["checked"].flatMap { Int($0) },
                        passed: detail["passed"].flatMap { Int($0) }, failed: detail["failed"].flatMap { Int($0) },
                        auditChainIntact: detail["auditChainIntact"].flatMap { Bool($0) },
                        bookkeepingProblems: detail["bookkeepingProblems"].flatMap { Int($0) }),
                    in: &runs.lastVerifyRuns, limit: limit)
            case .drill?:
                let detail = self.detail(event)
                runs.drills += 1
                let outcome = detail["outcome"]
                if outcome == CheckOutcome.passed.description {
                    runs.drillsPassed += 1
                } else {
                    runs.drillsFailed += 1
                    runs.drillFailuresByReason[outcome ?? "unrecorded", default: 0] += 1
                }
                Self.keep(
                    VaultReport.RecordedDrill(
                        event: event.id, at: event.at, clientId: event.clientId, curve: detail["curve"],
                        method: detail["method"], pairId: detail["pairId"].flatMap { Int64($0) }, outcome: outcome),
                    in: &runs.lastDrills, limit: limit)
            default:
                break
            }
        }

        /// The figures, the last runs and drills newest first.
        func finish() -> VaultReport.RecordedRuns {
            var finished = runs
            finished.lastVerifyRuns.reverse()
            finished.lastDrills.reverse()
            return finished
        }

        /// An event's public detail; empty when it is not the JSON object of strings the operations write (an
        /// edited event, which the chain's walk reports).
        private func detail(_ event: AuditEvent) -> [String: String] {
            (try? decoder.decode([String: String].self, from: Data(event.detail.utf8))) ?? [:]
        }

        /// Appends `item`, dropping the oldest beyond `limit`.
        private static func keep<Item>(_ item: Item, in items: inout [Item], limit: Int) {
            guard limit > 0 else { return }
            if items.count == limit { items.removeFirst() }
            items.append(item)
        }
    }
}
