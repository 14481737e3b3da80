import ArgumentParser
import Foundation
import SalesHost
import SalesKit

/// `salesd backup`: one archive with the database, the uploaded files and the configuration.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up the database (online, consistent while the service runs), the uploaded files and the configuration into one .tar.gz.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The archive to write (must not exist), e.g. /var/backups/salesd/2026-12-05.tar.gz") var destination: String

    func run() throws {
        let resolved = try options.resolve()
        let app = try options.app(resolved.config)
        let manifest = try Backups.create(app: app, to: destination, configJSON: try resolved.json(), version: salesdVersion)
        print("备份完成 (backup written): \(destination) — \(manifest.files) 个附件 (files), schema \(manifest.schema.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }
}

/// `salesd restore`: the archive is checked before anything is replaced.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a `salesd backup` archive into the configured data directory (database and files).",
        discussion: """
            The archive is unpacked and checked first (manifest, integrity check, not newer than this salesd). \
            The database is replaced through SQLite's backup API, so a running service switches to the restored data \
            at once; its users must log in again. A data directory whose database has users needs --force. \
            Exit status: 0 restored, 65 refused (the reason is printed).
            """)
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The archive written by `salesd backup`.") var archive: String
    @Flag(help: "Overwrite a database that already has users.") var force = false

    func run() throws {
        let app = try options.app(try options.load())
        let manifest = try Backups.restore(app: app, from: archive, force: force, modules: app.migrationPlan)
        try app.migrate()
        print("已恢复 (restored) \(archive): 备份时间 (taken) \(manifest.createdAt), salesd \(manifest.salesdVersion), \(manifest.files) 个附件 (files)")
    }
}

/// `salesd check`: what an administrator runs after an install, an upgrade or a bad day.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration, the database (schema version), the templates and the data folder's permissions; --integrity also checks the database's integrity and every uploaded file.",
        discussion: "Exit status: 0 all good, 1 problems found (each printed), 78 configuration error.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Also run SQLite's integrity and foreign-key checks and verify every uploaded file.") var integrity = false

    func run() throws {
        let config = try options.load()
        var problems: [String] = []
        func ok(_ line: String) { print("✓ " + line) }
        func bad(_ line: String) { problems.append(line); print("✗ " + line) }
        // Templates and page models are bound when the app is made: a broken template stops here.
        let app: App
        do {
            app = try options.app(config)
            ok("配置与模板 (configuration, modules, templates): \(installedModules.count) 个模块")
        } catch {
            bad("模块或模板 (modules or templates): \(error)")
            throw ExitCode(1)
        }
        for (label, path) in [("数据目录 (data folder)", config.dataDir), ("附件目录 (files folder)", config.filesDir)] {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
                bad("\(label) \(path): 不存在 (missing)")
            } else if !isDir.boolValue || !FileManager.default.isWritableFile(atPath: path) {
                bad("\(label) \(path): 不可写 (not writable by \(AppConfig.currentUserName))")
            } else {
                ok("\(label) \(path)")
            }
        }
        do {
            let db = try app.openDatabase()
            try Migrator.refuseNewer(db, modules: app.migrationPlan)
            let stored = try Migrator.storedVersions(db)
            let pending = app.migrationPlan.flatMap { m in m.migrations.filter { $0.version > stored[m.id] ?? 0 }.map { "\(m.id) \($0.version)" } }
            if pending.isEmpty {
                ok("数据库结构为最新 (schema up to date): \(config.databaseDisplayName)")
            } else {
                bad("数据库有未执行的迁移 (pending migrations, run `salesd migrate`): \(pending.joined(separator: ", "))")
            }
            if integrity {
                if config.usesPostgreSQL {
                    ok("数据库完整性由 PostgreSQL 自身保证 (integrity: PostgreSQL checks its own pages; run amcheck there if needed)")
                } else {
                    let found = try db.integrityProblems()
                    if found.isEmpty { ok("数据库完整性 (integrity_check, foreign_key_check)") } else { found.forEach { bad("数据库 (database): \($0)") } }
                }
                let missing = try Backups.missingFiles(db, filesDir: config.filesDir)
                let total = try db.scalar("SELECT COUNT(*) FROM files") ?? 0
                if missing.isEmpty { ok("附件 (uploaded files): \(total) 个，均完好") } else { missing.forEach { bad("附件 (file) \($0)") } }
            }
        } catch let e as SchemaTooNew {
            bad(e.description)
        } catch {
            bad("数据库 (database) \(config.databaseDisplayName): \(error)")
        }
        if !problems.isEmpty {
            print("发现 \(problems.count) 个问题 (problems found)")
            throw ExitCode(1)
        }
        print("一切正常 (all good)")
    }
}

/// `salesd copy`: a live system moved from its SQLite file to PostgreSQL (README: "More than one machine").
struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy every table of the SQLite database into a new PostgreSQL database, with row counts checked.",
        discussion: """
            The target (--to, or DATABASE_URL / database in the configuration) is migrated and must hold no users yet. \
            Stop the service first (or accept that submits made during the copy stay in the SQLite file). \
            Uploaded files are not in the database: copy the data folder's files/ to the nodes' shared folder. \
            Exit status: 0 copied, 65 refused (the reason is printed; nothing is written on a refusal or an error).
            """)
    @OptionGroup var options: ConfigOptions
    @Option(help: "The SQLite file to copy from, e.g. data/sales.sqlite.") var from: String
    @Option(help: "The PostgreSQL URL to copy into (instead of the configuration's database).") var to: String?

    func run() throws {
        var config = try options.load()
        if let to { config.database = to }
        let app = try options.app(config)
        do {
            let copied = try DatabaseCopy.copy(from: from, into: app) { print("  " + $0) }
            let rows = copied.reduce(Int64(0)) { $0 &+ $1.rows }
            print("已复制 (copied) \(copied.count) 张表 (tables), \(rows) 行 (rows) → \(config.databaseDisplayName)；行数已核对 (row counts checked)")
        } catch let e as DatabaseCopy.Failure {
            throw CLIFailure(.invalidInput, e.message)
        }
    }
}
