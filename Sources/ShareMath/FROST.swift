/// FROST threshold Schnorr signing (RFC 9591): two rounds, nonce commitments and binding factors, so that
/// shares jointly sign without the key ever being formed.
public enum FROST<Suite: FROSTCiphersuite> {
    public typealias C = Suite.C

    /// A signer's round-one secrets: used once, then dropped.
    public struct Nonces: Sendable {
        public let hiding: Scalar<C>
        public let binding: Scalar<C>
    }

    /// A signer's round-one commitment, public.
    public struct Commitment: Sendable {
        public let identifier: Scalar<C>
        public let hiding: Point<C>
        public let binding: Point<C>
    }

    /// `nonce_generate`: H3 of 32 random bytes (or the given ones, for known-answer tests) and the secret share.
    public static func nonce(share: Scalar<C>, randomness: [UInt8]? = nil) -> Scalar<C> {
        let random = randomness.map { SecureBytes(copying: $0) } ?? SecureBytes.random(count: 32)
        precondition(random.count == 32, "nonce randomness is 32 bytes")
        let input = SecureBytes.filled(count: 32 + C.scalarLength) { out in
            random.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<32]).copyMemory(from: $0) }
            share.withEncoding { UnsafeMutableRawBufferPointer(rebasing: out[32...]).copyMemory(from: $0) }
        }
        return Suite.h3(input)
    }

    /// Round one: fresh nonces and their commitments.
    public static func commit(
        _ share: Share<C>, hidingRandomness: [UInt8]? = nil, bindingRandomness: [UInt8]? = nil
    ) -> (nonces: Nonces, commitment: Commitment) {
        let nonces = Nonces(
            hiding: nonce(share: share.value, randomness: hidingRandomness),
            binding: nonce(share: share.value, randomness: bindingRandomness))
        let commitment = Commitment(
            identifier: share.identifier, hiding: C.baseMultiply(nonces.hiding), binding: C.baseMultiply(nonces.binding)
        )
        return (nonces, commitment)
    }

    /// The commitments in identifier order, as every signer must see them.
    public static func sorted(_ commitments: [Commitment]) -> [Commitment] {
        commitments.sorted { numericKey($0.identifier).lexicographicallyPrecedes(numericKey($1.identifier)) }
    }

    /// An identifier's big-endian bytes, whatever the curve's encoding, for ordering.
    static func numericKey(_ identifier: Scalar<C>) -> [UInt8] {
        let encoded = identifier.withEncoding { Array($0) }
        return C.id == .ed25519 ? encoded.reversed() : encoded
    }

    /// `binding_factor_input` for each signer: `X || H4(msg) || H5(commitment list) || identifier`.
    public static func bindingFactorInputs(publicKey: Point<C>, commitments: [Commitment], message: [UInt8])
        -> [[UInt8]]
    {
        let list = sorted(commitments)
        var encodedList: [UInt8] = []
        for commitment in list {
            encodedList +=
                commitment.identifier.withEncoding { Array($0) } + commitment.hiding.encoded
                + commitment.binding.encoded
        }
        let prefix = publicKey.encoded + Suite.h4(message) + Suite.h5(encodedList)
        return list.map { prefix + $0.identifier.withEncoding { Array($0) } }
    }

    /// The binding factors, in identifier order.
    public static func bindingFactors(publicKey: Point<C>, commitments: [Commitment], message: [UInt8]) -> [Scalar<C>] {
        bindingFactorInputs(publicKey: publicKey, commitments: commitments, message: message).map(Suite.h1)
    }

    /// `R = Σ D_i + ρ_i·E_i`.
    static func groupCommitment(_ commitments: [Commitment], bindingFactors: [Scalar<C>]) -> Point<C> {
        C.sum(
            zip(sorted(commitments), bindingFactors).flatMap { commitment, factor in
                [commitment.hiding, C.multiply(commitment.binding, factor)]
            })
    }

    /// Round two for one signer: `z_i = d_i + e_i·ρ_i + λ_i·s_i·c`, with BIP-340's negations where the suite
    /// asks for them (an odd-Y key negates the share, an odd-Y `R` the nonces).
    public static func signatureShare(
        _ share: Share<C>, nonces: Nonces, commitments: [Commitment], publicKey: Point<C>, message: [UInt8]
    ) -> Scalar<C> {
        let key =
            Suite.mustNegate(publicKey) ? C.multiply(publicKey, C.subtract(C.element(0), C.element(1))) : publicKey
        let factors = bindingFactors(publicKey: key, commitments: commitments, message: message)
        let list = sorted(commitments)
        let index = list.firstIndex { $0.identifier == share.identifier }!
        let r = groupCommitment(list, bindingFactors: factors)
        let c = Suite.challenge(groupCommitment: r, publicKey: key, message: message)
        let lambda = Lagrange<C>.coefficient(for: share.identifier, among: list.map(\.identifier))
        var nonce = C.add(nonces.hiding, C.multiply(nonces.binding, factors[index]))
        if Suite.mustNegate(r) { nonce = C.subtract(C.element(0), nonce) }
        var secret = share.value
        if Suite.mustNegate(publicKey) { secret = C.subtract(C.element(0), secret) }
        return C.add(nonce, C.multiply(C.multiply(lambda, secret), c))
    }

    /// Aggregates the shares `z_i` into the encoded signature.
    public static func aggregate(
        _ signatureShares: [Scalar<C>], commitments: [Commitment], publicKey: Point<C>, message: [UInt8]
    ) -> [UInt8] {
        let key =
            Suite.mustNegate(publicKey) ? C.multiply(publicKey, C.subtract(C.element(0), C.element(1))) : publicKey
        var r = groupCommitment(
            commitments, bindingFactors: bindingFactors(publicKey: key, commitments: commitments, message: message))
        if Suite.mustNegate(r) { r = C.multiply(r, C.subtract(C.element(0), C.element(1))) }
        let z = signatureShares.dropFirst().reduce(signatureShares[0], C.add)
        return Suite.encodeSignature(groupCommitment: r, z: z)
    }

    /// Both rounds for signers held in one process (a drill): returns the signature, not yet verified.
    public static func sign(_ shares: [Share<C>], publicKey: Point<C>, message: [UInt8]) -> [UInt8] {
        let rounds = shares.map { commit($0) }
        let commitments = rounds.map(\.commitment)
        let signatureShares = zip(shares, rounds).map { share, round in
            signatureShare(
                share, nonces: round.nonces, commitments: commitments, publicKey: publicKey, message: message)
        }
        return aggregate(signatureShares, commitments: commitments, publicKey: publicKey, message: message)
    }
}
