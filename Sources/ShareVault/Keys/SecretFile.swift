import Foundation
import ShareMath

/// Why a file holding a secret could not be used.
package enum SecretFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    /// Group or others may read it: refused, as ssh refuses such a key.
    case tooOpen(path: String, mode: UInt16)
    case tooLarge(path: String, limit: Int)
    case invalidContents(path: String, reason: String)

    package var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .tooOpen(let path, let mode):
            return "\(path): permissions \(String(mode, radix: 8)) are too open; the file holds a secret, "
                + "so it must not be readable by group or others (chmod 600 \(path))"
        case .tooLarge(let path, let limit):
            return "\(path): larger than \(limit) bytes; not a secret file"
        case .invalidContents(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}

/// Reads secrets from files straight into guarded memory, refusing files others can read.
package enum SecretFile {
    /// Reads the whole file (at most `limit` bytes) into guarded memory.
    package static func readBytes(at path: String, limit: Int = 4096) throws(SecretFileError) -> SecureBytes {
        // Opened once and checked through the descriptor: one path lookup, and the file checked is the one read.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw .missing(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        let mode = UInt16(status.st_mode & 0o777)
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: mode) }
        guard Int(status.st_size) <= limit else { throw .tooLarge(path: path, limit: limit) }
        guard status.st_size > 0 else { throw .invalidContents(path: path, reason: "empty file") }
        let size = Int(status.st_size)
        var total = 0
        var failure: String?
        let bytes = SecureBytes.filled(count: size) { buffer in
            while total < size {
                let count = read(descriptor, buffer.uint8 + total, size - total)
                if count <= 0 {
                    failure = count == 0 ? "file shrank while reading" : String(cString: strerror(errno))
                    return
                }
                total += count
            }
        }
        if let failure { throw .unreadable(path: path, reason: failure) }
        return bytes
    }

    /// Reads a hex-encoded secret (surrounding whitespace allowed) into guarded memory.
    package static func readHex(at path: String) throws(SecretFileError) -> SecureBytes {
        let raw = try readBytes(at: path)
        do {
            return try raw.withUnsafeBytes { (buffer) throws(ShareMathError) in
                var start = 0
                var end = buffer.count
                while start < end, isWhitespace(buffer[start]) { start += 1 }
                while end > start, isWhitespace(buffer[end - 1]) { end -= 1 }
                return try Hex.decodeSecret(ascii: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
            }
        } catch {
            throw .invalidContents(path: path, reason: "expected the secret as hex: \(error)")
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
    }
}
