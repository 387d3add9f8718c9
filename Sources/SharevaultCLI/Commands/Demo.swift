import ArgumentParser
import Foundation
import ShareMath
import ShareVault
import SharevaultDemo

extension SharevaultCommand {
    /// `sharevault demo`: the main job on an embedded default.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the main job on a scratch vault in a temporary folder, with nothing to set up.",
            discussion: """
                Checks the share math on both curves, creates a vault, makes wallets on both curves with GDRIVE and \
                PASSWORD backup pairs, takes one backup through the intake flow (webhook, upload, confirmation), \
                lists the vault and checks the audit chain. Exits 1 if any step's check fails. The scratch folder \
                is removed afterwards unless --keep is given.
                """
        )

        @Flag(help: "Keep the scratch folder and print its path.")
        var keep = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("sharevault-demo-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
            let (vault, steps) = try await VaultDemo.run(in: directory, progress: ProgressLine("demo").handler)
            if output.json {
                try Terminal.printJSON(steps)
            } else {
                for step in steps { print("[\(step.passed ? " ok " : "FAIL")] \(step.step)") }
                print("")
                print(PairTable.header)
                try await vault.forEachPair { pair in print(PairTable.format(pair, address: pair.address, now: Date()))
                }
                if keep { print("\nscratch folder kept: \(directory)") }
            }
            if steps.contains(where: { !$0.passed }) { throw CommandFailure(status: .problemFound, message: "") }
        }
    }
}
