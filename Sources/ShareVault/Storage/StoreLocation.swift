import Foundation

/// Where a vault is: a SQLite file, or a PostgreSQL database (`--store URL`, `SHAREVAULT_STORE`).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// Reads `sqlite:PATH` or `postgres://USER@HOST[:PORT]/DATABASE` (`postgresql://` too). A password in the
    /// URL is refused: a command line is seen by every user of the machine, so it comes from `PGPASSWORD` or a
    /// file (`password`).
    public init(parsing text: String, password: String? = nil) throws(StoreLocationError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .malformed(text, "sqlite: needs a path, as in sqlite:vault.db") }
            self = .sqlite(path: path)
            return
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresURL(parsing: text, password: password))
            return
        }
        throw .malformed(text, "expected sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")
    }

    /// The location as errors and logs show it (never a password).
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return url.description
        }
    }
}

/// A PostgreSQL database's address and credentials.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public let user: String
    public let host: String
    public let port: Int
    public let database: String
    /// From `PGPASSWORD` or a password file; never shown.
    package let password: String?

    public init(parsing text: String, password: String?) throws(StoreLocationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else { throw .malformed(Self.redacted(text), "not a postgres:// URL") }
        guard components.password == nil else { throw .passwordInURL }
        guard let user = components.user, !user.isEmpty else {
            throw .malformed(Self.redacted(text), "the URL names no user (postgres://USER@HOST:PORT/DATABASE)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .malformed(Self.redacted(text), "the URL names no host")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw .malformed(Self.redacted(text), "the URL names no database (postgres://USER@HOST:PORT/DATABASE)")
        }
        guard components.query == nil, components.fragment == nil else {
            throw .malformed(Self.redacted(text), "options after the database are not read; leave them out")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw .malformed(Self.redacted(text), "port out of range") }
        self.user = user.removingPercentEncoding ?? user
        self.host = host
        self.port = port
        self.database = database.removingPercentEncoding ?? database
        self.password = password
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    public static func == (lhs: PostgresURL, rhs: PostgresURL) -> Bool { lhs.description == rhs.description }

    /// The text with a password (between the user's `:` and the `@`) dropped, for an error about a URL.
    static func redacted(_ text: String) -> String {
        guard let start = text.range(of: "://"), let at = text[start.upperBound...].firstIndex(of: "@"),
            let colon = text[start.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<colon]) + ":…" + String(text[at...])
    }
}

public enum StoreLocationError: Error, Equatable, CustomStringConvertible {
    case malformed(String, String)
    case passwordInURL

    public var description: String {
        switch self {
        case .malformed(let text, let reason): return "\(text): not a store: \(reason)"
        case .passwordInURL:
            return
                "the store URL holds a password, which every user of the machine can read on a command line: "
                + "put it in PGPASSWORD or a file (--store-password-file)"
        }
    }
}
