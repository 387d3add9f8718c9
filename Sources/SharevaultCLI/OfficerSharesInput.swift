import ArgumentParser
import Foundation
import ShareMath
import ShareVault

/// Officers' share files pasted one after another on standard input (`serve --key-shares-from-stdin`): split at
/// each file's header line and read each as its file would be, in guarded memory.
enum OfficerSharesInput {
    /// At most this many bytes are read: a share file is a few hundred.
    static let limit = 64 * 1024
    static let header = Array("sharevault officer share v1".utf8)

    static func read(_ input: SecureBytes, reader: OfficerShareReader) throws -> [OfficerShare] {
        // The documents' starts: each line that is the header (public text; the shares' own lines stay in place).
        let starts: [Int] = input.withUnsafeBytes { bytes in
            var starts: [Int] = []
            var lineStart = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "\n") {
                if bytes[lineStart..<index].elementsEqual(header) { starts.append(lineStart) }
                lineStart = index + 1
            }
            return starts
        }
        guard !starts.isEmpty else {
            throw ValidationError(
                "no officer key share on standard input (each begins with \"sharevault officer share v1\")")
        }
        let ends = Array(starts.dropFirst()) + [input.count]
        return try zip(starts, ends).enumerated().map { index, range in
            // Blank lines between pasted files belong to neither: each document ends with its last line's newline.
            let document = input.withUnsafeBytes { bytes in
                var end = range.1
                while end > range.0 + 1, bytes[end - 1] == UInt8(ascii: "\n"), bytes[end - 2] == UInt8(ascii: "\n") {
                    end -= 1
                }
                return SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[range.0..<end]))
            }
            return try reader.read(contents: document, label: "standard input, share \(index + 1)")
        }
    }
}

/// Standard input read whole into guarded memory.
enum StandardInput {
    /// Reads until end of input; more than `limit` bytes is refused.
    static func readSecret(limit: Int) throws -> SecureBytes {
        let buffer = SecureBytes(zeroedCount: limit + 1)
        let count = buffer.withUnsafeMutableBytes { bytes -> Int in
            var total = 0
            while total < bytes.count {
                let read = Glibc.read(STDIN_FILENO, bytes.baseAddress! + total, bytes.count - total)
                if read < 0, errno == EINTR { continue }
                guard read > 0 else { break }
                total += read
            }
            return total
        }
        guard count <= limit else { throw ValidationError("standard input holds more than \(limit) bytes") }
        return buffer.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}
