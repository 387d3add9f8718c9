import PropertyBased
import ShareMath
import Testing

/// Feldman commitments on both curves: every dealt share verifies, nothing else does.
@Suite("Feldman commitments on both curves")
struct FeldmanPropertyTests {
    @Test("every share verifies, and publicShare(at:) is value·G", arguments: CurveID.allCases)
    func everyShareVerifies(curve: CurveID) async {
        await everyShareVerifies(curve.type)
    }

    @Test("a share with one bit flipped does not verify (or no longer decodes)", arguments: CurveID.allCases)
    func tamperedShareFails(curve: CurveID) async {
        await tamperedShareFails(curve.type)
    }

    @Test("a share presented under another identifier does not verify", arguments: CurveID.allCases)
    func shareUnderAnotherIdentifierFails(curve: CurveID) async {
        await shareUnderAnotherIdentifierFails(curve.type)
    }

    @Test("a share does not verify against another dealing of the same secret", arguments: CurveID.allCases)
    func shareAgainstOtherDealingFails(curve: CurveID) async {
        await shareAgainstOtherDealingFails(curve.type)
    }

    private func everyShareVerifies<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 50, input: ShareMathGen.sharing(counts: 2...7)) { sharing in
            let secret = try sharing.secret(C.self)
            let dealing = try Dealing<C>.split(
                secret: secret, threshold: sharing.threshold, identifiers: sharing.identifiers(C.self))
            #expect(dealing.commitments.threshold == sharing.threshold)
            #expect(dealing.commitments.points.count == sharing.threshold)
            #expect(dealing.commitments.publicKey == C.baseMultiply(secret))
            for share in dealing.shares {
                #expect(dealing.commitments.verify(share))
                #expect(dealing.commitments.publicShare(at: share.identifier) == C.baseMultiply(share.value))
            }
        }
    }

    private func tamperedShareFails<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 80, input: ShareMathGen.tampering(counts: 2...5)) { tampering in
            let sharing = tampering.sharing
            let dealing = try Dealing<C>.split(
                secret: sharing.secret(C.self), threshold: sharing.threshold,
                identifiers: sharing.identifiers(C.self))
            let share = dealing.shares[tampering.shareIndex]
            var encoding = share.identifier.encodedBytes + share.value.encodedBytes
            #expect(encoding.count == 2 * C.scalarLength)
            encoding[tampering.byteIndex] ^= 1 << UInt8(tampering.bit)

            // A flip that makes either scalar undecodable is caught right there, which is a pass.
            guard let identifier = try? Scalar<C>(decoding: encoding[..<C.scalarLength]),
                let value = try? Scalar<C>(decoding: encoding[C.scalarLength...])
            else { return }
            let tampered = Share<C>(identifier: identifier, value: value)
            #expect(!dealing.commitments.verify(tampered))
        }
    }

    private func shareUnderAnotherIdentifierFails<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 50, input: ShareMathGen.sharing(counts: 2...7), Gen.uint64(in: 1...UInt64.max)) {
            sharing, fresh in
            let dealing = try Dealing<C>.split(
                secret: sharing.secret(C.self), threshold: sharing.threshold,
                identifiers: sharing.identifiers(C.self))
            let chosen = sharing.pick(2, of: dealing.shares)
            // Under another holder's identifier.
            #expect(!dealing.commitments.verify(Share(identifier: chosen[1].identifier, value: chosen[0].value)))
            // Under an identifier nobody was dealt (unless the generator drew one of the dealt ones).
            let freshIdentifier = C.element(fresh)
            if !dealing.shares.contains(where: { $0.identifier == freshIdentifier }) {
                #expect(!dealing.commitments.verify(Share(identifier: freshIdentifier, value: chosen[0].value)))
            }
        }
    }

    private func shareAgainstOtherDealingFails<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 30, input: ShareMathGen.sharing(counts: 2...7)) { sharing in
            let secret = try sharing.secret(C.self)
            let identifiers = sharing.identifiers(C.self)
            let first = try Dealing<C>.split(secret: secret, threshold: sharing.threshold, identifiers: identifiers)
            let second = try Dealing<C>.split(secret: secret, threshold: sharing.threshold, identifiers: identifiers)
            #expect(first.publicKey == second.publicKey)
            for share in first.shares {
                #expect(!second.commitments.verify(share))
            }
        }
    }
}
