import Coffer
import CofferInput
import Foundation
import Logging
import PostgresNIO

/// The versioned schema of a Coffer PostgreSQL database, inside one PostgreSQL schema
/// (``PostgresStore/Options/schema``, default `coffer`).
///
/// Migrations run as the maintenance role, which owns the schema and its tables, in one
/// transaction under an advisory lock (so several instances starting at once migrate once).
/// Each applied migration is a row of `schema_migrations(version, description, applied_at)`; a
/// database that lists a version this code does not know was written by a newer Coffer and is
/// refused with ``VaultError/storeCorrupted(_:)``.
///
/// Tables (names `COLLATE "C"`, so they compare and sort in byte order like SQLite; timestamps
/// `bigint` microseconds since the Unix epoch):
/// - `workspaces(id PK, created_at, primary_dek_version, min_dek_version, last_dek_version,
///   max_dek_age_seconds, max_dek_encryptions)` — `last_dek_version` is the highest data-key
///   version ever created, so destroyed numbers are never reused;
/// - `data_keys(workspace_id → workspaces, version, kek_id, wrapped, created_at,
///   encryption_count, PK(workspace_id, version))`;
/// - `secrets(workspace_id → workspaces, name, last_version, PK(workspace_id, name))` —
///   `last_version` is the highest version ever written; its row is the lock that serializes
///   writers of one secret;
/// - `secret_versions((workspace_id, name) → secrets, version, dek_version, ciphertext, kind,
///   content_type, labels jsonb, expires_at, created_at, deleted_at, PK(workspace_id, name, version))`.
///
/// Migration 2 adds `workspaces.key_generation, deleted_at, shredded_at`, a partial index on
/// `secret_versions(deleted_at)`, the store-wide audit tables `audit_keys`, `audit_log`,
/// `audit_head` (one row, the genesis head inserted by the migration) and `audit_checkpoint`
/// (at most one row), and `shred_bound_workspace(now, generation)`: a `SECURITY DEFINER`
/// function owned by the maintenance role that shreds the workspace bound to the transaction
/// (and nothing else: RLS is forced on its owner too), so the application role can shred without
/// being allowed to delete data keys or secret rows itself.
///
/// Migration 3 adds `SECURITY INVOKER` functions that bind the workspace themselves
/// (`set_config(…, true)`, transaction-local) and then work under row-level security as the
/// calling role: `read_secret_version(workspace, name, version)` (a get is one statement and one
/// round trip), and `begin_put`/`finish_put` (a put is `BEGIN`, `begin_put` — lock, check,
/// count the encryption, reserve the version — the seal in Swift, `finish_put` — prune, insert,
/// advance — and `COMMIT`: four round trips instead of eight).
///
/// Migration 4 replaces `begin_put` with one that takes how many encryptions to count
/// (`p_count`: 1, a lease block, or 0 for an encryption the vault leased earlier, which only
/// reads the data-key row). Migration 5 adds `put_secret`: a whole put in one statement, with
/// the value sealed beforehand under the version the store expects; a wrong guess answers
/// `retry` and the right number, writing nothing. Migration 6 adds `put_secret_audited`:
/// `put_secret` and, when it stored the version, the put's audit record and the new chain
/// head, if the head row is not locked by another writer (`FOR UPDATE SKIP LOCKED`) and is
/// still the head the record was chained after; it answers `written`, `locked`, `stale` (the
/// put is stored without its record) or `none` (nothing was stored).
///
/// Row-level security is ENABLED and FORCED on the four tenant tables (so it binds the owner
/// too); the audit tables have none (they are store-wide) and are guarded by grants alone. The policies:
/// - policy `workspace_isolation` (every role): a row is visible and writable only when its
///   workspace is the one bound to the transaction with
///   `set_config('coffer.workspace', <id>, true)`;
/// - policy `fleet_maintenance` (only the role that ran the migration, i.e. the maintenance
///   role): every row, when the transaction set `set_config('coffer.fleet', 'on', true)`. Other
///   roles can set that variable too, but no policy of theirs reads it.
///
/// After migrating, the application role (``PostgresStore/Options/applicationRole``) is granted
/// exactly what the workspace-scoped operations need (docs/POSTGRES.md lists it); it never owns
/// anything and must not have BYPASSRLS.
enum PostgresSchema {
    /// A migration: version number, description, SQL (`{S}` stands for the quoted schema).
    struct Migration: Sendable {
        var version: Int32
        var description: String
        var sql: String
    }

    static let tenantTables = ["workspaces", "data_keys", "secrets", "secret_versions"]

    static let migrations: [Migration] = [
        Migration(version: 1, description: "workspaces, data keys, secrets, secret versions; row-level security", sql: """
            CREATE TABLE {S}.workspaces (
                id text COLLATE "C" NOT NULL PRIMARY KEY,
                created_at bigint NOT NULL,
                primary_dek_version bigint NOT NULL,
                min_dek_version bigint NOT NULL DEFAULT 1,
                last_dek_version bigint NOT NULL,
                max_dek_age_seconds double precision,
                max_dek_encryptions bigint
            );
            CREATE TABLE {S}.data_keys (
                workspace_id text COLLATE "C" NOT NULL REFERENCES {S}.workspaces(id) ON DELETE CASCADE,
                version bigint NOT NULL,
                kek_id text NOT NULL,
                wrapped bytea NOT NULL,
                created_at bigint NOT NULL,
                encryption_count bigint NOT NULL DEFAULT 0 CHECK (encryption_count >= 0),
                PRIMARY KEY (workspace_id, version)
            );
            CREATE INDEX data_keys_kek ON {S}.data_keys(kek_id);
            CREATE TABLE {S}.secrets (
                workspace_id text COLLATE "C" NOT NULL REFERENCES {S}.workspaces(id) ON DELETE CASCADE,
                name text COLLATE "C" NOT NULL,
                last_version bigint NOT NULL,
                PRIMARY KEY (workspace_id, name)
            );
            CREATE TABLE {S}.secret_versions (
                workspace_id text COLLATE "C" NOT NULL,
                name text COLLATE "C" NOT NULL,
                version bigint NOT NULL,
                dek_version bigint NOT NULL,
                ciphertext bytea NOT NULL,
                kind text NOT NULL,
                content_type text,
                labels jsonb NOT NULL DEFAULT '{}',
                expires_at bigint,
                created_at bigint NOT NULL,
                deleted_at bigint,
                PRIMARY KEY (workspace_id, name, version),
                FOREIGN KEY (workspace_id, name) REFERENCES {S}.secrets(workspace_id, name) ON DELETE CASCADE
            );
            CREATE INDEX secret_versions_dek ON {S}.secret_versions(workspace_id, dek_version, name, version);
            CREATE INDEX secret_versions_expires_at ON {S}.secret_versions(expires_at) WHERE expires_at IS NOT NULL;
            """ + tenantTables.map { table in
                let column = table == "workspaces" ? "id" : "workspace_id"
                return """

                    ALTER TABLE {S}.\(table) ENABLE ROW LEVEL SECURITY;
                    ALTER TABLE {S}.\(table) FORCE ROW LEVEL SECURITY;
                    CREATE POLICY workspace_isolation ON {S}.\(table)
                        USING (\(column) = current_setting('coffer.workspace', true))
                        WITH CHECK (\(column) = current_setting('coffer.workspace', true));
                    CREATE POLICY fleet_maintenance ON {S}.\(table) TO CURRENT_USER
                        USING (current_setting('coffer.fleet', true) = 'on')
                        WITH CHECK (current_setting('coffer.fleet', true) = 'on');
                    """
            }.joined()),
        Migration(version: 2, description: "workspace key generations and states; retention index; audit log", sql: """
            ALTER TABLE {S}.workspaces ADD COLUMN key_generation text COLLATE "C";
            ALTER TABLE {S}.workspaces ADD COLUMN deleted_at bigint;
            ALTER TABLE {S}.workspaces ADD COLUMN shredded_at bigint;
            CREATE INDEX workspaces_deleted_at ON {S}.workspaces(deleted_at) WHERE deleted_at IS NOT NULL AND shredded_at IS NULL;
            CREATE INDEX secret_versions_deleted_at ON {S}.secret_versions(deleted_at) WHERE deleted_at IS NOT NULL;
            CREATE TABLE {S}.audit_keys (
                version bigint NOT NULL PRIMARY KEY,
                kek_id text NOT NULL,
                wrapped bytea NOT NULL,
                created_at bigint NOT NULL
            );
            CREATE TABLE {S}.audit_log (
                sequence bigint NOT NULL PRIMARY KEY CHECK (sequence > 0),
                time bigint NOT NULL,
                actor text COLLATE "C" NOT NULL,
                action text COLLATE "C" NOT NULL,
                outcome text COLLATE "C" NOT NULL,
                workspace text COLLATE "C",
                name text COLLATE "C",
                version bigint,
                detail text COLLATE "C",
                key_version bigint NOT NULL,
                mac bytea NOT NULL
            );
            CREATE INDEX audit_log_workspace ON {S}.audit_log(workspace, sequence);
            CREATE INDEX audit_log_time ON {S}.audit_log(time);
            CREATE TABLE {S}.audit_head (
                id boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (id),
                sequence bigint NOT NULL,
                mac bytea NOT NULL,
                key_version bigint NOT NULL,
                seal bytea NOT NULL
            );
            INSERT INTO {S}.audit_head (id, sequence, mac, key_version, seal)
                VALUES (true, 0, decode(repeat('00', 32), 'hex'), 0, ''::bytea);
            CREATE TABLE {S}.audit_checkpoint (
                id boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (id),
                sequence bigint NOT NULL,
                mac bytea NOT NULL,
                created_at bigint NOT NULL,
                key_version bigint NOT NULL,
                seal bytea NOT NULL
            );
            CREATE FUNCTION {S}.shred_bound_workspace(p_now bigint, p_generation text)
                RETURNS TABLE (dek_versions bigint[], versions_destroyed bigint)
                LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                AS $shred$
                WITH w AS (
                    UPDATE {S}.workspaces
                    SET shredded_at = p_now, deleted_at = COALESCE(deleted_at, p_now), key_generation = p_generation
                    WHERE id = current_setting('coffer.workspace', true) AND shredded_at IS NULL
                    RETURNING id),
                k AS (DELETE FROM {S}.data_keys d USING w WHERE d.workspace_id = w.id RETURNING d.version),
                v AS (DELETE FROM {S}.secret_versions x USING w WHERE x.workspace_id = w.id RETURNING 1),
                s AS (DELETE FROM {S}.secrets x USING w WHERE x.workspace_id = w.id RETURNING 1)
                SELECT COALESCE((SELECT array_agg(version ORDER BY version) FROM k), ARRAY[]::bigint[]),
                       (SELECT COUNT(*) FROM v)
                FROM w
                $shred$;
            REVOKE ALL ON FUNCTION {S}.shred_bound_workspace(bigint, text) FROM PUBLIC
            """),
        // One round trip per read: the function binds the workspace for the statement's own
        // transaction and reads under row-level security as its caller (SECURITY INVOKER), so
        // a get is one statement instead of BEGIN, set_config, SELECT, COMMIT. PL/pgSQL, not
        // SQL: a non-inlined SQL function plans its statements again on every call, PL/pgSQL
        // keeps the plans for the session (the connection).
        Migration(version: 3, description: "workspace-bound functions: read_secret_version, begin_put, finish_put", sql: """
            CREATE FUNCTION {S}.read_secret_version(p_workspace text, p_name text, p_version bigint)
                RETURNS TABLE (r_version bigint, r_dek_version bigint, r_kind text, r_content_type text, r_labels text,
                               r_expires_at bigint, r_created_at bigint, r_deleted_at bigint, r_ciphertext bytea)
                LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
                AS $read$
                BEGIN
                    PERFORM set_config('coffer.workspace', p_workspace, true);
                    RETURN QUERY
                    SELECT v.version, v.dek_version, v.kind, v.content_type, v.labels::text, v.expires_at, v.created_at,
                           v.deleted_at, v.ciphertext
                    FROM {S}.secret_versions AS v
                    WHERE v.workspace_id = p_workspace AND v.name = p_name AND (p_version IS NULL OR v.version = p_version)
                      AND EXISTS (SELECT 1 FROM {S}.workspaces AS lw
                                  WHERE lw.id = p_workspace AND lw.deleted_at IS NULL AND lw.shredded_at IS NULL)
                    ORDER BY v.version DESC LIMIT 1;
                END
                $read$;
            REVOKE ALL ON FUNCTION {S}.read_secret_version(text, text, bigint) FROM PUBLIC;
            """ + beginPutFunction(parameters: "", counting: countOne) + """
            REVOKE ALL ON FUNCTION {S}.begin_put(text, text, bigint, bigint, bigint) FROM PUBLIC;
            CREATE FUNCTION {S}.finish_put(p_workspace text, p_name text, p_version bigint, p_dek bigint, p_ciphertext bytea,
                                           p_kind text, p_content_type text, p_labels jsonb, p_expires_at bigint,
                                           p_created_at bigint, p_max_versions bigint)
                RETURNS void
                LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
                AS $fin$
                BEGIN
                    PERFORM set_config('coffer.workspace', p_workspace, true);
            """ + pruneAndInsertVersion + """
                    UPDATE {S}.secrets SET last_version = p_version WHERE workspace_id = p_workspace AND name = p_name;
                END
                $fin$;
            REVOKE ALL ON FUNCTION {S}.finish_put(text, text, bigint, bigint, bytea, text, text, jsonb, bigint, bigint, bigint) FROM PUBLIC
            """),
        Migration(version: 4, description: "begin_put counts a lease of encryptions (or none) per put", sql: """
            DROP FUNCTION {S}.begin_put(text, text, bigint, bigint, bigint);
            """ + beginPutFunction(parameters: ", p_count bigint", counting: countLeased) + """
            REVOKE ALL ON FUNCTION {S}.begin_put(text, text, bigint, bigint, bigint, bigint) FROM PUBLIC
            """),
        Migration(version: 5, description: "put_secret: a put in one statement", sql: """
            CREATE FUNCTION {S}.put_secret(p_workspace text, p_name text, p_expected bigint, p_dek bigint, p_limit bigint,
                                           p_count bigint, p_version bigint, p_ciphertext bytea, p_kind text,
                                           p_content_type text, p_labels jsonb, p_expires_at bigint, p_created_at bigint,
                                           p_max_versions bigint)
                RETURNS TABLE (r_status text, r_version bigint, r_current bigint)
                LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
                AS $one$
                DECLARE
                    w_min bigint;
                    w_deleted bigint;
                    w_shredded bigint;
                    s_last bigint;
                    s_exists boolean;
                    v_current bigint;
                BEGIN
            """ + bindAndCheckWorkspace + """
                    SELECT last_version INTO s_last FROM {S}.secrets
                        WHERE workspace_id = p_workspace AND name = p_name FOR UPDATE;
                    s_exists := FOUND;
                    IF NOT s_exists THEN
                        s_last := 0;
                    END IF;
            """ + checkCurrentVersion + """
                    IF p_version <> s_last + 1 THEN
                        RETURN QUERY SELECT 'retry'::text, s_last + 1, v_current;
                        RETURN;
                    END IF;
                    IF p_count > 0 THEN
                        UPDATE {S}.data_keys SET encryption_count = encryption_count + p_count
                            WHERE workspace_id = p_workspace AND version = p_dek AND version >= w_min
                              AND (p_limit IS NULL OR encryption_count <= p_limit - p_count);
                    END IF;
                    IF p_count = 0 OR NOT FOUND THEN
                        IF NOT EXISTS (SELECT 1 FROM {S}.data_keys
                                       WHERE workspace_id = p_workspace AND version = p_dek AND version >= w_min) THEN
                            RETURN QUERY SELECT 'dek_not_found'::text, NULL::bigint, NULL::bigint;
                            RETURN;
                        ELSIF p_count > 0 THEN
                            RETURN QUERY SELECT 'dek_exhausted'::text, NULL::bigint, NULL::bigint;
                            RETURN;
                        END IF;
                    END IF;
                    IF s_exists THEN
                        UPDATE {S}.secrets SET last_version = p_version WHERE workspace_id = p_workspace AND name = p_name;
                    ELSE
                        INSERT INTO {S}.secrets (workspace_id, name, last_version) VALUES (p_workspace, p_name, p_version)
                            ON CONFLICT (workspace_id, name) DO NOTHING;
                        IF NOT FOUND THEN
                            RAISE EXCEPTION 'a concurrent put created the secret first' USING ERRCODE = '40001';
                        END IF;
                    END IF;
            """ + pruneAndInsertVersion + """
                    RETURN QUERY SELECT 'ok'::text, p_version, v_current;
                END
                $one$;
            REVOKE ALL ON FUNCTION {S}.put_secret(text, text, bigint, bigint, bigint, bigint, bigint, bytea, text, text, jsonb, bigint, bigint, bigint) FROM PUBLIC
            """),
        Migration(version: 6, description: "put_secret_audited: a put and its audit record in one statement", sql: """
            CREATE FUNCTION \(putSecretAuditedSignature(names: true))
                RETURNS TABLE (r_status text, r_version bigint, r_current bigint, r_audit text)
                LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
                AS $aud$
                DECLARE
                    a_status text;
                    a_version bigint;
                    a_current bigint;
                BEGIN
                    SELECT p.r_status, p.r_version, p.r_current INTO a_status, a_version, a_current
                        FROM {S}.put_secret(p_workspace, p_name, p_expected, p_dek, p_limit, p_count, p_version, p_ciphertext,
                                            p_kind, p_content_type, p_labels, p_expires_at, p_created_at, p_max_versions) AS p;
                    IF a_status <> 'ok' THEN
                        RETURN QUERY SELECT a_status, a_version, a_current, 'none'::text;
                        RETURN;
                    END IF;
                    -- Never wait for the head: another writer holding it means the record goes
                    -- through the caller's audit log instead.
                    PERFORM 1 FROM {S}.audit_head WHERE id FOR UPDATE SKIP LOCKED;
                    IF NOT FOUND THEN
                        RETURN QUERY SELECT a_status, a_version, a_current, 'locked'::text;
                        RETURN;
                    END IF;
                    UPDATE {S}.audit_head SET sequence = p_new_sequence, mac = p_new_mac, key_version = p_new_key_version,
                                              seal = p_new_seal
                        WHERE id AND sequence = p_head_sequence AND mac = p_head_mac;
                    IF NOT FOUND THEN
                        RETURN QUERY SELECT a_status, a_version, a_current, 'stale'::text;
                        RETURN;
                    END IF;
                    INSERT INTO {S}.audit_log (sequence, time, actor, action, outcome, workspace, name, version, detail,
                                               key_version, mac)
                        VALUES (p_a_sequence, p_a_time, p_a_actor, p_a_action, p_a_outcome, p_a_workspace, p_a_name,
                                p_a_version, p_a_detail, p_a_key_version, p_a_mac);
                    RETURN QUERY SELECT a_status, a_version, a_current, 'written'::text;
                END
                $aud$;
            REVOKE ALL ON FUNCTION \(putSecretAuditedSignature(names: false)) FROM PUBLIC
            """),
    ]

    /// `put_secret_audited`'s name and parameter list, with the parameters' names (for
    /// `CREATE FUNCTION`) or only their types (for grants): `put_secret`'s fourteen, the head
    /// the record follows (`p_head_sequence`, `p_head_mac`), the new head and the record.
    static func putSecretAuditedSignature(names: Bool) -> String {
        let parameters = [
            ("p_workspace", "text"), ("p_name", "text"), ("p_expected", "bigint"), ("p_dek", "bigint"), ("p_limit", "bigint"),
            ("p_count", "bigint"), ("p_version", "bigint"), ("p_ciphertext", "bytea"), ("p_kind", "text"),
            ("p_content_type", "text"), ("p_labels", "jsonb"), ("p_expires_at", "bigint"), ("p_created_at", "bigint"),
            ("p_max_versions", "bigint"),
            ("p_head_sequence", "bigint"), ("p_head_mac", "bytea"),
            ("p_new_sequence", "bigint"), ("p_new_mac", "bytea"), ("p_new_key_version", "bigint"), ("p_new_seal", "bytea"),
            ("p_a_sequence", "bigint"), ("p_a_time", "bigint"), ("p_a_actor", "text"), ("p_a_action", "text"),
            ("p_a_outcome", "text"), ("p_a_workspace", "text"), ("p_a_name", "text"), ("p_a_version", "bigint"),
            ("p_a_detail", "text"), ("p_a_key_version", "bigint"), ("p_a_mac", "bytea"),
        ]
        let list = parameters.map { names ? "\($0.0) \($0.1)" : $0.1 }.joined(separator: ", ")
        return "{S}.put_secret_audited(\(list))"
    }

    static var latestVersion: Int32 { migrations.last?.version ?? 0 }

    /// `begin_put` (migrations 3 and 4): bind the workspace, lock its row (shared) and check
    /// it is live, create and lock the secret's row, read the current version, check
    /// check-and-set, count encryptions (`counting`) and reserve the version. `parameters` is
    /// appended to the parameter list.
    static func beginPutFunction(parameters: String, counting: String) -> String {
        """
        CREATE FUNCTION {S}.begin_put(p_workspace text, p_name text, p_expected bigint, p_dek bigint, p_limit bigint\(parameters))
            RETURNS TABLE (r_status text, r_version bigint, r_current bigint)
            LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
            AS $put$
            DECLARE
                w_min bigint;
                w_deleted bigint;
                w_shredded bigint;
                s_last bigint;
                v_current bigint;
            BEGIN
        \(bindAndCheckWorkspace)
                INSERT INTO {S}.secrets (workspace_id, name, last_version) VALUES (p_workspace, p_name, 0)
                    ON CONFLICT (workspace_id, name) DO NOTHING;
                SELECT last_version INTO s_last FROM {S}.secrets
                    WHERE workspace_id = p_workspace AND name = p_name FOR UPDATE;
                IF NOT FOUND THEN
                    RETURN QUERY SELECT 'secret_vanished'::text, NULL::bigint, NULL::bigint;
                    RETURN;
                END IF;
        \(checkCurrentVersion)
        \(counting)
                RETURN QUERY SELECT 'ok'::text, s_last + 1, v_current;
            END
            $put$;
        """
    }

    /// The start of `begin_put` and `put_secret`: bind the workspace for this transaction, lock
    /// its row (shared: rotation, retirement, shredding and deletion wait for the put) into
    /// `w_min`, `w_deleted`, `w_shredded`, and answer a status when it is missing or not live.
    static let bindAndCheckWorkspace = """
                PERFORM set_config('coffer.workspace', p_workspace, true);
                SELECT min_dek_version, deleted_at, shredded_at INTO w_min, w_deleted, w_shredded
                    FROM {S}.workspaces WHERE id = p_workspace FOR SHARE;
                IF NOT FOUND THEN
                    RETURN QUERY SELECT 'workspace_not_found'::text, NULL::bigint, NULL::bigint;
                    RETURN;
                END IF;
                IF w_shredded IS NOT NULL THEN
                    RETURN QUERY SELECT 'workspace_shredded'::text, NULL::bigint, NULL::bigint;
                    RETURN;
                END IF;
                IF w_deleted IS NOT NULL THEN
                    RETURN QUERY SELECT 'workspace_deleted'::text, NULL::bigint, NULL::bigint;
                    RETURN;
                END IF;
        """

    /// The middle of `begin_put` and `put_secret`, once the secret's row is locked and its
    /// `last_version` is in `s_last`: read the current version in a statement of its own (at
    /// READ COMMITTED one that waited for the lock keeps its old snapshot for everything else)
    /// into `v_current`, check check-and-set, and refuse a secret that used every number.
    static let checkCurrentVersion = """
                SELECT COALESCE(MAX(version), 0) INTO v_current FROM {S}.secret_versions
                    WHERE workspace_id = p_workspace AND name = p_name;
                IF p_expected IS NOT NULL AND p_expected <> v_current THEN
                    RETURN QUERY SELECT 'conflict'::text, s_last, v_current;
                    RETURN;
                END IF;
                IF s_last >= 4294967295 THEN
                    RETURN QUERY SELECT 'versions_exhausted'::text, s_last, v_current;
                    RETURN;
                END IF;
        """

    /// The end of `finish_put` and `put_secret`: keep the newest `p_max_versions - 1` existing
    /// versions (the new one makes `p_max_versions`) and insert the new version.
    static let pruneAndInsertVersion = """
                IF p_version > p_max_versions THEN
                    DELETE FROM {S}.secret_versions WHERE workspace_id = p_workspace AND name = p_name AND version <= (
                        SELECT version FROM {S}.secret_versions WHERE workspace_id = p_workspace AND name = p_name
                        ORDER BY version DESC LIMIT 1 OFFSET p_max_versions - 1);
                END IF;
                INSERT INTO {S}.secret_versions
                    (workspace_id, name, version, dek_version, ciphertext, kind, content_type, labels, expires_at, created_at)
                    VALUES (p_workspace, p_name, p_version, p_dek, p_ciphertext, p_kind, p_content_type, p_labels,
                            p_expires_at, p_created_at);
        """

    /// Migration 3's count: one encryption per put.
    static let countOne = """
                UPDATE {S}.data_keys SET encryption_count = encryption_count + 1
                    WHERE workspace_id = p_workspace AND version = p_dek AND version >= w_min
                      AND (p_limit IS NULL OR encryption_count + 1 <= p_limit);
                IF NOT FOUND THEN
                    IF EXISTS (SELECT 1 FROM {S}.data_keys
                               WHERE workspace_id = p_workspace AND version = p_dek AND version >= w_min) THEN
                        RETURN QUERY SELECT 'dek_exhausted'::text, NULL::bigint, NULL::bigint;
                    ELSE
                        RETURN QUERY SELECT 'dek_not_found'::text, NULL::bigint, NULL::bigint;
                    END IF;
                    RETURN;
                END IF;
        """

    /// Migration 4's count: `p_count` encryptions (this put's and a lease for the vault), all
    /// or nothing within the limit; with `p_count` 0 (an encryption leased earlier) nothing is
    /// written and the data key is only checked to exist and not be retired.
    static let countLeased = """
                IF p_count > 0 THEN
                    UPDATE {S}.data_keys SET encryption_count = encryption_count + p_count
                        WHERE workspace_id = p_workspace AND version = p_dek AND version >= w_min
                          AND (p_limit IS NULL OR encryption_count <= p_limit - p_count);
                    IF FOUND THEN
                        RETURN QUERY SELECT 'ok'::text, s_last + 1, v_current;
                        RETURN;
                    END IF;
                END IF;
                IF EXISTS (SELECT 1 FROM {S}.data_keys
                           WHERE workspace_id = p_workspace AND version = p_dek AND version >= w_min) THEN
                    IF p_count = 0 THEN
                        RETURN QUERY SELECT 'ok'::text, s_last + 1, v_current;
                    ELSE
                        RETURN QUERY SELECT 'dek_exhausted'::text, NULL::bigint, NULL::bigint;
                    END IF;
                ELSE
                    RETURN QUERY SELECT 'dek_not_found'::text, NULL::bigint, NULL::bigint;
                END IF;
                RETURN;
        """

    /// What the application role may do (schema `{S}`, role `{R}`): read its workspace, rotate
    /// its data key (the vault does that before a write), count encryptions, write, prune and
    /// soft-delete secret versions, soft-delete its workspace and shred it (through the
    /// function only), append to and read the audit log, add audit keys. No DELETE on
    /// workspaces, data keys or secret rows, no ciphertext UPDATE (re-encryption is a
    /// maintenance job), no UPDATE or DELETE of audit records, no checkpoint writes, nothing on
    /// other schemas.
    static let applicationGrants = """
        GRANT USAGE ON SCHEMA {S} TO {R};
        GRANT SELECT ON {S}.schema_migrations TO {R};
        GRANT SELECT, UPDATE (primary_dek_version, last_dek_version, deleted_at) ON {S}.workspaces TO {R};
        GRANT SELECT, INSERT, UPDATE (encryption_count) ON {S}.data_keys TO {R};
        GRANT SELECT, INSERT, UPDATE (last_version) ON {S}.secrets TO {R};
        GRANT SELECT, INSERT, DELETE, UPDATE (deleted_at) ON {S}.secret_versions TO {R};
        GRANT EXECUTE ON FUNCTION {S}.shred_bound_workspace(bigint, text) TO {R};
        GRANT EXECUTE ON FUNCTION {S}.read_secret_version(text, text, bigint) TO {R};
        GRANT EXECUTE ON FUNCTION {S}.begin_put(text, text, bigint, bigint, bigint, bigint) TO {R};
        GRANT EXECUTE ON FUNCTION {S}.finish_put(text, text, bigint, bigint, bytea, text, text, jsonb, bigint, bigint, bigint) TO {R};
        GRANT EXECUTE ON FUNCTION {S}.put_secret(text, text, bigint, bigint, bigint, bigint, bigint, bytea, text, text, jsonb, bigint, bigint, bigint) TO {R};
        GRANT EXECUTE ON FUNCTION \(putSecretAuditedSignature(names: false)) TO {R};
        GRANT SELECT, INSERT ON {S}.audit_keys TO {R};
        GRANT SELECT, INSERT ON {S}.audit_log TO {R};
        GRANT SELECT, UPDATE ON {S}.audit_head TO {R};
        GRANT SELECT ON {S}.audit_checkpoint TO {R};
        """

    static func substitute(_ sql: String, schema: String, role: String? = nil) -> String {
        var text = sql.replacingOccurrences(of: "{S}", with: PostgresCoding.quoted(schema))
        if let role { text = text.replacingOccurrences(of: "{R}", with: PostgresCoding.quoted(role)) }
        return text
    }

    /// The statements of a script (the extended query protocol takes one at a time): split at
    /// `;` outside dollar-quoted bodies (`$tag$ … $tag$`, where function bodies live). The
    /// scripts here have no `;` inside other literals.
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Substring?  // the open dollar-quote tag, e.g. "$read$"
        var rest = script[...]
        while let c = rest.first {
            if c == "$", let tag = dollarTag(rest) {
                if quote == nil { quote = tag } else if quote == tag { quote = nil }
                current += tag
                rest = rest.dropFirst(tag.count)
                continue
            }
            if c == ";" && quote == nil {
                statements.append(current)
                current = ""
            } else {
                current.append(c)
            }
            rest = rest.dropFirst()
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The dollar-quote tag (`$$`, `$name$`) that `text` starts with, if any.
    private static func dollarTag(_ text: Substring) -> Substring? {
        var end = text.index(after: text.startIndex)
        while end < text.endIndex, text[end] == "_" || text[end].isLetter { end = text.index(after: end) }
        guard end < text.endIndex, text[end] == "$" else { return nil }
        return text[text.startIndex...end]
    }

    /// Whether `name` may be used as Coffer's schema name.
    static func isValidSchemaName(_ name: String) -> Bool {
        PostgresURL.isValidSchemaName(name)
    }

    /// Refuses a schema with migrations this code does not know.
    static func checkKnown(_ applied: [Int32], schema: String) throws {
        let unknown = applied.filter { v in !migrations.contains { $0.version == v } }
        if !unknown.isEmpty {
            throw VaultError.storeCorrupted(
                "PostgreSQL schema '\(schema)' was written by a newer version of Coffer (unknown schema migrations: \(unknown.map(String.init).joined(separator: ", "))); upgrade Coffer to use it")
        }
    }

    /// Applies pending migrations and the application grants, as the maintenance role, in one
    /// transaction. Runs with `coffer.fleet` off: DDL needs no row access.
    static func migrate(
        _ connection: PostgresConnection, schema: String, applicationRole: String?, maintenanceUser: String, logger: Logger
    ) async throws {
        let s = PostgresCoding.quoted(schema)
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("coffer.migrate." + schema)))", logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(s)"), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(s).schema_migrations (
                version integer NOT NULL PRIMARY KEY,
                description text NOT NULL,
                applied_at bigint NOT NULL
            )
            """), logger: logger)
        var applied: [Int32] = []
        for try await v in try await connection.query(PostgresQuery(unsafeSQL: "SELECT version FROM \(s).schema_migrations ORDER BY version"), logger: logger)
            .decode(Int32.self) {
            applied.append(v)
        }
        try checkKnown(applied, schema: schema)
        for migration in migrations where !applied.contains(migration.version) {
            for statement in statements(substitute(migration.sql, schema: schema)) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let now = PostgresCoding.micros(.now)
            try await connection.query("""
                INSERT INTO \(unescaped: s).schema_migrations (version, description, applied_at)
                VALUES (\(migration.version), \(migration.description), \(now))
                """, logger: logger)
            logger.info("PostgreSQL schema migrated", metadata: ["schema": "\(schema)", "version": "\(migration.version)"])
        }
        if let role = applicationRole, role != maintenanceUser {
            for statement in statements(substitute(applicationGrants, schema: schema, role: role)) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        } else {
            logger.warning(
                "the application and maintenance roles are the same; row-level security still binds it, but give the application its own role (docs/POSTGRES.md)",
                metadata: ["schema": "\(schema)"])
        }
    }

    /// Checks, as any role, that the schema is installed and exactly as new as this code.
    static func verify(_ connection: PostgresConnection, schema: String, logger: Logger) async throws {
        let s = PostgresCoding.quoted(schema)
        var applied: [Int32] = []
        for try await v in try await connection.query(PostgresQuery(unsafeSQL: "SELECT version FROM \(s).schema_migrations ORDER BY version"), logger: logger)
            .decode(Int32.self) {
            applied.append(v)
        }
        try checkKnown(applied, schema: schema)
        if applied.max() ?? 0 < latestVersion {
            throw VaultError.storeUnavailable(
                "PostgreSQL schema '\(schema)' is at version \(applied.max() ?? 0) but this Coffer needs version \(latestVersion); open the store once with the maintenance configuration to migrate it")
        }
    }
}
