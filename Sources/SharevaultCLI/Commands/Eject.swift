import ArgumentParser
import ShareVault

extension SharevaultCommand {
    /// `sharevault eject`: leave MPC by exporting the private key.
    struct Eject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a wallet's private key, interpolated from its backup pair (explicit export; audited).",
            discussion: """
                The pair is interpolated at 0, checked against the wallet's public key, and printed in the chain's \
                usual form: secp256k1 as 32-byte big-endian hex, ed25519 as the 32-byte little-endian scalar in \
                base58. Refused without --yes-export-private-key.
                """
        )

        @Option(help: "The client id.")
        var clientId: String

        @Option(help: "The backup method, as GDRIVE or GDRIVE-SECP256K1.")
        var method: String

        @Flag(help: "Confirm that the private key may be printed.")
        var yesExportPrivateKey = false

        @OptionGroup var keys: KeyStoreOptions
        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard yesExportPrivateKey else {
                throw ValidationError("eject prints a private key: add --yes-export-private-key to confirm")
            }
        }

        func run() async throws {
            let ejected: EjectedKey
            do {
                ejected = try await vault.open(needsKey: true).eject(
                    clientId: clientId, method: try BackupMethod(parsing: method), keyStores: try keys.stores())
            } catch let problem as PairProblem {
                throw CommandFailure(status: .problemFound, message: "error: cannot eject: \(problem)")
            }
            if output.json {
                try Terminal.printJSON([
                    "clientId": ejected.clientId, "curve": ejected.curve.rawValue, "publicKey": ejected.publicKey,
                    "address": ejected.address, "privateKey": ejected.privateKey,
                ])
            } else {
                print("client \(ejected.clientId) \(ejected.curve) wallet \(ejected.address)")
                print("private key: \(ejected.privateKey)")
            }
        }
    }
}
