import Foundation

/// Why an input file could not be read.
struct InputFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}

/// Reads input documents from files or standard input (`-`), refusing anything over a size limit.
enum InputFile {
    static func read(_ path: String, limit: Int) throws -> Data {
        let handle: FileHandle
        if path == "-" {
            handle = .standardInput
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputFileError(path: path, reason: "no such file")
            }
            guard !isDirectory.boolValue else { throw InputFileError(path: path, reason: "is a directory") }
            guard let opened = FileHandle(forReadingAtPath: path) else {
                throw InputFileError(path: path, reason: "cannot open for reading")
            }
            handle = opened
        }
        defer { if path != "-" { try? handle.close() } }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else {
            throw InputFileError(path: path, reason: "larger than the \(limit)-byte limit")
        }
        return data
    }
}
