import Foundation
import GRDB
import ShareVault

/// `list --json` over the bench's vault, run as a child process: wall time and the child's peak memory.
public struct ListingFigure: Sendable, Encodable {
    public let pairs: Int
    public let seconds: Double
    public let peakMemoryKiB: Int
    /// The floor: the listing's query alone, every row stepped and every column fetched raw (no decoding, no
    /// output), in rows per second.
    public var floorRowsPerSecond: Double = 0

    public var pairsPerSecond: Double { Double(pairs) / seconds }

    /// Runs `sharevault list --json` as a child with stdout discarded; the child reports its own peak memory
    /// (`SHAREVAULT_REPORT_PEAK_MEMORY`, which any `sharevault` command honours).
    public static func measure(vaultPath: String, pairs: Int) throws -> ListingFigure {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["list", "--json", "--vault", vaultPath]
        var environment = ProcessInfo.processInfo.environment
        environment["SHAREVAULT_REPORT_PEAK_MEMORY"] = "1"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        let report = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let elapsed = clock.now - start
        guard process.terminationStatus == 0,
            let line = report.split(separator: "\n").first(where: { $0.hasPrefix("peak memory: ") }),
            let kib = Int(line.dropFirst("peak memory: ".count).split(separator: " ").first ?? "")
        else {
            throw VaultError.vaultUnreadable(path: vaultPath, reason: "list --json failed during the bench")
        }
        var figure = ListingFigure(pairs: pairs, seconds: elapsed / .seconds(1), peakMemoryKiB: kib)
        figure.floorRowsPerSecond = try floor(vaultPath: vaultPath)
        return figure
    }

    /// Steps the listing's query over the vault with SQLite alone.
    static func floor(vaultPath: String) throws -> Double {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: vaultPath, configuration: configuration)
        let clock = ContinuousClock()
        let start = clock.now
        let rows = try queue.read { db in
            var rows = 0
            let cursor = try Row.fetchCursor(
                db, sql: StoredRows.summarySelect + " WHERE p.isLive ORDER BY c.clientId, w.curve, p.method")
            while let row = try cursor.next() {
                for index in 0..<row.count { _ = row[index] as DatabaseValue }
                rows += 1
            }
            return rows
        }
        return Double(rows) / (clock.now - start).inSeconds
    }

}

/// This process's peak resident memory (`VmHWM` in /proc/self/status), which, unlike a parent's
/// `wait4`, counts only what the process itself touched after exec.
public enum PeakMemory {
    public static func ownKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
