import Foundation
import SalesKit

/// The host's `SystemStatusService`: what the worker serving the request knows about the
/// pool (shared pages), the database file and the last backup (`backup_runs`).
struct HostSystemStatus: SystemStatusService {
    func status(_ ctx: Context) throws -> SystemStatus {
        let w = try CoreRoutes.worker(ctx)
        let app = w.app
        let pool = app.pool?()
        let path = app.config.databaseDisplayName
        func size(_ p: String) -> Int64 {
            if app.config.usesPostgreSQL {
                return p.hasSuffix("-wal") ? 0 : (try? ctx.db.scalar("SELECT pg_database_size(current_database())")).flatMap { $0 } ?? 0
            }
            return ((try? FileManager.default.attributesOfItem(atPath: p)[.size]) as? NSNumber)?.int64Value ?? 0
        }
        let backup = try ctx.db.first("SELECT at, path, bytes, files FROM backup_runs ORDER BY at DESC, id DESC LIMIT 1").map { r in
            SystemStatus.Backup(at: Date(timeIntervalSince1970: TimeInterval(r.int("at") ?? 0)), path: r.string("path") ?? "",
                                bytes: r.int("bytes") ?? 0, files: r.int("files") ?? 0)
        }
        let schema = try Migrator.storedVersions(ctx.db).sorted { $0.key < $1.key }.map { (module: $0.key, version: $0.value) }
        return SystemStatus(version: app.version, workersWanted: pool?.wanted, workersAlive: pool?.alive, restarts: pool?.restarts,
                            threadsPerWorker: app.workerThreads, requests: app.requestStats?.read(),
                            slowRequestMs: app.config.slowRequestMs, databasePath: path, databaseBytes: size(path),
                            walBytes: size(path + "-wal"), filesCount: try ctx.db.scalar("SELECT COUNT(*) FROM files") ?? 0,
                            lastBackup: backup, schema: schema)
    }
}
