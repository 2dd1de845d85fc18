/// What a store destroyed when it shredded a workspace.
public struct WorkspaceShredResult: Sendable, Hashable, Codable {
    /// The data-key versions whose wrapped keys were deleted, ascending.
    public var dataKeyVersionsDestroyed: [UInt32]
    /// How many kept secret versions (live and soft-deleted) were deleted with them.
    public var secretVersionsDestroyed: Int

    /// Makes a result; stores return it from a shred.
    public init(dataKeyVersionsDestroyed: [UInt32], secretVersionsDestroyed: Int) {
        self.dataKeyVersionsDestroyed = dataKeyVersionsDestroyed
        self.secretVersionsDestroyed = secretVersionsDestroyed
    }
}
