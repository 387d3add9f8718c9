import ArgumentParser
import Foundation
import ShareVault

extension SharevaultCommand {
    /// `sharevault ingest`: take what the webhook and the app send, from files.
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a custodian webhook body or a client's encrypted backup share into the vault.",
            subcommands: [Custodian.self, Client.self]
        )
    }
}

extension SharevaultCommand.Ingest {
    /// `sharevault ingest custodian`.
    struct Custodian: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a webhook body {clientId, share, backupMethod}.",
            discussion: """
                share is the share's JSON as a string: a sharevault.share document, or Portal's custodian JSON as \
                it is (decimal x, y, clientBk, serverBk, share; other fields kept). backupMethod names the curve, \
                as GDRIVE-SECP256K1 (no suffix means secp256k1). A new share for the same client and method \
                replaces the live pair, which is kept in history; the same share twice stores one. The body is \
                refused (exit 2, nothing written) when malformed, when the curve contradicts the method, or when \
                the public key contradicts the client's wallet.
                """
        )

        @Argument(help: "The body's file, or - for standard input.")
        var file: String = "-"

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let body = try InputFile.read(file, limit: WebhookBody.maximumSize)
            let opened = try vault.open(needsKey: true)
            let report: CustodianIngestReport
            do {
                report = try opened.ingestCustodian(body, progress: ProgressLine("ingest").handler)
            } catch {
                throw CommandFailure(error, context: file == "-" ? "stdin" : file)
            }
            if output.json {
                try Terminal.printJSON(report)
            } else {
                let replaced = report.replacedPairId.map { " (replaced pair \($0), kept in history)" } ?? ""
                print("\(report.outcome): client \(report.clientId), \(report.method), \(report.layout.rawValue) share, pair \(report.pairId)\(replaced)")
                print("public key \(report.publicKey)")
            }
        }
    }

    /// `sharevault ingest client`.
    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a client's encrypted backup share (the base64 cipherText, or {\"cipherText\": ...}).",
            discussion: "The pair for the client and method must exist; its status moves to STORED_CLIENT_BACKUP_SHARE_KEY."
        )

        @Option(help: "The client id.")
        var clientId: String

        @Option(help: "The backup method, as GDRIVE or GDRIVE-SECP256K1.")
        var method: String

        @Argument(help: "The ciphertext's file, or - for standard input.")
        var file: String = "-"

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let body = try InputFile.read(file, limit: ClientBackupCiphertext.maximumTextLength + 1024)
            let opened = try vault.open(needsKey: false)
            let summary: PairSummary
            do {
                summary = try opened.ingestClient(clientId: clientId, method: method, body: body)
            } catch {
                throw CommandFailure(error, context: file == "-" ? "stdin" : file)
            }
            if output.json {
                try Terminal.printJSON(summary)
            } else {
                print("stored client backup share: client \(summary.clientId), \(summary.method) on \(summary.curve), status \(summary.status.rawValue)")
            }
        }
    }
}
