import ArgumentParser
import ShareVault

extension SharevaultCommand {
    /// `sharevault confirm`: the app's "stored client backup share" notice.
    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the app's notice that the client backup is stored; the method's pairs become completed.",
            discussion:
                "One notice covers the method's pairs on every curve (only one curve when the method names it, as GDRIVE-ED25519)."
        )

        @Option(help: "The client id.")
        var clientId: String

        @Option(help: "The backup method, as GDRIVE or GDRIVE-SECP256K1.")
        var method: String

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let pairs = try await vault.open(needsKey: false).confirm(
                clientId: clientId, method: try BackupMethod(parsing: method))
            if output.json {
                try Terminal.printJSON(pairs)
            } else {
                for pair in pairs {
                    print(
                        "confirmed: client \(pair.clientId), \(pair.method) on \(pair.curve), status \(pair.status.rawValue)"
                    )
                }
            }
        }
    }
}
