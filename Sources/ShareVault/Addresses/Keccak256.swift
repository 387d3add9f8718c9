/// Keccak-256 as Ethereum uses it: the Keccak team's original padding (`01 00 .. 00 80`), not SHA3-256's `06`.
///
/// Written from FIPS 202: the Keccak-f[1600] permutation (section 3.2, with the rotation offsets and round
/// constants derived by its Algorithms 2, 5 and 6 rather than copied as tables) and the sponge (section 4)
/// with rate 1088 bits and capacity 512. Only the padding differs from SHA3-256: Ethereum fixed its hash
/// before FIPS 202 added the `01` domain bits, so the message is followed directly by pad10*1.
package enum Keccak256 {
    /// Bytes in a digest.
    package static let digestLength = 32

    /// Bytes absorbed per permutation: the 1600-bit state less the 512-bit capacity.
    static let rate = 136

    /// The Keccak-256 digest (32 bytes) of `bytes`, the hash behind Ethereum addresses and EIP-55 checksums.
    package static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let message = Array(bytes)
        var state = [UInt64](repeating: 0, count: 25)
        var offset = 0
        while message.count - offset >= rate {
            absorb(message[offset..<(offset + rate)], into: &state)
            permute(&state)
            offset += rate
        }
        // pad10*1 over the last, partial block (which may be empty): a 1 bit after the message, a 1 bit at the
        // end of the block. With 135 bytes left both land in the same byte, 0x81.
        var last = [UInt8](repeating: 0, count: rate)
        let remaining = message.count - offset
        last.replaceSubrange(0..<remaining, with: message[offset...])
        last[remaining] ^= 0x01
        last[rate - 1] ^= 0x80
        absorb(last[...], into: &state)
        permute(&state)

        var digest: [UInt8] = []
        digest.reserveCapacity(digestLength)
        for lane in state.prefix(digestLength / 8) {
            for byte in 0..<8 { digest.append(UInt8(truncatingIfNeeded: lane >> (8 * UInt64(byte)))) }
        }
        return digest
    }

    // MARK: Sponge

    /// XORs one block into the first `rate / 8` lanes, each lane read little-endian (FIPS 202, section 1.1).
    private static func absorb(_ block: ArraySlice<UInt8>, into state: inout [UInt64]) {
        precondition(block.count == rate)
        let start = block.startIndex
        for lane in 0..<(rate / 8) {
            var word: UInt64 = 0
            for byte in 0..<8 { word |= UInt64(block[start + 8 * lane + byte]) << (8 * UInt64(byte)) }
            state[lane] ^= word
        }
    }

    // MARK: Keccak-f[1600]

    /// The 24 rounds of θ, ρ, π, χ and ι on a state held as 25 lanes, lane `(x, y)` at index `x + 5y`.
    static func permute(_ a: inout [UInt64]) {
        precondition(a.count == 25)
        var c = [UInt64](repeating: 0, count: 5)
        var b = [UInt64](repeating: 0, count: 25)
        for round in 0..<24 {
            // θ: add to each lane the parities of the two neighbouring columns.
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotateLeft(c[(x + 1) % 5], by: 1)
                for y in 0..<5 { a[x + 5 * y] ^= d }
            }
            // ρ and π: rotate each lane by its offset and move lane (x, y) to (y, 2x + 3y).
            for x in 0..<5 {
                for y in 0..<5 {
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = rotateLeft(a[x + 5 * y], by: rhoOffsets[x + 5 * y])
                }
            }
            // χ: the only non-linear step, along each row.
            for y in 0..<5 {
                for x in 0..<5 {
                    a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y])
                }
            }
            // ι: break the symmetry between rounds.
            a[0] ^= roundConstants[round]
        }
    }

    private static func rotateLeft(_ value: UInt64, by count: Int) -> UInt64 {
        count == 0 ? value : (value << UInt64(count)) | (value >> UInt64(64 - count))
    }

    /// ρ's rotation offsets by lane index `x + 5y` (FIPS 202, Algorithm 2): lane (0, 0) stays put, and walking
    /// (x, y) -> (y, 2x + 3y) from (1, 0), the t-th lane visited rotates by (t + 1)(t + 2) / 2 mod 64.
    static let rhoOffsets: [Int] = {
        var offsets = [Int](repeating: 0, count: 25)
        var (x, y) = (1, 0)
        for t in 0..<24 {
            offsets[x + 5 * y] = ((t + 1) * (t + 2) / 2) % 64
            (x, y) = (y, (2 * x + 3 * y) % 5)
        }
        return offsets
    }()

    /// ι's round constants (FIPS 202, Algorithms 5 and 6): bit 2^j - 1 of round i's constant is rc(j + 7i), the
    /// output of the LFSR x^8 + x^6 + x^5 + x^4 + 1 started at 1.
    static let roundConstants: [UInt64] = {
        var bits: [Bool] = []
        var register: UInt16 = 1
        for _ in 0..<(24 * 7) {
            bits.append(register & 1 == 1)
            register <<= 1
            // The bit shifted out at position 8 feeds back into positions 0, 4, 5 and 6.
            if register & 0x100 != 0 { register ^= 0x100 | 0x71 }
        }
        var constants = [UInt64](repeating: 0, count: 24)
        for round in 0..<24 {
            for j in 0..<7 where bits[j + 7 * round] {
                let position = (1 << j) - 1
                constants[round] |= UInt64(1) << UInt64(position)
            }
        }
        return constants
    }()
}
