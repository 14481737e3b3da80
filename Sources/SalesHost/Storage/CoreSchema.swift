import SalesKit

/// Tables owned by the host (module id `core`). Times are UTC epoch seconds.
enum CoreSchema {
    static let migrations: [Migration] = [
        Migration(1, "accounts, sessions, audit, files", """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            department TEXT NOT NULL DEFAULT '',
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE roles (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE user_roles (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role_id TEXT NOT NULL REFERENCES roles(id),
            PRIMARY KEY (user_id, role_id)
        );
        CREATE TABLE role_permissions (
            role_id TEXT NOT NULL REFERENCES roles(id),
            permission TEXT NOT NULL,
            PRIMARY KEY (role_id, permission)
        );
        CREATE TABLE permission_seeds (permission TEXT PRIMARY KEY);
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            ended INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sessions_user ON sessions(user_id);
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL,
            address TEXT NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE INDEX login_failures_key ON login_failures(username, address, at);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            user_id INTEGER,
            username TEXT NOT NULL,
            module TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            action TEXT NOT NULL,
            from_state TEXT,
            to_state TEXT,
            reason TEXT,
            address TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_entity ON audit_log(entity, entity_id);
        CREATE INDEX audit_at ON audit_log(at);
        CREATE TABLE files (
            id TEXT PRIMARY KEY,
            module TEXT NOT NULL,
            original_name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_by INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE pending_forms (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL,
            path TEXT NOT NULL,
            fields TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        """),
        Migration(2, "idempotency keys", """
        CREATE TABLE idempotency_keys (
            key TEXT NOT NULL,
            user_id INTEGER NOT NULL,
            location TEXT,                 -- NULL while the first submit is being handled
            created_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        """),
        // Every statement run under the write lock is an index probe (issue 20): the purges of
        // old idempotency keys, sessions and pending forms run on submits and logins and must
        // not scan tables that grow with every submit (checked by test_write_path.py).
        Migration(3, "indexes for the purges on the write path", """
        CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
        CREATE INDEX sessions_expires ON sessions(expires_at);
        CREATE INDEX pending_forms_created ON pending_forms(created_at);
        """),
        // Modules switched off on the admin page (issue 13); absent = on.
        Migration(4, "module switches", """
        CREATE TABLE module_states (
            module TEXT PRIMARY KEY,
            enabled INTEGER NOT NULL,
            changed_by INTEGER,
            changed_at INTEGER NOT NULL
        );
        """),
    ]
}
