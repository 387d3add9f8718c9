import PropertyBased
import Testing

@testable import ShareVault

/// `--shard K/N`: what is read, and the law that every id falls in exactly one shard of N.
@Suite struct VerificationShardTests {
    @Test(arguments: ["0/3", "4/3", "3", "3/", "/3", "1/0", "1/1000001", "-1/3", "+1/3", "1/3/5", "a/b", "1 /3", "١/٣"])
    func aMalformedOrOutOfRangeShardIsRefused(text: String) {
        #expect(throws: VaultError.invalidShard(text)) { _ = try VerificationShard(parsing: text) }
    }

    @Test func aShardReadsBackAsWritten() throws {
        #expect(try VerificationShard(parsing: "3/8") == VerificationShard(index: 3, count: 8))
        #expect(try VerificationShard(parsing: "1/1").description == "1/1")
    }

    @Test func everyIdFallsInExactlyOneShard() async {
        await propertyCheck(input: Gen.int64(in: 1...Int64.max), Gen.int(in: 1...64)) { id, count in
            let shards = (1...count).map { try! VerificationShard(index: $0, count: count) }
            #expect(shards.filter { $0.contains(id) }.count == 1)
        }
    }

    /// The hash is fixed, so memberships hold on every machine and release (a changed hash would make two
    /// releases' shards overlap on one night). Known answers: SplitMix64 seeded with 0 (Vigna's reference
    /// splitmix64.c) outputs 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f; its n-th output is the
    /// finaliser of (n - 1) times its increment.
    @Test func theHashIsSplitMix64() {
        let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
        #expect(VerificationShard.mix(0) == 0xE220_A839_7B1D_CDAF)
        #expect(VerificationShard.mix(increment) == 0x6E78_9E6A_A1B9_65F4)
        #expect(VerificationShard.mix(increment &* 2) == 0x06C4_5D18_8009_454F)
    }

    /// Ids made in order spread evenly: each of 8 shards holds 1/8 of 80,000 ids, within 3%.
    @Test func idsMadeInOrderSpreadEvenly() throws {
        let shards = try (1...8).map { try VerificationShard(index: $0, count: 8) }
        for shard in shards {
            let held = (1...80_000).filter { shard.contains(Int64($0)) }.count
            #expect(abs(held - 10_000) < 300, "\(shard): \(held)")
        }
    }
}
