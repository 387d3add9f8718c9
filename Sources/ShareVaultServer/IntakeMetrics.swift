import CoreMetrics
import Foundation
import Prometheus
import ShareVault
import Synchronization

/// The intake's metrics, recorded through swift-metrics' API into a Prometheus registry of their own (not the
/// process-wide `MetricsSystem`, so that several intakes in one process, as in the tests, keep theirs apart).
///
/// Labels are routes as templates (`/clients/{clientId}/backup`), statuses, outcomes and refusal reasons: never a
/// client id, a body or a secret.
public final class IntakeMetrics: Sendable {
    /// Where the families live; `exposition()` writes them.
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let commits: CoreMetrics.Counter
    private let committedDeliveries: CoreMetrics.Counter
    private let commitTally = CommitTally()
    private let storeUp: CoreMetrics.Gauge

    static let requests = "sharevault_http_requests_total"
    static let requestDuration = "sharevault_http_request_duration_seconds"
    static let ingested = "sharevault_ingest_total"
    static let refused = "sharevault_ingest_refused_total"

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.requestDuration] = [
            .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(10),
        ]
        self.factory = factory
        storeUp = CoreMetrics.Gauge(label: "sharevault_store_up", factory: factory)
        commits = CoreMetrics.Counter(label: "sharevault_intake_commits_total", factory: factory)
        committedDeliveries = CoreMetrics.Counter(
            label: "sharevault_intake_committed_deliveries_total", factory: factory)
    }

    /// A request answered: counted by route, method and status, its duration in the route's histogram.
    func requestFinished(route: String, method: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(
            label: Self.requests, dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
        CoreMetrics.Timer(label: Self.requestDuration, dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(
                duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// A custodian share taken: stored, replaced or duplicate.
    func ingested(_ outcome: IngestOutcome) {
        CoreMetrics.Counter(label: Self.ingested, dimensions: [("outcome", outcome.rawValue)], factory: factory)
            .increment()
    }

    /// A webhook refused, by the reason's short name (`out-of-range`, `public-key-mismatch`, `unauthorized`...).
    func refused(reason: String) {
        CoreMetrics.Counter(label: Self.refused, dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// The families in Prometheus' text format, with the vault's live pairs by status and the group commits read
    /// now. A store that does not answer within `storeTimeout` leaves the live pairs as last read and
    /// `sharevault_store_up` at 0; the other families are still given.
    public func exposition(vault: Vault, storeTimeout: Duration = .seconds(2)) async -> String {
        let store = vault.store
        if case .success(let counts)? = await answer(within: storeTimeout, { try await store.livePairsByStatus() }) {
            for status in Set(BackupStatus.allCases.map(\.rawValue)).union(counts.keys) {
                CoreMetrics.Gauge(label: "sharevault_live_pairs", dimensions: [("status", status)], factory: factory)
                    .record(counts[status] ?? 0)
            }
            storeUp.record(1)
        } else {
            storeUp.record(0)
        }
        let (batches, items) = (await vault.custodianIntake.batches, await vault.custodianIntake.items)
        let (newBatches, newItems) = commitTally.advance(to: (batches, items))
        commits.increment(by: newBatches)
        committedDeliveries.increment(by: newItems)
        return registry.emitToString()
    }
}

/// The group commit's totals as last exposed, so that each scrape adds what is new to the counters.
private final class CommitTally: Sendable {
    private let seen = Mutex((batches: 0, items: 0))

    func advance(to now: (batches: Int, items: Int)) -> (batches: Int, items: Int) {
        seen.withLock { seen in
            // Two scrapes at once may read the totals in one order and get here in the other: the tally only
            // moves forward, so nothing is added twice.
            let added = (max(0, now.batches - seen.batches), max(0, now.items - seen.items))
            seen = (max(seen.batches, now.batches), max(seen.items, now.items))
            return added
        }
    }
}
