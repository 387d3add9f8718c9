import Foundation
import ShareMath

/// The operator's audit report (DESIGN section 6), as figures: the inventory of live pairs, how long since each
/// was verified and drilled, their last outcomes, the signing generations, the audit chain's state and the runs it
/// records. Public material only: counts, client ids, methods and times, never a share, a key or a ciphertext.
///
/// Built by streaming (`Vault.report`), so its size does not grow with the vault's: pairs are counted, and only
/// the first `listLimit` pairs of each list and the last `runLimit` runs are kept.
public struct VaultReport: Sendable, Encodable {
    public var generatedAt: Date
    /// The vault's location as opened (a file path, or a database URL without its password).
    public var vault: String
    public var clients = 0
    public var wallets = 0
    public var livePairs = 0
    public var completedPairs = 0
    /// Live pairs by curve, method and status, sorted in that order.
    public var inventory: [InventoryRow] = []
    /// Live pairs by status (every status, zeros included), by method and by curve (every curve).
    public var pairsByStatus: [String: Int] = [:]
    public var pairsByMethod: [String: Int] = [:]
    public var pairsByCurve: [String: Int] = [:]
    /// The live pairs' last verifications and last drills.
    public var verification: CheckFigures
    public var drill: CheckFigures
    /// Live pairs still waiting for their client half (status `STORED_CUSTODIAN_BACKUP_SHARE`) more than
    /// `awaitingClientHalfDays` after their custodian half arrived.
    public var awaitingClientHalf: PairList
    public static let awaitingClientHalfDays = Int(StalenessPolicy.clientHalfGrace / 86_400)
    /// Wallets' active signing generations, by curve and generation.
    public var signingGenerations: [SigningGenerationRow] = []
    public var auditChain: AuditChainFigures
    /// The vault key's state (as `sharevault key status` reports it): version, key file or officers' quorum, retired
    /// and abandoned versions, a rekey in progress, custodian shares by key version. Nil only while the report is
    /// being built.
    public var keyState: VaultKeyStatus?
    /// The verification runs and drills the audit chain records.
    public var recordedRuns: RecordedRuns
    /// How many pairs each list keeps, and how many runs and drills the chain's lists keep.
    public var listLimit: Int
    public var runLimit: Int

    /// A count of live pairs for one curve, method and status.
    public struct InventoryRow: Sendable, Encodable, Equatable {
        public var curve: String
        public var method: String
        public var status: String
        public var pairs: Int
    }

    /// What the live pairs' last checks of one kind (verification or drill) found.
    public struct CheckFigures: Sendable, Encodable {
        /// Pairs never checked, and pairs whose last check passed or failed.
        public var never = 0
        public var passed = 0
        public var failed = 0
        /// Failed pairs by the reason recorded as their last outcome.
        public var failedByReason: [String: Int] = [:]
        /// Pairs by days since their last check (`AgeBucket` raw values, every bucket, zeros included).
        public var daysSince: [String: Int]
        /// The most recent and the least recent last check among the pairs.
        public var latest: Date?
        public var oldest: Date?
        /// The pairs whose last check failed: the first `listLimit`, and how many in all.
        public var failures: PairList

        init(listLimit: Int) {
            daysSince = Dictionary(uniqueKeysWithValues: AgeBucket.allCases.map { ($0.rawValue, 0) })
            failures = PairList(limit: listLimit)
        }

        /// Counts one pair's last check, recorded at `at` with `outcome` (a check with only one of the two recorded
        /// counts as never made, in every figure alike).
        mutating func add(_ pair: PairSummary, at: Date?, outcome: CheckOutcome?, now: Date) {
            guard let at, let outcome else {
                never += 1
                daysSince[AgeBucket.never.rawValue, default: 0] += 1
                return
            }
            daysSince[AgeBucket(since: at, now: now).rawValue, default: 0] += 1
            latest = max(latest ?? at, at)
            oldest = min(oldest ?? at, at)
            switch outcome {
            case .passed:
                passed += 1
            case .failed(let problem):
                failed += 1
                failedByReason[problem.rawValue, default: 0] += 1
                failures.add(ReportedPair(pair, at: at, outcome: outcome))
            }
        }
    }

    /// A list of pairs kept short: the first `limit` in the vault's order (client, curve, method), and the total.
    public struct PairList: Sendable, Encodable {
        public var total = 0
        public var pairs: [ReportedPair] = []
        let limit: Int

        init(limit: Int) { self.limit = limit }

        mutating func add(_ pair: ReportedPair) {
            total += 1
            if pairs.count < limit { pairs.append(pair) }
        }

        enum CodingKeys: String, CodingKey { case total, pairs }
    }

    /// One pair in a report's list: who, which wallet and method, and what was recorded.
    public struct ReportedPair: Sendable, Encodable {
        public var pairId: Int64
        public var clientId: String
        public var curve: String
        public var method: String
        public var status: String
        public var createdAt: Date
        /// When the check the list is about ran, and what it found (nil for a list of pairs not checked).
        public var at: Date?
        public var outcome: String?

        init(_ pair: PairSummary, at: Date? = nil, outcome: CheckOutcome? = nil) {
            pairId = pair.pairId
            clientId = pair.clientId
            curve = pair.curve.rawValue
            method = pair.method.name
            status = pair.status.rawValue
            createdAt = pair.createdAt
            self.at = at
            self.outcome = outcome?.description
        }
    }

    /// How many wallets have `generation` as their active signing generation on `curve` (as stored: a curve this
    /// build does not read is shown as it is).
    public struct SigningGenerationRow: Sendable, Encodable, Equatable {
        public var curve: String
        public var generation: Int
        public var wallets: Int
    }

    /// The audit chain as walked without the vault key: its structure (links, `init` first, MACs present where
    /// they must be), not its MACs, which `sharevault audit --verify` checks with the key.
    public struct AuditChainFigures: Sendable, Encodable {
        public var events: Int
        public var intact: Bool
        public var firstBadEvent: Int64?
        public var problem: String?
        public var macsChecked: Bool
        /// Events at the end written without the vault key, and events from before the chain was keyed.
        public var unsealedTail: Int
        public var unauthenticatedPrefix: Int
        /// The hash through the last event (hex), as `audit --head` exports it; nil when the chain does not hold.
        public var headHash: String?
        /// Events by kind, as stored.
        public var eventsByKind: [String: Int] = [:]

        init(_ verification: AuditVerification) {
            events = verification.events
            intact = verification.isIntact
            firstBadEvent = verification.firstBadEvent?.id
            problem = verification.firstBadEvent?.reason
            macsChecked = verification.macsChecked
            unsealedTail = verification.unsealedTail
            unauthenticatedPrefix = verification.unauthenticatedPrefix
            headHash = verification.isIntact ? Hex.encode(verification.headHash) : nil
        }
    }

    /// The verification runs and drills the audit chain records (a `verify` event per run, a `drill` event per
    /// pair drilled), over the vault's whole history.
    public struct RecordedRuns: Sendable, Encodable {
        public var verifyRuns = 0
        /// The last verification runs, newest first.
        public var lastVerifyRuns: [VerifyRun] = []
        public var drills = 0
        public var drillsPassed = 0
        public var drillsFailed = 0
        public var drillFailuresByReason: [String: Int] = [:]
        /// The last drills, newest first.
        public var lastDrills: [RecordedDrill] = []
    }

    /// One `verify` event: the run's level, scope and counts, as it recorded them (a figure the event lacks is nil).
    public struct VerifyRun: Sendable, Encodable {
        public var event: Int64
        public var at: String
        public var level: String?
        /// The client the run was limited to, if any; the shard it verified (`K/N`), if any.
        public var clientId: String?
        public var shard: String?
        public var checked: Int?
        public var passed: Int?
        public var failed: Int?
        public var auditChainIntact: Bool?
        public var bookkeepingProblems: Int?
    }

    /// One `drill` event.
    public struct RecordedDrill: Sendable, Encodable {
        public var event: Int64
        public var at: String
        public var clientId: String?
        public var curve: String?
        public var method: String?
        public var pairId: Int64?
        public var outcome: String?
    }
}

/// Days since a check, in the report's buckets: under a day, 1 to 7, 7 to 30, 30 to 90, 90 and more, never.
/// Each bucket holds its lower bound and not its upper one; a time after `now` (a clock ahead) counts as under a day.
public enum AgeBucket: String, Sendable, CaseIterable {
    case underADay = "0-1"
    case underAWeek = "1-7"
    case underAMonth = "7-30"
    case underAQuarter = "30-90"
    case quarterOrMore = "90+"
    case never

    public init(since date: Date?, now: Date) {
        guard let date else {
            self = .never
            return
        }
        let days = now.timeIntervalSince(date) / 86_400
        switch days {
        case ..<1: self = .underADay
        case ..<7: self = .underAWeek
        case ..<30: self = .underAMonth
        case ..<90: self = .underAQuarter
        default: self = .quarterOrMore
        }
    }

    /// As the page labels it.
    public var label: String {
        switch self {
        case .underADay: return "< 1 day"
        case .underAWeek: return "1–7 days"
        case .underAMonth: return "7–30 days"
        case .underAQuarter: return "30–90 days"
        case .quarterOrMore: return "≥ 90 days"
        case .never: return "never"
        }
    }
}
