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

extension UnsafeRawBufferPointer {
    /// `range` without the ASCII spaces, tabs and line breaks at either end, for text read in place as bytes.
    func trimmingASCIIWhitespace(_ range: Range<Int>) -> Range<Int> {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, isSpace(self[lower]) { lower += 1 }
        while upper > lower, isSpace(self[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
