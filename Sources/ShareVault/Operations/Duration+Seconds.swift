extension Duration {
    /// The duration in seconds, for rates and timings in reports.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
