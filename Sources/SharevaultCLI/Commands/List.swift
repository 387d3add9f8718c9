import ArgumentParser
import Foundation
import ShareMath
import ShareVault

extension SharevaultCommand {
    /// `sharevault list`: what is backed up and what is not.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List clients, wallets and live backup pairs: statuses, ages, generation, last verified and drilled.",
            discussion: """
                Streams: the vault is never loaded into memory whole. Public material only. With --stale DAYS, only \
                the pairs a nightly job should flag: not verified or not drilled with success within DAYS days (or \
                never), and pairs whose client half has not arrived a day after they were made \
                (STORED_CUSTODIAN_BACKUP_SHARE); each with its reasons (never-verified, verification-too-old, \
                last-verification-failed, never-drilled, drill-too-old, last-drill-failed, client-half-missing), \
                and exit 1 when any is listed.
                """
        )

        enum StatusFilter: String, ExpressibleByArgument, CaseIterable {
            case completed, incomplete
        }

        @Option(help: "Only completed or only incomplete pairs.")
        var status: StatusFilter?

        @Option(
            help: ArgumentHelp(
                "Only pairs not verified or not drilled within DAYS days, or still waiting for their client half a day on; exit 1 when any.",
                valueName: "days"))
        var stale: Double?

        func validate() throws {
            if let stale, !(stale.isFinite && stale >= 0 && stale <= 36_500) {
                throw ValidationError("--stale must be a number of days from 0 to 36500")
            }
        }

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let opened = try await vault.open(needsKey: false, readOnly: true)
            let completed = status.map { $0 == .completed }
            let now = Date()
            let policy = stale.map { StalenessPolicy(days: $0, now: now) }
            var count = 0
            var incomplete = 0
            var out = BufferedOutput()
            if output.json {
                out.write("[")
            } else {
                out.write(PairTable.header + "\n")
            }
            try await opened.forEachPair(completed: completed) { pair in
                let reasons = policy?.reasons(pair)
                if let reasons, reasons.isEmpty { return }
                if output.json {
                    out.write((count == 0 ? "\n" : ",\n") + pair.jsonObject(staleReasons: reasons))
                } else {
                    let why = reasons.map { "  " + $0.map(\.rawValue).joined(separator: ",") } ?? ""
                    out.write(PairTable.format(pair, address: pair.address, now: now) + why + "\n")
                }
                count += 1
                if !pair.completed { incomplete += 1 }
            }
            if output.json {
                out.write("\n]\n")
            } else if let stale {
                out.write(
                    "\(count) stale pair(s) (not verified or not drilled within \(stale) days, or no client half)\n")
            } else {
                out.write("\(count) live pair(s), \(count - incomplete) completed, \(incomplete) incomplete\n")
            }
            out.flush()
            if policy != nil, count > 0 { throw CommandFailure(status: .problemFound, message: "") }
        }
    }

    /// The readable table.
    enum PairTable {
        static let header =
            pad("CLIENT", 24) + pad("CURVE", 10) + pad("ADDRESS", 44) + pad("METHOD", 10)
            + pad("STATUS", 32) + pad("AGE", 6) + pad("GEN", 4) + pad("VERIFIED", 10) + "DRILLED"

        static func format(_ pair: PairSummary, address: String, now: Date) -> String {
            pad(pair.clientId, 24) + pad(pair.curve.rawValue, 10) + pad(address, 44) + pad(pair.method.name, 10)
                + pad(pair.status.rawValue, 32) + pad(age(pair.createdAt, now: now), 6)
                + pad(pair.generation.map(String.init) ?? "-", 4)
                + pad(pair.lastVerifiedAt.map { age($0, now: now) + " ago" } ?? "never", 10)
                + (pair.lastDrilledAt.map { age($0, now: now) + " ago" } ?? "never")
        }

        static func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
        }

        /// `40s`, `12m`, `5h`, `3d`.
        static func age(_ date: Date, now: Date) -> String {
            let seconds = max(0, Int(now.timeIntervalSince(date)))
            switch seconds {
            case ..<60: return "\(seconds)s"
            case ..<3600: return "\(seconds / 60)m"
            case ..<86400: return "\(seconds / 3600)h"
            default: return "\(seconds / 86400)d"
            }
        }
    }
}

/// Wallet addresses for display.
/// Stdout in large writes, for listings of many rows.
struct BufferedOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
