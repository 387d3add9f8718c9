import ArgumentParser
import ShareMath
import ShareVault

extension SharevaultCommand {
    /// `sharevault demo`: the main job on an embedded default.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the share math end to end on both curves, with nothing to set up.",
            discussion: "Exits 1 if any step's check fails."
        )

        @OptionGroup var output: OutputOptions

        func run() async throws {
            var steps: [ShareMathDemo.Step] = []
            for curve in CurveID.allCases { steps += try ShareMathDemo.run(curve: curve) }
            if output.json {
                try Terminal.printJSON(steps)
            } else {
                for step in steps { print("[\(step.passed ? " ok " : "FAIL")] \(step.curve): \(step.step)") }
            }
            if steps.contains(where: { !$0.passed }) { throw CommandFailure(status: .problemFound, message: "") }
        }
    }
}
