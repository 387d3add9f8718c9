/// Base58 with Bitcoin's alphabet, the text form of Solana addresses (and of Bitcoin's, before their checksum).
///
/// The bytes are read as one big-endian number and written in base 58, each leading zero byte as a `1`, so the
/// encoding keeps the input's length information. No checksum (that is Base58Check, not needed here).
package enum Base58 {
    /// Bitcoin's alphabet: the digits and letters without `0`, `O`, `I` and `l`, which are easily confused.
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// Each ASCII character's digit value, or -1 for characters outside the alphabet.
    private static let digitValues: [Int8] = {
        var values = [Int8](repeating: -1, count: 128)
        for (digit, character) in alphabet.enumerated() { values[Int(character)] = Int8(digit) }
        return values
    }()

    /// The Base58 text of `bytes`, for showing Solana addresses (the empty input gives the empty string).
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let zeros = input.prefix { $0 == 0 }.count
        // Base-58 digits of the rest, least significant first, by schoolbook multiply-and-add per input byte.
        var digits: [UInt8] = []
        digits.reserveCapacity(input.count * 138 / 100 + 1)
        for byte in input[zeros...] {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let text = [UInt8](repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[Int($0)] }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil if it holds anything outside the alphabet (whitespace included), so
    /// that a mistyped address is refused rather than read as some other key.
    package static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        let ones = characters.prefix { $0 == alphabet[0] }.count
        // Base-256 digits of the rest, least significant first.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count * 733 / 1000 + 1)
        for character in characters[ones...] {
            let value = character < 128 ? digitValues[Int(character)] : -1
            guard value >= 0 else { return nil }
            var carry = Int(value)
            for index in bytes.indices {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xff))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: ones) + bytes.reversed()
    }
}
