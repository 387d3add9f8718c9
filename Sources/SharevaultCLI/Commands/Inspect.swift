import ArgumentParser
import Foundation
import ShareMath
import ShareVault

extension SharevaultCommand {
    /// `sharevault inspect`: one client in full.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one client in full: wallets with addresses, signing pairs, backup pairs and their history.",
            discussion: "Public material only: no share, key or plaintext is ever shown."
        )

        @Argument(help: "The client id.")
        var clientId: String

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let detail = try await vault.open(needsKey: false, readOnly: true).inspect(clientId: clientId)
            if output.json {
                try Terminal.printJSON(InspectReport(detail))
                return
            }
            print("client \(detail.clientId) (since \(Terminal.time(detail.createdAt)))")
            for wallet in detail.wallets {
                print("  \(wallet.curve) wallet \(wallet.address)")
                print("    public key \(wallet.publicKey)")
                for signing in wallet.signingPairs {
                    print(
                        "    signing pair generation \(signing.generation): \(signing.status) (since \(Terminal.time(signing.createdAt)))"
                    )
                    print(
                        "      device share     id \(Hex.encode(signing.deviceIdentifier))  public \(Hex.encode(signing.devicePublicShare))"
                    )
                    print(
                        "      custodian share  id \(Hex.encode(signing.custodianIdentifier))  public \(Hex.encode(signing.custodianPublicShare))"
                    )
                }
                for backup in wallet.backupPairs {
                    let pair = backup.summary
                    let state = pair.live ? "live" : "replaced \(Terminal.time(pair.replacedAt, absent: "?"))"
                    print(
                        "    backup \(pair.method) pair \(pair.pairId): \(pair.status.rawValue) (\(state), \(backup.layout.rawValue) layout)"
                    )
                    if let id = backup.backupSharePairId { print("      backupSharePairId \(id)") }
                    print("      custodian share public \(backup.custodianPublicShare)")
                    if let client = backup.clientPublicShare { print("      client share    public \(client)") }
                    print(
                        "      client half     \(backup.clientCiphertextId.map { "in ciphertext \($0)" } ?? "not stored")"
                    )
                    print(
                        "      last verified   \(Terminal.time(pair.lastVerifiedAt))  last drilled \(Terminal.time(pair.lastDrilledAt))"
                    )
                }
            }
            for ciphertext in detail.clientCiphertexts {
                let state =
                    ciphertext.live
                    ? "live"
                    : "replaced \(Terminal.time(ciphertext.replacedAt, absent: "?")) by \(ciphertext.replacedById.map(String.init) ?? "?")"
                let source = ciphertext.keySource.map { ", key in \($0)" } ?? ""
                print(
                    "  client ciphertext \(ciphertext.id) (\(ciphertext.method)): \(ciphertext.length) characters, "
                        + "\(ciphertext.format)\(source), received \(Terminal.time(ciphertext.receivedAt)), "
                        + "\(ciphertext.confirmedAt.map { "confirmed \(Terminal.time($0))" } ?? "not confirmed"), \(state)"
                )
            }
        }
    }

    /// `inspect --json`: the detail with each wallet's address.
    struct InspectReport: Encodable {
        struct Wallet: Encodable {
            let address: String
            let wallet: ClientDetail.Wallet
            enum CodingKeys: String, CodingKey { case address }
            func encode(to encoder: any Encoder) throws {
                try wallet.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(address, forKey: .address)
            }
        }
        let clientId: String
        let createdAt: Date
        let wallets: [Wallet]
        let clientCiphertexts: [ClientCiphertextSummary]

        init(_ detail: ClientDetail) {
            clientId = detail.clientId
            createdAt = detail.createdAt
            clientCiphertexts = detail.clientCiphertexts
            wallets = detail.wallets.map { wallet in
                Wallet(
                    address: wallet.address, wallet: wallet)
            }
        }
    }
}
