import Foundation
import ShareMath
import Testing

/// `fixtures/vectors/rfc8032-ed25519-keys.json`: RFC 8032 section 7.1's secret and public keys.
struct RFC8032KeyFile: Decodable {
    struct Vector: Decodable {
        let name: String
        let secretKey: String
        let publicKey: String
    }

    let source: String
    let vectors: [Vector]
}

@Suite("RFC 8032 (Ed25519) known answers")
struct RFC8032VectorTests {
    @Test("the secret scalar of each seed, times B, is the published public key")
    func publicKeysFromSeeds() throws {
        let file = try Fixtures.vectors("rfc8032-ed25519-keys.json", as: RFC8032KeyFile.self)
        #expect(file.source.contains("RFC 8032"))
        #expect(file.source.contains("7.1"))
        #expect(file.vectors.map(\.name) == ["TEST 1", "TEST 2", "TEST 3", "TEST 1024", "TEST SHA(abc)"])
        for vector in file.vectors {
            let seed = try Hex.decodeSecret(vector.secretKey)
            let scalar = try Ed25519.secretScalar(fromSeed: seed)
            let publicKey = Ed25519.baseMultiply(scalar)
            #expect(Hex.encode(publicKey.encoded) == vector.publicKey, "\(vector.name)")
            #expect(try Point<Ed25519>(decoding: Hex.decode(vector.publicKey)) == publicKey, "\(vector.name)")
        }
    }

    @Test("a key from a seed can be split and recombined like any other")
    func seedKeysShare() throws {
        let file = try Fixtures.vectors("rfc8032-ed25519-keys.json", as: RFC8032KeyFile.self)
        let vector = try #require(file.vectors.first)
        let scalar = try Ed25519.secretScalar(fromSeed: Hex.decodeSecret(vector.secretKey))
        let dealing = try Dealing<Ed25519>.split(secret: scalar, threshold: 2, count: 3)
        #expect(Hex.encode(dealing.publicKey.encoded) == vector.publicKey)
        #expect(try Shamir<Ed25519>.combine([dealing.shares[2], dealing.shares[0]], threshold: 2) == scalar)
    }

    @Test("seeds of the wrong length are refused", arguments: [1, 31, 33, 64])
    func wrongSeedLength(length: Int) {
        #expect(throws: ShareMathError.wrongLength(expected: 32, actual: length)) {
            try Ed25519.secretScalar(fromSeed: SecureBytes.random(count: length))
        }
    }
}
