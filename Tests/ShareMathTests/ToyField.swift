import ShareMath

/// The modulus of a toy prime field.
protocol ToyModulus: Sendable {
    static var p: Int { get }
}

enum Modulus11: ToyModulus { static var p: Int { 11 } }
enum Modulus5: ToyModulus { static var p: Int { 5 } }

/// Integers mod a small prime: small enough to enumerate every secret and every choice of randomness,
/// so the generic Shamir code can be checked exhaustively.
struct ToyField<M: ToyModulus>: PrimeField {
    typealias Element = Int

    static var p: Int { M.p }

    static func add(_ a: Int, _ b: Int) -> Int { reduced(a + b) }
    static func subtract(_ a: Int, _ b: Int) -> Int { reduced(a - b) }
    static func multiply(_ a: Int, _ b: Int) -> Int { reduced(a * b) }

    /// `a^(p-2)` by Fermat's little theorem.
    static func inverse(_ a: Int) -> Int {
        precondition(reduced(a) != 0, "inverse of zero")
        var result = 1
        for _ in 0..<(p - 2) { result = multiply(result, a) }
        return result
    }

    static func isEqual(_ a: Int, _ b: Int) -> Bool { reduced(a) == reduced(b) }
    static func isZero(_ a: Int) -> Bool { reduced(a) == 0 }
    static func element(_ value: UInt64) -> Int { Int(value % UInt64(p)) }
    /// Nonzero, as the protocol asks of `random()`.
    static func random() -> Int { Int.random(in: 1..<p) }

    private static func reduced(_ a: Int) -> Int {
        let r = a % p
        return r < 0 ? r + p : r
    }
}

/// Enumerations for the exhaustive tests.
enum Enumerate {
    /// Every tuple of `length` elements of `0..<modulus`, `modulus^length` of them.
    static func tuples(length: Int, modulus: Int) -> [[Int]] {
        (0..<length).reduce([[]]) { partial, _ in partial.flatMap { prefix in (0..<modulus).map { prefix + [$0] } } }
    }

    /// Every `size`-element subset of `items`, in their order.
    static func subsets<T>(of items: [T], size: Int) -> [[T]] {
        if size == 0 { return [[]] }
        guard items.count >= size, let first = items.first else { return [] }
        let rest = Array(items.dropFirst())
        return subsets(of: rest, size: size - 1).map { [first] + $0 } + subsets(of: rest, size: size)
    }
}
