import Hummingbird
import ShareVault

/// `POST {root}/backup`: what became of the delivery.
struct WebhookAnswer: ResponseEncodable {
    /// `stored`, `replaced` or `duplicate`.
    let status: IngestOutcome
    let clientId: String
    let backupMethod: String
}

/// `POST {root}/backup/fetch`: the client's live custodian shares, byte for byte as received.
struct FetchAnswer: ResponseEncodable {
    let backupShares: [String]
}

/// `GET /clients/{clientId}/backup`: the stored client ciphertext.
struct CipherTextAnswer: ResponseEncodable {
    let cipherText: String
}

/// What an upload or a confirmation did: the method's pairs (one per curve) and their common status.
struct ClientBackupAnswer: ResponseEncodable {
    struct Pair: Encodable {
        let curve: String
        let status: String
    }

    let status: String
    let backupMethod: String
    let pairs: [Pair]

    init(_ summaries: [PairSummary]) {
        status = summaries.first?.status.rawValue ?? ""
        backupMethod = summaries.first?.method ?? ""
        pairs = summaries.map { Pair(curve: $0.curve.rawValue, status: $0.status.rawValue) }
    }
}
