import ArgumentParser
import Foundation
import ShareVault

extension SharevaultCommand {
    /// `sharevault report`: the operator's audit report, as a self-contained HTML page and as figures.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the operator's audit report: one self-contained HTML page.",
            discussion: """
                The page holds the inventory of live pairs by curve, method and status; the pairs never verified \
                or drilled and the days since; the pairs whose client half is missing a day after their custodian \
                half; the last verification and drill outcomes with failures by reason; the verification runs and \
                drills the audit chain records; the signing generations; the vault key's state (version, key file \
                or officers' quorum, a rekey in progress, shares by key version); and the audit chain's state and \
                head. \
                Charts are inline SVG; the page has no script and loads nothing (a Content-Security-Policy forbids \
                it), so it opens offline and can be attached to an audit. Public material only: the vault is \
                opened read-only without its key, and the audit chain's structure is walked, not its MACs (audit \
                --verify checks those). Streams: memory stays flat whatever the vault's size; lists show the first \
                20 pairs and a count.

                --html FILE is written once (mode 0600, as everything sharevault writes), never over an existing \
                file. Without --html only the summary is printed; with --json the report's figures as one JSON \
                document. Exit 0 when the report was made, whatever it shows.
                """
        )

        @Option(help: ArgumentHelp("Write the report as an HTML page to this new file.", valueName: "file"))
        var html: String?

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let html, html.isEmpty { throw ValidationError("--html needs a file path") }
        }

        func run() async throws {
            // An existing file or a folder that cannot hold the page is refused before the vault is read.
            if let html { try Self.checkWritable(html) }
            let opened = try await vault.open(needsKey: false, readOnly: true)
            let report = try await opened.report()
            if let html {
                var page = HTMLReport.render(report)
                try page.withUTF8 { bytes in
                    try PrivateFile.create(
                        at: html, contents: UnsafeRawBufferPointer(bytes), alreadyExists: .fileExists(path: html))
                }
            }
            if output.json {
                try Terminal.printJSON(report)
            } else {
                print(Self.summary(report, html: html), terminator: "")
            }
        }

        /// Refuses a path that exists (never overwritten) or whose folder is missing or not a folder.
        static func checkWritable(_ path: String) throws {
            if FileManager.default.fileExists(atPath: path) { throw VaultError.fileExists(path: path) }
            let folder = (path as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory)
            else {
                throw VaultError.fileUnwritable(path: path, reason: "its folder does not exist")
            }
            guard isDirectory.boolValue else {
                throw VaultError.fileUnwritable(path: path, reason: "\(folder) is not a folder")
            }
        }

        /// The readable summary.
        static func summary(_ report: VaultReport, html: String?) -> String {
            let chain = report.auditChain
            let chainState =
                chain.intact
                ? "holds (structure; audit --verify checks the MACs), \(chain.events) events, head "
                    + (chain.headHash ?? "")
                : "BROKEN at event \(chain.firstBadEvent.map(String.init) ?? "?"): \(chain.problem ?? "")"
            var text = """
                report of \(report.vault) as of \(Terminal.time(report.generatedAt))
                  \(report.livePairs) live pair(s), \(report.completedPairs) completed, \
                \(report.livePairs - report.completedPairs) incomplete; \(report.clients) client(s), \
                \(report.wallets) wallet(s)
                  verification: \(report.verification.passed) passed, \(report.verification.failed) failed, \
                \(report.verification.never) never
                  drill: \(report.drill.passed) passed, \(report.drill.failed) failed, \(report.drill.never) never
                  client half missing for over \(VaultReport.awaitingClientHalfDays) day: \
                \(report.awaitingClientHalf.total)
                  audit chain: \(chainState)

                """
            if let key = report.keyState {
                text += "  vault key: version \(key.keyVersion), \(SharevaultCommand.Key.Status.describe(key.key))"
                if let rekey = key.rekey {
                    text +=
                        "; rekey to version \(rekey.toVersion) \(rekey.aborting ? "being aborted" : "in progress"), "
                        + "\(key.sharesNotUnderCurrentVersion) share(s) not under the current version"
                }
                text += "\n"
            }
            if let html { text += "wrote \(html)\n" }
            return text
        }
    }
}
