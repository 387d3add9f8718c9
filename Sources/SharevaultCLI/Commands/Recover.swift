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
                Older generations are marked revoked; the backup pair stays valid.
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
            let recipient = try sealTo.map { try SealedShareFiles.recipient(from: $0) }
            let opened = try vault.open(needsKey: true)
            let progress = ProgressLine("recover").handler
            let prepared: PreparedRecovery
            do {
                prepared = try opened.prepareRecovery(
                    clientId: clientId, method: method, keyStores: try keys.stores(), progress: progress)
            } catch let problem as PairProblem {
                throw CommandFailure(status: .problemFound, message: "error: cannot recover: \(problem)")
            }
            let files = try SealedShareFiles.write(
                [("device-share", prepared.deviceShare), ("custodian-signing-share", prepared.custodianShare)],
                to: out, sealedTo: recipient)
            let report = try opened.commitRecovery(prepared, progress: progress)
            if output.json {
                try Terminal.printJSON(RecoverReport(recovery: report, files: files))
            } else {
                print("recovered client \(report.clientId) \(report.method): signing generation \(report.generation), public key \(report.publicKey)")
                for file in files { print("  wrote \(file)") }
            }
        }
    }

    struct RecoverReport: Encodable {
        let recovery: RecoveryReport
        let files: [String]
    }
}

/// Writes share documents as new private files, in the clear or sealed to a recipient.
enum SealedShareFiles {
    static func recipient(from path: String) throws -> [UInt8] {
        let text = try String(decoding: InputFile.read(path, limit: 1024), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = try? Hex.decode(text), key.count == 32 else {
            throw CommandFailure(status: .badInput, message: "error: \(path): expected an X25519 public key as 64 hex digits")
        }
        return key
    }

    static func write(_ documents: [(name: String, document: AnyShareDocument)], to directory: String, sealedTo recipient: [UInt8]?) throws -> [String] {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if !isDirectory.boolValue {
            throw CommandFailure(status: .badInput, message: "error: \(directory): not a directory")
        }
        let paths = documents.map { (directory as NSString).appendingPathComponent($0.name + (recipient == nil ? ".json" : ".sealed")) }
        for path in paths where FileManager.default.fileExists(atPath: path) {
            throw CommandFailure(status: .badInput, message: "error: \(path): already exists; not overwriting a share")
        }
        for (item, path) in zip(documents, paths) {
            let text = SecureBytes(copying: Array((item.document.exportJSON() + "\n").utf8))
            if let recipient {
                let sealed = SealedBox.seal(text, to: recipient)
                try PrivateFile.write(Data((Data(sealed).base64EncodedString() + "\n").utf8), to: path)
            } else {
                try text.withUnsafeBytes { try PrivateFile.write(Data($0), to: path) }
            }
        }
        return paths
    }
}
