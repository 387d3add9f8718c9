import Foundation
import Prometheus
import ShareVault

/// `verify --prometheus FILE`: the run's figures in Prometheus' text format, for node_exporter's textfile
/// collector. Written through swift-prometheus' registry into a file beside FILE, then renamed over it, so the
/// collector never reads half a file; mode 0644, since the collector runs as its own user and the figures are
/// public (counts, no client id).
enum VerifyTextfile {
    static func text(_ summary: VerifySummary, seconds: Double, finishedAt: Date) -> String {
        let registry = PrometheusCollectorRegistry()
        let level = [("level", summary.level.rawValue), ("shard", summary.shard ?? "all")]
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
            registry.makeGauge(name: name, labels: level + labels, help: help).set(value)
        }
        for (result, count) in [("checked", summary.checked), ("passed", summary.passed), ("failed", summary.failed)] {
            gauge(
                "sharevault_verify_pairs", "Pairs the last verify run checked, passed and failed.",
                [("result", result)],
                Double(count))
        }
        for problem in PairProblem.allCases {
            gauge(
                "sharevault_verify_failed_pairs", "Pairs the last verify run failed, by their first problem.",
                [("reason", problem.rawValue)], Double(summary.failedByReason[problem] ?? 0))
        }
        gauge(
            "sharevault_verify_audit_chain_intact", "1 when the audit chain held in the last verify run.", [],
            summary.auditChainIntact ? 1 : 0)
        gauge(
            "sharevault_verify_bookkeeping_problems", "What the vault's records contradicted in the last run.", [],
            Double(summary.bookkeepingProblems.count))
        if let staleness = summary.staleness {
            gauge("sharevault_verify_max_age_days", "The age --max-age allowed, in days.", [], staleness.maximumAgeDays)
            gauge(
                "sharevault_verify_stale_pairs_flagged", "Stale pairs in the last verify run (each once).", [],
                Double(staleness.stale))
            for reason in StaleReason.allCases {
                gauge(
                    "sharevault_verify_stale_pairs", "Stale pairs in the last verify run, by reason.",
                    [("reason", reason.rawValue)], Double(staleness.staleByReason[reason] ?? 0))
            }
        }
        gauge("sharevault_verify_duration_seconds", "How long the last verify run took.", [], seconds)
        gauge(
            "sharevault_verify_last_run_timestamp_seconds", "When the last verify run finished (Unix time).", [],
            finishedAt.timeIntervalSince1970)
        return registry.emitToString()
    }

    /// Writes `text` to `path` in one rename.
    static func write(_ text: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]),
            let written = FileHandle(forUpdatingAtPath: temporary)
        else { throw VaultError.fileUnwritable(path: path, reason: "cannot write \(temporary)") }
        // On disk before it takes the name, so a crash never leaves an empty file in its place.
        try? written.synchronize()
        try? written.close()
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VaultError.fileUnwritable(path: path, reason: reason)
        }
    }

    /// Refuses a path whose folder is missing or not a folder, before the run (the file itself is replaced).
    static func checkFolder(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory),
            isDirectory.boolValue
        else { throw VaultError.fileUnwritable(path: path, reason: "its folder does not exist") }
        if path.hasSuffix("/") || path.isEmpty {
            throw VaultError.fileUnwritable(path: path, reason: "not a file name")
        }
    }
}
