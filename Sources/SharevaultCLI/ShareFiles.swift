import Foundation
import ShareMath
import ShareVault

/// Writes share documents as new files (mode 0600) in a folder made 0700 if missing, in the clear or
/// sealed to a recipient's X25519 key; an existing share is never overwritten.
enum ShareFiles {
    static func write(
        _ documents: [(name: String, document: AnyShareDocument)], to directory: String, sealedTo recipient: [UInt8]? = nil
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
        for (item, path) in zip(documents, paths) {
            let text = SecureBytes(copying: Array((item.document.exportJSON() + "\n").utf8))
            if let recipient {
                let sealed = try SealedBox.seal(text, to: recipient)
                try PrivateFile.write(Data((Data(sealed).base64EncodedString() + "\n").utf8), to: path)
            } else {
                try text.withUnsafeBytes { try PrivateFile.write(Data($0), to: path) }
            }
        }
        return paths
    }

    /// A recipient's X25519 public key, as 64 hex digits in a file.
    static func recipient(from path: String) throws -> [UInt8] {
        let text = try String(decoding: InputFile.read(path, limit: 1024), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = try? Hex.decode(text), key.count == 32 else {
            throw CommandFailure(status: .badInput, message: "error: \(path): expected an X25519 public key as 64 hex digits")
        }
        do {
            try SealedBox.validate(recipient: key)
        } catch {
            throw CommandFailure(status: .badInput, message: "error: \(path): \(error)")
        }
        return key
    }
}
