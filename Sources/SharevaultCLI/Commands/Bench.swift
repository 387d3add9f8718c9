import ArgumentParser
import Foundation
import ShareMath
import ShareVault

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

        @Option(help: "Seconds to spend on each figure.")
        var seconds: Double = 0.5

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
        }

        func run() async throws {
            var figures: [BenchmarkFigure] = []
            for curve in curve {
                let measured = ShareMathBenchmark.run(curve: curve, seconds: seconds)
                figures += measured
                if !output.json { printTable(measured) }
            }
            if output.json { try Terminal.printJSON(BenchReport(figures: figures)) }
        }

        private func printTable(_ figures: [BenchmarkFigure]) {
            guard let first = figures.first else { return }
            print("\(first.curve): floor \(first.floor) \(format(first.floorOperationsPerSecond)) ops/s")
            for figure in figures {
                let name = figure.operation.padding(toLength: 40, withPad: " ", startingAt: 0)
                print("  \(name) \(format(figure.operationsPerSecond).leftPadded(12)) ops/s  "
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

        init(figures: [BenchmarkFigure]) {
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
