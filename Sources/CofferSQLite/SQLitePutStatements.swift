/// The SQL of a put's write transaction, in one place: ``SQLiteStore`` runs these statements,
/// and `coffer-vault-bench --put-breakdown` runs cumulative subsets of them to measure what
/// each part costs (SPI, `@_spi(Testing)`), so the two cannot drift apart.
@_spi(Testing)
public enum SQLitePutStatements {
    /// The workspace's state and whether data key `?2` is usable (exists, not retired).
    public static let workspaceState = """
        SELECT deleted_at IS NOT NULL, shredded_at IS NOT NULL,
               ?2 >= min_dek_version AND EXISTS (SELECT 1 FROM data_keys WHERE workspace_id = ?1 AND version = ?2)
        FROM workspaces WHERE id = ?1
        """
    /// The secret's last version number ever written.
    public static let secretRead = "SELECT last_version FROM secrets WHERE workspace_id = ?1 AND name = ?2"
    /// A secret's first version.
    public static let secretInsert = "INSERT INTO secrets (workspace_id, name, last_version) VALUES (?1, ?2, 1)"
    /// A secret's later versions.
    public static let secretAdvance = "UPDATE secrets SET last_version = ?3 WHERE workspace_id = ?1 AND name = ?2"
    /// Counts `?4` encryptions under data key `?2`, only if usable and within the limit `?3`.
    public static let countEncryptions = """
        UPDATE data_keys SET encryption_count = encryption_count + ?4
        WHERE workspace_id = ?1 AND version = ?2
          AND version >= (SELECT min_dek_version FROM workspaces WHERE id = ?1)
          AND (?3 IS NULL OR encryption_count <= ?3 - ?4)
        """
    /// The version row.
    public static let versionInsert = """
        INSERT INTO secret_versions
            (workspace_id, name, version, dek_version, ciphertext, kind, content_type, labels, expires_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// The audit chain head.
    public static let headRead = "SELECT sequence, mac, key_version, seal FROM audit_head WHERE id = 1"
    /// One audit record.
    public static let recordInsert = """
        INSERT INTO audit_log
            (sequence, time, actor, action, outcome, workspace, name, version, detail, key_version, mac)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// The first head (the row does not exist before the first append).
    public static let headInsert = "INSERT INTO audit_head (id, sequence, mac, key_version, seal) VALUES (1, ?1, ?2, ?3, ?4)"
    /// Every later head.
    public static let headUpdate = "UPDATE audit_head SET sequence = ?1, mac = ?2, key_version = ?3, seal = ?4 WHERE id = 1"
}
