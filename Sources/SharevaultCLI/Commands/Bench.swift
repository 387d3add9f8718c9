import ArgumentParser
import Foundation
import ShareMath
import ShareVault
import ShareVaultServer
import SharevaultBench

extension SharevaultCommand {
    /// `sharevault bench`: measured speed, each figure beside the raw library calls it cannot avoid.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the toolkit's speed next to the raw library calls it is built on.",
            discussion: """
                Each figure is printed with the rate of its floor, the libsecp256k1 or libsodium call it cannot \
                avoid, measured in the same run, and the ratio between them.
                """
        )

        @Option(help: "Curves to measure (repeat the option for several; default both).")
        var curve: [CurveID] = CurveID.allCases

        @Option(help: "Seconds to spend on each share-math figure.")
        var seconds: Double = 0.5

        @Option(help: "Wallets to create for the vault figures (0 skips them).")
        var wallets: Int = 100_000

        @Option(help: "Custodian webhooks to ingest for the vault figures.")
        var webhooks: Int = 2_000

        @Option(help: "Webhooks to deliver over loopback HTTP to a running intake (0 skips the figure).")
        var deliveries: Int = 5_000

        @Option(help: "Deliveries in flight at once.")
        var concurrency: Int = 32

        @Option(
            help: ArgumentHelp(
                "A PostgreSQL server to measure the vault on too, as postgres://USER@HOST:PORT/DATABASE (the role makes and drops throwaway databases; its password from $PGPASSWORD).",
                valueName: "url"))
        var postgres: String?

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
            guard (0...1_000_000).contains(wallets) else { throw ValidationError("--wallets must be in 0...1000000") }
            guard (1...1_000_000).contains(webhooks) else { throw ValidationError("--webhooks must be in 1...1000000") }
            guard (0...1_000_000).contains(deliveries) else {
                throw ValidationError("--deliveries must be in 0...1000000")
            }
            guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be in 1...1024") }
        }

        func run() async throws {
            var figures: [BenchmarkFigure] = []
            for curve in curve {
                let measured = ShareMathBenchmark.run(curve: curve, seconds: seconds)
                figures += measured
                if !output.json { printTable(measured) }
            }
            var listing: ListingFigure?
            var smallListing: ListingFigure?
            if wallets > 0 {
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("sharevault-bench-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let (vaultFigures, vaultPath) = try await VaultBenchmark.run(
                    in: directory, wallets: wallets, webhooks: webhooks)
                figures += vaultFigures
                // The wallets, the webhooks ingested, and as many again delivered during the rekey.
                listing = try ListingFigure.measure(vaultPath: vaultPath, pairs: wallets / 2 * 2 + 2 * webhooks)
                // The same listing over a vault ten times smaller: the rate holds and the memory stays flat.
                let smallPath = (directory as NSString).appendingPathComponent("small.db")
                let small = try await Vault.create(at: smallPath)
                _ = try await small.create(
                    clientIds: (1...max(1, wallets / 20)).map { "small-\($0)" }, curves: CurveID.allCases,
                    methods: [try BackupMethod(parsing: "GDRIVE")],
                    keyStores: BackupKeyStores(
                        directory: try DirectoryKeyStore(directory: directory + "/small-keys", create: true),
                        password: nil))
                try small.checkpoint()
                smallListing = try ListingFigure.measure(vaultPath: smallPath, pairs: max(1, wallets / 20) * 2)
                if !output.json {
                    print("vault (\(wallets) wallets, \(webhooks) webhooks):")
                    for figure in vaultFigures {
                        print(
                            "  \(figure.operation): \(format(figure.operationsPerSecond))/s; floor \(format(figure.floorOperationsPerSecond))/s "
                                + "(\(figure.floor)) = \(String(format: "%.2f", figure.costInFloorOperations)) x floor")
                    }
                    for listing in [listing, smallListing].compactMap({ $0 }) {
                        print(
                            "  list --json over \(listing.pairs) pairs (goal 100000/s, memory flat): "
                                + "\(String(format: "%.2f", listing.seconds)) s, \(format(listing.pairsPerSecond)) pairs/s; "
                                + "floor \(format(listing.floorRowsPerSecond))/s (the listing's query stepped by SQLite alone) = "
                                + "\(String(format: "%.2f", listing.floorRowsPerSecond / listing.pairsPerSecond)) x floor; "
                                + "peak memory \(listing.peakMemoryKiB / 1024) MiB")
                    }
                    print("  bench process peak memory \(PeakMemory.ownKiB() / 1024) MiB")
                }
            }
            var intake: IntakeBenchmark?
            var intakeUngrouped: IntakeBenchmark?
            if deliveries > 0 {
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("sharevault-intake-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                // The same load on two fresh vaults: with group commit, then with a commit per delivery.
                let grouped = try await Vault.create(at: directory + "/grouped.db")
                intake = try await IntakeBenchmark.run(
                    vault: grouped, deliveries: deliveries, concurrency: concurrency)
                let alone = try await Vault.create(at: directory + "/alone.db").withIntakeBatches(ofAtMost: 1)
                intakeUngrouped = try await IntakeBenchmark.run(
                    vault: alone, deliveries: deliveries, concurrency: concurrency)
                if let intake, let intakeUngrouped, !output.json {
                    print(
                        "intake over loopback HTTP (\(intake.deliveries) webhooks, \(intake.concurrency) in flight, durable commits; "
                            + "goal 3000/s, p99 under 50 ms):")
                    printIntake("group commit", intake)
                    printIntake("a commit per delivery", intakeUngrouped)
                }
            }
            var postgresReport: PostgresBenchmark.Report?
            if let postgres {
                let server = try PostgresURL(
                    parsing: postgres, password: ProcessInfo.processInfo.environment["PGPASSWORD"])
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("sharevault-postgres-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let report = try await PostgresBenchmark.run(
                    server: server, wallets: wallets, deliveries: max(deliveries, 1), concurrency: concurrency,
                    executable: Bundle.main.executablePath ?? CommandLine.arguments[0], in: directory)
                postgresReport = report
                if !output.json { printPostgres(report) }
            }
            if output.json {
                try Terminal.printJSON(
                    BenchReport(
                        figures: figures, listing: listing, smallListing: smallListing, intake: intake,
                        intakeOneCommitEach: intakeUngrouped,
                        postgres: postgresReport))
            }
        }

        private func printIntake(_ label: String, _ intake: IntakeBenchmark) {
            let latency = intake.latencyMilliseconds
            let perCommit = intake.deliveriesPerCommit.map { " (\(String(format: "%.1f", $0)) per commit)" } ?? ""
            print(
                "  \(label): \(format(intake.deliveriesPerSecond)) deliveries/s\(perCommit); latency ms "
                    + "p50 \(String(format: "%.1f", latency["p50"] ?? 0)), p90 \(String(format: "%.1f", latency["p90"] ?? 0)), "
                    + "p99 \(String(format: "%.1f", latency["p99"] ?? 0)), max \(String(format: "%.1f", latency["max"] ?? 0)); "
                    + "\(intake.failures) failed; \(String(format: "%.2f", intake.cpuMillisecondsPerDelivery)) ms of CPU per delivery "
                    + "(intake and load generator, \(String(format: "%.1f", intake.cpuMillisecondsPerDelivery * intake.deliveriesPerSecond / 1000)) cores busy)"
            )
        }

        private func printPostgres(_ report: PostgresBenchmark.Report) {
            print("PostgreSQL (\(report.oneIntake.deliveries) webhooks, \(report.oneIntake.concurrency) in flight):")
            print("  floor: PostgreSQL's durable one-row commits, 8 connections: \(format(report.commitFloor))/s")
            for (label, intake) in [
                ("one intake", report.oneIntake), ("two serve processes", report.twoServeProcesses),
            ] {
                let latency = intake.latencyMilliseconds
                print(
                    "  \(label): \(format(intake.deliveriesPerSecond)) deliveries/s = "
                        + "\(String(format: "%.2f", report.commitFloor / intake.deliveriesPerSecond)) x floor; latency ms "
                        + "p50 \(String(format: "%.1f", latency["p50"] ?? 0)), p99 \(String(format: "%.1f", latency["p99"] ?? 0)); "
                        + "\(intake.failures) failed")
            }
            let figure = report.custodianVerify
            print(
                "  \(figure.operation): \(format(figure.operationsPerSecond))/s; floor \(format(figure.floorOperationsPerSecond))/s "
                    + "(\(figure.floor)) = \(String(format: "%.2f", figure.costInFloorOperations)) x floor")
        }

        private func printTable(_ figures: [BenchmarkFigure]) {
            guard let first = figures.first else { return }
            print("\(first.curve): floor \(first.floor) \(format(first.floorOperationsPerSecond)) ops/s")
            for figure in figures {
                let name = figure.operation.padding(toLength: 40, withPad: " ", startingAt: 0)
                print(
                    "  \(name) \(format(figure.operationsPerSecond).leftPadded(12)) ops/s  "
                        + "= \(String(format: "%.2f", figure.costInFloorOperations)) x floor")
            }
        }

        private func format(_ rate: Double) -> String { String(format: "%.0f", rate) }
    }

    struct BenchReport: Encodable {
        struct Figure: Encodable {
            let operation: String
            let curve: CurveID
            let operationsPerSecond: Double
            let floor: String
            let floorOperationsPerSecond: Double
            let costInFloorOperations: Double
        }
        let figures: [Figure]
        let listing: ListingFigure?
        /// The same listing over a vault ten times smaller.
        let smallListing: ListingFigure?
        let intake: IntakeBenchmark?
        let intakeOneCommitEach: IntakeBenchmark?
        let postgres: PostgresBenchmark.Report?

        init(
            figures: [BenchmarkFigure], listing: ListingFigure?, smallListing: ListingFigure?, intake: IntakeBenchmark?,
            intakeOneCommitEach: IntakeBenchmark?, postgres: PostgresBenchmark.Report?
        ) {
            self.listing = listing
            self.smallListing = smallListing
            self.intake = intake
            self.intakeOneCommitEach = intakeOneCommitEach
            self.postgres = postgres
            self.figures = figures.map {
                Figure(
                    operation: $0.operation, curve: $0.curve, operationsPerSecond: $0.operationsPerSecond,
                    floor: $0.floor, floorOperationsPerSecond: $0.floorOperationsPerSecond,
                    costInFloorOperations: $0.costInFloorOperations)
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
