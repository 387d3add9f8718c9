import Foundation
import ShareMath

/// `sharevault bench`'s vault figures: `create` and `ingest` rates into a file vault, each beside the raw
/// library calls it cannot avoid, timed in the same run.
public enum VaultBenchmark {
    /// Makes a vault of `wallets` wallets (half secp256k1, half ed25519, method GDRIVE) in `directory`, and
    /// ingests `webhooks` custodian webhooks into it; returns the figures and the vault's path.
    public static func run(in directory: String, wallets: Int, webhooks: Int) throws -> (figures: [BenchmarkFigure], vaultPath: String) {
        let vaultPath = (directory as NSString).appendingPathComponent("bench.db")
        let vault = try Vault.create(at: vaultPath)
        let keyStore = try DirectoryKeyStore(directory: (directory as NSString).appendingPathComponent("keys"), create: true)
        let stores = BackupKeyStores(directory: keyStore, password: nil)
        let floor = try floorForCreate(in: directory)

        let clients = (1...max(1, wallets / 2)).map { "bench-\($0)" }
        let clock = ContinuousClock()
        let createStart = clock.now
        _ = try vault.create(
            clientIds: clients, curves: CurveID.allCases, methods: [try BackupMethod(parsing: "GDRIVE")], keyStores: stores)
        let createRate = Double(clients.count * 2) / seconds(clock.now - createStart)

        // Webhooks for new clients, made beforehand so only the intake is timed.
        let bodies = try (0..<webhooks).map { index in try webhookBody(clientId: "bench-webhook-\(index)") }
        let ingestFloor = try floorForIngest(vault: vault, in: directory)
        let ingestStart = clock.now
        for body in bodies { _ = try vault.ingestCustodian(body) }
        let ingestRate = Double(webhooks) / seconds(clock.now - ingestStart)

        // verify --all, structural and deep (one core, then every core), and drills, over the whole vault.
        let pairs = try vault.store.counts().livePairs
        let verifyStart = clock.now
        _ = try vault.verify()
        let structuralRate = Double(pairs) / seconds(clock.now - verifyStart)
        let deepFloor = try floorForDeepVerify(in: directory)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var deepRates: [(Int, Double)] = []
        for parallelism in Set([1, cores]).sorted() {
            let start = clock.now
            _ = try vault.verify(keyStores: stores, parallelism: parallelism)
            deepRates.append((parallelism, Double(pairs) / seconds(clock.now - start)))
        }
        let drillCount = min(pairs, 500)
        let drillStart = clock.now
        _ = try vault.drill(.sample(drillCount), keyStores: stores)
        let drillRate = Double(drillCount) / seconds(clock.now - drillStart)
        let drillFloor = try floorForDrill()

        let deepFloorName = "per pair: 2 scalar-base and 2 variable-base multiplications, 2 XChaCha20-Poly1305 opens, 1 key-file read (one core)"
        return ([
            BenchmarkFigure(
                operation: "verify --all, structural (pairs, every core)", curve: .secp256k1,
                operationsPerSecond: structuralRate, floor: "per pair: 1 variable-base multiplication (one core)",
                floorOperationsPerSecond: try floorForStructuralVerify()),
        ] + deepRates.map { parallelism, rate in
            BenchmarkFigure(
                operation: "verify --all --deep (pairs, \(parallelism) core\(parallelism == 1 ? "" : "s"))", curve: .secp256k1,
                operationsPerSecond: rate, floor: deepFloorName, floorOperationsPerSecond: deepFloor)
        } + [
            BenchmarkFigure(
                operation: "drill (pairs, every core)", curve: .secp256k1, operationsPerSecond: drillRate,
                floor: "per pair: the deep verification floor plus 2 re-share dealings and a 2-party FROST signature's "
                    + "6 scalar-base multiplications and 1 verification (one core)",
                floorOperationsPerSecond: drillFloor),
            BenchmarkFigure(
                operation: "create (wallets into a file vault)", curve: .secp256k1, operationsPerSecond: createRate,
                floor: "per wallet: 5 scalar-base multiplications, 2 XChaCha20-Poly1305 seals, 1 fsync'd key file",
                floorOperationsPerSecond: floor),
            BenchmarkFigure(
                operation: "ingest custodian webhook (durable commit)", curve: .secp256k1, operationsPerSecond: ingestRate,
                floor: "per webhook: 1 scalar-base multiplication, 1 seal, 1 durable SQLite commit",
                floorOperationsPerSecond: ingestFloor),
        ], vaultPath)
    }

    static func webhookBody(clientId: String) throws -> Data {
        let dealing = try Dealing<Secp256k1>.split(
            secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
        let share = ShareDocument.documents(for: dealing)[1].exportJSON()
        return try JSONSerialization.data(
            withJSONObject: ["clientId": clientId, "share": share, "backupMethod": "GDRIVE-SECP256K1"])
    }

    /// The raw calls one wallet cannot avoid, timed one after another.
    private static func floorForCreate(in directory: String) throws -> Double {
        let scalars = (0..<16).map { _ in Scalar<Secp256k1>.random() }
        let key = SecureBytes.random(count: 32)
        let plaintext = SecureBytes.random(count: 400)
        var index = 0
        var failure: (any Error)?
        let rate = ShareMathBenchmark.measure(seconds: 0.5) {
            for _ in 0..<5 {
                index = (index + 1) % scalars.count
                _ = Secp256k1.baseMultiply(scalars[index])
            }
            _ = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: [1])
            _ = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: [2])
            let path = (directory as NSString).appendingPathComponent("floor-\(index)-\(UInt32.random(in: 0...UInt32.max))")
            do {
                try key.withUnsafeBytes { try PrivateFile.create(at: path, contents: $0, alreadyExists: .keyFileExists(path: path)) }
            } catch {
                failure = error
            }
            unlink(path)
        }
        if let failure { throw failure }
        return rate
    }

    /// One base multiplication, one seal and one durable commit on the same vault.
    private static func floorForIngest(vault: Vault, in directory: String) throws -> Double {
        guard let store = vault.store as? SQLiteVaultStore else { return 0 }
        let scalar = Scalar<Secp256k1>.random()
        let key = SecureBytes.random(count: 32)
        let plaintext = SecureBytes.random(count: 400)
        var failure: (any Error)?
        let rate = ShareMathBenchmark.measure(seconds: 0.5) {
            _ = Secp256k1.baseMultiply(scalar)
            _ = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: [1])
            do {
                try store.write { db in
                    try db.execute(sql: "INSERT OR REPLACE INTO vaultMeta (name, value) VALUES ('benchFloor', '1')")
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        try store.write { db in try db.execute(sql: "DELETE FROM vaultMeta WHERE name = 'benchFloor'") }
        return rate
    }

    /// The commitment check a structural verification makes per pair (Horner in the exponent, t = 2).
    private static func floorForStructuralVerify() throws -> Double {
        let point = Secp256k1.baseMultiply(.random())
        let scalar = Scalar<Secp256k1>.random()
        return ShareMathBenchmark.measure(seconds: 0.3) { _ = Secp256k1.multiply(point, scalar) }
    }

    /// What a deep verification cannot avoid per pair, timed in sequence on one core.
    private static func floorForDeepVerify(in directory: String) throws -> Double {
        let key = SecureBytes.random(count: 32)
        let sealed = XChaCha20Poly1305.seal(SecureBytes.random(count: 500), key: key, associatedData: [1])
        let scalars = [Scalar<Secp256k1>.random(), .random()]
        let point = Secp256k1.baseMultiply(.random())
        let keyPath = (directory as NSString).appendingPathComponent("floor.key")
        try key.withUnsafeBytes { try PrivateFile.create(at: keyPath, contents: $0, alreadyExists: .fileExists(path: keyPath)) }
        defer { unlink(keyPath) }
        var failed = false
        let rate = ShareMathBenchmark.measure(seconds: 0.5) {
            for scalar in scalars {
                _ = Secp256k1.baseMultiply(scalar)
                _ = Secp256k1.multiply(point, scalar)
            }
            for _ in 0..<2 { failed = failed || (try? XChaCha20Poly1305.open(sealed, key: key, associatedData: [1])) == nil }
            failed = failed || (try? SecretFile.readBytes(at: keyPath, limit: 32)) == nil
        }
        if failed { throw SealingError.authenticationFailed }
        return rate
    }

    /// The deep floor plus what a drill adds: two dealings' commitments and the signature's base
    /// multiplications, and one BIP-340 verification.
    private static func floorForDrill() throws -> Double {
        let scalars = (0..<8).map { _ in Scalar<Secp256k1>.random() }
        let point = Secp256k1.baseMultiply(.random())
        let key = SecureBytes.random(count: 32)
        let sealed = XChaCha20Poly1305.seal(SecureBytes.random(count: 500), key: key, associatedData: [1])
        let dealing = try Dealing<Secp256k1>.split(secret: scalars[0], threshold: 2, count: 2)
        let message = [UInt8](repeating: 7, count: 32)
        let signature = FROST<FROSTSecp256k1BIP340>.sign(dealing.shares, publicKey: dealing.publicKey, message: message)
        return ShareMathBenchmark.measure(seconds: 0.5) {
            for scalar in scalars { _ = Secp256k1.baseMultiply(scalar) }
            for scalar in scalars.prefix(4) { _ = Secp256k1.multiply(point, scalar) }
            for _ in 0..<2 { _ = try? XChaCha20Poly1305.open(sealed, key: key, associatedData: [1]) }
            _ = FROSTSecp256k1BIP340.verify(signature: signature, message: message, publicKey: dealing.publicKey)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
