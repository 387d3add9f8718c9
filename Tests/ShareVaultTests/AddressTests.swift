import Foundation
import PropertyBased
import ShareMath
import ShareVault
import Testing

/// `fixtures/vectors/eip55-and-keccak.json`: published known answers for Keccak-256, EIP-55, Ethereum and
/// Solana addresses and Base58, each entry naming its source.
struct AddressVectorFile: Decodable {
    struct Keccak: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let source: String
        /// The input as hex, or else as UTF-8 `text`.
        let hex: String?
        let text: String?
        let digest: String

        var input: [UInt8] {
            get throws {
                if let hex { return try Hex.decode(hex) }
                return Array((text ?? "").utf8)
            }
        }

        var testDescription: String { name }
    }

    struct EIP55: Decodable, Sendable, CustomTestStringConvertible {
        let address: String
        let `case`: String
        let source: String

        var testDescription: String { "\(address) (\(`case`))" }
    }

    struct PrivateKeyAddress: Decodable, Sendable, CustomTestStringConvertible {
        /// The secp256k1 private key as 32-byte hex, or else the text whose Keccak-256 is the key.
        let privateKey: String?
        let privateKeyKeccakOf: String?
        /// As published: EIP-55 cased, or all lowercase where the source gives it so.
        let address: String
        let source: String

        var keyBytes: [UInt8] {
            get throws {
                if let privateKey { return try Hex.decode(privateKey) }
                return Keccak256.hash((privateKeyKeccakOf ?? "").utf8)
            }
        }

        var testDescription: String {
            privateKey.map { "key \($0)" } ?? "key keccak256(\"\(privateKeyKeccakOf ?? "")\")"
        }
    }

    struct Base58Pair: Decodable, Sendable, CustomTestStringConvertible {
        let hex: String
        let text: String
        let source: String

        var testDescription: String { "\"\(text.prefix(24))\" (\(hex.count / 2) bytes)" }
    }

    struct Solana: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let hex: String
        let address: String
        let source: String
        /// Whether the 32 bytes are a valid ed25519 public key (program ids are not).
        let isPoint: Bool

        var testDescription: String { name }
    }

    let source: String
    let keccak256: [Keccak]
    let eip55: [EIP55]
    let privateKeyAddresses: [PrivateKeyAddress]
    let base58: [Base58Pair]
    let solana: [Solana]
}

/// Finds the fixture from this file's path (the fixtures are not bundle resources).
enum AddressFixture {
    static let vectors: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ShareVaultTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("fixtures")
        .appendingPathComponent("vectors")

    static func load() throws -> AddressVectorFile {
        let data = try Data(contentsOf: vectors.appendingPathComponent("eip55-and-keccak.json"))
        return try JSONDecoder().decode(AddressVectorFile.self, from: data)
    }
}

@Suite("Wallet addresses: published known answers")
struct AddressTests {
    @Test("the fixture names its sources and holds every kind of vector")
    func fixtureHeader() throws {
        let file = try AddressFixture.load()
        for name in ["EIP-55", "EIP-1052", "ShortMsgKAT_256", "EIP-155", "base58_encode_decode.json", "RFC 8032"] {
            #expect(file.source.contains(name), "source does not cite \(name)")
        }
        #expect(!file.keccak256.isEmpty && !file.eip55.isEmpty && !file.privateKeyAddresses.isEmpty)
        #expect(!file.base58.isEmpty && !file.solana.isEmpty)
        #expect(file.privateKeyAddresses.contains { $0.address == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F" })
    }

    @Test("Keccak-256 of each published input is the published digest", arguments: try AddressFixture.load().keccak256)
    func keccakKnownAnswer(vector: AddressVectorFile.Keccak) throws {
        let digest = Keccak256.hash(try vector.input)
        #expect(digest.count == Keccak256.digestLength)
        #expect(Hex.encode(digest) == vector.digest)
    }

    @Test("Keccak-256 is not SHA3-256: the empty input does not give FIPS 202's a7ffc6f8...")
    func keccakIsNotSHA3() {
        let sha3OfEmpty = "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        #expect(Hex.encode(Keccak256.hash([UInt8]())) != sha3OfEmpty)
    }

    @Test(
        "EIP-55's test addresses are valid, and flipping the case of any one letter breaks them",
        arguments: try AddressFixture.load().eip55)
    func eip55KnownAnswer(vector: AddressVectorFile.EIP55) {
        #expect(WalletAddress.isValidEIP55(vector.address))
        let characters = Array(vector.address)
        for index in characters.indices.dropFirst(2) where characters[index].isLetter {
            let flipped = flippingCase(of: vector.address, at: index)
            #expect(!WalletAddress.isValidEIP55(flipped), "case flipped at \(index)")
        }
    }

    @Test(
        "each published private key's public key has the published Ethereum address",
        arguments: try AddressFixture.load().privateKeyAddresses)
    func privateKeyToAddress(vector: AddressVectorFile.PrivateKeyAddress) throws {
        let scalar = try Scalar<Secp256k1>(decoding: vector.keyBytes)
        let publicKey = Secp256k1.baseMultiply(scalar)
        let address = WalletAddress.ethereum(publicKey)
        #expect(WalletAddress.isValidEIP55(address))
        if vector.address == vector.address.lowercased() {
            #expect(address.lowercased() == vector.address)
        } else {
            #expect(address == vector.address)
        }
        #expect(try WalletAddress.address(curve: .secp256k1, publicKey: publicKey.encoded) == address)
    }

    @Test("Bitcoin Core's Base58 vectors encode and decode both ways", arguments: try AddressFixture.load().base58)
    func base58KnownAnswer(vector: AddressVectorFile.Base58Pair) throws {
        let bytes = try Hex.decode(vector.hex)
        #expect(Base58.encode(bytes) == vector.text)
        #expect(Base58.decode(vector.text) == bytes)
    }

    @Test(
        "published Solana ids and RFC 8032 keys have the published Base58 addresses",
        arguments: try AddressFixture.load().solana)
    func solanaKnownAnswer(vector: AddressVectorFile.Solana) throws {
        let bytes = try Hex.decode(vector.hex)
        #expect(bytes.count == 32)
        #expect(Base58.encode(bytes) == vector.address)
        #expect(Base58.decode(vector.address) == bytes)
        if vector.isPoint {
            #expect(WalletAddress.solana(try Point<Ed25519>(decoding: bytes)) == vector.address)
            #expect(try WalletAddress.address(curve: .ed25519, publicKey: bytes) == vector.address)
        } else {
            #expect(throws: ShareMathError.self) { try WalletAddress.address(curve: .ed25519, publicKey: bytes) }
        }
    }

    @Test("addresses are refused for encodings that are not canonical points")
    func addressRejectsBadEncodings() throws {
        #expect(throws: ShareMathError.wrongLength(expected: 33, actual: 32)) {
            try WalletAddress.address(curve: .secp256k1, publicKey: [UInt8](repeating: 2, count: 32))
        }
        #expect(throws: ShareMathError.identityPoint) {
            try WalletAddress.address(curve: .secp256k1, publicKey: [0x00])
        }
        // 04 || X || Y is valid SEC1 but not the canonical (compressed) encoding.
        let point = Secp256k1.baseMultiply(Secp256k1.element(1))
        let uncompressed = try #require(Secp256k1.uncompressedEncoding(point))
        #expect(throws: ShareMathError.wrongLength(expected: 33, actual: 65)) {
            try WalletAddress.address(curve: .secp256k1, publicKey: uncompressed)
        }
        #expect(throws: ShareMathError.wrongLength(expected: 32, actual: 33)) {
            try WalletAddress.address(curve: .ed25519, publicKey: point.encoded)
        }
    }

    @Test(
        "isValidEIP55 refuses text that is not a checksummed address",
        arguments: [
            "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  // no prefix
            "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  // capital X
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",  // 39 digits
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",  // 42 digits
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",  // not hex
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",  // right digits, no checksum (lowercase)
            "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED",  // right digits, no checksum (uppercase)
            " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "",
        ])
    func eip55Rejections(text: String) {
        #expect(!WalletAddress.isValidEIP55(text))
    }

    @Test(
        "Base58 decoding refuses characters outside Bitcoin's alphabet",
        arguments: ["0", "O", "I", "l", "1 1", "2g\n", "é", "+"])
    func base58Rejections(text: String) {
        #expect(Base58.decode(text) == nil)
    }
}

@Suite("Wallet addresses: properties")
struct AddressPropertyTests {
    @Test("Base58: decode(encode(bytes)) == bytes, one '1' per leading zero byte", .timeLimit(.minutes(1)))
    func base58RoundTrip() async {
        let input = zip(Gen.int(in: 0...4), Gen.uint8().array(of: 0...64)).map { zeros, rest in
            [UInt8](repeating: 0, count: zeros) + rest
        }
        await propertyCheck(count: 200, input: input) { bytes in
            let text = Base58.encode(bytes)
            #expect(Base58.decode(text) == bytes)
            let zeros = bytes.prefix { $0 == 0 }.count
            #expect(text.prefix { $0 == "1" }.count == zeros)
            #expect(text.allSatisfy { "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".contains($0) })
        }
    }

    @Test("EIP-55: a random key's address is valid, and a single flipped letter case is not", .timeLimit(.minutes(1)))
    func eip55OfRandomKeys() async {
        // Four words make the 32-byte big-endian key (zero or >= n only with probability 2^-128).
        let key = Gen.uint64().array(of: 4).map { words in
            words.flatMap { word in (0..<8).reversed().map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        }
        await propertyCheck(count: 60, input: key, Gen.int(in: 0...39)) { keyBytes, pick in
            let publicKey = Secp256k1.baseMultiply(try Scalar<Secp256k1>(decoding: keyBytes))
            let address = WalletAddress.ethereum(publicKey)
            #expect(address.count == 42 && address.hasPrefix("0x"))
            #expect(WalletAddress.isValidEIP55(address))
            #expect(try WalletAddress.address(curve: .secp256k1, publicKey: publicKey.encoded) == address)

            let characters = Array(address)
            let letters = characters.indices.dropFirst(2).filter { characters[$0].isLetter }
            guard !letters.isEmpty else { return }  // all 40 digits decimal: probability (10/16)^40
            let index = letters[pick % letters.count]
            let flipped = flippingCase(of: address, at: index)
            #expect(!WalletAddress.isValidEIP55(flipped), "case flipped at \(index) of \(address)")
        }
    }

    @Test("Keccak-256 across the 136-byte rate: 32 bytes, and lengths 134 to 138 all differ", .timeLimit(.minutes(1)))
    func keccakAcrossTheRate() async {
        await propertyCheck(count: 100, input: Gen.uint8().array(of: 138), Gen.int(in: 0...(138 * 8 - 1))) {
            bytes, bit in
            let digests = (134...138).map { Keccak256.hash(bytes.prefix($0)) }
            for digest in digests { #expect(digest.count == 32) }
            #expect(Set(digests.map(Hex.encode)).count == digests.count, "two prefixes of \(Hex.encode(bytes)) collide")
            // The generic entry point agrees whatever the collection type.
            #expect(Keccak256.hash(Array(bytes.prefix(136))) == digests[2])
            // One flipped bit anywhere changes the digest.
            var flipped = bytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(Keccak256.hash(flipped) != Keccak256.hash(bytes))
        }
    }
}

/// `text` with the letter at character offset `index` in the other case.
private func flippingCase(of text: String, at index: Int) -> String {
    var characters = Array(text)
    let character = characters[index]
    characters[index] = Character(character.isUppercase ? character.lowercased() : character.uppercased())
    return String(characters)
}
