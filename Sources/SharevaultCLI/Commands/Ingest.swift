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
                contradicts the client's wallet. With --lines the input is a stream of bodies, one a line (JSON \
                Lines): they are checked on every core and stored in their order, 256 to a durable commit, with a \
                result line for each (JSON Lines with --json, numbered as the input); a refused line is reported \
                and the others are still stored, and the exit status is then that of the worst refusal.
                """
        )

        @Argument(help: "The body's file, or - for standard input.")
        var file: String = "-"

        @Flag(help: "Read one body a line (JSON Lines), many to a commit.")
        var lines = false

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            if lines { return try await runLines() }
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

    /// A line's result in `--lines --json`: the report, or the refusal.
    struct LineResult: Encodable {
        let line: Int
        let report: CustodianIngestReport?
        let error: String?

        enum CodingKeys: String, CodingKey { case line, error }

        func encode(to encoder: any Encoder) throws {
            try report?.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(line, forKey: .line)
            try container.encodeIfPresent(error, forKey: .error)
        }
    }
}

extension SharevaultCommand.Ingest.Custodian {
    /// Lines taken into one commit.
    static let linesPerCommit = 256

    /// `--lines`: the stream, a batch of lines to a commit, each line's result printed in order.
    func runLines() async throws {
        var reader = try LineReader(file, limit: WebhookBody.maximumSize)
        let opened = try await vault.open(needsKey: true)
        let encoder = Terminal.jsonEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var worst: CommandFailure?
        var (taken, refused) = (0, 0)
        var batch: [(number: Int, body: Data?)] = []
        func flush() async throws {
            let bodies = batch.compactMap(\.body)
            var results = (await opened.ingestCustodian(batch: bodies)).makeIterator()
            for (number, body) in batch {
                let result: Result<CustodianIngestReport, any Error> =
                    body == nil
                    ? .failure(
                        InputFileError(
                            path: "line \(number)", reason: "larger than the \(WebhookBody.maximumSize)-byte limit"))
                    : results.next() ?? .failure(InputFileError(path: "line \(number)", reason: "no result"))
                switch result {
                case .success(let report):
                    taken += 1
                    if output.json {
                        print(
                            String(
                                decoding: try encoder.encode(
                                    SharevaultCommand.Ingest.LineResult(line: number, report: report, error: nil)),
                                as: UTF8.self))
                    } else {
                        print(
                            "line \(number): \(report.outcome): client \(report.clientId), \(report.method) on \(report.curve), pair \(report.pairId)"
                        )
                    }
                case .failure(let error):
                    refused += 1
                    let failure = CommandFailure(error, context: "line \(number)")
                    if worst.map({ failure.status.rawValue > $0.status.rawValue }) ?? true { worst = failure }
                    if output.json {
                        print(
                            String(
                                decoding: try encoder.encode(
                                    SharevaultCommand.Ingest.LineResult(
                                        line: number, report: nil, error: failure.message)), as: UTF8.self))
                    } else {
                        print("line \(number): refused: \(failure.message)")
                    }
                }
            }
            batch.removeAll()
        }
        while let line = try reader.next() {
            switch line {
            case .text(let number, let body): batch.append((number, body))
            case .tooLong(let number): batch.append((number, nil))
            }
            if batch.count == Self.linesPerCommit { try await flush() }
        }
        try await flush()
        if !output.json { Terminal.writeError("\(taken) taken, \(refused) refused") }
        if let worst { throw CommandFailure(status: worst.status, message: "") }
    }
}

extension SharevaultCommand.Ingest {
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
