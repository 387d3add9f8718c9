import ArgumentParser
import Foundation
import ShareMath
import ShareVault

extension SharevaultCommand.Shares {
    /// `sharevault shares split`: deal a secret into share documents.
    struct Split: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split a secret into threshold share documents.",
            discussion: """
                Prints the share documents, one JSON object per line (a JSON array with --json), or writes \
                them to --out DIR as share-N.json files with mode 0600. The secret is fresh and random unless \
                --secret-file names a file (mode 0600) holding it as hex in the curve's scalar encoding.
                """
        )

        @Option(help: "The curve: secp256k1 or ed25519.")
        var curve: CurveID

        @Option(help: "Shares needed to recombine (2 to --count).")
        var threshold: Int

        @Option(help: "Shares to make (up to 255).")
        var count: Int

        @Option(help: "A file holding the secret as hex (not readable by group or others).")
        var secretFile: String?

        @Option(help: "A directory to write share-N.json files into instead of printing them.")
        var out: String?

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (2...255).contains(count) else {
                throw ValidationError("--count must be between 2 and 255 (got \(count))")
            }
            guard (2...count).contains(threshold) else {
                throw ValidationError("--threshold must be between 2 and --count (got \(threshold) of \(count))")
            }
        }

        func run() async throws {
            let secret = try secretFile.map { path throws in try SecretFile.readHex(at: path) }
            let documents: [AnyShareDocument]
            do {
                documents = try ShareCeremony.split(curve: curve, threshold: threshold, count: count, secret: secret)
            } catch {
                throw CommandFailure(error, context: secretFile.map { "\($0)" } ?? nil)
            }
            if let out {
                let paths = try ShareFiles.write(
                    documents.enumerated().map { ("share-\($0.offset + 1)", $0.element) }, to: out)
                if output.json {
                    try Terminal.printJSON(SplitReport(curve: curve, threshold: threshold, files: paths))
                } else {
                    print("split a \(curve) secret \(threshold)-of-\(count) into:")
                    for path in paths { print("  \(path)") }
                }
            } else if output.json {
                Terminal.write("[")
                for (index, document) in documents.enumerated() {
                    Terminal.write(secret: document.exportJSON())
                    Terminal.write(index + 1 < documents.count ? ",\n" : "]\n")
                }
            } else {
                for document in documents {
                    Terminal.write(secret: document.exportJSON())
                    Terminal.write("\n")
                }
            }
        }
    }

    struct SplitReport: Encodable {
        let curve: CurveID
        let threshold: Int
        let files: [String]
    }
}
