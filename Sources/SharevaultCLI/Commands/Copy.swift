import ArgumentParser
import Foundation
import ShareVault
import ShareVaultPostgres

extension SharevaultCommand {
    /// `sharevault copy --to URL`: the whole vault into a new one, on the same engine or the other.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Copy the whole vault into a new one (SQLite to PostgreSQL and back), then prove every row arrived.",
            discussion: """
                The destination is a new vault file (sqlite:PATH, never an existing file) or an empty PostgreSQL \
                database (postgres://USER@HOST:PORT/DATABASE). Rows are copied as they are, in batches, a \
                transaction each; custodian shares stay sealed, so the same vault key opens the copy (keep the key \
                file beside a copied vault file, or name it with --vault-key). Then both vaults are read back and \
                compared table by table: row counts, a BLAKE2b digest over every row's values, and the audit \
                chain's head. Exit 1 when anything differs.
                """
        )

        @Option(
            help: ArgumentHelp(
                "Where the copy goes: sqlite:PATH or postgres://USER@HOST:PORT/DATABASE.", valueName: "url"))
        var to: String

        @Option(help: "A file holding the destination database's password (or $PGPASSWORD).")
        var toPasswordFile: String?

        @Option(help: "Rows per transaction.")
        var batchSize: Int = 1000

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...100000") }
        }

        func run() async throws {
            let destination = try StoreLocation(
                parsing: to, password: try Secrets.databasePassword(file: toPasswordFile))
            let source = try vault.location()
            guard destination.description != source.description else {
                throw ValidationError("--to names the vault being copied")
            }
            let report = try await vault.open(needsKey: false, readOnly: true).copy(
                to: destination, batchSize: batchSize, progress: ProgressLine("copy").handler)
            if output.json {
                try Terminal.printJSON(report)
            } else {
                for table in report.tables {
                    print(
                        "\(table.matches ? "ok      " : "DIFFERS ") \(table.name): \(table.sourceRows) rows, "
                            + "\(table.copiedRows) copied, digest \(table.copyDigest.prefix(16))")
                }
                print(
                    report.sourceAuditHead == report.copyAuditHead
                        ? "audit head matches (\(report.copyAuditHead.prefix(24))...)"
                        : "audit head DIFFERS: \(report.sourceAuditHead) vs \(report.copyAuditHead)")
                print(report.matches ? "copied \(report.source) to \(report.destination)" : "the copy DIFFERS")
            }
            if !report.matches { throw CommandFailure(status: .problemFound, message: "") }
        }
    }
}
