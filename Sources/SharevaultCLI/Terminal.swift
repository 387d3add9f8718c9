import Foundation

/// Where output goes: results on stdout, messages on stderr, progress only when stderr is a terminal.
enum Terminal {
    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Whether progress lines should be shown (stderr is a terminal).
    static var showsProgress: Bool { isatty(STDERR_FILENO) == 1 }

    /// Prints one JSON document on stdout.
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
