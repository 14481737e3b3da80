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
        // The department directory and reports-to (issue 15, RULES §6): departments are records
        // with a head and members; `users.department` stays as the display text (the names of
        // the user's departments), kept in step by the directory. Existing free-text values
        // become departments; existing users join the standard department of their roles.
        Migration(5, "department directory and reports-to", """
        CREATE TABLE departments (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE,
            head_id INTEGER REFERENCES users(id),
            active INTEGER NOT NULL DEFAULT 1,
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE department_members (
            department_id INTEGER NOT NULL REFERENCES departments(id),
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            PRIMARY KEY (department_id, user_id)
        );
        CREATE INDEX department_members_user ON department_members(user_id);
        ALTER TABLE users ADD COLUMN supervisor_id INTEGER REFERENCES users(id);
        CREATE INDEX users_supervisor ON users(supervisor_id);
        \(standardDepartments)
        INSERT INTO departments (code, name, position)
            SELECT 'dept' || MIN(u.id), u.department, 100 FROM users u
            WHERE TRIM(u.department) <> '' AND NOT EXISTS (SELECT 1 FROM departments d WHERE d.name = u.department)
            GROUP BY u.department;
        INSERT INTO department_members (department_id, user_id)
            SELECT d.id, u.id FROM users u JOIN departments d ON d.name = u.department;
        \(roleMemberships)
        """),
        // Flash messages (issue 16): a confirmation or refusal made by one request and shown
        // once on the next HTML page, kept with the session (never in the URL, so a crafted
        // link cannot make a banner appear). Read with the session row; cleared when shown.
        Migration(6, "flash messages in the session", """
        ALTER TABLE sessions ADD COLUMN flash_kind TEXT;
        ALTER TABLE sessions ADD COLUMN flash_text TEXT;
        """),
        // `salesd backup` records each archive it wrote (the status page shows the last one);
        // a password set by an administrator must be changed by its user at the next login.
        Migration(7, "backup runs, forced password change", """
        ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE backup_runs (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            path TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            files INTEGER NOT NULL
        );
        """),
    ]

    /// The standard departments, in the directory's order.
    static var standardDepartments: String {
        StandardDepartment.allCases.enumerated().map { i, d in
            "INSERT INTO departments (code, name, position) VALUES ('\(d.rawValue)', '\(d.name)', \(i + 1));"
        }.joined(separator: "\n")
    }

    /// Existing users join the standard department of each of their roles.
    static var roleMemberships: String {
        StandardDepartment.ofRole.map { role, dept in
            """
            INSERT INTO department_members (department_id, user_id)
                SELECT d.id, ur.user_id FROM user_roles ur JOIN departments d ON d.code = '\(dept.rawValue)'
                WHERE ur.role_id = '\(role)' AND NOT EXISTS
                    (SELECT 1 FROM department_members m WHERE m.department_id = d.id AND m.user_id = ur.user_id);
            """
        }.sorted().joined(separator: "\n")
    }
}
