import Foundation
import SalesKit
import SQLiteStore

/// Backups that serve on a bad day (issue 18): one archive with the database, the uploaded
/// files and the configuration; a restore that checks the archive before it touches anything;
/// an integrity check of the database and of the files it refers to.
///
/// Archive (`tar.gz`, made with the system's `tar`): `salesd-backup/MANIFEST.json`,
/// `salesd-backup/sales.sqlite` (an online SQLite backup: consistent while the service runs),
/// `salesd-backup/files/…` (copied after the database snapshot, so every file the snapshot
/// refers to is in it — uploads are written before their row and never deleted) and
/// `salesd-backup/salesd.json` (the effective configuration).
public enum Backups {
    public struct Manifest: Codable, Sendable {
        public var format: Int
        public var salesdVersion: String
        public var createdAt: String
        public var schema: [String: Int]
        public var files: Int
    }

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    static let folder = "salesd-backup"
    static let databaseName = "sales.sqlite"

    /// Writes the archive to `destination` (which must not exist). Returns the manifest.
    @discardableResult
    public static func create(app: App, to destination: String, configJSON: String, version: String) throws -> Manifest {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: destination) else { throw Failure("目标文件已存在 (destination exists): \(destination)") }
        guard !app.config.usesPostgreSQL else {
            throw Failure("数据库为 PostgreSQL：请用 pg_dump 备份数据库，并另行备份上传文件目录 (back up PostgreSQL with pg_dump and the files folder separately; see the README)")
        }
        let staging = try temporaryFolder(near: destination)
        defer { try? fm.removeItem(atPath: staging) }
        let root = staging + "/" + folder
        try fm.createDirectory(atPath: root + "/files", withIntermediateDirectories: true)
        let db = try app.openSQLite()
        try db.backup(to: root + "/" + databaseName)
        // Files after the snapshot: everything the snapshot refers to already exists.
        var count = 0
        if let names = try? fm.contentsOfDirectory(atPath: app.config.filesDir) {
            for name in names where !name.hasPrefix(".") {
                try fm.copyItem(atPath: app.config.filesDir + "/" + name, toPath: root + "/files/" + name)
                count += 1
            }
        }
        try Data(configJSON.utf8).write(to: URL(fileURLWithPath: root + "/salesd.json"))
        // Read from the copy (then closed, so no -wal/-shm file goes into the archive).
        let schema = try { () throws -> [String: Int] in
            var options = SQLiteOptions()
            options.readOnly = true     // a DELETE-journal file: reading it leaves nothing beside it
            return try Migrator.storedVersions(try SQLiteDatabase(path: root + "/" + databaseName, gate: WriteGate(), options: options))
        }()
        let manifest = Manifest(format: 1, salesdVersion: version, createdAt: ISO8601DateFormatter().string(from: Date()),
                                schema: schema, files: count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: root + "/MANIFEST.json"))
        try tar(["-czf", destination, "-C", staging, folder])
        let bytes = ((try? fm.attributesOfItem(atPath: destination)[.size]) as? NSNumber)?.int64Value ?? 0
        let absolute = destination.hasPrefix("/") ? destination : fm.currentDirectoryPath + "/" + destination
        try db.execute("""
            INSERT INTO backup_runs (at, path, bytes, files) VALUES (\(Int64(Date().timeIntervalSince1970)), \(absolute), \(bytes), \(count))
            """)
        return manifest
    }

    /// Restores an archive into the app's database and files folder. The archive is unpacked
    /// and checked first (manifest, integrity, not newer than this binary); the database is then
    /// replaced through SQLite's backup API, so a running service sees the restored data and
    /// never a half-written file. Unless `force`, an existing database with users is refused.
    /// Returns the manifest.
    @discardableResult
    public static func restore(app: App, from archive: String, force: Bool, modules: [(id: String, migrations: [Migration])]) throws -> Manifest {
        let fm = FileManager.default
        guard fm.fileExists(atPath: archive) else { throw Failure("没有此备份文件 (no such archive): \(archive)") }
        guard !app.config.usesPostgreSQL else {
            throw Failure("数据库为 PostgreSQL：请用 pg_restore 恢复 (restore PostgreSQL with pg_restore; see the README)")
        }
        try fm.createDirectory(atPath: app.config.dataDir, withIntermediateDirectories: true)
        let staging = try temporaryFolder(near: app.config.dataDir + "/restore")
        defer { try? fm.removeItem(atPath: staging) }
        do {
            try tar(["-xzf", archive, "-C", staging, "--no-same-owner", folder])
        } catch {
            throw Failure("不是 salesd 备份文件 (not a salesd backup archive): \(archive)")
        }
        let root = staging + "/" + folder
        guard let data = fm.contents(atPath: root + "/MANIFEST.json"),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data), manifest.format == 1 else {
            throw Failure("备份文件缺少有效的 MANIFEST.json (no valid manifest in the archive)")
        }
        let source = try SQLiteDatabase(path: root + "/" + databaseName, gate: WriteGate(), options: SQLiteOptions())
        let problems = try source.integrityProblems()
        guard problems.isEmpty else {
            throw Failure("备份中的数据库未通过完整性检查 (the archive's database fails the integrity check): "
                          + problems.prefix(5).joined(separator: "; "))
        }
        try Migrator.refuseNewer(source, modules: modules)
        // The live database, synced by SQLite itself (no group commit) so the restore is durable.
        var options = SQLiteOptions()
        options.groupCommit = false
        let target = try SQLiteDatabase(path: app.config.databasePath, gate: app.gate, options: options)
        if !force, (try? target.scalar("SELECT COUNT(*) FROM users")).flatMap({ $0 }).map({ $0 > 0 }) == true {
            throw Failure("数据目录中已有数据库和用户；确认要用备份覆盖时加 --force（建议先 salesd backup 一份当前数据）"
                          + " (the data directory has a database with users: add --force to overwrite it)")
        }
        // Files first (adding never hurts a running service), then the database in one step.
        try fm.createDirectory(atPath: app.config.filesDir, withIntermediateDirectories: true)
        for name in (try? fm.contentsOfDirectory(atPath: root + "/files")) ?? [] where !name.hasPrefix(".") {
            let to = app.config.filesDir + "/" + name
            if !fm.fileExists(atPath: to) { try fm.copyItem(atPath: root + "/files/" + name, toPath: to) }
        }
        try source.backup(into: target)
        return manifest
    }

    /// Every file the database refers to is in the files folder with its recorded size.
    public static func missingFiles(_ db: any Database, filesDir: String) throws -> [String] {
        let fm = FileManager.default
        var missing: [String] = []
        for r in try db.query("SELECT id, original_name, size FROM files ORDER BY created_at") {
            let id = r.string("id") ?? ""
            let path = filesDir + "/" + id
            let size = (try? fm.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            if size == nil {
                missing.append("\(id) (\(r.string("original_name") ?? "")): 文件缺失 (missing)")
            } else if size != r.int("size") {
                missing.append("\(id) (\(r.string("original_name") ?? "")): 大小不符 (size \(size ?? 0) ≠ \(r.int("size") ?? 0))")
            }
        }
        return missing
    }

    private static func temporaryFolder(near path: String) throws -> String {
        let parent = (path as NSString).deletingLastPathComponent
        let dir = (parent.isEmpty ? "." : parent) + "/.salesd-" + Token.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private static func tar(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/tar") ? "/usr/bin/tar" : "/bin/tar")
        p.arguments = arguments
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure("tar \(arguments.first ?? ""): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
