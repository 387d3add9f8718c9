import Foundation
import PropertyBased
import ShareMath
import Testing

/// The signing rounds of an RFC 9591 vector file (round one, round two, the final signature).
struct FROSTSigningVectors: Decodable {
    struct Inputs: Decodable {
        let participantList: [UInt64]
        let groupPublicKey: String
        let message: String
        let participantShares: [Participant]
        struct Participant: Decodable {
            let identifier: UInt64
            let participantShare: String
            enum CodingKeys: String, CodingKey {
                case identifier
                case participantShare = "participant_share"
            }
        }
        enum CodingKeys: String, CodingKey {
            case participantList = "participant_list"
            case groupPublicKey = "group_public_key"
            case message
            case participantShares = "participant_shares"
        }
    }
    struct RoundOne: Decodable {
        let outputs: [Output]
        struct Output: Decodable {
            let identifier: UInt64
            let hidingNonceRandomness, bindingNonceRandomness, hidingNonce, bindingNonce: String
            let hidingNonceCommitment, bindingNonceCommitment, bindingFactorInput, bindingFactor: String
            enum CodingKeys: String, CodingKey {
                case identifier
                case hidingNonceRandomness = "hiding_nonce_randomness"
                case bindingNonceRandomness = "binding_nonce_randomness"
                case hidingNonce = "hiding_nonce"
                case bindingNonce = "binding_nonce"
                case hidingNonceCommitment = "hiding_nonce_commitment"
                case bindingNonceCommitment = "binding_nonce_commitment"
                case bindingFactorInput = "binding_factor_input"
                case bindingFactor = "binding_factor"
            }
        }
    }
    struct RoundTwo: Decodable {
        let outputs: [Output]
        struct Output: Decodable {
            let identifier: UInt64
            let sigShare: String
            enum CodingKeys: String, CodingKey {
                case identifier
                case sigShare = "sig_share"
            }
        }
    }
    struct Final: Decodable { let sig: String }

    let inputs: Inputs
    let roundOne: RoundOne
    let roundTwo: RoundTwo
    let finalOutput: Final
    enum CodingKeys: String, CodingKey {
        case inputs
        case roundOne = "round_one_outputs"
        case roundTwo = "round_two_outputs"
        case finalOutput = "final_output"
    }
}

/// RFC 9591's published signing vectors, run through the same rounds the drills use, and the laws of the
/// BIP-340 variant checked by libsecp256k1.
@Suite struct FROSTSigningTests {
    func hex<C: Curve>(_ scalar: Scalar<C>) -> String { scalar.withEncoding { Hex.encode($0) } }

    func run<Suite: FROSTCiphersuite>(_ suite: Suite.Type, file: String) throws {
        typealias C = Suite.C
        let vectors = try Fixtures.vectors(file, as: FROSTSigningVectors.self)
        let publicKey = try Point<C>(decoding: Hex.decode(vectors.inputs.groupPublicKey))
        let message = try Hex.decode(vectors.inputs.message)
        var shares: [Share<C>] = []
        var rounds: [(nonces: FROST<Suite>.Nonces, commitment: FROST<Suite>.Commitment)] = []
        for output in vectors.roundOne.outputs {
            let participant = try #require(
                vectors.inputs.participantShares.first { $0.identifier == output.identifier })
            let share = Share<C>(
                identifier: C.element(output.identifier),
                value: try Scalar<C>(decoding: Hex.decode(participant.participantShare)))
            let round = FROST<Suite>.commit(
                share, hidingRandomness: try Hex.decode(output.hidingNonceRandomness),
                bindingRandomness: try Hex.decode(output.bindingNonceRandomness))
            #expect(hex(round.nonces.hiding) == output.hidingNonce)
            #expect(hex(round.nonces.binding) == output.bindingNonce)
            #expect(Hex.encode(round.commitment.hiding.encoded) == output.hidingNonceCommitment)
            #expect(Hex.encode(round.commitment.binding.encoded) == output.bindingNonceCommitment)
            shares.append(share)
            rounds.append(round)
        }
        let commitments = rounds.map(\.commitment)
        let inputs = FROST<Suite>.bindingFactorInputs(publicKey: publicKey, commitments: commitments, message: message)
        let factors = FROST<Suite>.bindingFactors(publicKey: publicKey, commitments: commitments, message: message)
        for (index, output) in vectors.roundOne.outputs.enumerated() {
            #expect(Hex.encode(inputs[index]) == output.bindingFactorInput)
            #expect(hex(factors[index]) == output.bindingFactor)
        }
        var signatureShares: [Scalar<C>] = []
        for (index, output) in vectors.roundTwo.outputs.enumerated() {
            let z = FROST<Suite>.signatureShare(
                shares[index], nonces: rounds[index].nonces, commitments: commitments, publicKey: publicKey,
                message: message)
            #expect(hex(z) == output.sigShare)
            signatureShares.append(z)
        }
        let signature = FROST<Suite>.aggregate(
            signatureShares, commitments: commitments, publicKey: publicKey, message: message)
        #expect(Hex.encode(signature) == vectors.finalOutput.sig)
        #expect(Suite.verify(signature: signature, message: message, publicKey: publicKey))
        var forged = signature
        forged[forged.count - 1] ^= 1
        #expect(!Suite.verify(signature: forged, message: message, publicKey: publicKey))
    }

    @Test func ed25519SigningVectors() throws {
        try run(FROSTEd25519SHA512.self, file: "rfc9591-frost-ed25519-sha512.json")
    }

    @Test func secp256k1SigningVectors() throws {
        try run(FROSTSecp256k1SHA256.self, file: "rfc9591-frost-secp256k1-sha256.json")
    }

    /// Any t of n shares sign, and the curve's standard verifier accepts; a wrong share makes it refuse.
    func signingLaw<Suite: FROSTCiphersuite>(_ suite: Suite.Type, threshold: Int, count: Int, seed: UInt64) throws {
        typealias C = Suite.C
        let dealing = try Dealing<C>.split(secret: .random(), threshold: threshold, count: count)
        var generator = SplitMix(seed: seed)
        let signers = Array(dealing.shares.shuffled(using: &generator).prefix(threshold))
        let message = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let signature = FROST<Suite>.sign(signers, publicKey: dealing.publicKey, message: message)
        #expect(Suite.verify(signature: signature, message: message, publicKey: dealing.publicKey))
        #expect(!Suite.verify(signature: signature, message: message + [0], publicKey: dealing.publicKey))
        var wrong = signers
        wrong[0] = Share(identifier: wrong[0].identifier, value: .random())
        let bad = FROST<Suite>.sign(wrong, publicKey: dealing.publicKey, message: message)
        #expect(!Suite.verify(signature: bad, message: message, publicKey: dealing.publicKey))
    }

    @Test func anyThresholdOfSharesSignsUnderBothVerifiers() async {
        await propertyCheck(count: 40, input: Gen.int(in: 2...4), Gen.int(in: 0...3), Gen.uint64()) {
            threshold, extra, seed in
            try signingLaw(FROSTSecp256k1BIP340.self, threshold: threshold, count: threshold + extra, seed: seed)
            try signingLaw(FROSTEd25519SHA512.self, threshold: threshold, count: threshold + extra, seed: seed)
        }
    }
}

/// A small seeded generator for shuffles driven by the property's input.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
