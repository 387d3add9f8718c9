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
                message: "error: \(path + pendingSuffix): already exists, left by a recover that was stopped: if "
                    + "`sharevault inspect` shows the generation it made as active, these are its shares (rename them); "
                    + "otherwise that generation was never recorded (remove them)")
        }
        // A set is written whole or not at all: the files of a set that fails partway are removed.
        var written: [String] = []
        do {
            for (item, path) in zip(documents, paths) {
                let path = pending ? path + pendingSuffix : path
                let text = item.document.exportJSON().withUnsafeBytes { document in
                    SecureBytes.filled(count: document.count + 1) { out in
                        out.copyMemory(from: document)
                        out[document.count] = 0x0A
                    }
                }
                if let recipient {
                    let sealed = try SealedBox.seal(text, to: recipient)
                    try PrivateFile.write(Data((Data(sealed).base64EncodedString() + "\n").utf8), to: path)
                } else {
                    try text.withUnsafeBytes { (bytes) throws(VaultError) in
                        try PrivateFile.create(at: path, contents: bytes, alreadyExists: .fileExists(path: path))
                    }
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

    /// glibc's `renameat2`, which Swift's Glibc module does not export; looked up once.
    private static let renameat2:
        (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32)? = {
            guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
            return unsafeBitCast(
                address,
                to: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32).self)
        }()

    /// `RENAME_NOREPLACE` from <linux/fs.h>.
    private static let renameNoReplace: UInt32 = 1

    /// Gives pending files their names, never over an existing file: renamed with `RENAME_NOREPLACE`, or, on a
    /// file system without it (vfat, exFAT), renamed once the name is checked free.
    static func publish(_ paths: [String], generation: Int) throws {
        for path in paths {
            var status: Int32 = -1
            errno = ENOSYS
            if let renameat2 {
                status = renameat2(AT_FDCWD, path + pendingSuffix, AT_FDCWD, path, renameNoReplace)
            }
            if status != 0, errno == EINVAL || errno == ENOSYS {
                status = FileManager.default.fileExists(atPath: path) ? -1 : rename(path + pendingSuffix, path)
            }
            guard status == 0 else {
                throw CommandFailure(
                    status: .environment,
                    message:
                        "error: \(path): cannot name the recovered share file (\(String(cString: strerror(errno)))); "
                        + "signing generation \(generation) was recorded and is active: its shares are in the "
                        + "\(pendingSuffix) files beside it, rename them")
            }
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
