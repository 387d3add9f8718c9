import Foundation
import Logging
import ShareVault
import Synchronization

/// How log lines are written: swift-log's plain text, or one JSON object per line (`serve --log-format json`, for
/// a log collector). Chosen before the command makes its loggers.
enum LogFormat: String, CaseIterable, Sendable {
    case text, json

    private static let chosen = Mutex(LogFormat.text)

    /// The format loggers made from now on write.
    static var current: LogFormat {
        get { chosen.withLock { $0 } }
        set { chosen.withLock { $0 = newValue } }
    }

    /// A handler for `label` in the current format, at `level`.
    static func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch current {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            var handler = JSONLineLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// One JSON object per line on standard error: `time` (as the vault writes times), `level`, `label`, `message`,
/// and every metadata value as a string beside them. Each line goes out in one write, so lines from several
/// threads do not interleave.
struct JSONLineLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        print(line(level: event.level, message: event.message, metadata: event.metadata))
    }

    /// The line for an entry: the handler's metadata, the entry's over it, then the four fixed keys over both.
    func line(level: Logger.Level, message: Logger.Message, metadata entry: Logger.Metadata?) -> String {
        var object: [String: String] = [:]
        for (key, value) in metadata.merging(entry ?? [:], uniquingKeysWith: { $1 }) { object[key] = "\(value)" }
        object["time"] = VaultClock.format(Date())
        object["level"] = level.rawValue
        object["label"] = label
        object["message"] = message.description
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private func print(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
