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
        let handle = try open(path)
        defer { if path != "-" { try? handle.close() } }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else {
            throw InputFileError(path: path, reason: "larger than the \(limit)-byte limit")
        }
        return data
    }

    /// The file at `path` opened for reading, or standard input for `-`; a missing file, a directory or one that
    /// cannot be opened is refused naming it.
    static func open(_ path: String) throws -> FileHandle {
        if path == "-" { return .standardInput }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputFileError(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw InputFileError(path: path, reason: "is a directory") }
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw InputFileError(path: path, reason: "cannot open for reading")
        }
        return opened
    }
}

/// Reads a file or standard input (`-`) a line at a time, in bounded memory: JSON Lines, one document a line.
/// A line over `limit` bytes is given as `.tooLong` (and skipped to its end) rather than read whole.
struct LineReader {
    enum Line {
        case text(number: Int, Data)
        case tooLong(number: Int)
    }

    private let handle: FileHandle
    private let closes: Bool
    private let limit: Int
    private var buffer = Data()
    private var atEnd = false
    private var number = 0
    /// Inside a line already reported too long, its rest still to be dropped.
    private var skipping = false

    init(_ path: String, limit: Int) throws {
        self.limit = limit
        handle = try InputFile.open(path)
        closes = path != "-"
    }

    /// The next non-blank line, or nil at the end.
    mutating func next() throws -> Line? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = buffer[buffer.startIndex..<newline]
                if line.last == 0x0D { line = line.dropLast() }  // CRLF
                buffer.removeSubrange(buffer.startIndex...newline)
                if skipping {
                    skipping = false
                    continue
                }
                number += 1
                if line.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) { continue }
                if line.count > limit { return .tooLong(number: number) }
                return .text(number: number, Data(line))
            }
            if buffer.count > limit, !skipping {
                number += 1
                buffer.removeAll()
                skipping = true
                return .tooLong(number: number)
            }
            if skipping { buffer.removeAll() }
            if atEnd {
                guard !buffer.isEmpty, !skipping else { return nil }
                buffer.append(UInt8(ascii: "\n"))
                continue
            }
            let chunk = try handle.read(upToCount: 1 << 16) ?? Data()
            if chunk.isEmpty {
                atEnd = true
                if closes { try? handle.close() }
            } else {
                buffer.append(chunk)
            }
        }
    }
}
