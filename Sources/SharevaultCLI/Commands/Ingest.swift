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
                share is the share's JSON as a string: a sharevault.share document, or Portal's custodian backup \
                share as it is (flat decimal strings: x, y, clientBk, serverBk, share, the partial public keys; \
                Paillier, Pedersen and other fields kept, sealed, byte for byte). The curve comes from the share; \
                backupMethod is any printable name up to 64 characters, stored as sent, optionally with the curve \
                (GDRIVE-SECP256K1), which must then agree; without backupMethod the method is UNKNOWN. A new share \
                for the same client, method and curve replaces the live pair, which is kept in history; the same \
                share twice stores one. The body is refused (exit 2, nothing written) when malformed or ambiguous \
                (a key given twice), when a scalar is out of range, a point is off the curve, share·G is not the \
                stated public share, Portal's partial public keys do not interpolate to the key, or the key \
                contradicts the client's wallet.
                """
        )

        @Argument(help: "The body's file, or - for standard input.")
        var file: String = "-"

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let body = try InputFile.read(file, limit: WebhookBody.maximumSize)
            let opened = try await vault.open(needsKey: true)
            let report: CustodianIngestReport
            do {
                report = try await opened.ingestCustodian(body, progress: ProgressLine("ingest").handler)
            } catch {
                throw CommandFailure(error, context: file == "-" ? "stdin" : file)
            }
            if output.json {
                try Terminal.printJSON(report)
            } else {
                let replaced = report.replacedPairId.map { " (replaced pair \($0), kept in history)" } ?? ""
                print(
                    "\(report.outcome): client \(report.clientId), \(report.method) on \(report.curve), \(report.layout.rawValue) share, pair \(report.pairId)\(replaced)"
                )
                if let id = report.backupSharePairId { print("backupSharePairId \(id)") }
                print("public key \(report.publicKey)")
            }
        }
    }

    /// `sharevault ingest client`.
    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a client's encrypted backup (the cipherText as uploaded, or {\"cipherText\": ...}).",
            discussion: """
                One ciphertext serves the client's live pairs of the method on every curve (only one curve when \
                the method names it); their status moves to STORED_CLIENT_BACKUP_SHARE_KEY, and a ciphertext it \
                replaces stays in history. Any non-empty printable-ASCII text up to 64 KiB is stored byte for \
                byte (a file's surrounding whitespace aside), whatever its format: only one that claims \
                sharevault's own format must parse as such.
                """
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
            let body = try InputFile.read(file, limit: ClientCiphertextText.maximumLength + 1024)
            let opened = try await vault.open(needsKey: false)
            let pairs: [PairIdentity]
            do {
                pairs = try await opened.ingestClient(
                    clientId: clientId, method: try BackupMethod(parsing: method), body: body)
            } catch {
                throw CommandFailure(error, context: file == "-" ? "stdin" : file)
            }
            if output.json {
                try Terminal.printJSON(pairs)
            } else {
                for pair in pairs {
                    print(
                        "stored client backup: client \(pair.clientId), \(pair.method) on \(pair.curve), status \(pair.status.rawValue)"
                    )
                }
            }
        }
    }
}
