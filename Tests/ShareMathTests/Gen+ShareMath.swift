import PropertyBased
import ShareMath

/// One sharing to test, drawn whole from generator output: a threshold and count with
/// `2 <= threshold <= count`, a secret (four words), identifiers and an order to pick shares in.
struct SharingCase: Sendable, CustomStringConvertible {
    let threshold: Int
    let count: Int
    /// The secret's four words (see `Curve.scalar(words:)`).
    let secretWords: [UInt64]
    /// Distinct nonzero identifiers, or nil for the defaults 1...count.
    let customIdentifiers: [UInt64]?
    /// A random permutation of `0..<count`: a prefix of it is a random subset in a random order.
    let order: [Int]

    var description: String {
        let identifiers = customIdentifiers.map { "\($0)" } ?? "1...\(count)"
        return "\(threshold)-of-\(count), identifiers \(identifiers), order \(order), secret words \(secretWords)"
    }

    func secret<C: Curve>(_: C.Type) throws(ShareMathError) -> Scalar<C> { try C.scalar(words: secretWords) }

    func identifiers<C: Curve>(_: C.Type) -> [Scalar<C>] {
        customIdentifiers.map { $0.map { C.element($0) } } ?? Shamir<C>.defaultIdentifiers(count: count)
    }

    /// `k` of `items` (which has `count` elements), chosen and ordered by `order`.
    func pick<T>(_ k: Int, of items: [T]) -> [T] {
        precondition(items.count == count && k <= count)
        return order.prefix(k).map { items[$0] }
    }
}

/// A re-sharing to test: the old sharing, the new identifiers and threshold (`new`, whose secret words
/// serve as a wrong share value), and which old share to corrupt.
struct ResharingCase: Sendable, CustomStringConvertible {
    let old: SharingCase
    let new: SharingCase
    let wrongHolder: Int

    var description: String { "old \(old); new \(new); wrong holder #\(wrongHolder)" }
}

/// Where to flip one bit of a share's 64-byte encoding (identifier then value).
struct Tampering: Sendable, CustomStringConvertible {
    let sharing: SharingCase
    let shareIndex: Int
    let byteIndex: Int
    let bit: Int

    var description: String { "\(sharing); share #\(shareIndex), byte \(byteIndex), bit \(bit)" }
}

/// Generators for the share math's property tests.
enum ShareMathGen {
    /// Four words for a scalar, not all zero.
    static var scalarWords: Generator<[UInt64], some SendableSequenceType> {
        Gen.uint64().array(of: 4).filter { $0.contains { $0 != 0 } }
    }

    /// Sharings with a count in `counts` (lower bound at least 2) and a threshold in `2...count`.
    static func sharing(counts: ClosedRange<Int>) -> Generator<SharingCase, some SendableSequenceType> {
        precondition(counts.lowerBound >= 2)
        let most = counts.upperBound
        return zip(
            Gen.int(in: counts),
            Gen.uint64(),
            scalarWords,
            Gen.bool,
            Gen.uint64(in: 1...UInt64.max).array(of: most),
            Gen<[Int]>.shuffled(Array(0..<most))
        ).compactMap { drawn -> SharingCase? in
            let (count, thresholdDraw, words, useDefaults, identifiers, permutation) = drawn
            let custom = Array(identifiers.prefix(count))
            guard Set(custom).count == count else { return nil }  // identifiers must be distinct
            return SharingCase(
                threshold: 2 + Int(thresholdDraw % UInt64(count - 1)),
                count: count,
                secretWords: words,
                customIdentifiers: useDefaults ? nil : custom,
                order: permutation.filter { $0 < count })
        }
    }

    static func resharing(counts: ClosedRange<Int>) -> Generator<ResharingCase, some SendableSequenceType> {
        zip(sharing(counts: counts), sharing(counts: counts), Gen.int(in: 0...(counts.upperBound - 1)))
            .map { drawn in ResharingCase(old: drawn.0, new: drawn.1, wrongHolder: drawn.2) }
    }

    static func tampering(counts: ClosedRange<Int>) -> Generator<Tampering, some SendableSequenceType> {
        zip(sharing(counts: counts), Gen.int(in: 0...(counts.upperBound - 1)), Gen.int(in: 0...63), Gen.int(in: 0...7))
            .map { drawn in
                Tampering(sharing: drawn.0, shareIndex: drawn.1 % drawn.0.count, byteIndex: drawn.2, bit: drawn.3)
            }
    }

    /// Between `counts` distinct nonzero identifiers.
    static func identifiers(counts: ClosedRange<Int>) -> Generator<[UInt64], some SendableSequenceType> {
        Gen.uint64(in: 1...UInt64.max).array(of: counts).filter { Set($0).count == $0.count }
    }
}
