extension StringProtocol {
    /// The text without leading and trailing ASCII spaces, tabs and line breaks (cheaper than Foundation's
    /// `trimmingCharacters`, which the per-pair paths cannot afford).
    var trimmingASCIIWhitespace: Substring {
        let whitespace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\r\n" }
        let text = Substring(self)
        guard let first = text.firstIndex(where: { !whitespace($0) }),
            let last = text.lastIndex(where: { !whitespace($0) })
        else { return "" }
        return text[first...last]
    }
}
