import ArgumentParser
import ShareMath
import ShareVault

extension SharevaultCommand.Shares {
    /// `sharevault shares verify`: check share documents without combining them.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check each share document against its commitments, public share and public key.",
            discussion: "Exits 1 when any share fails, 2 when a document does not parse."
        )

        @Argument(help: "Share document files (one document, a JSON array, or JSON lines each; - for stdin).")
        var files: [String]

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one share document file") }
        }

        func run() async throws {
            let results = ShareCeremony.verify(try SharevaultCommand.Shares.readDocuments(files))
            let failed = results.filter { !$0.passed }.count
            if output.json {
                try Terminal.printJSON(
                    VerifyReport(
                        checked: results.count, passed: results.count - failed, failed: failed,
                        results: results.map {
                            .init(
                                label: $0.label, curve: $0.curve, publicKey: Hex.encode($0.publicKey),
                                passed: $0.passed, problems: $0.problems.map(\.rawValue))
                        }))
            } else {
                for result in results {
                    let outcome =
                        result.passed ? "ok" : "FAILED: " + result.problems.map(\.description).joined(separator: "; ")
                    print("\(result.label): \(outcome) (\(result.curve), public key \(Hex.encode(result.publicKey)))")
                }
                print("\(results.count) checked, \(results.count - failed) passed, \(failed) failed")
            }
            if failed > 0 { throw CommandFailure(status: .problemFound, message: "") }
        }
    }

    struct VerifyReport: Encodable {
        struct Result: Encodable {
            let label: String
            let curve: CurveID
            let publicKey: String
            let passed: Bool
            let problems: [String]
        }
        let checked: Int
        let passed: Int
        let failed: Int
        let results: [Result]
    }
}
