import Foundation
import ShareMath
import ShareVault

/// Writes share documents as new files (mode 0600) in a folder made 0700 if missing, in the clear or
/// sealed to a recipient's X25519 key; an existing share is never overwritten.
enum ShareFiles {
    /// With `pending`, each file is written as `NAME.pending`, to be given its name by `publish` once what it
    /// belongs to is recorded (a recovery's new generation); the names returned are the final ones.
    static func write(
        _ documents: [(name: String, document: AnyShareDocument)], to directory: String,
        sealedTo recipient: [UInt8]? = nil,
        pending: Bool = false
    ) throws -> [String] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if !manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try manager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw CommandFailure(status: .environment, message: "error: \(directory): cannot create directory")
            }
        } else if !isDirectory.boolValue {
            throw CommandFailure(status: .badInput, message: "error: \(directory): not a directory")
        }
        let paths = documents.map {
            (directory as NSString).appendingPathComponent($0.name + (recipient == nil ? ".json" : ".sealed"))
        }
        for path in paths where manager.fileExists(atPath: path) {
            throw CommandFailure(status: .badInput, message: "error: \(path): already exists; not overwriting a share")
        }
        for path in paths where pending && manager.fileExists(atPath: path + pendingSuffix) {
            throw CommandFailure(
                status: .badInput,
                message: "error: \(path + pendingSuffix): already exists, left by a recover that was stopped before it "
                    + "recorded its generation; remove it (its shares were never made live)")
        }
        // A set is written whole or not at all: the files of a set that fails partway are removed.
        var written: [String] = []
        do {
            for (item, path) in zip(documents, paths) {
                let path = pending ? path + pendingSuffix : path
                let text = SecureBytes(copying: Array((item.document.exportJSON() + "\n").utf8))
                if let recipient {
                    let sealed = try SealedBox.seal(text, to: recipient)
                    try PrivateFile.write(Data((Data(sealed).base64EncodedString() + "\n").utf8), to: path)
                } else {
                    try text.withUnsafeBytes { try PrivateFile.write(Data($0), to: path) }
                }
                written.append(path)
            }
        } catch {
            for path in written { unlink(path) }
            throw error
        }
        return paths
    }

    static let pendingSuffix = ".pending"

    /// Gives pending files their names: each is linked to its final name (never over an existing file) and its
    /// pending name removed.
    static func publish(_ paths: [String]) throws {
        for path in paths {
            guard link(path + pendingSuffix, path) == 0 else {
                throw CommandFailure(
                    status: .environment, message: "error: \(path): cannot name the recovered share file")
            }
            unlink(path + pendingSuffix)
        }
    }

    /// Removes pending files that will not be published.
    static func discard(_ paths: [String]) {
        for path in paths { unlink(path + pendingSuffix) }
    }

    /// A recipient's X25519 public key, as 64 hex digits in a file.
    static func recipient(from path: String) throws -> [UInt8] {
        let text = try String(decoding: InputFile.read(path, limit: 1024), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = try? Hex.decode(text), key.count == 32 else {
            throw CommandFailure(
                status: .badInput, message: "error: \(path): expected an X25519 public key as 64 hex digits")
        }
        do {
            try SealedBox.validate(recipient: key)
        } catch {
            throw CommandFailure(status: .badInput, message: "error: \(path): \(error)")
        }
        return key
    }
}
