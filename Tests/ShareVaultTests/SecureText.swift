import ShareMath

extension SecureBytes {
    /// The bytes as text, for tests that look at what a writer produced.
    var text: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

extension String {
    /// The text in guarded memory, for writers that take secrets.
    var secure: SecureBytes { SecureBytes(copying: Array(utf8)) }
}
