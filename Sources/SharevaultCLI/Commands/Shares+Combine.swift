import ArgumentParser
import ShareMath
import ShareVault

extension SharevaultCommand.Shares {
    /// `sharevault shares combine`: recombine share documents.
    struct Combine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Combine share documents: print the public key, and the secret only on request.",
            discussion: """
                Refuses shares of mixed curves, of different keys or dealings, duplicates, and fewer than \
                the threshold (exit 2); a share failing its own commitments exits 1.
                """
        )

        @Argument(help: "Share document files (one document, a JSON array, or JSON lines each; - for stdin).")
        var files: [String]

        @Flag(help: "Also print the combined secret (an explicit export).")
        var revealSecret = false

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one share document file") }
        }

        func run() async throws {
            let documents = try SharevaultCommand.Shares.readDocuments(files)
            let combination: ShareCeremony.Combination
            do {
                combination = try ShareCeremony.combine(documents, revealSecret: revealSecret)
            } catch {
                throw CommandFailure(error)
            }
            let secretHex = combination.secret.map { secret in secret.withUnsafeBytes { Hex.encode($0) } }
            if output.json {
                try Terminal.printJSON(
                    CombineReport(
                        curve: combination.curve, threshold: combination.threshold,
                        sharesUsed: combination.sharesUsed, publicKey: Hex.encode(combination.publicKey),
                        secret: secretHex))
            } else {
                print("curve:       \(combination.curve)")
                print("threshold:   \(combination.threshold) (\(combination.sharesUsed) shares combined)")
                print("public key:  \(Hex.encode(combination.publicKey))")
                if let secretHex { print("secret:      \(secretHex)") }
            }
        }
    }

    struct CombineReport: Encodable {
        let curve: CurveID
        let threshold: Int
        let sharesUsed: Int
        let publicKey: String
        let secret: String?
    }
}
