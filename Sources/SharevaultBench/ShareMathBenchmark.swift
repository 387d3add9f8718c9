import ShareMath
import ShareVault

/// One measured figure: an operation's rate next to the floor it cannot avoid, timed in the same run.
public struct BenchmarkFigure: Sendable, Encodable {
    /// What was measured, e.g. `split 2-of-2`.
    public let operation: String
    public let curve: CurveID
    public let operationsPerSecond: Double
    /// What the floor is, e.g. `scalar-base multiplication`.
    public let floor: String
    public let floorOperationsPerSecond: Double
    /// How many floor operations one operation costs (its time over the floor's).
    public var costInFloorOperations: Double { floorOperationsPerSecond / operationsPerSecond }
}

/// `sharevault bench`: rates of the share math, each beside the raw library call it is built on.
public enum ShareMathBenchmark {
    /// Measures split, verify, interpolate and re-share on `curve`, each for about `seconds`.
    public static func run(curve: CurveID, seconds: Double) -> [BenchmarkFigure] {
        switch curve {
        case .secp256k1: return run(Secp256k1.self, seconds: seconds)
        case .ed25519: return run(Ed25519.self, seconds: seconds)
        }
    }

    private static func run<C: Curve>(_ curve: C.Type, seconds: Double) -> [BenchmarkFigure] {
        let floorName = "scalar-base multiplication (\(C.id == .secp256k1 ? "libsecp256k1" : "libsodium"))"
        let scalars = (0..<64).map { _ in Scalar<C>.random() }
        var index = 0
        let floor = measure(seconds: seconds) {
            index = (index + 1) % scalars.count
            _ = C.baseMultiply(scalars[index])
        }
        // A 2-of-2 split of a random secret cannot fail; a failure here is a bug, not an input.
        guard let dealing = try? Dealing<C>.split(secret: .random(), threshold: 2, count: 2) else {
            preconditionFailure("a 2-of-2 split failed")
        }
        let publicShares = dealing.shares.map { (identifier: $0.identifier, point: C.baseMultiply($0.value)) }
        let operations: [(String, () -> Void)] = [
            (
                "split 2-of-2",
                { precondition((try? Dealing<C>.split(secret: scalars[0], threshold: 2, count: 2)) != nil) }
            ),
            ("verify one share", { precondition(dealing.commitments.verify(dealing.shares[0])) }),
            (
                "interpolate public shares to the key",
                {
                    precondition(Lagrange<C>.interpolateAtZero(publicShares: publicShares) == dealing.publicKey)
                }
            ),
            (
                "re-share 2-of-2 to 2-of-2",
                {
                    let reshared = try? Dealing<C>.reshare(
                        dealing.shares, threshold: 2, publicKey: dealing.publicKey,
                        to: dealing.shares.map(\.identifier), newThreshold: 2)
                    precondition(reshared != nil)
                }
            ),
        ]
        return operations.map { name, body in
            BenchmarkFigure(
                operation: name, curve: C.id, operationsPerSecond: measure(seconds: seconds, body),
                floor: floorName, floorOperationsPerSecond: floor)
        }
    }

    /// Runs `body` repeatedly for about `seconds` (at least 8 times) and returns its rate per second.
    static func measure(seconds: Double, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        let start = clock.now
        var iterations = 0
        while iterations < 8 || clock.now - start < budget {
            body()
            iterations += 1
        }
        let elapsed = clock.now - start
        let elapsedSeconds = elapsed / .seconds(1)
        return Double(iterations) / elapsedSeconds
    }
}
