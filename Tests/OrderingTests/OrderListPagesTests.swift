import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

/// Issue #13: the branch list, the branch settlements and the contracts are `ListPage`s — sortable
/// columns, keyset paging, the CSV with the page's columns — keeping what users relied on.
enum ListShape {
    /// The column titles of a list page's header, in order.
    static func headers(_ html: String) -> [String] {
        guard let head = html.range(of: "<thead><tr>"), let end = html.range(of: "</tr></thead>", range: head.upperBound..<html.endIndex)
        else { return [] }
        return html[head.upperBound..<end.lowerBound].components(separatedBy: "</th>").dropLast().map { cell in
            cell.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
                .replacingOccurrences(of: "▲", with: "").replacingOccurrences(of: "▼", with: "")
                .trimmingCharacters(in: .whitespaces)
        }
    }

    /// The CSV's header fields (the BOM dropped; no title holds a comma).
    static func csvHeader(_ csv: String) -> [String] {
        let first = csv.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return first.replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: ",").map(String.init)
    }

    /// Where `a` appears before `b` in `s` (both present).
    static func before(_ a: String, _ b: String, in s: String) -> Bool {
        guard let x = s.range(of: a), let y = s.range(of: b) else { return false }
        return x.lowerBound < y.lowerBound
    }
}

/// A deterministic generator for the SQL-vs-Swift comparison (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct BranchListPageTests {
    @Test("002 第5–6条: the branch list counts 需订货品种 in SQL exactly as the branch page decides each product (boundaries, no sales, zero or negative transit, stored numbers up to Int64 at both ends)")
    func mustOrderCountMatchesSwift() throws {
        let f = try BranchFixture()
        let interesting: [Int64] = [0, 1, -1, 2, 3, 27, 28, 29, 30, 31, 279, 280, 281, 365, 1_000_000_000, 4_294_967_295, 4_294_967_296,
                                    133_143_986_145, Int64.max / 31, Int64.max / 31 + 1, Int64.max / 365, Int64.max / 365 + 1,
                                    Int64.max / 3, Int64.max - 1, Int64.max, Int64.min, Int64.min + 1]
        var rng = SplitMix(state: 20_260_310)
        func pick() -> Int64 {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: Int64.random(in: 0...400, using: &rng)
            case 1: Int64.random(in: Int64.min...Int64.max, using: &rng)
            default: interesting.randomElement(using: &rng) ?? 0
            }
        }
        // Today 2026-03-10: last month 2026-02 (28 days), the same month last year 2025-03 (31).
        // Each branch holds one product (its count is 0 or 1) and the last one several.
        var branches: [Int64] = []
        for i in 0..<400 {
            let bid = try f.db.insert("""
                INSERT INTO order_branch_branches (name, manager_id, capital_limit, created_at, updated_at)
                VALUES (\("分支\(i)"), \(f.mgr), 0, 0, 0) RETURNING id
                """)
            branches.append(bid)
            let products = i == 399 ? 12 : 1
            for p in 0..<products {
                let product = "品种\(p)"
                let transit = Int.random(in: 0..<3, using: &rng) == 0 ? pick() : Int64.random(in: 0...10, using: &rng)
                var sales: [String: Int64] = [:]
                for month in ["2026-02", "2025-03", "2026-01"] where Int.random(in: 0..<4, using: &rng) > 0 {
                    sales[month] = pick()
                    try f.db.execute("""
                        INSERT INTO order_branch_sales (branch_id, product, month, quantity, updated_at)
                        VALUES (\(bid), \(product), \(month), \(sales[month] ?? 0), 0)
                        """)
                }
                // Mostly at the boundary of 2026-03's point (one below, on it, one above), else anything.
                let point = BranchMath.reorderPoint(year: 2026, month: 3, sales: sales, transitDays: transit).point
                let near = point.addingReportingOverflow(Int64.random(in: -1...1, using: &rng))
                let onHand = Int.random(in: 0..<3, using: &rng) > 0 && !near.overflow ? near.partialValue : pick()
                try f.db.execute("""
                    INSERT INTO order_branch_stock (branch_id, product, on_hand, transit_days, updated_at)
                    VALUES (\(bid), \(product), \(onHand), \(transit), 0)
                    """)
            }
        }
        for day in ["2026-03-10", "2024-03-01", "2025-01-31"] {
            let ctx = f.t.context(module: "order", now: BranchFixture.at(day))
            let sql: SQL = "SELECT b.id, \(raw: BranchAdminPages.mustOrderCountSQL(branch: "b.id", today: ctx.today)) AS n FROM order_branch_branches b"
            var counted: [Int64: Int64] = [:]
            for r in try f.db.query(sql) { counted[r.int("id") ?? 0] = r.int("n") }
            var prompted = 0
            for bid in branches {
                let swift = try BranchData.stock(bid, ctx).filter(\.mustOrder).count
                prompted += swift
                #expect(counted[bid] == Int64(swift), "branch \(bid) on \(day)")
            }
            if day == "2026-03-10" { #expect(prompted > 50 && prompted < 380, "both answers are exercised: \(prompted)") }
        }
    }

    @Test("002 第5–8条: 分支机构 as a list — 需订货品种 tagged and the row urgent, sortable by it, filtered to the branches that must order, CSV with the page's columns, 新增分支机构 for admins only")
    func branchList() throws {
        let f = try BranchFixture()
        let east = try f.branch()
        let it = f.client("it")
        it.get("/order/branches/new")
        let south = try BranchFixture.id(it.submit("/order/branches/new", [("name", "华南分公司"), ("manager_id", String(f.mgr)), ("capital_limit", "500")]),
                                         after: "/order/branches/")
        let mgr = f.client("mgr")
        // February 2026 (28 days): 280 sold → 10/day; transit 3 days → reorder point 30 in both.
        for (bid, onHand) in [(east, "30"), (south, "31")] {
            mgr.get("/order/branches/\(bid)/sales")
            #expect(mgr.submit("/order/branches/\(bid)/sales", [("product", "滤清器 LX-100"), ("month", "2026-02"), ("quantity", "280")]).status == 303)
            mgr.get("/order/branches/\(bid)/stock")
            #expect(mgr.submit("/order/branches/\(bid)/stock", [("product", "滤清器 LX-100"), ("on_hand", onHand), ("transit_days", "3")]).status == 303)
        }
        let page = mgr.get("/order/branches")
        #expect(page.status == 200)
        #expect(page.body.contains("href=\"/order/branches/\(east)\">华东分公司</a>") && page.body.contains("href=\"/order/branches/\(south)\">华南分公司</a>"))
        #expect(page.body.contains("<td class=\"num tag danger\">1</td>"))
        #expect(page.body.components(separatedBy: "<tr class=\"urgent\">").count == 2, "only 华东分公司 is marked")
        #expect(page.body.contains("限额内的订货予以保证"))
        #expect(!page.body.contains("新增分支机构"))
        #expect(f.client("dir").get("/order/branches").body.contains("href=\"/order/branches/new\">新增分支机构</a>"))   // 营销总监: branch admin
        // Sorted by 需订货品种 both ways (ties fall to the id); by name by default.
        #expect(ListShape.before("华东分公司", "华南分公司", in: mgr.get("/order/branches?sort=prompts&dir=desc").body))
        #expect(ListShape.before("华南分公司", "华东分公司", in: mgr.get("/order/branches?sort=prompts&dir=asc").body))
        #expect(ListShape.before("华南分公司", "华东分公司", in: mgr.get("/order/branches?sort=limit&dir=asc").body))
        let only = mgr.get("/order/branches?reorder=1").body
        #expect(only.contains("华东分公司") && !only.contains("华南分公司"))
        // The CSV carries exactly the page's columns.
        let csv = mgr.get("/order/branches?format=csv").body
        #expect(ListShape.csvHeader(csv) == ListShape.headers(page.body))
        #expect(ListShape.headers(page.body) == ["分支机构", "经理", "资金占用限额（元）", "当前资金占用（元）", "需订货品种", "待审批订单"])
        #expect(csv.contains("华东分公司,周经理,\"10,000.00\",0.00,1,0"))
        // A sales rep without the branch permission gets 403.
        #expect(f.client("rep").get("/order/branches").status == 403)
    }

    @Test("002 第8条: 分支机构回款 as a list — released orders only, each number linking to its order; sortable; CSV with the page's columns")
    func settlementsList() throws {
        let f = try BranchFixture()
        let bid = try f.branch(limit: "10000")
        let mgr = f.client("mgr")
        let small = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "1", "100")]), after: "/order/branch-orders/")
        let large = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "10", "900")]), after: "/order/branch-orders/")
        let pending = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "1", "5000")]), after: "/order/branch-orders/")
        #expect(try f.state(pending) == "pending")
        let fin = f.client("fin")
        let page = fin.get("/order/branch-settlements")
        #expect(page.status == 200)
        #expect(page.body.contains("href=\"/order/branch-orders/\(small)\">\(OrderDocNo.branchOrder(small))</a>"))
        #expect(page.body.contains("href=\"/order/branch-orders/\(large)\">\(OrderDocNo.branchOrder(large))</a>"))
        #expect(!page.body.contains("/order/branch-orders/\(pending)\""))
        #expect(!page.body.contains("/settle"), "no button on the list: 确认回款 is on the order's page")
        #expect(page.body.contains("已放行供货、尚未回款的分支机构订单占用资金占用限额（002 第8条）"))
        #expect(ListShape.before(OrderDocNo.branchOrder(large), OrderDocNo.branchOrder(small), in: fin.get("/order/branch-settlements?sort=amount&dir=desc").body))
        #expect(ListShape.before(OrderDocNo.branchOrder(small), OrderDocNo.branchOrder(large), in: fin.get("/order/branch-settlements?sort=amount&dir=asc").body))
        let csv = fin.get("/order/branch-settlements?format=csv").body
        #expect(ListShape.headers(page.body) == ["编号", "分支机构", "订货日期", "金额（元）"])
        #expect(ListShape.csvHeader(csv) == ListShape.headers(page.body))
        #expect(csv.contains("\(OrderDocNo.branchOrder(large)),华东分公司,2026-03-10,\"9,000.00\""))
        #expect(mgr.get("/order/branch-settlements").status == 403)
    }

    @Test("002 第8条: 确认回款 is on a released branch order's page for finance only; posting it settles the order (audited), frees the occupancy and returns to the list with a confirmation")
    func settleFromOrderPage() throws {
        let f = try BranchFixture()
        let bid = try f.branch(limit: "1000")
        let mgr = f.client("mgr")
        let released = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "2", "300")]), after: "/order/branch-orders/")
        let pending = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "1", "500")]), after: "/order/branch-orders/")
        #expect(try f.state(released) == "released")
        #expect(try f.state(pending) == "pending")
        let button = "action=\"/order/branch-orders/\(released)/settle\""
        let fin = f.client("fin")
        let page = fin.get("/order/branch-orders/\(released)")
        #expect(page.status == 200)
        #expect(page.body.contains(button) && page.body.contains("确认回款"))
        #expect(page.body.contains("¥600.00"), "the amount finance confirms")
        #expect(!page.body.contains("href=\"/order/branches/\(bid)\""), "finance is not sent to the branch page it may not open")
        // Not for branch staff, not on an order that is not released, never twice in an approval panel.
        #expect(!mgr.get("/order/branch-orders/\(released)").body.contains(button))
        #expect(!fin.get("/order/branch-orders/\(pending)").body.contains("/settle\""))
        #expect(page.body.components(separatedBy: "确认回款</button>").count == 2)
        #expect(f.client("rep").get("/order/branch-orders/\(released)").status == 403)
        // Finance confirms: settled, audited released → settled by fin, back to the list with a confirmation.
        fin.get("/order/branch-orders/\(released)")
        let r = fin.submit("/order/branch-orders/\(released)/settle", [])
        #expect(r.status == 303 && r.location == "/order/branch-settlements")
        let back = fin.get("/order/branch-settlements").body
        #expect(back.contains("已确认 \(OrderDocNo.branchOrder(released))（华东分公司）回款 ¥600.00，资金占用已释放。"))
        #expect(back.contains("没有待回款的订单。"))
        #expect(try f.state(released) == "settled")
        let trail = try f.audit("order.branch_order", released)
        #expect(trail.last?.string("username") == "fin" && trail.last?.string("action") == "settle")
        #expect(trail.last?.string("from_state") == "released" && trail.last?.string("to_state") == "settled")
        #expect(try BranchData.occupancy(bid, f.t.context(module: "order")) == 0)
        // The same POST again is refused (no longer released), back on the order, nothing written.
        let again = fin.submit("/order/branch-orders/\(released)/settle", [])
        #expect(again.location == "/order/branch-orders/\(released)")
        #expect(fin.refusal(after: again) != nil)
        #expect(try f.audit("order.branch_order", released).count == trail.count)
        #expect(!fin.get("/order/branch-orders/\(released)").body.contains(button))
    }
}

@Suite struct ContractListPageTests {
    @Test("002 §3.3 / 003 §3.2: 销售合同 as a list — customer through the CRM directory, agreed prices, status tag, sortable, CSV with the page's columns, 登记销售合同 for those who register")
    func contractList() throws {
        let f = try OrderFixture()
        let cid = try f.customer("甲公司", code: "KH-2026-0001")
        try f.customer("乙公司", code: "KH-2026-0002", owner: f.rep2)
        try f.contract(cid, no: "HT-L-02", approved: true)
        try f.contract(cid, no: "HT-L-03", approved: false)
        let rep = f.client("rep1")
        rep.get("/order/contracts/new")
        #expect(rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-L-01"), ("title", "年度供货合同"),
                                                     ("lines.0.product", "阀门"), ("lines.0.spec", "φ20"), ("lines.0.price", "90")]).status == 303)
        let page = rep.get("/order/contracts")
        #expect(page.status == 200)
        #expect(page.body.contains("href=\"/order/contracts/new\">登记销售合同</a>"))
        #expect(page.body.contains("甲公司（KH-2026-0001）"))
        #expect(page.body.contains("阀门 φ20 @¥90.00"))
        #expect(page.body.contains("<td class=\"tag ok\">已批准（"))
        #expect(page.body.contains("销售部组织合同评审（003 §3.2）"))
        #expect(!page.body.contains("<form method=\"post\""), "the registration form is on its own page")
        // Not approved first (by default), then by number both ways; 客户 is not sortable.
        #expect(ListShape.before("HT-L-03", "HT-L-02", in: page.body))
        #expect(ListShape.before("HT-L-01", "HT-L-03", in: rep.get("/order/contracts?sort=no&dir=asc").body))
        #expect(ListShape.before("HT-L-03", "HT-L-01", in: rep.get("/order/contracts?sort=no&dir=desc").body))
        #expect(page.body.contains("<th>客户</th>"))
        let approved = rep.get("/order/contracts?state=approved").body
        #expect(approved.contains("HT-L-02") && !approved.contains("HT-L-01"))
        let csv = rep.get("/order/contracts?format=csv").body
        #expect(ListShape.headers(page.body) == ["合同编号", "客户", "合同名称", "签订日期", "有效期自", "有效期至", "约定产品与价格", "状态"])
        #expect(ListShape.csvHeader(csv) == ListShape.headers(page.body))
        #expect(csv.contains("HT-L-01,甲公司（KH-2026-0001）,年度供货合同,,,,阀门 φ20 @¥90.00,"))
        // Finance sees the list, not the registration; another rep sees none of rep1's contracts.
        let fin = f.client("fin")
        #expect(!fin.get("/order/contracts").body.contains("登记销售合同"))
        #expect(fin.get("/order/contracts/new").status == 403)
        #expect(f.client("rep2").get("/order/contracts").body.contains("没有合同。"))
    }

    @Test("003 §3.2: 登记销售合同 at /order/contracts/new — bad input is 422 with the error beside its field and every typed value kept; a valid one is registered and audited")
    func registrationForm() throws {
        let f = try OrderFixture()
        try f.customer("甲公司", code: "KH-2026-0001")
        let rep = f.client("rep1")
        let form = rep.get("/order/contracts/new?customer=KH-2026-0001")
        #expect(form.status == 200)
        #expect(form.body.contains("value=\"KH-2026-0001\"") && form.body.contains("list=\"f-customer_code-list\""))
        let dates = rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-N-01"), ("title", "第二份合同"),
                                                        ("valid_from", "2026-05-01"), ("valid_to", "2026-04-01"), ("delivery_terms", "每月 10 日前交货")])
        #expect(dates.status == 422)
        #expect(dates.body.contains("id=\"f-valid_to-error\">有效期至不能早于有效期自"))
        #expect(dates.body.contains("value=\"第二份合同\"") && dates.body.contains("value=\"HT-N-01\"") && dates.body.contains("value=\"2026-05-01\""))
        #expect(dates.body.contains("每月 10 日前交货</textarea>"))
        let ok = rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-N-01"), ("title", "年度供货合同")])
        #expect(ok.status == 303 && ok.location?.hasPrefix("/order/contracts/") == true)
        let id = try #require(try f.db.scalar("SELECT id FROM order_contracts WHERE contract_no = 'HT-N-01'"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.contract' AND entity_id = \(String(id)) AND action = 'create'") == 1)
        rep.get("/order/contracts/new")
        let dup = rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-N-01"), ("title", "重复的合同")])
        #expect(dup.status == 422)
        #expect(dup.body.contains("id=\"f-contract_no-error\">合同编号已存在"))
        #expect(dup.body.contains("value=\"重复的合同\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_contracts") == 1)
        // The old address takes no registrations any more.
        #expect(rep.submit("/order/contracts", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-N-02"), ("title", "年度供货合同")]).status == 405)
    }
}
