import ArgumentParser
import Foundation
import ShareMath
import ShareVault

extension SharevaultCommand {
    /// `sharevault recover`: provision a new signing pair for a lost device.
    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-share a backup pair into a new signing pair of the next generation.",
            discussion: """
                The key is never formed: the pair is re-shared, and the new public shares must interpolate to \
                the wallet's key before anything is written. The device share and the custodian signing share \
                are written to --out DIR as device-share.json and custodian-signing-share.json (mode 0600), or \
                sealed to the X25519 public key in --seal-to FILE (libsodium sealed boxes, base64, .sealed). \
                They are written as NAME.pending and named only once the generation is recorded, so no share file \
                carries its name for a generation the vault did not record. Older generations are marked revoked; \
                the backup pair stays valid.
                """
        )

        @Option(help: "The client id.")
        var clientId: String

        @Option(help: "The backup method, as GDRIVE or GDRIVE-SECP256K1.")
        var method: String

        @Option(help: "The folder to write the new shares into (created 0700 if missing; files are never overwritten).")
        var out: String

        @Option(help: "A file holding a recipient's X25519 public key (64 hex digits): seal the shares to it.")
        var sealTo: String?

        @OptionGroup var keys: KeyStoreOptions
        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let recipient = try sealTo.map { try ShareFiles.recipient(from: $0) }
            let opened = try await vault.open(needsKey: true)
            let progress = ProgressLine("recover").handler
            let prepared: PreparedRecovery
            do {
                prepared = try await opened.prepareRecovery(
                    clientId: clientId, method: try BackupMethod(parsing: method), keyStores: try keys.stores(),
                    progress: progress)
            } catch let problem as PairProblem {
                throw CommandFailure(status: .problemFound, message: "error: cannot recover: \(problem)")
            }
            // All or nothing: the files are written under pending names before the generation is recorded and named
            // only after, so shares of a generation the vault did not record never carry a share's name (a failed
            // commit removes them; a process killed in between leaves `.pending` files of a generation never made).
            let files = try ShareFiles.write(
                [("device-share", prepared.deviceShare), ("custodian-signing-share", prepared.custodianShare)],
                to: out, sealedTo: recipient, pending: true)
            let report: RecoveryReport
            do {
                report = try await opened.commitRecovery(prepared, progress: progress)
            } catch {
                ShareFiles.discard(files)
                throw error
            }
            try ShareFiles.publish(files, generation: report.generation)
            if output.json {
                try Terminal.printJSON(RecoverReport(recovery: report, files: files))
            } else {
                print(
                    "recovered client \(report.clientId) \(report.method): signing generation \(report.generation), public key \(report.publicKey)"
                )
                for file in files { print("  wrote \(file)") }
            }
        }
    }

    struct RecoverReport: Encodable {
        let recovery: RecoveryReport
        let files: [String]
    }
}
