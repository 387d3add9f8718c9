extension Duration {
    /// The duration in seconds, for the bench's rates.
    var inSeconds: Double { self / .seconds(1) }
}
