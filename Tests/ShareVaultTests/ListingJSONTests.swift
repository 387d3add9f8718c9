import Foundation
import PropertyBased
import ShareMath
import Testing

@testable import ShareVault

/// `list --json`'s lines are written by hand for speed; they must be the bytes Foundation's encoder writes.
@Suite struct ListingJSONTests {
    /// Characters a stored client id, method or outcome could hold: controls, quotes, slashes, non-ASCII.
    static let pool: [Character] = [
        "a", "Z", "0", "-", "_", ".", " ", "/", "\\", "\"", "'", "<", "é", "𝄞", "\u{0}", "\u{1}", "\u{8}", "\u{9}",
        "\u{a}", "\u{c}", "\u{d}", "\u{1f}", "\u{7f}", "\u{2028}",
    ]

    static func text(_ picks: [Int]) -> String { String(picks.map { pool[$0 % pool.count] }) }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(VaultClock.format(date))
        }
        return encoder
    }

    /// A listed pair with its stale reasons, as the encoder would write it.
    struct StaleListed: Encodable {
        let pair: PairSummary
        let staleReasons: [StaleReason]

        enum CodingKeys: String, CodingKey { case staleReasons }

        func encode(to encoder: any Encoder) throws {
            try pair.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(staleReasons, forKey: .staleReasons)
        }
    }

    @Test func theHandWrittenLineIsTheEncodersBytes() async throws {
        let picks = Gen.int(in: 0...1000).array(of: 0...12)
        let milliseconds = Gen.int(in: 0...7_258_118_400_000)
        let optional = Gen.int(in: 0...255)
        await propertyCheck(count: 500, input: picks, picks, milliseconds, optional) { client, method, time, mask in
            let date = Date(timeIntervalSince1970: Double(time) / 1000)
            func maybe<T>(_ bit: Int, _ value: T) -> T? { mask & (1 << bit) != 0 ? value : nil }
            let summary = PairSummary(
                pairId: Int64(time % 1_000_000), clientId: Self.text(client),
                curve: mask % 2 == 0 ? .secp256k1 : .ed25519,
                publicKey: Hex.encode(Array(repeating: UInt8(time % 256), count: 33)), address: Self.text(method),
                method: BackupMethod(name: Self.text(method), curve: maybe(0, CurveID.ed25519)),
                status: BackupStatus.allCases[time % 3], completed: mask & 2 != 0, live: mask & 4 != 0,
                createdAt: date, updatedAt: date.addingTimeInterval(1.5), replacedAt: maybe(3, date),
                generation: maybe(4, time % 7), lastVerifiedAt: maybe(5, date),
                lastVerifiedOutcome: maybe(
                    5, CheckOutcome.failed(PairProblem.allCases[time % PairProblem.allCases.count])),
                lastDrilledAt: maybe(6, date.addingTimeInterval(-86_400)),
                lastDrilledOutcome: maybe(7, CheckOutcome.passed))
            let encoded = String(decoding: try Self.encoder().encode(summary), as: UTF8.self)
            #expect(summary.jsonObject == encoded)
            let reasons = StaleReason.allCases.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            let staleEncoded = String(
                decoding: try Self.encoder().encode(StaleListed(pair: summary, staleReasons: reasons)), as: UTF8.self)
            #expect(summary.jsonObject(staleReasons: reasons) == staleEncoded)
        }
    }
}
