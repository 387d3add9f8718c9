import Foundation
import ShareMath
import ShareVault

/// Where output goes: results on stdout, messages on stderr, progress only when stderr is a terminal.
enum Terminal {
    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Writes text on stdout as it is (no line break added), unbuffered: do not mix with `print`.
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { writeOut(UnsafeRawBufferPointer($0)) }
    }

    /// Writes a secret on stdout straight from guarded memory (unbuffered, so no copy is left in a stdio buffer):
    /// only export commands (`shares split`) call this.
    static func write(secret: SecureBytes) {
        secret.withUnsafeBytes { writeOut($0) }
    }

    private static func writeOut(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(STDOUT_FILENO, start + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Whether progress lines should be shown (stderr is a terminal).
    static var showsProgress: Bool { isatty(STDERR_FILENO) == 1 }

    /// Prints one JSON document on stdout.
    static func printJSON(_ value: some Encodable) throws {
        let encoder = jsonEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// The encoder of every JSON report: times as the vault writes them (ISO 8601, UTC, milliseconds).
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(VaultClock.format(date))
        }
        return encoder
    }

    /// A time as reports show it; `absent` when there is none.
    static func time(_ date: Date?, absent: String = "never") -> String {
        date.map(VaultClock.format) ?? absent
    }
}
