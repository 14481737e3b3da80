import Foundation
import SalesKit

/// 系统状态: what IT looks at on a bad day — version, workers, requests and latency since the
/// pool started, database size, the last backup and the schema versions.
enum StatusPages {
    struct Page: PageModel {
        static let template = "status"

        struct Line: TemplateModel {
            var label: String
            var value: String
            var warn: Bool
        }

        var sections: [Section]

        struct Section: TemplateModel {
            var title: String
            var lines: [Line]
        }
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }

    static func bound(_ ms: Int64?) -> String {
        guard let ms else { return "—" }
        return ms == Int64.max ? "> 5000 ms" : "≤ \(ms) ms"
    }

    static let page: Handler = { _, ctx in
        let s = try ctx.service(SystemStatusService.self).status(ctx)
        func line(_ label: String, _ value: String, warn: Bool = false) -> Page.Line { Page.Line(label: label, value: value, warn: warn) }
        var service = [line("版本", "salesd " + s.version)]
        if let wanted = s.workersWanted, let alive = s.workersAlive {
            service.append(line("工作进程", "\(alive) / \(wanted)（每个 \(s.threadsPerWorker) 个线程）", warn: alive < wanted))
            service.append(line("启动以来重启的工作进程", String(s.restarts ?? 0), warn: (s.restarts ?? 0) > 0))
        } else {
            service.append(line("工作进程", "单进程运行（不在进程池中）"))
        }
        var requests: [Page.Line] = []
        if let r = s.requests {
            requests = [
                line("请求数", String(r.total)),
                line("平均耗时", String(format: "%.1f ms", r.meanMilliseconds)),
                line("50% 请求", bound(r.p50)), line("95% 请求", bound(r.p95)), line("99% 请求", bound(r.p99)),
                line("慢请求（≥ \(s.slowRequestMs) ms）", String(r.slow), warn: r.slow > 0),
                line("服务器错误（5xx）", String(r.serverErrors), warn: r.serverErrors > 0),
            ]
        } else {
            requests = [line("请求统计", "仅在 salesd serve 的进程池中统计")]
        }
        let backupLines: [Page.Line]
        if let b = s.lastBackup {
            let hours = ctx.now.timeIntervalSince(b.at) / 3600
            backupLines = [line("最近一次备份", ctx.display(b.at) + (hours > 26 ? "（已超过一天）" : ""), warn: hours > 26),
                           line("备份文件", b.path), line("备份大小", megabytes(b.bytes) + "，\(b.files) 个附件")]
        } else {
            backupLines = [line("最近一次备份", "没有记录：请启用 salesd-backup.timer（见部署说明）", warn: true)]
        }
        let data = [
            line("数据库", s.databasePath),
            line("数据库大小", megabytes(s.databaseBytes) + "（WAL " + megabytes(s.walBytes) + "）"),
            line("附件", "\(s.filesCount) 个"),
            line("结构版本", s.schema.map { "\($0.module) \($0.version)" }.joined(separator: "，")),
        ]
        return ctx.render(Page(sections: [
            .init(title: "服务", lines: service), .init(title: "请求（进程池启动以来）", lines: requests),
            .init(title: "数据", lines: data), .init(title: "备份", lines: backupLines),
        ]), title: "系统状态")
    }
}
