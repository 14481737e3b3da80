import Foundation
import SalesHost
import SalesKit

/// The demo company's history, step by step as its staff would have done it: each step is a
/// form sent by the person whose job it is (`DemoBrowser`), at a moment of the last five months
/// (`DemoClock`), run in time order. The database is only read here, for record ids.
final class DemoStory {
    let worker: Worker
    let clock: DemoClock
    let zone: TimeZone
    let today: LocalDate
    var browsers: [String: DemoBrowser] = [:]
    private var steps: [(at: Date, seq: Int, run: () throws -> Void)] = []
    /// By customer key: the record's id once entered, its 客户代码 once approved, the contract's page.
    var customerID: [String: Int64] = [:]
    var customerCode: [String: String] = [:]
    var contractPath: [String: String] = [:]

    init(worker: Worker, clock: DemoClock, zone: TimeZone, today: LocalDate) {
        self.worker = worker
        self.clock = clock
        self.zone = zone
        self.today = today
    }

    var db: any Database { worker.db }

    /// The browser of a demo user (logged in on first use, again whenever the session expired).
    func staff(_ username: String) -> DemoBrowser {
        if let b = browsers[username] { return b }
        let b = DemoBrowser(worker: worker, username: username, password: DemoData.password)
        browsers[username] = b
        return b
    }

    /// The day `daysAgo` days before today. Calendar days, weekends included: a step a day later
    /// in the story is never earlier on the clock (a Sunday moved to Friday would put a delivery
    /// before its release).
    func day(_ daysAgo: Int) -> LocalDate { today.adding(days: -daysAgo) }

    func moment(_ d: LocalDate, _ hour: Int, _ minute: Int = 0) -> Date {
        d.start(in: zone).addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
    }

    /// Schedules a step on a day of the history at a time of that day.
    func on(_ d: LocalDate, _ hour: Int, _ minute: Int = 0, _ run: @escaping () throws -> Void) {
        steps.append((moment(d, hour, minute), steps.count, run))
    }

    func on(_ daysAgo: Int, _ hour: Int, _ minute: Int = 0, _ run: @escaping () throws -> Void) {
        on(day(daysAgo), hour, minute, run)
    }

    /// Runs every step in time order on the demo clock; steps that would lie in the future
    /// (later today) run at the latest now.
    func run() throws {
        let real = clock.now
        for s in steps.sorted(by: { ($0.at, $0.seq) < ($1.at, $1.seq) }) {
            clock.now = min(s.at, real)
            try s.run()
        }
        steps = []
        clock.now = real
    }

    func ids(_ sql: SQL) throws -> [Int64] { try db.query(sql).compactMap { $0.int("id") } }

    // MARK: - The history

    func write(accountsCreated: [String: Int64]) throws {
        setUp(accountsCreated)
        developCustomers()
        contracts()
        ratingReviews()
        surveyReports()
        orders()
        complaintsAndReturns()
        visits()
        suggestions()
    }

    /// Day 150: the administrator sets each person's 直属上级, keeps the product master and
    /// seats the suggestion committee; the departments' headcounts for the team ranking.
    func setUp(_ ids: [String: Int64]) {
        on(150, 9) { [self] in
            let admin = staff("caoyu")
            for p in DemoData.people {
                guard let sup = p.supervisor, let id = ids[p.username], let supID = ids[sup] else { continue }
                var fields = [("display_name", p.name), ("supervisor", String(supID)), ("active", "1"),
                              ("departments", p.department.rawValue), ("reason", "组织架构：直属上级")]
                fields += p.roles.map { ("roles", $0.id) }
                try admin.submit("/admin/users/\(id)", fields)
            }
            for p in DemoData.products {
                try admin.submit("/order/products/new", [("name", p.name), ("spec", p.spec), ("unit", p.unit),
                                                         ("list_price", String(p.list)), ("std_cost", String(p.cost)), ("active", "1")])
            }
            var seats: [(String, String)] = []
            for (user, seat) in [("linzhiqiang", "chair"), ("wanghaifeng", "vice"), ("fengxue", "member"), ("hejing", "member")] {
                if let id = ids[user] { seats.append(("p:\(id)", seat)) }
            }
            try admin.submit("/ideas/committee", seats)
            for (name, count) in [("销售部", "24"), ("市场部", "6"), ("客户服务部", "8"), ("生产部", "120"), ("品质部", "15"),
                                  ("技术部", "12"), ("财务部", "7")] {
                try admin.submit("/ideas/departments", [("name", name), ("headcount", count)])
            }
        }
    }

    /// Days 145–128: prospects entered by their reps; eight go through the 新客户认定申请表,
    /// the credit survey and the 客户评定报告 and are approved by the rep's 销售主管 (A–D);
    /// one application is still under investigation, two stay prospects.
    func developCustomers() {
        for (i, c) in DemoData.customers.enumerated() {
            let start = 145 - i
            on(start, 9, 30) { [self] in
                let rep = staff(c.owner)
                var fields = [("name", c.name), ("city", c.city), ("address", c.address), ("phone", c.phone),
                              ("contact_person", c.contact), ("contact_title", c.title)]
                if c.city == "上海" { fields.append(("in_city", "1")) }
                customerID[c.key] = try DemoBrowser.id(try rep.submit("/crm/customers/new", fields))
            }
            guard let cls = c.rating else { continue }
            var appPath = ""
            on(start, 14) { [self] in
                let rep = staff(c.owner)
                guard let cid = customerID[c.key] else { return }
                let capital = ["A": "300000000", "B": "80000000", "C": "20000000", "D": "3000000"][cls] ?? "5000000"
                appPath = try rep.submit("/crm/customers/\(cid)/apply", [
                    ("company_name", c.name), ("founded", "2008-06-18"), ("legal_rep", c.contact),
                    ("shareholders.0.name", c.contact), ("shareholders.0.title", "董事长"),
                    ("capital", capital), ("postcode", "200000"), ("nature", ["A": "中外合资", "B": "大型民营", "C": "中型民营", "D": "小型民营"][cls] ?? "其他"),
                    ("employees", "260"),
                    ("results.0.year", String(today.year - 1)), ("results.0.sales", "86000000.00"),
                    ("pay_cash_pct", "30"), ("pay_check_pct", "70"), ("pay_days", "30"),
                    ("principles", "credit"), ("principles", "cooperation"),
                ])
                try rep.submit(appPath + "/act", [("action", "submit")], from: appPath)
            }
            guard cls != "applying" else { continue }
            on(start - 3, 10) { [self] in
                let rep = staff(c.owner)
                try rep.submit(appPath + "/survey", [("survey_date", day(start - 3).description), ("methods", "实地走访"),
                                                     ("banks", "中国工商银行"), ("conclusion", "good")])
                guard let cid = customerID[c.key] else { return }
                let aid = try DemoBrowser.id(appPath)
                try rep.submit("/crm/customers/\(cid)/rate", [("application", String(aid))] + DemoData.rating(cls),
                               from: "/crm/customers/\(cid)/rate?application=\(aid)")
                try rep.submit(appPath + "/act", [("action", "evaluate")], from: appPath)
            }
            on(start - 4, 11) { [self] in
                let boss = staff(DemoData.people.first { $0.username == c.owner }?.supervisor ?? "wanghaifeng")
                try boss.submit(appPath + "/act", [("action", "approve")], from: appPath)
                if let cid = customerID[c.key] {
                    customerCode[c.key] = try db.first("SELECT code FROM crm_customers WHERE id = \(cid)")?.string("code")
                }
            }
        }
    }

    /// Days 125–118: a supply contract per customer, reviewed by 技术部、品质部、生产部 and
    /// approved by the 总经理 (003 §3.2–§3.7); 南通利民's, recorded yesterday, is still in review.
    func contracts() {
        let reviewers = [("technical", "majun"), ("quality", "hejing"), ("production", "huangguoping")]
        for (i, c) in DemoData.customers.enumerated() where c.rating != nil && c.rating != "applying" {
            let late = c.key == "limin"
            let start = late ? 1 : 125 - i
            on(start, 10) { [self] in
                guard let code = customerCode[c.key] else { return }
                let no = "HT-\(day(start).year)-\(String(format: "%03d", i + 1))"
                contractPath[c.key] = try staff(c.owner).submit("/order/contracts/new", [("customer_code", code), ("contract_no", no),
                                                                                  ("title", "\(day(start).year) 年度供货合同")])
            }
            for (j, (dept, user)) in reviewers.enumerated() where !late || j == 0 {
                on(start - 1, 10 + j * 2) { [self] in
                    guard let path = contractPath[c.key] else { return }
                    try staff(user).submit(path + "/review/\(dept)", [("decision", "agree"), ("opinion", DemoStory.reviewOpinion[dept] ?? "同意"),
                                                                    ("document", ""), ("reason", "")])
                }
            }
            if late { continue }
            on(start - 2, 15) { [self] in
                guard let path = contractPath[c.key] else { return }
                try staff("chenjianguo").submit(path + "/approve", [("action", "approve"), ("reason", "价格与付款条件合理，同意签订")], from: path)
            }
        }
    }

    static let planMethod = ["wanghaifeng": "每周五由内勤汇总客户档案变化，销售主管审阅",
                             "huangguoping": "精加工班组每班首件动平衡检测，记入工序卡，品质部周抽查"]

    static let reviewOpinion = ["technical": "技术要求与图纸一致，可满足", "quality": "检验标准按国标执行，可满足",
                                "production": "产能可满足，按月分批交货"]

    /// The quarterly re-rating (003 §2.3, RULES §6): early in this quarter (or the last one, if
    /// this one began less than twelve days ago) each rep rates their customers again and the
    /// 销售主管 approves; 顺通's proposed upgrade C → B waits for 赵敏, and 东海 (overdue) has
    /// not been re-rated yet.
    func ratingReviews() {
        let first = LocalDate(year: today.year, month: (today.month - 1) / 3 * 3 + 1, day: 1)
        var quarter = first
        if today.dayNumber - first.dayNumber < 12 {
            quarter = first.month == 1 ? LocalDate(year: first.year - 1, month: 10, day: 1) : LocalDate(year: first.year, month: first.month - 3, day: 1)
        }
        let proposed = quarter.adding(days: 10)
        guard proposed > day(120) else { return }
        var ratings: [String: String] = [:]
        for (i, c) in DemoData.customers.enumerated() {
            guard let cls = c.rating, "ABCD".contains(cls), c.key != "donghai" else { continue }
            let upgrade = c.key == "shuntong"
            on(proposed, 9, i * 5) { [self] in
                guard let cid = customerID[c.key] else { return }
                ratings[c.key] = try staff(c.owner).submit("/crm/customers/\(cid)/rate",
                                                           [("application", "")] + DemoData.rating(upgrade ? "B" : cls)
                                                           + [("note", upgrade ? "门店扩张至 12 家，付款改为 80% 滚动" : "季度复评，情况无变化")])
            }
            if upgrade { continue }
            on(proposed.adding(days: 1), 10, i * 5) { [self] in
                guard let path = ratings[c.key] else { return }
                let boss = DemoData.people.first { $0.username == c.owner }?.supervisor ?? "wanghaifeng"
                try staff(boss).submit(path + "/review", [("decision", "approve"), ("opinion", "核实无误，同意")])
            }
        }
    }

    /// 市场、客户、同行调查报告 of every quarter that ended during the history (003 §5.2), filed
    /// by each rep in the quarter's last week.
    func surveyReports() {
        let reps = DemoData.people.filter { $0.roles.contains(.salesRep) }
        let topics = [("market", "华东商用车与乘用车售后配件市场", "商用车配件需求平稳，乘用车售后市场价格竞争加剧"),
                      ("customer", "负责区域内的 A、B 类客户", "主要客户产量稳定，付款基本按期，个别客户要求延长账期"),
                      ("peer", "区域内三家制动器与滤清器同行", "同行普遍下调报价 3%–5%，交货周期 15 天左右")]
        var end = LocalDate(year: day(150).year, month: ((day(150).month - 1) / 3 + 1) * 3, day: 1)
        while true {
            let last = LocalDate(year: end.year, month: end.month, day: LocalDate.daysIn(year: end.year, month: end.month))
            var filed = last.adding(days: -6)
            while filed.weekday > 5 { filed = filed.adding(days: -1) }
            guard filed < today else { break }
            if filed > day(148) {
                for (i, r) in reps.enumerated() {
                    on(filed, 15, i * 10) { [self] in
                        for (kind, subject, findings) in topics {
                            try staff(r.username).submit("/crm/survey-reports/new", [
                                ("kind", kind), ("period", "current"), ("subject", subject), ("findings", findings),
                                ("opportunities", "新能源物流车配套有增量"), ("risks", "原材料价格波动"), ("measures", "重点跟进 A 类客户年度框架协议")],
                                from: "/crm/survey-reports/new?kind=\(kind)")
                        }
                    }
                }
            }
            end = end.month == 12 ? LocalDate(year: end.year + 1, month: 3, day: 1) : LocalDate(year: end.year, month: end.month + 3, day: 1)
        }
    }

    // MARK: Orders

    /// An order as its rep registers it (lines: product index, quantity, price in 元 or nil for
    /// the list price); returns the order's path.
    func register(_ key: String, _ lines: [(Int, Int, Int?)], channel: String = "fax", payDays: Int = 30, deliverIn: Int = 20,
                  extra: [(String, String)] = []) throws -> String {
        guard let c = DemoData.customers.first(where: { $0.key == key }), let code = customerCode[key] else {
            throw DemoFailure(description: "customer \(key) has no code")
        }
        let received = LocalDate(date: clock.now, timeZone: zone)
        var fields = [("customer_code", code), ("channel", channel), ("received_on", received.description),
                      ("pay_days", String(payDays)), ("planned_delivery", received.adding(days: deliverIn).description)]
        for (n, (p, qty, price)) in lines.enumerated() {
            let product = DemoData.products[p]
            fields += [("lines.\(n).product", product.name), ("lines.\(n).spec", product.spec), ("lines.\(n).qty", String(qty)),
                       ("lines.\(n).price", String(price ?? product.list))]
        }
        return try staff(c.owner).submit("/order/orders/new", fields + extra)
    }

    func act(_ user: String, _ order: String, _ action: String, reason: String? = nil) throws {
        try staff(user).submit(order + "/act", [("action", action)] + (reason.map { [("reason", $0)] } ?? []), from: order)
    }

    func schedule(_ order: String, days: Int) throws {
        let d = LocalDate(date: clock.now, timeZone: zone)
        try staff("huangguoping").submit(order + "/schedule", [("sched_start", d.adding(days: 1).description),
                                                             ("sched_end", d.adding(days: days).description)])
    }

    /// A delivery by the customer's rep: `fraction` of each line's remaining quantity (1 = all),
    /// its paperwork done (交验手续) the same day.
    func deliver(_ key: String, _ order: String, fraction: Double = 1) throws {
        guard let owner = DemoData.customers.first(where: { $0.key == key })?.owner else { return }
        let oid = try DemoBrowser.id(order)
        let today = LocalDate(date: clock.now, timeZone: zone)
        var fields = [("delivered_on", today.description), ("arrived_at", today.description + " 08:00")]
        for (n, l) in try db.query("SELECT id, qty, delivered_qty FROM order_lines WHERE order_id = \(oid) ORDER BY line_no").enumerated() {
            let remaining = (l.int("qty") ?? 0) - (l.int("delivered_qty") ?? 0)
            let qty = fraction >= 1 ? remaining : Int64((Double(remaining) * fraction).rounded())
            fields += [("lines.\(n).line_id", String(l.int("id") ?? 0)), ("lines.\(n).qty", qty > 0 ? String(qty) : "")]
        }
        let rep = staff(owner)
        try rep.submit(order + "/deliveries/new", fields)
        for did in try ids("SELECT id FROM order_deliveries WHERE order_id = \(oid) AND accepted_at IS NULL ORDER BY id") {
            try rep.submit("\(order)/deliveries/\(did)/accept", [], from: order)
        }
    }

    /// Finance books a customer's payment (RULES §6: the receivables ledger).
    func pay(_ key: String, _ order: String?, yuan: Int) throws {
        guard let code = customerCode[key] else { return }
        var fields = [("customer_code", code), ("kind", "payment"), ("amount", String(yuan)),
                      ("paid_on", LocalDate(date: clock.now, timeZone: zone).description), ("note", "银行电汇")]
        // Against the order while it is open; a completed order's money is the customer's account's.
        if let order, let o = try db.first("SELECT order_no, state FROM order_orders WHERE id = \(try DemoBrowser.id(order))"),
           o.string("state") != "completed", let no = o.string("order_no") {
            fields.append(("order_no", no))
        }
        try staff("zhengli").submit("/order/payments/new", fields)
    }

    func total(_ order: String) throws -> Int {
        let fen = try db.first("SELECT total_fen FROM order_orders WHERE id = \(try DemoBrowser.id(order))")?.int("total_fen") ?? 0
        return Int(fen / 100)
    }

    /// The orders of five months, left in every state of 002 / 003 第四章.
    func orders() {
        var o: [String: String] = [:]
        // Completed and paid: 申达 (A) and 宏达 (B).
        on(110, 9) { [self] in o["shenda1"] = try register("shenda", [(0, 400, nil), (1, 600, nil)]) }
        on(109, 10) { [self] in try act("wanghaifeng", o["shenda1"] ?? "", "release") }
        on(108, 11) { [self] in try schedule(o["shenda1"] ?? "", days: 8) }
        on(100, 9) { [self] in try deliver("shenda", o["shenda1"] ?? "") }
        on(99, 16) { [self] in try act("zhangwei", o["shenda1"] ?? "", "complete") }
        on(75, 10) { [self] in try pay("shenda", o["shenda1"], yuan: try total(o["shenda1"] ?? "")) }

        on(95, 9) { [self] in o["hongda1"] = try register("hongda", [(2, 2000, nil), (3, 150, nil)]) }
        on(94, 10) { [self] in try act("wanghaifeng", o["hongda1"] ?? "", "release") }
        on(93, 11) { [self] in try schedule(o["hongda1"] ?? "", days: 6) }
        on(88, 9) { [self] in try deliver("hongda", o["hongda1"] ?? "", fraction: 0.5) }
        on(85, 9) { [self] in try deliver("hongda", o["hongda1"] ?? "") }
        on(84, 16) { [self] in try act("lina", o["hongda1"] ?? "", "complete") }
        on(60, 10) { [self] in
            // The order less the return settled meanwhile (its credit already reduced the receivable).
            let credited = try db.first("SELECT COALESCE(SUM(settled_fen), 0) AS f FROM service_returns WHERE customer_id = \(customerID["hongda"] ?? 0)")?.int("f") ?? 0
            try pay("hongda", o["hongda1"], yuan: try total(o["hongda1"] ?? "") - Int(credited / 100))
        }

        // Completed, never paid: 东海 (C) is overdue, so its new order waits (002 §3.4).
        on(100, 14) { [self] in o["donghai1"] = try register("donghai", [(1, 300, nil), (2, 800, nil)]) }
        on(99, 10) { [self] in try act("wanghaifeng", o["donghai1"] ?? "", "release") }
        on(98, 11) { [self] in try schedule(o["donghai1"] ?? "", days: 10) }
        on(80, 9) { [self] in try deliver("donghai", o["donghai1"] ?? "") }
        on(79, 16) { [self] in try act("zhangwei", o["donghai1"] ?? "", "complete") }
        on(6, 10) { [self] in o["donghai2"] = try register("donghai", [(1, 200, nil)]) }

        // Over the warning line: 恒运 (D, ¥150,000) — one the 总经理 rejected, one waiting for him.
        on(50, 10) { [self] in o["hengyun1"] = try register("hengyun", [(4, 500, nil), (3, 300, nil)]) }
        on(49, 15) { [self] in try act("chenjianguo", o["hengyun1"] ?? "", "reject", reason: "车队规模小，超警戒线过多，请先回款再议") }
        on(4, 10) { [self] in o["hengyun2"] = try register("hengyun", [(4, 400, nil)]) }

        // Delivered, awaiting completion: 浦江 (B), partly paid.
        on(70, 9) { [self] in o["pujiang1"] = try register("pujiang", [(0, 200, nil), (3, 120, nil)]) }
        on(69, 10) { [self] in try act("wanghaifeng", o["pujiang1"] ?? "", "release") }
        on(68, 11) { [self] in try schedule(o["pujiang1"] ?? "", days: 10) }
        on(55, 9) { [self] in try deliver("pujiang", o["pujiang1"] ?? "") }
        on(30, 10) { [self] in try pay("pujiang", o["pujiang1"], yuan: 40000) }

        // Cancelled by the customer: 顺通 (C).
        on(45, 9) { [self] in o["shuntong1"] = try register("shuntong", [(1, 500, nil)]) }
        on(44, 11) { [self] in try act("sunlei", o["shuntong1"] ?? "", "cancel", reason: "客户调整采购计划，书面通知取消") }

        // Below the list price: the 销售经理 consents; then released, scheduled, delivered, completed.
        on(30, 9) { [self] in o["shuntong2"] = try register("shuntong", [(1, 400, 88), (2, 1000, nil)]) }
        on(29, 10) { [self] in try act("wanghaifeng", o["shuntong2"] ?? "", "price_approve", reason: "连锁门店年度框架，批量让价") }
        on(28, 10) { [self] in try act("wanghaifeng", o["shuntong2"] ?? "", "release") }
        on(27, 11) { [self] in try schedule(o["shuntong2"] ?? "", days: 6) }
        on(18, 9) { [self] in try deliver("shuntong", o["shuntong2"] ?? "") }
        on(17, 16) { [self] in try act("sunlei", o["shuntong2"] ?? "", "complete") }

        // Delivering in batches: 江淮 (A); and a second 江淮 order scheduled.
        on(40, 9) { [self] in o["jianghuai1"] = try register("jianghuai", [(0, 800, nil), (3, 400, nil)], deliverIn: 60) }
        on(39, 10) { [self] in try act("wanghaifeng", o["jianghuai1"] ?? "", "release") }
        on(38, 11) { [self] in try schedule(o["jianghuai1"] ?? "", days: 20) }
        on(20, 9) { [self] in try deliver("jianghuai", o["jianghuai1"] ?? "", fraction: 0.5) }
        on(12, 9) { [self] in o["jianghuai2"] = try register("jianghuai", [(4, 150, nil)]) }
        on(11, 10) { [self] in try act("wanghaifeng", o["jianghuai2"] ?? "", "release") }
        on(10, 11) { [self] in try schedule(o["jianghuai2"] ?? "", days: 15) }

        // Contract still in review: 利民 (D) waits (002 §3.3).
        on(20, 10) { [self] in o["limin1"] = try register("limin", [(2, 300, nil)], channel: "courier") }
        // Released, not yet scheduled; accepted, not yet released; below the list price, waiting.
        on(8, 9) { [self] in o["hongda2"] = try register("hongda", [(1, 400, nil)]) }
        on(7, 10) { [self] in try act("wanghaifeng", o["hongda2"] ?? "", "release") }
        on(3, 9) { [self] in o["jianghuai3"] = try register("jianghuai", [(2, 600, nil)]) }
        // 浦江 has paid only part of its delivered order: the next one waits for the rest.
        on(1, 10) { [self] in o["pujiang2"] = try register("pujiang", [(2, 600, nil)]) }
        on(2, 10) { [self] in o["shenda2"] = try register("shenda", [(0, 300, 165)]) }
        // A 零星 purchase, prepaid in full: the 总经理 approves once finance has the money (003 §4.1.3).
        on(2, 14) { [self] in
            let amount = DemoData.products[1].list * 20
            o["limin2"] = try register("limin", [(1, 20, nil)], channel: "phone", extra: [("sporadic", "1"), ("prepaid", String(amount)),
                                                                                          ("phone_record", "电话记录：朱利民订刹车片 20 套，款到发货")])
        }
    }

    // MARK: After-sales

    func complaint(_ key: String, kind: String, summary: String, product: Int? = nil) throws -> String {
        guard let c = DemoData.customers.first(where: { $0.key == key }), let cid = customerID[key] else { return "" }
        var fields = [("kind", kind), ("customer", String(cid)), ("summary", summary)]
        if let product {
            let p = DemoData.products[product]
            let bought = try db.first("""
                SELECT MIN(d.delivered_on) AS day FROM order_deliveries d JOIN order_orders o ON o.id = d.order_id WHERE o.customer_id = \(cid)
                """)?.string("day") ?? LocalDate(date: clock.now, timeZone: zone).adding(days: -10).description
            fields += [("invoice_no", "FP-\(cid)0\(product)"), ("product", p.name), ("spec", p.spec), ("quantity", "40"),
                       ("grade", "合格品"), ("color", "黑色"), ("purchase_date", bought)]
        } else {
            fields.append(("concerned", "物流部送货司机"))
        }
        return try staff(c.owner).submit("/service/complaints/new", fields)
    }

    func complaintsAndReturns() {
        var p: [String: String] = [:]
        /// A step on complaint or return `record`'s page `suffix`, by the person whose job it is.
        func by(_ user: String, _ record: String, _ suffix: String, _ fields: [(String, String)]) throws {
            try staff(user).submit((p[record] ?? "") + suffix, fields)
        }
        // Closed within the day: routed to 品质部, found, remedied by 技术部, closed with feedback.
        on(90, 9) { [self] in p["c1"] = try complaint("shenda", kind: "quality", summary: "第二批制动盘装车后异响，疑似动平衡超差", product: 0) }
        on(90, 10) { try by("wanghaifeng", "c1", "/route", [("departments", "quality")]) }
        on(90, 13) { try by("hejing", "c1", "/departments/quality", [("finding", "抽检 20 件，3 件动平衡超差，系精加工工序刀具磨损")]) }
        on(90, 15) { try by("majun", "c1", "/remedy", [("remedy", "更换同批次超差制动盘 40 件，精加工工序增加首件动平衡检测")]) }
        on(90, 17) { try by("wanghaifeng", "c1", "/close", [("result", "已更换 40 件并整改工序"), ("feedback", "客户确认异响消除，表示满意")]) }
        // Decided yesterday, not yet closed: 宏达's filters.
        on(1, 8, 30) { [self] in p["c2"] = try complaint("hongda", kind: "quality", summary: "机油滤清器密封圈装配后渗油", product: 2) }
        on(1, 9, 30) { try by("wanghaifeng", "c2", "/route", [("departments", "quality"), ("departments", "production")]) }
        on(1, 13) { try by("hejing", "c2", "/departments/quality", [("finding", "密封圈硬度偏低，来料批次 M0918 不合格")]) }
        on(1, 14) { try by("huangguoping", "c2", "/departments/production", [("finding", "装配工序无异常，按作业指导书执行")]) }
        on(1, 15) { try by("majun", "c2", "/remedy", [("remedy", "整批更换密封圈供应商批次，退换渗油件")]) }
        // Routed to 品质部 yesterday; a service complaint registered today.
        on(1, 9) { [self] in p["c3"] = try complaint("jianghuai", kind: "quality", summary: "减震器到货外包装破损，部分产品表面划伤", product: 3) }
        on(1, 11) { try by("wanghaifeng", "c3", "/route", [("departments", "quality")]) }
        on(0, 9) { [self] in p["c4"] = try complaint("pujiang", kind: "service", summary: "送货司机未按约定时间送达，且态度生硬") }

        // Returns (003 第六章): one settled through all five steps; one approved, awaiting receipt; one just registered.
        func registerReturn(_ key: String, code: String, text: String) throws -> String {
            guard let c = DemoData.customers.first(where: { $0.key == key }), let cid = customerID[key] else { return "" }
            return try staff(c.owner).submit("/service/returns/new", [("customer", String(cid)), ("reason_code", code), ("reason_form", "written"),
                                                                    ("reason_text", text)])
        }
        func list(_ key: String, _ path: String, product: Int, qty: Int) throws {
            guard let c = DemoData.customers.first(where: { $0.key == key }) else { return }
            let pr = DemoData.products[product]
            try staff(c.owner).submit(path + "/list", [("lines.0.product", pr.name), ("lines.0.spec", pr.spec), ("lines.0.quantity", String(qty)),
                                                     ("lines.0.price", String(pr.list)), ("checked", "1")])
        }
        // The rep at the customer's within 48 hours of the registration (003 §6.2).
        func arrive(_ key: String, _ path: String, at hour: Int) throws {
            guard let c = DemoData.customers.first(where: { $0.key == key }) else { return }
            try staff(c.owner).submit(path + "/arrival", [("arrived_date", LocalDate(date: clock.now, timeZone: zone).description),
                                                          ("arrived_hour", String(hour)), ("arrived_minute", "0"),
                                                          ("note", "与客户仓库逐项核对")])
        }
        on(80, 9) { p["r1"] = try registerReturn("hongda", code: "6.1.2", text: "客户来函：部分机油滤清器壳体变形，要求退货") }
        on(80, 13) { try arrive("hongda", p["r1"] ?? "", at: 11) }
        on(80, 14) { try list("hongda", p["r1"] ?? "", product: 2, qty: 60) }
        on(79, 10) { try by("hejing", "r1", "/notice", [("outcome", "approve"), ("opinion", "抽检属实，准予退回")]) }
        on(77, 10) { [self] in
            let rid = try DemoBrowser.id(p["r1"] ?? "")
            let fields = try ids("SELECT id FROM service_return_lines WHERE return_id = \(rid) ORDER BY id").map { ("recv_\($0)", "60") }
            try staff("huangguoping").submit((p["r1"] ?? "") + "/receive", fields)
        }
        on(76, 10) { try by("zhengli", "r1", "/settle", [("note", "按入库数量冲减应收")]) }
        on(40, 9) { p["r2"] = try registerReturn("pujiang", code: "6.1.1", text: "交货验收时发现部分减震器规格与订单不符") }
        on(40, 13) { try arrive("pujiang", p["r2"] ?? "", at: 11) }
        on(40, 14) { try list("pujiang", p["r2"] ?? "", product: 3, qty: 10) }
        on(39, 10) { try by("hejing", "r2", "/notice", [("outcome", "approve"), ("opinion", "核对属实，准予退回")]) }
        on(1, 9) { p["r3"] = try registerReturn("shuntong", code: "6.1.2", text: "门店反馈刹车片包装标识与实物不符，要求退换") }
    }

    // MARK: Visits

    func visits() {
        var plan = ""
        // 客户开发: a visit planned and carried out, one planned for next week, contacts and a daily report.
        on(22, 9) { [self] in
            guard let cid = customerID["xinrui"] else { return }
            plan = try staff("zhangwei").submit("/crm/visits/plans/new", [("customer_id", String(cid)), ("kind", "visit"),
                                                                       ("planned_date", day(18).description), ("person", "蒋晓峰"),
                                                                       ("purpose", "介绍电动车专用制动盘"), ("plan", "带样品与检测报告")])
        }
        on(18, 17) { [self] in
            try staff("zhangwei").submit(plan + "/complete", [("actual_date", day(18).description), ("result", "对方同意试装 20 套样品"),
                                                            ("next_step", "下周送样并报价"), ("log_as", "visit")])
        }
        on(1, 16) { [self] in
            guard let cid = customerID["wantong"] else { return }
            try staff("sunlei").submit("/crm/visits/plans/new", [("customer_id", String(cid)), ("kind", "visit"),
                                                              ("planned_date", today.adding(days: 3).description), ("person", "史国强"),
                                                              ("purpose", "了解专用车底盘配套需求"), ("plan", "与技术部马工同去")])
        }
        on(15, 15) { [self] in
            guard let cid = customerID["anchi"] else { return }
            try staff("lina").submit("/crm/customers/\(cid)/contacts", [("kind", "visit"), ("contact_date", day(15).description),
                                                                       ("person", "林安"), ("summary", "走访工厂，核实产能与付款习惯")],
                                   from: "/crm/customers/\(cid)")
        }
        on(1, 17) { [self] in
            try staff("zhangwei").submit("/crm/reports/daily/new", [("report_date", day(1).description),
                                                                  ("progress", "拜访上海申达，确认下月制动盘需求；新锐样品测试中")])
        }
        // 售后服务 patrol (002 第九章): assigned by the 客户服务主管, reported by the 专员, acknowledged.
        var visit: Int64 = 0
        on(60, 9) { [self] in
            guard let cid = customerID["shenda"], let pid = try db.first("SELECT id FROM users WHERE username = 'xuliang'")?.int("id") else { return }
            visit = try DemoBrowser.id(try staff("gaofeng").submit("/service/patrol/visits/new", [
                ("customer", String(cid)), ("patroller", String(pid)), ("planned_date", day(58).description), ("purpose", "了解制动盘使用情况与库存")]))
        }
        on(58, 16) { [self] in
            let report = try staff("xuliang").submit("/service/patrol/visits/\(visit)/report", [
                ("visit_date", day(58).description), ("visit_time", "10:30"), ("opinions", "希望缩短交货周期"), ("market", "竞品报价下调约 5%"),
                ("effect", "客户同意增加下季度订量"), ("handling", "交期问题已转生产部"), ("other", "")])
            try staff("gaofeng").submit(report + "/ack", [], from: report)
        }
        on(2, 9) { [self] in
            guard let cid = customerID["hongda"], let pid = try db.first("SELECT id FROM users WHERE username = 'dengfang'")?.int("id") else { return }
            try staff("gaofeng").submit("/service/patrol/visits/new", [("customer", String(cid)), ("patroller", String(pid)),
                                                                      ("planned_date", today.adding(days: 5).description), ("purpose", "回访滤清器渗油整改效果")])
        }
    }

    // MARK: Suggestions

    /// The month two months ago: submitted from the 5th, opened on the 20th, graded and
    /// published on the 21st (002 第4章 §19–§24); the implementation order's plan in the next
    /// month; one suggestion of this month still waiting for its box.
    func suggestions() {
        let back = today.adding(days: -60)
        let month = String(format: "%04d-%02d", back.year, back.month)
        func date(_ d: Int, next: Bool = false) -> LocalDate {
            next ? LocalDate(year: back.month == 12 ? back.year + 1 : back.year, month: back.month == 12 ? 1 : back.month + 1, day: d)
                 : LocalDate(year: back.year, month: back.month, day: d)
        }
        var paths: [String: String] = [:]
        let ideas: [(String, String, String, String, String)] = [
            ("zhangwei", "management", "客户档案按周更新", "每周五由内勤汇总客户档案变化，主管审阅后归档。", "grade2"),
            ("huangguoping", "other", "精加工工序增加首件动平衡检测", "每班首件做动平衡检测，记录在工序卡上，减少批量超差。", "grade3"),
            ("dengfang", "management", "投诉回访短信模板", "结案后三日内按统一模板回访客户，记录满意度。", "encourage"),
            ("zhengli", "strategy", "按客户类别设定不同的付款周期", "A 类 60 天，B 类 45 天，C、D 类 30 天，并与警戒线联动。", "rejected"),
        ]
        for (i, idea) in ideas.enumerated() {
            on(date(5 + i * 3), 10) { [self] in
                paths[idea.2] = try staff(idea.0).submit("/ideas/new", [("topic", idea.1), ("title", idea.2), ("content", idea.3),
                                                                      ("expected_effect", "提高效率，减少差错")])
            }
            on(date(21), 10, i * 10) { [self] in
                guard let path = paths[idea.2] else { return }
                var fields = [("outcome", idea.4)]
                switch idea.4 {
                case "grade2": fields.append(("departments", "sales"))
                case "grade3": fields.append(("departments", "production"))
                case "rejected": fields.append(("reason", "与现行信用政策冲突，暂不采用"))
                default: fields.append(("reason", "鼓励继续提出改进建议"))
                }
                try staff("linzhiqiang").submit(path + "/grade", fields, from: path)
            }
        }
        on(date(21), 16) { [self] in
            try staff("linzhiqiang").submit("/ideas/batches/\(month)/finalize", [], from: "/ideas/batches/\(month)")
        }
        on(date(6, next: true), 10) { [self] in
            // Each implementing department's plan (§26.2), by its head.
            let heads = ["sales": "wanghaifeng", "production": "huangguoping"]
            for r in try db.query("SELECT id, department FROM ideas_orders ORDER BY id") {
                guard let oid = r.int("id"), let head = heads[r.string("department") ?? ""] else { continue }
                try staff(head).submit("/ideas/orders/\(oid)/plan", [("plan_date", date(20, next: true).description),
                                                                    ("plan_method", DemoStory.planMethod[head] ?? "按建议实施")])
            }
        }
        // The chair confirms the sales department's result, above expectation (§26.5, §23.3).
        on(date(28, next: true), 10) { [self] in
            for oid in try ids("SELECT id FROM ideas_orders WHERE department = 'sales' ORDER BY id") {
                try staff("linzhiqiang").submit("/ideas/orders/\(oid)/confirm", [("effect", "客户档案遗漏明显减少，超出预期。"), ("exceeded", "1"),
                                                                              ("topup", "300"), ("topup_reason", "效果超过预期")])
            }
        }
        on(1, 11) { [self] in
            try staff("xuliang").submit("/ideas/new", [("topic", "development"), ("title", "巡访时顺带收集竞品价格"),
                                                     ("content", "巡访报告增加竞品价格一栏，每月由市场部汇总。"), ("expected_effect", "及时掌握市场行情")])
        }
    }
}
