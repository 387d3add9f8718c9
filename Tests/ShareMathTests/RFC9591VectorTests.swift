import Foundation
import ShareMath
import Testing

/// The parts of an RFC 9591 (FROST) test vector file that concern the sharing: the group key, the
/// polynomial and the participants' shares.
struct FROSTVectorFile: Decodable {
    struct Config: Decodable {
        let name: String
        let group: String
        let maxParticipants: String
        let minParticipants: String

        enum CodingKeys: String, CodingKey {
            case name, group
            case maxParticipants = "MAX_PARTICIPANTS"
            case minParticipants = "MIN_PARTICIPANTS"
        }
    }

    struct ParticipantShare: Decodable {
        let identifier: UInt64
        let participantShare: String

        enum CodingKeys: String, CodingKey {
            case identifier
            case participantShare = "participant_share"
        }
    }

    struct Inputs: Decodable {
        let participantList: [UInt64]
        let groupSecretKey: String
        let groupPublicKey: String
        let sharePolynomialCoefficients: [String]
        let participantShares: [ParticipantShare]

        enum CodingKeys: String, CodingKey {
            case participantList = "participant_list"
            case groupSecretKey = "group_secret_key"
            case groupPublicKey = "group_public_key"
            case sharePolynomialCoefficients = "share_polynomial_coefficients"
            case participantShares = "participant_shares"
        }
    }

    let config: Config
    let inputs: Inputs
}

/// Runs one RFC 9591 vector file against the share math of its curve.
struct FROSTVectorRunner<C: Curve> {
    let file: FROSTVectorFile

    func run() throws {
        let inputs = file.inputs
        let threshold = try #require(Int(file.config.minParticipants))
        let count = try #require(Int(file.config.maxParticipants))
        #expect(inputs.participantShares.count == count)
        #expect(inputs.sharePolynomialCoefficients.count == threshold - 1)

        // The group key pair.
        let secret = try Scalar<C>(decoding: Hex.decode(inputs.groupSecretKey))
        let publicKey = try Point<C>(decoding: Hex.decode(inputs.groupPublicKey))
        #expect(C.baseMultiply(secret) == publicKey)
        #expect(Hex.encode(C.baseMultiply(secret).encoded) == inputs.groupPublicKey)

        // The dealer's polynomial evaluated at each identifier gives that participant's share.
        let coefficients = try inputs.sharePolynomialCoefficients.map { try Scalar<C>(decoding: Hex.decode($0)) }
        let polynomial = Polynomial<C>(coefficients: [secret] + coefficients)
        let shares = try inputs.participantShares.map { participant in
            Share<C>(
                identifier: C.element(participant.identifier),
                value: try Scalar<C>(decoding: Hex.decode(participant.participantShare)))
        }
        #expect(inputs.participantShares.map(\.identifier) == Array(1...UInt64(count)))
        for (share, participant) in zip(shares, inputs.participantShares) {
            #expect(polynomial.evaluate(at: share.identifier) == share.value, "participant \(participant.identifier)")
            #expect(Hex.encode(polynomial.evaluate(at: share.identifier).encodedBytes) == participant.participantShare)
        }

        // The Feldman commitments to that polynomial verify every share.
        let commitments = Commitments<C>(committingTo: polynomial)
        #expect(commitments.publicKey == publicKey)
        for share in shares {
            #expect(commitments.verify(share))
        }

        // Any `threshold` of the shares give the group secret back, and their public shares the key.
        for subset in Enumerate.subsets(of: shares, size: threshold) {
            #expect(try Shamir<C>.combine(subset, threshold: threshold) == secret)
            #expect(try Shamir<C>.combine(subset.reversed(), threshold: threshold) == secret)
            let publicShares = subset.map { (identifier: $0.identifier, point: C.baseMultiply($0.value)) }
            #expect(Lagrange<C>.interpolateAtZero(publicShares: publicShares) == publicKey)
        }
        // Including the signers the vector names.
        let signers = shares.filter { share in inputs.participantList.contains { C.element($0) == share.identifier }
        }
        #expect(signers.count == inputs.participantList.count)
        #expect(try Shamir<C>.combine(signers, threshold: threshold) == secret)
    }
}

@Suite("RFC 9591 (FROST) known answers")
struct RFC9591VectorTests {
    @Test(
        "the key, the polynomial, the shares and their commitments match the published vectors",
        arguments: [
            ("rfc9591-frost-secp256k1-sha256.json", CurveID.secp256k1),
            ("rfc9591-frost-ed25519-sha512.json", CurveID.ed25519),
        ])
    func vectorFile(name: String, curve: CurveID) throws {
        let file = try Fixtures.vectors(name, as: FROSTVectorFile.self)
        #expect(file.config.group == curve.rawValue)
        try run(curve.type, file)
    }

    private func run<C: Curve>(_: C.Type, _ file: FROSTVectorFile) throws {
        try FROSTVectorRunner<C>(file: file).run()
    }
}
