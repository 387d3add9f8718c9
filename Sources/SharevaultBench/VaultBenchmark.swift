import Foundation
import GRDB
import ShareMath
import ShareVault

/// `sharevault bench`'s vault figures: `create` and `ingest` rates into a file vault, each beside the raw
/// library calls it cannot avoid, timed in the same run.
public enum VaultBenchmark {
    /// Makes a vault of `wallets` wallets (half secp256k1, half ed25519, method GDRIVE) in `directory`, and
    /// ingests `webhooks` custodian webhooks into it; returns the figures and the vault's path.
    public static func run(in directory: String, wallets: Int, webhooks: Int) async throws -> (
        figures: [BenchmarkFigure], vaultPath: String
    ) {
        let vaultPath = (directory as NSString).appendingPathComponent("bench.db")
        let vault = try await Vault.create(at: vaultPath)
        let keyStore = try DirectoryKeyStore(
            directory: (directory as NSString).appendingPathComponent("keys"), create: true)
        let stores = BackupKeyStores(directory: keyStore, password: nil)
        let floor = try floorForCreate(in: directory)

        let clients = (1...max(1, wallets / 2)).map { "bench-\($0)" }
        let clock = ContinuousClock()
        let createStart = clock.now
        _ = try await vault.create(
            clientIds: clients, curves: CurveID.allCases, methods: [try BackupMethod(parsing: "GDRIVE")],
            keyStores: stores)
        let createRate = Double(clients.count * 2) / (clock.now - createStart).inSeconds

        // Webhooks for new clients, made beforehand so only the intake is timed.
        let bodies = try (0..<webhooks).map { index in try webhookBody(clientId: "bench-webhook-\(index)") }
        let ingestFloor = try floorForIngest(in: directory)
        let ingestStart = clock.now
        for body in bodies { _ = try await vault.ingestCustodian(body) }
        let ingestRate = Double(webhooks) / (clock.now - ingestStart).inSeconds

        // verify --all, structural and deep (one core, then every core), and drills, over the whole vault.
        let pairs = try await vault.store.counts().livePairs
        // The machine's speed drifts (it shares its host), so each verification's floor is timed just before
        // and just after it, and the faster of the two is the floor: a run never gains from a slow moment.
        try settle(vault, nil)
        var structuralFloor = try floorForStructuralVerify()
        let verifyStart = clock.now
        _ = try await vault.verify()
        let structuralRate = Double(pairs) / (clock.now - verifyStart).inSeconds
        structuralFloor = max(structuralFloor, try floorForStructuralVerify())
        // verify --custodian: the public checks, and every custodian half opened with the vault key.
        try settle(vault, nil)
        var custodianFloor = try floorForCustodianVerify()
        let custodianStart = clock.now
        _ = try await vault.verify(level: .custodian)
        let custodianRate = Double(pairs) / (clock.now - custodianStart).inSeconds
        custodianFloor = max(custodianFloor, try floorForCustodianVerify())
        // One core: the process is confined to one CPU, pipeline threads included. Then every core. Before each
        // run the key files are read once, untimed, as the floor's key file is, so that both measure the work
        // and not the disk (the development machine's page cache lets go of files within a minute).
        try settle(vault, keyStore)
        var deepFloor = try await floorForDeepVerify(in: directory)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let oneCore = try await CoreConfinement.onOneCore { () async throws -> Double in
            try settle(vault, keyStore)
            let start = clock.now
            _ = try await vault.verify(keyStores: stores, parallelism: 1)
            return Double(pairs) / (clock.now - start).inSeconds
        }
        deepFloor = max(deepFloor, try await floorForDeepVerify(in: directory))
        var deepRates = [
            (
                label: oneCore.confined ? "1 core" : "1 checking thread, not confined to one core",
                rate: oneCore.result, floor: deepFloor, floorName: deepFloorName(threads: 1)
            )
        ]
        if cores > 1 {
            try settle(vault, keyStore)
            var floor = try await floorForDeepVerify(in: directory, threads: cores)
            let start = clock.now
            _ = try await vault.verify(keyStores: stores, parallelism: cores)
            let rate = Double(pairs) / (clock.now - start).inSeconds
            floor = max(floor, try await floorForDeepVerify(in: directory, threads: cores))
            deepRates.append(("\(cores) cores", rate, floor, deepFloorName(threads: cores)))
        }
        let drillCount = min(pairs, 500)
        let drillStart = clock.now
        _ = try await vault.drill(.sample(drillCount), keyStores: stores)
        let drillRate = Double(drillCount) / (clock.now - drillStart).inSeconds
        let drillFloor = try floorForDrill()

        // rekey over the whole vault while webhooks arrive through an intake that opened with the old key; then
        // verify --custodian under the new key must pass every pair.
        let rekey = try await measureRekey(vault: vault, vaultPath: vaultPath, directory: directory, webhooks: webhooks)

        return (
            [
                BenchmarkFigure(
                    operation: "verify --all, structural (pairs, every core)", curve: .secp256k1,
                    operationsPerSecond: structuralRate,
                    floor:
                        "per pair, curves half and half: 1 variable-base multiplication, and its wallet's active signing "
                        + "generation: 1 variable-base multiplication (one core)",
                    floorOperationsPerSecond: structuralFloor),
                BenchmarkFigure(
                    operation: "verify --all --custodian (pairs, every core)", curve: .secp256k1,
                    operationsPerSecond: custodianRate,
                    floor: "per pair, curves half and half: the structural floor, 1 scalar-base multiplication and "
                        + "1 XChaCha20-Poly1305 open (one core)",
                    floorOperationsPerSecond: custodianFloor),
            ]
                + deepRates.map { label, rate, floor, floorName in
                    BenchmarkFigure(
                        operation: "verify --all --deep (pairs, \(label))", curve: .secp256k1,
                        operationsPerSecond: rate, floor: floorName, floorOperationsPerSecond: floor)
                } + [
                    BenchmarkFigure(
                        operation: "drill (pairs, every core)", curve: .secp256k1, operationsPerSecond: drillRate,
                        floor:
                            "per pair, curves half and half: 8 scalar-base and 4 variable-base multiplications (the deep "
                            + "floor, 2 re-share dealings, a 2-party FROST signature), 2 opens, 1 signature verification (one core)",
                        floorOperationsPerSecond: drillFloor),
                    BenchmarkFigure(
                        operation:
                            "rekey (custodian shares, every core; \(rekey.webhooks) webhooks arrived meanwhile at "
                            + "\(Int(rekey.webhookRate))/s; then live custodian shares opened under the new key: "
                            + "\(rekey.passed) of \(rekey.checked))",
                        curve: .secp256k1, operationsPerSecond: rekey.rate,
                        floor: "per share: 1 XChaCha20-Poly1305 open and 1 seal of its custodian share (one core)",
                        floorOperationsPerSecond: rekey.floor),
                    BenchmarkFigure(
                        operation: "create (wallets into a file vault)", curve: .secp256k1,
                        operationsPerSecond: createRate,
                        floor:
                            "per client's two wallets: 10 scalar-base multiplications, 3 XChaCha20-Poly1305 seals (2 custodian halves, "
                            + "1 client ciphertext for both curves), 1 fsync'd key file",
                        floorOperationsPerSecond: floor),
                    BenchmarkFigure(
                        operation: "ingest custodian webhook (durable commit)", curve: .secp256k1,
                        operationsPerSecond: ingestRate,
                        floor: "per webhook: 1 scalar-base multiplication, 1 seal, 1 durable SQLite commit",
                        floorOperationsPerSecond: ingestFloor),
                ], vaultPath
        )
    }

    /// What the rekey figure found.
    struct RekeyMeasure {
        var rate: Double
        var floor: Double
        var webhooks: Int
        var webhookRate: Double
        var checked: Int
        var passed: Int
    }

    /// Rekeys the bench vault (every custodian share, live and in history) while `webhooks` new webhooks arrive
    /// through a second opening of the vault made with the old key, then verifies every pair under the new key.
    private static func measureRekey(vault: Vault, vaultPath: String, directory: String, webhooks: Int) async throws
        -> RekeyMeasure
    {
        let bodies = try (0..<webhooks).map { index in try webhookBody(clientId: "bench-rekey-\(index)") }
        let intake = try Vault.open(at: vaultPath, needsKey: true)
        let newKey = (directory as NSString).appendingPathComponent("rekeyed.key")
        try settle(vault, nil)
        let floor = try floorForRekey()
        let clock = ContinuousClock()
        let start = clock.now
        async let arrivals: Duration = {
            let arrivalStart = clock.now
            for body in bodies { _ = try await intake.ingestCustodian(body) }
            return clock.now - arrivalStart
        }()
        let report = try await vault.rekey(to: .file(at: newKey, passphrase: nil))
        let rekeySeconds = (clock.now - start).inSeconds
        let arrivalSeconds = try await arrivals.inSeconds
        // Every live custodian share, the webhooks' included, must open under the new key.
        let rekeyed = try Vault.open(at: vaultPath, keyPath: newKey, needsKey: true)
        var (checked, opened): (Int, Int) = (0, 0)
        var after: Int64 = 0
        while case let pairs = try await rekeyed.store.livePairs(after: after, limit: 5_000, clientId: nil),
            let last = pairs.last
        {
            checked += pairs.count
            opened += pairs.filter { (try? rekeyed.openCustodianShare($0)) != nil }.count
            after = last.identity.pairId
        }
        return RekeyMeasure(
            rate: Double(report.resealed) / rekeySeconds, floor: floor, webhooks: webhooks,
            webhookRate: Double(webhooks) / arrivalSeconds, checked: checked, passed: opened)
    }

    /// Per share: one open under the old key and one seal under the new, of a custodian share's size.
    private static func floorForRekey() throws -> Double {
        let old = SecureBytes.random(count: 32)
        let new = SecureBytes.random(count: 32)
        let sealed = XChaCha20Poly1305.seal(SecureBytes.random(count: 500), key: old, associatedData: [1])
        return floorRate(seconds: 0.3) {
            if let opened = try? XChaCha20Poly1305.open(sealed, key: old, associatedData: [1]) {
                _ = XChaCha20Poly1305.seal(opened, key: new, associatedData: [2])
            }
        }
    }

    private static func deepFloorName(threads: Int) -> String {
        "per pair, curves half and half as in the vault: 3 scalar-base multiplications, 1 point addition, "
            + "2 XChaCha20-Poly1305 opens, 1 key-file read, and the wallet's active signing generation: 1 variable-base "
            + "multiplication ("
            + (threads == 1 ? "one core)" : "\(threads) threads at once, one per core, rates summed)")
    }

    /// Readies a timed verification: the vault's log is checkpointed (a `sharevault` process starts from a
    /// checkpointed vault, the last one having closed it), what `create` left for the disk is flushed so that its
    /// writeback does not share the CPU with the run, and every key file of the store is read once so that the
    /// run finds them in the page cache.
    private static func settle(_ vault: Vault, _ keyStore: DirectoryKeyStore?) throws {
        try vault.checkpoint()
        sync()
        guard let keyStore else { return }
        for name in try FileManager.default.contentsOfDirectory(atPath: keyStore.directory) where name.hasSuffix(".key")
        {
            _ = try SecretFile.readBytes(at: (keyStore.directory as NSString).appendingPathComponent(name), limit: 32)
        }
    }

    /// A custodian webhook body for a fresh 2-of-2 secp256k1 wallet (native share document).
    public static func webhookBody(clientId: String) throws -> Data {
        let dealing = try Dealing<Secp256k1>.split(
            secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
        let share = ShareDocument.documents(for: dealing)[1].exportJSON()
        return WebhookBody.encoded(clientId: clientId, share: share, backupMethod: "GDRIVE-SECP256K1")
            .withUnsafeBytes { Data($0) }
    }

    /// The raw calls one client's two wallets cannot avoid (one on each curve, one client ciphertext serving
    /// both), timed one after another; reported in wallets per second.
    private static func floorForCreate(in directory: String) throws -> Double {
        let secp = (0..<5).map { _ in Scalar<Secp256k1>.random() }
        let edwards = (0..<5).map { _ in Scalar<Ed25519>.random() }
        let key = SecureBytes.random(count: 32)
        let plaintext = SecureBytes.random(count: 400)
        let twoCurvePlaintext = SecureBytes.random(count: 900)
        var round = 0
        var failure: (any Error)?
        let rate =
            2
            * floorRate(seconds: 0.5) {
                for scalar in secp { _ = Secp256k1.baseMultiply(scalar) }
                for scalar in edwards { _ = Ed25519.baseMultiply(scalar) }
                // The two custodian halves, and the one client ciphertext (both curves) with its key file.
                _ = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: [1])
                _ = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: [2])
                _ = XChaCha20Poly1305.seal(twoCurvePlaintext, key: key, associatedData: [3])
                round += 1
                let path = (directory as NSString).appendingPathComponent("floor-\(round)")
                do {
                    try key.withUnsafeBytes {
                        try PrivateFile.create(at: path, contents: $0, alreadyExists: .fileExists(path: path))
                    }
                } catch {
                    failure = error
                }
                unlink(path)
            }
        if let failure { throw failure }
        return rate
    }

    /// One base multiplication, one seal and one durable commit: a row written to a scratch database beside the
    /// vault, opened as the vault is (WAL, `synchronous = FULL`).
    private static func floorForIngest(in directory: String) throws -> Double {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let path = (directory as NSString).appendingPathComponent("floor.db")
        let database = try DatabasePool(path: path, configuration: configuration)
        try database.write { db in try db.execute(sql: "CREATE TABLE floor (id INTEGER PRIMARY KEY, value BLOB)") }
        let scalar = Scalar<Secp256k1>.random()
        let key = SecureBytes.random(count: 32)
        let plaintext = SecureBytes.random(count: 400)
        var failure: (any Error)?
        let rate = floorRate(seconds: 0.5) {
            _ = Secp256k1.baseMultiply(scalar)
            let sealed = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: [1])
            do {
                try database.write { db in
                    try db.execute(sql: "INSERT INTO floor (value) VALUES (?)", arguments: [Data(sealed)])
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return rate
    }

    /// A floor's rate: the best of three rounds sharing `seconds`, so that a moment of noise on the machine
    /// does not make a floor look cheaper to reach than it is.
    private static func floorRate(seconds: Double, _ body: () -> Void) -> Double {
        (0..<3).map { _ in ShareMathBenchmark.measure(seconds: seconds / 3, body) }.reduce(0, max)
    }

    // The floors below do one pair's unavoidable work on each curve per round, as the bench vault holds
    // both curves half and half, and report pairs per second on one core.

    /// The commitment check a structural verification makes per pair (Horner in the exponent, t = 2).
    private static func floorForStructuralVerify() throws -> Double {
        let secp = (Secp256k1.baseMultiply(.random()), Scalar<Secp256k1>.random())
        let edwards = (Ed25519.baseMultiply(.random()), Scalar<Ed25519>.random())
        let signing = [signingGenerationWork(Secp256k1.self), signingGenerationWork(Ed25519.self)]
        return 2
            * floorRate(seconds: 0.3) {
                _ = Secp256k1.multiply(secp.0, secp.1)
                _ = Ed25519.multiply(edwards.0, edwards.1)
                for work in signing { work() }
            }
    }

    /// Per wallet (the bench vault has one pair per wallet): its active signing generation's check,
    /// `C + (C − D)·w == X`: one variable-base multiplication, a subtraction and an addition.
    static func signingGenerationWork<C: Curve>(_ curve: C.Type) -> () -> Void {
        let points = [C.baseMultiply(.random()), C.baseMultiply(.random())]
        let weight = Scalar<C>.random()
        return { _ = C.add(points[0], C.multiply(C.subtract(points[0], points[1]), weight)) }
    }

    /// The structural floor plus what opening a custodian half cannot avoid: one open and `s_s·G`.
    static func floorForCustodianVerify() throws -> Double {
        let secp = (Secp256k1.baseMultiply(.random()), Scalar<Secp256k1>.random())
        let edwards = (Ed25519.baseMultiply(.random()), Scalar<Ed25519>.random())
        let key = SecureBytes.random(count: 32)
        let sealed = XChaCha20Poly1305.seal(SecureBytes.random(count: 500), key: key, associatedData: [1])
        let signing = [signingGenerationWork(Secp256k1.self), signingGenerationWork(Ed25519.self)]
        return 2
            * floorRate(seconds: 0.3) {
                for work in signing { work() }
                _ = Secp256k1.multiply(secp.0, secp.1)
                _ = Secp256k1.baseMultiply(secp.1)
                _ = try? XChaCha20Poly1305.open(sealed, key: key, associatedData: [1])
                _ = Ed25519.multiply(edwards.0, edwards.1)
                _ = Ed25519.baseMultiply(edwards.1)
                _ = try? XChaCha20Poly1305.open(sealed, key: key, associatedData: [1])
            }
    }

    /// Per pair: the custodian's public share `s_s·G`, the offset that takes it to the wallet's key, and the
    /// line's slope times G for the second commitment (three fixed-base multiplications), and the addition of
    /// the first two, which gives the key without forming it as a scalar.
    static func deepCurveWork<C: Curve>(_ curve: C.Type) -> () -> Void {
        let scalars = [Scalar<C>.random(), .random(), .random()]
        return {
            let points = scalars.map { C.baseMultiply($0) }
            _ = C.add(points[0], points[1])
        }
    }

    /// What a deep verification cannot avoid per pair, timed in sequence on each of `threads` threads at once
    /// (their rates summed): on one, the floor of a one-core run; on every core, what the machine itself gives
    /// when all its cores do this work together.
    private static func floorForDeepVerify(in directory: String, threads: Int = 1) async throws -> Double {
        let key = SecureBytes.random(count: 32)
        let sealed = XChaCha20Poly1305.seal(SecureBytes.random(count: 500), key: key, associatedData: [1])
        let keyPath = (directory as NSString).appendingPathComponent("floor.key")
        try key.withUnsafeBytes {
            try PrivateFile.create(at: keyPath, contents: $0, alreadyExists: .fileExists(path: keyPath))
        }
        defer { unlink(keyPath) }
        // One task per thread, all at once: each does the work in sequence, and the machine's rate is their sum.
        return try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<threads {
                group.addTask {
                    let curveWork = [deepCurveWork(Secp256k1.self), deepCurveWork(Ed25519.self)]
                    let signing = [signingGenerationWork(Secp256k1.self), signingGenerationWork(Ed25519.self)]
                    var failed = false
                    let rate =
                        2
                        * floorRate(seconds: 0.5) {
                            for work in signing { work() }
                            for work in curveWork {
                                work()
                                for _ in 0..<2 {
                                    failed =
                                        failed
                                        || (try? XChaCha20Poly1305.open(sealed, key: key, associatedData: [1])) == nil
                                }
                                failed = failed || (try? SecretFile.readBytes(at: keyPath, limit: 32)) == nil
                            }
                        }
                    if failed { throw SealingError.authenticationFailed }
                    return rate
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// The deep floor's group work plus what a drill adds: two dealings' commitments and the signature's
    /// base multiplications, and one verification by the curve's own verifier.
    private static func floorForDrill() throws -> Double {
        let key = SecureBytes.random(count: 32)
        let sealed = XChaCha20Poly1305.seal(SecureBytes.random(count: 500), key: key, associatedData: [1])
        let curveWork = [
            try drillCurveWork(FROSTSecp256k1BIP340.self), try drillCurveWork(FROSTEd25519SHA512.self),
        ]
        return 2
            * floorRate(seconds: 0.5) {
                for work in curveWork {
                    work()
                    for _ in 0..<2 { _ = try? XChaCha20Poly1305.open(sealed, key: key, associatedData: [1]) }
                }
            }
    }

    static func drillCurveWork<Suite: FROSTCiphersuite>(_ suite: Suite.Type) throws -> () -> Void {
        typealias C = Suite.C
        let scalars = (0..<8).map { _ in Scalar<C>.random() }
        let point = C.baseMultiply(.random())
        let dealing = try Dealing<C>.split(secret: scalars[0], threshold: 2, count: 2)
        let message = [UInt8](repeating: 7, count: 32)
        let signature = FROST<Suite>.sign(dealing.shares, publicKey: dealing.publicKey, message: message)
        return {
            for scalar in scalars { _ = C.baseMultiply(scalar) }
            for scalar in scalars.prefix(4) { _ = C.multiply(point, scalar) }
            _ = Suite.verify(signature: signature, message: message, publicKey: dealing.publicKey)
        }
    }
}
