/// One of `count` shards of a vault's pairs (`verify --shard K/N`): N processes, on N machines, each verify the
/// pairs (and the wallets' signing generations) whose id a stable hash puts in their shard, so that together they
/// check every one exactly once. The hash is SplitMix64's finaliser of the row id: fixed, the same on every
/// machine and release, and it spreads ids made in order (two curves' pairs, one after the other) evenly.
public struct VerificationShard: Sendable, Equatable, CustomStringConvertible {
    /// 1 through `count`.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(VaultError) {
        guard count >= 1, count <= 1_000_000, (1...count).contains(index) else {
            throw .invalidShard("\(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Reads `K/N`, as in `3/8`.
    public init(parsing text: String) throws(VaultError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ (1...7).contains($0.utf8.count) && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let index = Int(parts[0]), let count = Int(parts[1])
        else { throw .invalidShard(text) }
        try self.init(index: index, count: count)
    }

    /// Whether the row `id` (a backup pair's, or a signing pair's) is this shard's.
    public func contains(_ id: Int64) -> Bool {
        Int(Self.mix(UInt64(bitPattern: id)) % UInt64(count)) == index - 1
    }

    public var description: String { "\(index)/\(count)" }

    /// SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
