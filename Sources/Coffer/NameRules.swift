/// The documented charset and length of workspace ids and secret names.
///
/// - Workspace id: 1–64 characters from `a-z 0-9 . _ -`, starting with a letter or digit.
/// - Secret name: 1–256 characters from `A-Z a-z 0-9 . _ - /`, starting with a letter or digit,
///   with no empty path segment (`//`), no trailing `/` and no `.` or `..` segment.
///
/// Both are stored in the clear and bound into every ciphertext's AAD.
public enum NameRules {
    /// Longest workspace id, in characters (ASCII, so also bytes).
    public static let maxWorkspaceLength = 64
    /// Longest secret name, in characters (ASCII, so also bytes).
    public static let maxSecretNameLength = 256

    /// Returns nil when `id` is a valid workspace id, otherwise a sentence saying what is wrong.
    public static func problem(withWorkspace id: String) -> String? {
        let u = Array(id.utf8)
        if u.isEmpty { return "workspace id is empty" }
        if u.count > maxWorkspaceLength { return "workspace id is longer than \(maxWorkspaceLength) characters" }
        if !isAlnumLower(u[0]) { return "workspace id must start with a lowercase letter or digit" }
        for c in u where !(isAlnumLower(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")) {
            _ = c
            return "workspace id may only contain a-z, 0-9, '.', '_' and '-'"
        }
        return nil
    }

    /// Returns nil when `name` is a valid secret name, otherwise a sentence saying what is wrong.
    public static func problem(withSecretName name: String) -> String? {
        // One pass over the UTF-8 bytes (this runs on every get and put); the checks keep the
        // documented order: empty, length, first character, charset, then path segments.
        let u = name.utf8
        guard let first = u.first else { return "secret name is empty" }
        if u.count > maxSecretNameLength { return "secret name is longer than \(maxSecretNameLength) characters" }
        if !isAlnum(first) { return "secret name must start with a letter or digit" }
        var emptySegment = false, dotSegment = false
        var segmentLength = 0, segmentDots = 0
        for c in u {
            if c == UInt8(ascii: "/") {
                if segmentLength == 0 { emptySegment = true }
                if segmentLength > 0 && segmentLength <= 2 && segmentDots == segmentLength { dotSegment = true }
                segmentLength = 0
                segmentDots = 0
            } else if isAlnum(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") {
                segmentLength += 1
            } else if c == UInt8(ascii: ".") {
                segmentLength += 1
                segmentDots += 1
            } else {
                return "secret name may only contain A-Z, a-z, 0-9, '.', '_', '-' and '/'"
            }
        }
        if segmentLength == 0 { emptySegment = true }
        if segmentLength > 0 && segmentLength <= 2 && segmentDots == segmentLength { dotSegment = true }
        if emptySegment { return "secret name has an empty path segment ('//' or a trailing '/')" }
        if dotSegment { return "secret name may not contain '.' or '..' segments" }
        return nil
    }

    private static func isAlnumLower(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        isAlnumLower(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }
}
