import Foundation
import ShareMath

/// Why a pair needs attention in a nightly job (`list --stale`, `verify --max-age`).
public enum StaleReason: String, Sendable, Codable, CaseIterable, Comparable {
    case neverVerified = "never-verified"
    /// Last verified longer ago than the age allowed.
    case verificationTooOld = "verification-too-old"
    /// The last verification found a problem (`verify` reports which): the pair is not known good.
    case verificationFailed = "last-verification-failed"
    case neverDrilled = "never-drilled"
    /// Last drilled longer ago than the age allowed.
    case drillTooOld = "drill-too-old"
    /// The last drill failed.
    case drillFailed = "last-drill-failed"
    /// Still `STORED_CUSTODIAN_BACKUP_SHARE` a day after it was made: the client half never arrived.
    case clientHalfMissing = "client-half-missing"

    public static func < (lhs: StaleReason, rhs: StaleReason) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What counts as stale: not verified, or not drilled, with success within `days` of `now`; and a pair whose
/// client half has not arrived a day after it was made.
public struct StalenessPolicy: Sendable {
    /// The age allowed, in days.
    public let days: Double
    public let now: Date
    /// How long a pair may wait for its client half.
    public static let clientHalfGrace: TimeInterval = 86_400

    /// `days` as the CLI takes them: a non-negative number of days (fractions allowed).
    public init(days: Double, now: Date = Date()) {
        self.days = days
        self.now = now
    }

    /// The pair's reasons, in `StaleReason` order; empty when it is not stale.
    public func reasons(_ pair: PairSummary) -> [StaleReason] {
        var reasons: [StaleReason] = []
        let oldest = now.addingTimeInterval(-days * 86_400)
        // A check with only its time or only its outcome recorded counts as none, as in the report.
        if let verified = pair.lastVerifiedAt, let outcome = pair.lastVerifiedOutcome {
            if verified < oldest { reasons.append(.verificationTooOld) }
            if outcome != .passed { reasons.append(.verificationFailed) }
        } else {
            reasons.append(.neverVerified)
        }
        if let drilled = pair.lastDrilledAt, let outcome = pair.lastDrilledOutcome {
            if drilled < oldest { reasons.append(.drillTooOld) }
            if outcome != .passed { reasons.append(.drillFailed) }
        } else {
            reasons.append(.neverDrilled)
        }
        if Self.awaitsClientHalf(pair, now: now) { reasons.append(.clientHalfMissing) }
        return reasons
    }

    /// Still `STORED_CUSTODIAN_BACKUP_SHARE` `clientHalfGrace` after it was made: the client half never came (the
    /// report's figure too).
    public static func awaitsClientHalf(_ pair: PairSummary, now: Date) -> Bool {
        pair.status == .storedCustodianBackupShare && pair.createdAt < now.addingTimeInterval(-clientHalfGrace)
    }
}

/// A stale pair, as reports list it.
public struct StalePair: Sendable, Encodable {
    public let pairId: Int64
    public let clientId: String
    public let curve: CurveID
    /// The method, without a curve (see `curve`).
    public let method: BackupMethod
    public let reasons: [StaleReason]

    public init(_ pair: PairSummary, reasons: [StaleReason]) {
        pairId = pair.pairId
        clientId = pair.clientId
        curve = pair.curve
        method = pair.method
        self.reasons = reasons
    }
}

/// The stale pairs of a run: how many, by reason, and the first ones.
public struct StalenessSummary: Sendable, Encodable {
    public let maximumAgeDays: Double
    public var stale = 0
    /// Stale pairs by reason (a pair with two reasons counts under each).
    public var staleByReason: [StaleReason: Int] = [:]
    /// The first stale pairs (at most `listLimit`; the counts cover them all).
    public var pairs: [StalePair] = []

    public static let listLimit = 1000

    public init(maximumAgeDays: Double) { self.maximumAgeDays = maximumAgeDays }

    mutating func add(_ pair: PairSummary, reasons: [StaleReason]) {
        guard !reasons.isEmpty else { return }
        stale += 1
        for reason in reasons { staleByReason[reason, default: 0] += 1 }
        if pairs.count < Self.listLimit { pairs.append(StalePair(pair, reasons: reasons)) }
    }

    enum CodingKeys: String, CodingKey { case maximumAgeDays, stale, staleByReason, pairs }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maximumAgeDays, forKey: .maximumAgeDays)
        try container.encode(stale, forKey: .stale)
        try container.encode(
            Dictionary(uniqueKeysWithValues: staleByReason.map { ($0.key.rawValue, $0.value) }), forKey: .staleByReason)
        try container.encode(pairs, forKey: .pairs)
    }
}

extension Vault {
    /// The stale live pairs under `policy`, streamed in bounded memory: one client's, or one shard's, or all.
    public func staleness(
        _ policy: StalenessPolicy, clientId: String? = nil, shard: VerificationShard? = nil
    ) async throws -> StalenessSummary {
        var summary = StalenessSummary(maximumAgeDays: policy.days)
        try await forEachPair { pair in
            if let clientId, pair.clientId != clientId { return }
            if let shard, !shard.contains(pair.pairId) { return }
            summary.add(pair, reasons: policy.reasons(pair))
        }
        return summary
    }
}
