import Foundation

/// The package's `fixtures/` directory, found from this file's path (the fixtures are not bundle resources).
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ShareMathTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("fixtures")

    /// Decodes `fixtures/vectors/<name>`.
    static func vectors<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let data = try Data(contentsOf: root.appendingPathComponent("vectors").appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }
}
