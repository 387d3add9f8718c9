import ArgumentParser
import ShareMath
import ShareVault

extension SharevaultCommand {
    /// `sharevault create`: new wallets with signing and backup pairs, for drills, tests and demos.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make new wallets with signing and backup pairs, as a device and an MPC provider would.",
            discussion: """
                For each client and curve: a key, a 2-of-2 signing pair and a 2-of-2 backup pair per method. Per \
                client and method, one client plaintext covers every curve (Portal's two-curve form), encrypted \
                under a fresh key put in --key-store (method PASSWORD: a key from the password in --password-file \
                or $SHAREVAULT_BACKUP_PASSWORD); the custodian halves are sealed in the vault and the status walked \
                to completed. --layout portal writes the halves in Portal's exact layouts (the flat custodian JSON \
                and MpcShares; their Paillier and Pedersen values are random numbers of the real sizes). A key file \
                that exists is never replaced. With --count N the clients are ID-1 ... ID-N.
                """
        )

        @Option(help: "The client id (with --count, the prefix of the ids).")
        var clientId: String

        @Option(help: "secp256k1, ed25519 or all.")
        var curve: CurveChoice = .all

        @Option(help: "A backup method (GDRIVE, ICLOUD, PASSWORD, PASSKEY, CUSTOM, ...); repeat for several.")
        var method: [String] = []

        @Option(help: "The folder standing for the user's cloud storage, where client backup keys go.")
        var keyStore: String?

        @Option(help: "A file with the user's backup password, for method PASSWORD (or $SHAREVAULT_BACKUP_PASSWORD).")
        var passwordFile: String?

        @Option(help: "How many clients to make.")
        var count: Int = 1

        @Option(help: "native (sharevault's share documents) or portal (Portal's exact layouts).")
        var layout: LayoutChoice = .native

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...1_000_000).contains(count) else {
                throw ValidationError("--count must be between 1 and 1000000")
            }
            guard !method.isEmpty else { throw ValidationError("give at least one --method") }
            let names = method.compactMap { try? BackupMethod(parsing: $0).name }
            if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                throw ValidationError("--method \(repeated) is given more than once")
            }
        }

        func run() async throws {
            let parsed = try method.map { try BackupMethod(parsing: $0) }
            for method in parsed {
                if let named = method.curve, curve.curves != [named] {
                    throw CommandFailure(
                        status: .badInput,
                        message: "error: --method \(method) names \(named), but --curve is \(curve.rawValue)")
                }
            }
            let methods = parsed.map(\.withoutCurve)
            if let needsDirectory = methods.first(where: { !$0.usesPassword }), keyStore == nil {
                throw CommandFailure(
                    status: .badInput, message: "error: --key-store DIR is required for method \(needsDirectory)")
            }
            let password =
                methods.contains(where: \.usesPassword)
                ? try Secrets.read(file: passwordFile, environment: "SHAREVAULT_BACKUP_PASSWORD") : nil
            let opened = try await vault.open(needsKey: true)
            let stores = BackupKeyStores(
                directory: try keyStore.map { try DirectoryKeyStore(directory: $0, create: true) },
                password: password.map { PasswordKeyStore(password: $0) })
            let clientIds = count == 1 ? [clientId] : (1...count).map { "\(clientId)-\($0)" }
            let created = try await opened.create(
                clientIds: clientIds, curves: curve.curves, methods: methods, keyStores: stores,
                layout: layout.walletLayout, progress: ProgressLine("create").handler)
            if output.json {
                try Terminal.printJSON(["created": created])
            } else {
                for wallet in created.prefix(20) {
                    print(
                        "\(wallet.clientId)  \(wallet.curve)  \(wallet.address)  \(wallet.methods.map(\.description).joined(separator: ","))"
                    )
                }
                if created.count > 20 { print("... and \(created.count - 20) more") }
                print("created \(created.count) wallet(s), every backup pair completed")
            }
        }
    }
}

/// `--layout` for `create`.
enum LayoutChoice: String, ExpressibleByArgument, CaseIterable {
    case native, portal

    var walletLayout: WalletLayout { self == .native ? .native : .portal }
}

/// `--curve` for commands that can act on both curves at once.
enum CurveChoice: String, ExpressibleByArgument, CaseIterable {
    case secp256k1, ed25519, all

    var curves: [CurveID] {
        switch self {
        case .secp256k1: return [.secp256k1]
        case .ed25519: return [.ed25519]
        case .all: return CurveID.allCases
        }
    }
}
