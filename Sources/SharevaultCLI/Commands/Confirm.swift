import ArgumentParser
import ShareVault

extension SharevaultCommand {
    /// `sharevault confirm`: the app's "stored client backup share" notice.
    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the app's notice that the client backup share is stored; the pair becomes completed."
        )

        @Option(help: "The client id.")
        var clientId: String

        @Option(help: "The backup method, as GDRIVE or GDRIVE-SECP256K1.")
        var method: String

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let summary = try vault.open(needsKey: false).confirm(clientId: clientId, method: method)
            if output.json {
                try Terminal.printJSON(summary)
            } else {
                print("confirmed: client \(summary.clientId), \(summary.method) on \(summary.curve), status \(summary.status.rawValue)")
            }
        }
    }
}
