import ShareMath

/// The address a wallet shows for a public key, so a user can check that a sharing protects the key they fund.
///
/// secp256k1 keys get Ethereum's address (EVM chains share it): the last 20 bytes of the Keccak-256 of the
/// uncompressed point's `X || Y`, written with EIP-55's mixed-case checksum. ed25519 keys get Solana's: the
/// Base58 text of the 32-byte RFC 8032 encoding itself.
public enum WalletAddress {
    /// The EIP-55 checksummed Ethereum address (`0x`, 40 hex digits) of a secp256k1 key, as EVM wallets show it.
    ///
    /// - Precondition: `publicKey` is not the identity, which has no coordinates to hash (decoding never yields it).
    public static func ethereum(_ publicKey: Point<Secp256k1>) -> String {
        guard let uncompressed = Secp256k1.uncompressedEncoding(publicKey) else {
            preconditionFailure("the point at infinity has no Ethereum address")
        }
        // 04 || X || Y: the address hashes X || Y only.
        let digest = Keccak256.hash(uncompressed.dropFirst())
        return checksummed(digest.suffix(20))
    }

    /// The Solana address (Base58 of the 32-byte encoding) of an ed25519 public key, as Solana wallets show it.
    public static func solana(_ publicKey: Point<Ed25519>) -> String {
        Base58.encode(publicKey.encoded)
    }

    /// The address of a public key in its curve's canonical encoding, for callers that hold bytes and a curve name.
    ///
    /// - Parameters:
    ///   - curve: Which curve, and so which address format: Ethereum's for secp256k1, Solana's for ed25519.
    ///   - publicKey: 33-byte compressed SEC1 (secp256k1) or 32-byte RFC 8032 (ed25519).
    /// - Throws: The decoding's `ShareMathError` when the bytes are not a valid, canonical, non-identity point.
    public static func address(curve: CurveID, publicKey: [UInt8]) throws(ShareMathError) -> String {
        switch curve {
        case .secp256k1: return ethereum(try Point<Secp256k1>(decoding: publicKey))
        case .ed25519: return solana(try Point<Ed25519>(decoding: publicKey))
        }
    }

    /// Whether `address` is `0x` and 40 hex digits cased exactly as EIP-55 prescribes, to catch mistyped addresses.
    ///
    /// Strict: an address in one case throughout passes only if its checksum happens to give that casing (as the
    /// EIP's own all-caps and all-lowercase examples do); otherwise it carries no checksum and is refused.
    public static func isValidEIP55(_ address: String) -> Bool {
        let characters = Array(address.utf8)
        guard characters.count == 42, characters[0] == UInt8(ascii: "0"), characters[1] == UInt8(ascii: "x") else {
            return false
        }
        guard let bytes = try? Hex.decode(address.dropFirst(2)) else { return false }
        return checksummed(bytes) == address
    }

    /// EIP-55: the lowercase hex of a 20-byte address, each letter uppercased where the matching nibble of the
    /// Keccak-256 of that lowercase text (as ASCII) is 8 or more.
    static func checksummed(_ address: some Collection<UInt8>) -> String {
        precondition(address.count == 20, "an Ethereum address has 20 bytes")
        let lowercase = Array(Hex.encode(address).utf8)
        let hash = Keccak256.hash(lowercase)
        var text = Array("0x".utf8)
        for (index, character) in lowercase.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0f
            let isLetter = character >= UInt8(ascii: "a")
            text.append(isLetter && nibble >= 8 ? character - 0x20 : character)
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension ClientDetail.Wallet {
    /// The wallet's address (Ethereum's for secp256k1, Solana's for ed25519); empty if the stored key is not one.
    public var address: String {
        (try? WalletAddress.address(curve: curve, publicKey: Hex.decode(publicKey))) ?? ""
    }
}
