public import CofferCrypto

/// Where a KEK rotation is, reported after every batch (never any key).
public struct KEKRotationProgress: Sendable, Hashable, Codable {
    /// The KEK the data keys are being re-wrapped under.
    public var newKEK: KEKIdentifier
    /// Data keys re-wrapped by this run.
    public var rewrapped: Int
    /// Data keys not wrapped by the new KEK when this run started.
    public var total: Int
    /// Batches committed.
    public var batches: Int
    /// True in the last report of a completed rotation: every data key is wrapped by
    /// ``newKEK`` and no other KEK is needed any more.
    public var finished: Bool

    /// Creates a progress report.
    public init(newKEK: KEKIdentifier, rewrapped: Int, total: Int, batches: Int, finished: Bool) {
        self.newKEK = newKEK
        self.rewrapped = rewrapped
        self.total = total
        self.batches = batches
        self.finished = finished
    }
}
