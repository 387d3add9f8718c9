import PropertyBased
import ShareMath
import Testing

/// Re-sharing and refreshing on both curves: the key stays, the shares change, a wrong share is caught.
@Suite("Re-sharing and refresh on both curves")
struct ResharingPropertyTests {
    @Test(
        "reshare keeps the key; any t' new shares give the original secret; new shares verify and differ",
        arguments: CurveID.allCases)
    func reshareKeepsKey(curve: CurveID) async {
        await reshareKeepsKey(curve.type)
    }

    @Test("two reshares of the same shares give different shares", arguments: CurveID.allCases)
    func resharesDiffer(curve: CurveID) async {
        await resharesDiffer(curve.type)
    }

    @Test("a reshare fed one wrong share throws inconsistentShares", arguments: CurveID.allCases)
    func wrongShareIsCaught(curve: CurveID) async {
        await wrongShareIsCaught(curve.type)
    }

    @Test("a reshare checked against another key throws inconsistentShares", arguments: CurveID.allCases)
    func wrongKeyIsCaught(curve: CurveID) async {
        await wrongKeyIsCaught(curve.type)
    }

    @Test("refresh keeps key, identifiers and secret, and changes every share", arguments: CurveID.allCases)
    func refreshKeepsKey(curve: CurveID) async {
        await refreshKeepsKey(curve.type)
    }

    private func reshareKeepsKey<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 40, input: ShareMathGen.resharing(counts: 2...6)) { resharing in
            let (old, new) = (resharing.old, resharing.new)
            let secret = try old.secret(C.self)
            let dealing = try Dealing<C>.split(
                secret: secret, threshold: old.threshold, identifiers: old.identifiers(C.self))
            let holders = old.pick(old.threshold, of: dealing.shares)

            let reshared = try Dealing<C>.reshare(
                holders, threshold: old.threshold, publicKey: dealing.publicKey,
                to: new.identifiers(C.self), newThreshold: new.threshold)

            #expect(reshared.publicKey == dealing.publicKey)
            #expect(reshared.threshold == new.threshold)
            #expect(reshared.shares.map(\.identifier) == new.identifiers(C.self))
            for share in reshared.shares {
                #expect(reshared.commitments.verify(share))
                #expect(!dealing.shares.contains { $0.value == share.value })
            }
            let chosen = new.pick(new.threshold, of: reshared.shares)
            #expect(try Shamir<C>.combine(chosen, threshold: new.threshold) == secret)
            let fewer = Array(chosen.dropLast())
            #expect(try Shamir<C>.combine(fewer, threshold: new.threshold - 1) != secret)
        }
    }

    private func resharesDiffer<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 25, input: ShareMathGen.resharing(counts: 2...6)) { resharing in
            let (old, new) = (resharing.old, resharing.new)
            let dealing = try Dealing<C>.split(
                secret: old.secret(C.self), threshold: old.threshold, identifiers: old.identifiers(C.self))
            let holders = old.pick(old.threshold, of: dealing.shares)
            let first = try Dealing<C>.reshare(
                holders, threshold: old.threshold, publicKey: dealing.publicKey,
                to: new.identifiers(C.self), newThreshold: new.threshold)
            let second = try Dealing<C>.reshare(
                holders, threshold: old.threshold, publicKey: dealing.publicKey,
                to: new.identifiers(C.self), newThreshold: new.threshold)
            #expect(first.publicKey == second.publicKey)
            #expect(first.commitments != second.commitments)
            for (a, b) in zip(first.shares, second.shares) {
                #expect(a.identifier == b.identifier)
                #expect(a.value != b.value)
            }
        }
    }

    private func wrongShareIsCaught<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 40, input: ShareMathGen.resharing(counts: 2...6)) { resharing in
            let (old, new) = (resharing.old, resharing.new)
            let dealing = try Dealing<C>.split(
                secret: old.secret(C.self), threshold: old.threshold, identifiers: old.identifiers(C.self))
            var holders = old.pick(old.threshold, of: dealing.shares)
            let wrong = resharing.wrongHolder % holders.count
            let replacement = try new.secret(C.self)  // a generated scalar, not the share's value
            #expect(replacement != holders[wrong].value)
            holders[wrong] = Share(identifier: holders[wrong].identifier, value: replacement)

            #expect(throws: ShareMathError.inconsistentShares("the re-shared key does not match the public key")) {
                try Dealing<C>.reshare(
                    holders, threshold: old.threshold, publicKey: dealing.publicKey,
                    to: new.identifiers(C.self), newThreshold: new.threshold)
            }
            #expect(throws: ShareMathError.inconsistentShares("the re-shared key does not match the public key")) {
                try Dealing<C>.refresh(holders, threshold: old.threshold, publicKey: dealing.publicKey)
            }
        }
    }

    private func wrongKeyIsCaught<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 20, input: ShareMathGen.resharing(counts: 2...6)) { resharing in
            let (old, new) = (resharing.old, resharing.new)
            let dealing = try Dealing<C>.split(
                secret: old.secret(C.self), threshold: old.threshold, identifiers: old.identifiers(C.self))
            let otherKey = C.baseMultiply(try new.secret(C.self))
            #expect(otherKey != dealing.publicKey)
            #expect(throws: ShareMathError.inconsistentShares("the re-shared key does not match the public key")) {
                try Dealing<C>.reshare(
                    old.pick(old.threshold, of: dealing.shares), threshold: old.threshold, publicKey: otherKey,
                    to: new.identifiers(C.self), newThreshold: new.threshold)
            }
        }
    }

    private func refreshKeepsKey<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 40, input: ShareMathGen.sharing(counts: 2...7)) { sharing in
            let secret = try sharing.secret(C.self)
            let dealing = try Dealing<C>.split(
                secret: secret, threshold: sharing.threshold, identifiers: sharing.identifiers(C.self))
            let holders = sharing.pick(sharing.threshold, of: dealing.shares)

            let refreshed = try Dealing<C>.refresh(holders, threshold: sharing.threshold, publicKey: dealing.publicKey)

            #expect(refreshed.publicKey == dealing.publicKey)
            #expect(refreshed.threshold == sharing.threshold)
            #expect(refreshed.shares.map(\.identifier) == holders.map(\.identifier))
            for (new, old) in zip(refreshed.shares, holders) {
                #expect(refreshed.commitments.verify(new))
                #expect(new.value != old.value)
                #expect(!dealing.commitments.verify(new))  // the old commitments no longer fit
            }
            #expect(try Shamir<C>.combine(refreshed.shares.reversed(), threshold: sharing.threshold) == secret)
        }
    }
}
