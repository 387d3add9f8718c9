extension Array {
    /// The array cut, in order, into consecutive runs of `size` elements (the last may be shorter).
    package func batches(of size: Int) -> [ArraySlice<Element>] {
        precondition(size > 0, "a batch holds at least one element")
        return stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
