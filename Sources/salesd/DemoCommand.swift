import ArgumentParser
import Foundation
import Logging
import SalesHost
import SalesKit

/// `salesd demo`: fills an empty database with the demo company (DemoData, DemoStory) so that a
/// newcomer sees a living system: every role, customers of every class, contracts, orders in
/// every state, deliveries and payments, complaints, returns, visits and a published batch of
/// suggestions. The accounts are made as `salesd user add` makes them; everything else by the
/// staff through the application's own forms, on a clock moved through the last five months.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill an empty database with a demo company (staff in every role, customers, orders, complaints, returns, suggestions).",
        discussion: """
            Migrates first, then refuses (exit 65) a database that already holds anything beyond the first admin. \
            Deterministic (nothing random): the same company and history, dated back from today. Every demo user's \
            password is \(DemoData.password); the logins are printed at the end. Exit status: 0 made, 65 refused, \
            70 a step the application did not take (printed; the database then holds part of the demo).
            """)
    @OptionGroup var options: ConfigOptions
    /// Dates the history back from this day's 18:00 instead of now (checks of the calendar's edges).
    @Option(name: .customLong("as-of"), help: .hidden) var asOf: String?

    func run() throws {
        // The demo's requests are not an access log worth reading: warnings and errors only.
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        var logger = Logger(label: "salesd")
        logger.logLevel = .warning
        let app: App
        do {
            // Each demo user keeps one session through the five months of history (one login
            // each, not one per day); all of them are logged out at the end.
            var config = try options.load()
            config.sessionMinutes = 200 * 24 * 60
            app = try App(config: config, modules: installedModules, logger: logger, version: salesdVersion)
        } catch let e as Registry.BootError {
            throw ValidationError(e.description)
        }
        _ = try app.migrate()
        let worker = try app.makeWorker()
        try Self.refuseUnlessEmpty(worker.db)

        let began = Date()
        let zone = app.config.zone
        var started = began
        if let asOf {
            guard let day = LocalDate(asOf) else { throw ValidationError("--as-of: a date YYYY-MM-DD") }
            started = day.start(in: zone).addingTimeInterval(18 * 3600)
        }
        let clock = DemoClock(started)
        worker.clock = { clock.now }
        let story = DemoStory(worker: worker, clock: clock, zone: zone, today: LocalDate(date: started, timeZone: zone))

        // The accounts, as `salesd user add` makes them (audited as the CLI), on the history's first day.
        clock.now = story.moment(story.day(150), 8, 30)
        let accounts = Accounts(db: worker.db)
        var ids: [String: Int64] = [:]
        for p in DemoData.people {
            ids[p.username] = try accounts.addUser(username: p.username, displayName: p.name, department: p.department.rawValue,
                                                   password: DemoData.password, roles: p.roles.map(\.id), now: clock.now,
                                                   by: .cli(command: "salesd demo", reason: "演示数据"))
        }
        clock.now = started
        do {
            try story.write(accountsCreated: ids)
            try story.run()
        } catch let failure as DemoFailure {
            FileHandle.standardError.write(Data(("salesd: 演示数据未能完成 (demo stopped): \(failure.description)\n"
                + "salesd: the database holds part of the demo; start again on a new one\n").utf8))
            throw ExitCode(70)
        }
        for b in story.browsers.values where !b.cookies.isEmpty {
            _ = b.request("POST", "/logout", form: [("_csrf", b.csrf ?? "")])
        }
        try Self.printSummary(worker.db, seconds: Date().timeIntervalSince(began))
    }

    /// Refuses a database with more than the first admin, or with any business record.
    static func refuseUnlessEmpty(_ db: any Database) throws {
        let counts: [(String, String)] = [("用户 (users)", "users"), ("客户 (customers)", "crm_customers"), ("订单 (orders)", "order_orders"),
                                          ("投诉 (complaints)", "service_complaints"), ("建议 (suggestions)", "ideas_suggestions")]
        var found: [String] = []
        for (label, table) in counts {
            let n = try db.scalar("SELECT COUNT(*) FROM \(raw: table)") ?? 0
            if n > (table == "users" ? 1 : 0) { found.append("\(label) \(n)") }
        }
        guard found.isEmpty else {
            throw CLIFailure(.invalidInput, "数据库中已有数据 (the database already holds data): \(found.joined(separator: ", "))；"
                             + "salesd demo 只填充空数据库 (only an empty database, or one with just the first admin, is filled). "
                             + "Use a new data directory or database (`make demo` uses its own, ./demo-data).")
        }
    }

    static func printSummary(_ db: any Database, seconds: Double) throws {
        func line(_ title: String, _ sql: SQL, titles: [String: String] = [:]) throws {
            let parts = try db.query(sql).map { r in
                let key = r.string("k") ?? "-"
                return "\(titles[key] ?? key) \(r.int("n") ?? 0)"
            }
            print("  \(title): " + (parts.isEmpty ? "0" : parts.joined(separator: "，")))
        }
        print("演示数据已生成 (demo company created) in \(String(format: "%.1f", seconds)) s — 上海华源汽车零部件有限公司")
        try line("用户", "SELECT 'active' AS k, COUNT(*) AS n FROM users WHERE active = 1", titles: ["active": "在职"])
        try line("客户", """
            SELECT CASE WHEN status = 'customer' THEN COALESCE(rating_class, '?') || ' 类' ELSE status END AS k, COUNT(*) AS n
            FROM crm_customers GROUP BY 1 ORDER BY 1
            """, titles: ["prospect": "潜在客户"])
        try line("认定申请", "SELECT state AS k, COUNT(*) AS n FROM crm_applications GROUP BY state ORDER BY state",
                 titles: ["approved": "已批准", "investigating": "信用调查中", "draft": "草稿", "evaluated": "已评定"])
        try line("评级", "SELECT state AS k, COUNT(*) AS n FROM crm_ratings GROUP BY state ORDER BY state",
                 titles: ["approved": "已生效", "proposed": "待销售主管审核", "reviewed": "待销售经理批准", "rejected": "已驳回"])
        try line("合同", "SELECT state AS k, COUNT(*) AS n FROM order_contracts GROUP BY state ORDER BY state",
                 titles: ["approved": "已批准", "review": "评审中"])
        try line("订单", "SELECT state AS k, COUNT(*) AS n FROM order_orders GROUP BY state ORDER BY state", titles: Self.orderStates)
        try line("交货", "SELECT 'n' AS k, COUNT(*) AS n FROM order_deliveries", titles: ["n": "批次"])
        try line("应收分录", "SELECT kind AS k, COUNT(*) AS n FROM order_ledger GROUP BY kind ORDER BY kind",
                 titles: ["shipment": "发货", "payment": "收款", "return_credit": "退货冲减"])
        try line("投诉", "SELECT state AS k, COUNT(*) AS n FROM service_complaints GROUP BY state ORDER BY state",
                 titles: ["open": "待处理", "routed": "已分派", "decided": "已决定措施", "closed": "已结案"])
        try line("退货", "SELECT state AS k, COUNT(*) AS n FROM service_returns GROUP BY state ORDER BY state",
                 titles: ["registered": "已登记", "listed": "清单已核对", "approved": "已准予退回", "refused": "已拒绝", "received": "已入库",
                          "settled": "已结算"])
        try line("拜访计划", "SELECT state AS k, COUNT(*) AS n FROM crm_visit_plans GROUP BY state ORDER BY state",
                 titles: ["planned": "待实施", "done": "已实施", "cancelled": "已取消"])
        try line("巡访", "SELECT state AS k, COUNT(*) AS n FROM service_patrol_visits GROUP BY state ORDER BY state",
                 titles: ["assigned": "待巡访", "reported": "已报日报"])
        try line("建议", """
            SELECT CASE WHEN s.published = 1 THEN 'published' ELSE 'open' END AS k, COUNT(*) AS n FROM ideas_suggestions s GROUP BY 1 ORDER BY 1
            """, titles: ["published": "已公布", "open": "待评审"])
        print("")
        print("登录 (logins) — 密码 (password) for every one: \(DemoData.password)")
        for p in DemoData.people {
            print("  \(p.username.padding(toLength: 14, withPad: " ", startingAt: 0)) \(p.name)  \(p.roles.map(\.title).joined(separator: "、"))（\(p.department.name)）")
        }
    }

    static let orderStates = [
        "contract_pending": "待合同", "settlement_pending": "待结清逾期", "credit_blocked": "超警戒线待批", "sporadic_pending": "零星待批",
        "price_pending": "低价待批", "accepted": "待下达", "released": "已下达", "scheduled": "已排产", "delivering": "分批交货中",
        "delivered": "已全部交货", "completed": "已完成", "rejected": "已驳回", "cancelled": "已取消",
    ]
}
