import Foundation
import Testing
import AdminModule
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// 客户资料表 (002 第九章 第三节 一、1.) and 重点客户管理表 (一、2.; RULES §1.5).
@Suite struct ProfileTests {
    let t: TestApp
    let rep1: Int64, rep2: Int64, boss: Int64

    init() throws {
        t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule()])
        rep1 = try t.addUser("rep1", roles: [.salesRep], displayName: "张专员")
        rep2 = try t.addUser("rep2", roles: [.salesRep], displayName: "李专员")
        boss = try t.addUser("boss", roles: [.salesSupervisor], displayName: "王主管")
    }

    func client(_ username: String) -> TestClient {
        let c = t.client()
        #expect(c.login(username).status == 303)
        return c
    }

    /// A customer owned by `owner`, straight into the table.
    func customer(_ name: String, owner: Int64, status: String = "customer") throws -> Int64 {
        try t.db.insert("""
            INSERT INTO crm_customers (name, status, owner_id, address, phone, created_by, created_at, updated_at)
            VALUES (\(name), \(status), \(owner), '杭州市西湖区文三路 8 号', '0571-8888 1234', \(owner), 0, 0) RETURNING id
            """)
    }

    /// A complete, valid 客户资料表 with rows, selects and a multi-select.
    static let full: [(String, String)] = [
        ("filled_on", "2025-03-15"),
        ("op_name", "陈大文"), ("op_gender", "m"), ("op_age", "48"), ("op_native_place", "浙江宁波"), ("op_education", "大专"),
        ("op_language", "普通话、宁波话"), ("op_temperament", "稳重"), ("op_character", "守信"), ("op_reputation", "良好"),
        ("legal_rep", "陈大文"), ("controller", "陈小明"), ("controller_relation", "父子"),
        ("bank", "工商银行文三路支行"), ("account", "1202 0210 0900 1234 567"), ("cashing", "按期兑现"),
        ("funds", "充裕"), ("payment_attitude", "爽快"), ("finance_notes", "无不良记录"),
        ("policy", "1"), ("business_status", "2"), ("business_type", "汽车配件零售与批发"),
        ("suppliers.0.brand", "博世"), ("suppliers.0.share", "40"), ("suppliers.1.brand", ""), ("suppliers.1.share", ""),
        ("suppliers.2.brand", "电装"), ("suppliers.2.share", "35"),
        ("sales_retail_pct", "50"), ("sales_institution_pct", "10"), ("sales_wholesale_pct", "35"), ("sales_other_pct", "5"),
        ("sales_area", "1"), ("price_level", "1"), ("business_nature", "2"), ("avg_monthly_sales", "800000"),
        ("peak_purchase", "900000"), ("low_purchase", "300000"), ("peak_sales", "1200000"), ("low_sales", "500000"),
        ("peak_stock", "700000"), ("low_stock", "200000"),
        ("organization", "3"), ("store_size", "2"), ("opened_on", "2008-06-01"), ("store_layout", "1"), ("warehouse", "2"),
        ("return_habit", "2"), ("financial_mgmt", "1"), ("stock_mgmt", "2"), ("shop", "2"), ("shop_rent", "15000"),
        ("shop_site", "2"), ("vehicles", "2"), ("vehicles", "3"), ("standing", "2"),
        ("staff_clerks", "8"), ("staff_salesmen", "5"), ("staff_repairers", "3"), ("staff_temps", "2"), ("brand_awareness", "3"),
        ("recent_change", "近半年销售增长约一成"), ("forecast", "预计每月平均 85 万元"), ("special_relations", "与某厂有区域代理协议"),
        ("collaterals.0.name", "仓库房产"), ("collaterals.0.owner", "陈大文"), ("collaterals.0.registered_value", "2000000"),
        ("collaterals.0.actual_value", "2500000.50"), ("collaterals.0.procedure", "已办抵押登记"),
        ("guarantor_firm", "宁波顺达商行"), ("guarantor_capital", "1000000"), ("guarantor_license", "91330200MA2AB1234X"),
        ("guarantor_head", "周顺达"), ("guarantor_head_id", "33020319700101123X"),
        ("personal_guarantors.0.name", "陈小明"), ("personal_guarantors.0.id_number", "330203199501011234"),
        ("personal_guarantors.0.address", "宁波市海曙区"), ("personal_guarantors.0.procedure", "已签担保书"),
        ("dealer_contract", "2025 年度经销合同，年度任务 1000 万元"), ("credit_agency", "资信评级 AA"),
        ("conclusion", "经营稳健，可以发展"), ("credit_limit", "300000"), ("surveyor", "张专员"),
    ]

    static func replacing(_ fields: [(String, String)], _ changes: [String: String]) -> [(String, String)] {
        fields.map { (name, value) in (name, changes[name] ?? value) }
            + changes.filter { c in !fields.contains { $0.0 == c.key } }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    @discardableResult
    func saveProfile(_ c: TestClient, _ cid: Int64, _ fields: [(String, String)] = full) -> TestClient.Response {
        let path = "/crm/customers/\(cid)/profile/edit"
        #expect(c.get(path).status == 200)
        return c.submit(path, fields)
    }

    // MARK: 客户资料表

    @Test("002 第九章 第三节: the edit form has every field of the paper form, in its sections, with the printed option lists")
    func formHasEveryField() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        let page = client("rep1").get("/crm/customers/\(cid)/profile/edit")
        #expect(page.status == 200)
        for field in ProfileForm.schema.fields {
            if case .rows = field.kind {
                #expect(page.body.contains("name=\"\(field.name).0."), "rows field \(field.name) missing")
            } else {
                #expect(page.body.contains("name=\"\(field.name)\""), "field \(field.name) missing")
            }
        }
        var at = page.body.startIndex
        for title in ["经营者概况", "金融状况", "经营概况", "一般概况", "保全关系"] {
            let r = try #require(page.body.range(of: "<h2>\(title)</h2>", range: at..<page.body.endIndex), "section \(title) out of order")
            at = r.upperBound
        }
        for option in ["积极", "保守", "坚实", "平常", "零乱", "投机", "兴隆", "渐盛", "常态", "衰退", "危险", "削价", "股份企业",
                       "商店街", "工矿区", "大卡车", "摩托车", "具影响力", "颇感兴趣"] {
            #expect(page.body.contains(">\(option)<") || page.body.contains("> \(option)<"), "option \(option)")
        }
        // Pre-filled on first use: today's date and the user as 调查或填表者.
        #expect(page.body.contains("value=\"张专员\""))
    }

    @Test("002 第九章 第三节: the form's layout names every field of the schema once; a name the schema lacks is an error, not a blank")
    func layoutNamesEveryField() throws {
        let form = ProfileForm.schema.blank(FormData()).view()
        let fields = try form.fields(as: ProfileFormPage.Fields.self)
        let laidOut = Mirror(reflecting: fields).children.compactMap { ($0.value as? FieldView)?.name }
        #expect(laidOut.sorted() == ProfileForm.schema.fields.map(\.name).sorted())
        #expect(fields.op_name.label == "姓名" && fields.credit_limit.isMoney && fields.suppliers.isRows)
        struct Typo: Decodable { var op_nmae: FieldView }
        #expect(throws: MissingFormField.self) { try form.fields(as: Typo.self) }
    }

    @Test("002 第九章 第三节: a saved 客户资料表 keeps its rows, selects and money, and is shown by section")
    func saveAndView() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        let rep = client("rep1")
        let r = saveProfile(rep, cid)
        #expect(r.status == 303, "\(r.body.prefix(600))")
        #expect(r.location == "/crm/customers/\(cid)/profile")

        let row = try #require(try t.db.first("SELECT * FROM crm_profiles WHERE customer_id = \(cid)"))
        #expect(row.int("version") == 1)
        #expect(row.int("credit_limit_fen") == 30_000_000)
        #expect(row.string("filled_on") == "2025-03-15")
        let data = try URLEncoding.parse(row.string("data") ?? "")
        // Blank rows are dropped and rows renumbered; the multi-select keeps both choices.
        #expect(data["suppliers.1.brand"] == "电装")
        #expect(data["suppliers.2.brand"] == nil)
        #expect(data.all("vehicles") == ["2", "3"])
        #expect(data["_csrf"] == nil)

        let page = rep.get("/crm/customers/\(cid)/profile")
        #expect(page.status == 200)
        for text in ["经营者概况", "金融状况", "经营概况", "一般概况", "保全关系", "陈大文", "积极", "渐盛", "兼营", "股份企业",
                     "大卡车、三轮车", "博世", "电装", "仓库房产", "2,500,000.50", "宁波顺达商行", "33020319700101123X",
                     "已签担保书", "300,000.00", "15,000.00", "经营稳健，可以发展", "第 1 版"] {
            #expect(page.body.contains(text), "view lacks \(text)")
        }
        // Options not chosen are not shown on screen.
        #expect(!page.body.contains("投机"))
    }

    @Test("002 第九章 第三节: editing replaces the current file; every version is kept with who and when, and audited")
    func editKeepsHistory() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        #expect(saveProfile(client("rep1"), cid).status == 303)
        let boss = client("boss")
        let r = saveProfile(boss, cid, Self.replacing(Self.full, ["policy": "2", "credit_limit": "500000", "conclusion": "可提高授信"]))
        #expect(r.status == 303, "\(r.body.prefix(600))")

        #expect(try t.db.scalar("SELECT COUNT(*) FROM crm_profiles WHERE customer_id = \(cid)") == 1)
        let current = try #require(try t.db.first("SELECT * FROM crm_profiles WHERE customer_id = \(cid)"))
        #expect(current.int("version") == 2)
        #expect(current.int("credit_limit_fen") == 50_000_000)
        #expect(current.int("updated_by") == self.boss)

        let history = try t.db.query("SELECT version, saved_by, saved_at, data FROM crm_profile_history WHERE customer_id = \(cid) ORDER BY version")
        try #require(history.map { $0.int("version") } == [1, 2])
        #expect(history.map { $0.int("saved_by") } == [rep1, self.boss])
        #expect(history.allSatisfy { ($0.int("saved_at") ?? 0) > 0 })
        #expect(try URLEncoding.parse(history[0].string("data") ?? "")["policy"] == "1")

        let audit = try t.db.query("SELECT username, action, from_state, to_state, reason FROM audit_log WHERE entity = 'crm.profile' AND entity_id = \(String(cid)) ORDER BY id")
        try #require(audit.map { $0.string("action") } == ["create", "edit"])
        #expect(audit.map { $0.string("username") } == ["rep1", "boss"])
        #expect(audit[1].string("to_state") == "第2版")
        #expect(audit[1].string("reason")?.contains("经营概况") == true)
        #expect(audit[1].string("reason")?.contains("金融状况") == false)

        // Saving the form unchanged makes no new version.
        #expect(saveProfile(boss, cid, Self.replacing(Self.full, ["policy": "2", "credit_limit": "500000", "conclusion": "可提高授信"])).status == 303)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM crm_profile_history WHERE customer_id = \(cid)") == 2)

        // The current file shows the new values; version 1 is still readable.
        let page = boss.get("/crm/customers/\(cid)/profile")
        #expect(page.body.contains("可提高授信") && page.body.contains("保守") && page.body.contains("第 2 版"))
        #expect(page.body.contains("/crm/customers/\(cid)/profile/versions/1"))
        let old = boss.get("/crm/customers/\(cid)/profile/versions/1")
        #expect(old.status == 200)
        #expect(old.body.contains("历史版本") && old.body.contains("经营稳健，可以发展") && !old.body.contains("可提高授信"))
        #expect(boss.get("/crm/customers/\(cid)/profile/versions/9").status == 404)
    }

    @Test("002 第九章 第三节: a file revised meanwhile by someone else is not overwritten silently")
    func staleEditComesBack() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        let rep = client("rep1"), boss = client("boss")
        #expect(saveProfile(rep, cid).status == 303)
        rep.get("/crm/customers/\(cid)/profile/edit")          // rep starts from version 1 …
        #expect(saveProfile(boss, cid, Self.replacing(Self.full, ["conclusion": "主管的结论"])).status == 303)
        let stale = rep.submit("/crm/customers/\(cid)/profile/edit",
                               [("base_version", "1")] + Self.replacing(Self.full, ["conclusion": "专员的结论"]))
        #expect(stale.status == 422)
        #expect(stale.body.contains("已被他人修改") && stale.body.contains("专员的结论"))
        #expect(try t.db.scalar("SELECT version FROM crm_profiles WHERE customer_id = \(cid)") == 2)
        // Saving again from the form shown (now based on version 2) overwrites knowingly.
        let again = rep.submit("/crm/customers/\(cid)/profile/edit",
                               [("base_version", "2")] + Self.replacing(Self.full, ["conclusion": "专员的结论"]))
        #expect(again.status == 303)
        #expect(try t.db.scalar("SELECT version FROM crm_profiles WHERE customer_id = \(cid)") == 3)
    }

    @Test("002 第九章 第三节: the print view is laid out like the paper form, every option shown, ending with the 确认者 row")
    func printView() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        let rep = client("rep1")
        // Blank form for a field survey before anything is saved.
        let blank = rep.get("/crm/customers/\(cid)/profile/print")
        #expect(blank.status == 200)
        #expect(blank.body.contains("空白表") && blank.body.contains("☐积极") && !blank.body.contains("☑"))

        #expect(saveProfile(rep, cid).status == 303)
        let page = rep.get("/crm/customers/\(cid)/profile/print")
        #expect(page.status == 200)
        var at = page.body.startIndex
        for text in ["客户资料表", "填写日期", "经营者概况", "金融状况", "经营概况", "一般概况", "保全关系", "经销合约", "资信机构提供资料",
                     "结论", "最高信用程度", "调查或填表者", "确认者", "董事长", "总经理", "营销总监", "销售经理", "销售主管", "编制", "审核", "批准"] {
            let r = try #require(page.body.range(of: text, range: at..<page.body.endIndex), "print lacks \(text) (or out of order)")
            at = r.upperBound
        }
        // Options as on paper: the chosen ones ticked, the others left open.
        #expect(page.body.contains("☑积极") && page.body.contains("☐保守") && page.body.contains("☐投机"))
        #expect(page.body.contains("☑大卡车") && page.body.contains("☑三轮车") && page.body.contains("☐轿车"))
        #expect(page.body.contains("杭州市西湖区文三路 8 号") && page.body.contains("2025-03-15"))
    }

    @Test("002 第九章 第三节: bad money, dates and shares come back 422 with every value kept, and nothing is saved")
    func invalidKeepsValues() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        let rep = client("rep1")
        let r = saveProfile(rep, cid, Self.replacing(Self.full, [
            "credit_limit": "30万", "opened_on": "2008-02-30", "collaterals.0.actual_value": "12.345",
            "suppliers.2.share": "70", "low_sales": "1300000", "guarantor_head_id": "12345",
        ]))
        #expect(r.status == 422)
        for message in ["请输入金额，如 1234.50", "请输入有效日期", "身份证号应为 18 位"] {
            #expect(r.body.contains(message), "missing message \(message)")
        }
        for kept in ["value=\"30万\"", "value=\"2008-02-30\"", "value=\"12.345\"", "value=\"陈大文\"", "value=\"博世\"",
                     "value=\"12345\"", ">经营稳健，可以发展</textarea>", "name=\"vehicles\" value=\"3\" checked"] {
            #expect(r.body.contains(kept), "value not kept: \(kept)")
        }
        #expect(r.body.contains("<option value=\"1\" selected>积极</option>"))
        #expect(try t.db.scalar("SELECT COUNT(*) FROM crm_profiles") == 0)

        // Once the fields are valid, the cross-field checks speak.
        let r2 = saveProfile(rep, cid, Self.replacing(Self.full, ["suppliers.2.share": "70", "low_sales": "1300000", "shop_value": "900000"]))
        #expect(r2.status == 422)
        #expect(r2.body.contains("进货对象所占比例合计不能超过 100%"))
        #expect(r2.body.contains("销售的最低月额不能大于最高月额"))
        #expect(r2.body.contains("租用的店铺请填写租金，不填市价"))
        #expect(try t.db.scalar("SELECT COUNT(*) FROM crm_profile_history") == 0)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.profile'") == 0)
    }

    @Test("004 第四章(1): another rep gets 403 on every page of rep1's customer file, and cannot write it")
    func confidentiality() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        #expect(saveProfile(client("rep1"), cid).status == 303)
        let rep2 = client("rep2")
        for path in ["/crm/customers/\(cid)/profile", "/crm/customers/\(cid)/profile/edit", "/crm/customers/\(cid)/profile/print",
                     "/crm/customers/\(cid)/profile/versions/1"] {
            #expect(rep2.get(path).status == 403, "GET \(path)")
        }
        rep2.get("/")
        #expect(rep2.submit("/crm/customers/\(cid)/profile/edit", Self.replacing(Self.full, ["conclusion": "偷改"])).status == 403)
        #expect(try t.db.scalar("SELECT version FROM crm_profiles WHERE customer_id = \(cid)") == 1)
        // The supervisor (crm.view_all) sees it.
        #expect(client("boss").get("/crm/customers/\(cid)/profile").status == 200)
    }

    // MARK: 重点客户管理表

    @Test("RULES §1.5: the key-customer table spans all customers — 403 for a rep, hidden from the rep's menu")
    func keyTableForbiddenToRep() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        let rep = client("rep1")
        #expect(rep.get("/crm/key-customers").status == 403)
        #expect(rep.get("/crm/key-customers?format=csv").status == 403)
        #expect(rep.get("/crm/key-customers/\(cid)").status == 403)
        #expect(!rep.get("/").body.contains("/crm/key-customers"))
        #expect(client("boss").get("/").body.contains("/crm/key-customers"))
    }

    @Test("RULES §1.5 (#15): without 订货's sales data the top-10 sections by sales and growth say so, and the margin section says 「毛利待产品标准成本」 instead of a made-up margin")
    func test_rules_1_5_noOrderingNote() throws {
        #expect(try KeyCustomerPages.salesFigures(try probeContext()) == nil)
        let page = client("boss").get("/crm/key-customers")
        #expect(page.status == 200)
        var at = page.body.startIndex
        for (title, text) in [("销售额前10名", "暂无销售数据"), ("销售额增长率前10名", "暂无销售数据"), ("销售利润率前10名", "毛利待产品标准成本")] {
            let r = try #require(page.body.range(of: title, range: at..<page.body.endIndex), "\(title) missing")
            let section = try #require(page.body.range(of: "</section>", range: r.upperBound..<page.body.endIndex))
            #expect(page.body[r.upperBound..<section.lowerBound].contains(text), "\(title): \(text)")
            at = section.upperBound
        }
    }

    /// A context is needed only to call `salesFigures`; any page's handler would do, so ask the host.
    func probeContext(user id: Int64? = nil, permissions: Set<String> = [], host: (any ContextHost)? = nil) throws -> Context {
        final class NoHost: ContextHost {
            func renderPage<P: PageModel>(_ page: P, title: String, status: Int, context: Context) -> Response { .text("") }
            func service(_ id: ObjectIdentifier, for module: String) -> (any Sendable)? { nil }
            func recordAudit(_ entry: AuditEntry, context: Context) throws {}
            func storeFile(_ file: UploadedFile, context: Context) throws -> StoredFile { throw HTTPError.notFound }
            func loadFile(_ id: String, context: Context) throws -> (StoredFile, [UInt8])? { nil }
            func formatTime(_ date: Date, pattern: String) -> String { "" }
        }
        let user = id.map { User(id: $0, username: "probe", displayName: "probe", roles: [], permissions: permissions) }
        return Context(request: Request(method: "GET", path: "/crm/key-customers"), user: user, db: t.db, now: Date(),
                       timeZone: TimeZone(identifier: "Asia/Shanghai")!, module: "crm", csrfToken: "", resumedForm: nil, host: host ?? NoHost())
    }

    @Test("RULES §1.5: top 10 by sales, by growth rate and by profit margin, ties by customer, growth only with last year's sales")
    func rankings() {
        var figures: KeyCustomerPages.Figures = [:]
        for id in Int64(1)...12 { figures[id] = (sales: id * 100_000, lastYear: 100_000, profit: 10_000 * (13 - id), costKnown: true) }
        figures[13] = (sales: 0, lastYear: 0, profit: 0, costKnown: true)              // no sales: no growth, no margin
        figures[14] = (sales: 1_200_000, lastYear: 0, profit: 0, costKnown: true)      // new customer: no growth rate
        let r = KeyCustomerPages.rankings(figures)
        #expect(r.sales.count == 10)
        #expect(r.sales.prefix(3).map(\.customerID) == [12, 14, 11])   // 12 and 14 tie: lower id first
        #expect(r.growth.count == 10)
        #expect(!r.growth.contains { $0.customerID == 13 || $0.customerID == 14 })
        #expect(r.growth.first == KeyCustomerPages.Ranked(customerID: 12, value: 110_000))   // +1100.00 %
        #expect(r.margin.map(\.customerID) == Array(1...10))
        #expect(r.margin.first?.value == 12_000)                        // 120.00 %
        #expect(KeyCustomerPages.percent(1234) == "12.34%")
        #expect(KeyCustomerPages.percent(-5) == "-0.05%")
    }

    @Test("RULES §1.5: the per-customer form marks a key customer, revisions and removal are audited, and the table and CSV list it")
    func keyCustomerForm() throws {
        let cid = try customer("宁波顺达汽配", owner: rep1)
        let prospect = try customer("潜在客户乙", owner: rep1, status: "prospect")
        let boss = client("boss")
        // 设为重点客户: the formal customers to pick from (not the prospect); a pick opens its form.
        let pick = boss.get("/crm/key-customers/new")
        #expect(pick.status == 200 && pick.body.contains("<option value=\"\(cid)\">宁波顺达汽配") && !pick.body.contains("潜在客户乙"))
        #expect(boss.get("/crm/key-customers/new?customer=\(cid)").header("Location") == "/crm/key-customers/\(cid)")
        let form = boss.get("/crm/key-customers/\(cid)")
        #expect(form.status == 200)
        #expect(form.body.contains("暂无销售数据"))
        #expect(form.body.contains("毛利待产品标准成本"))
        for label in ["销售额目标", "将其设为重点客户的原因", "实现目标的行动措施", "客户服务部经理建议", "总经理建议"] {
            #expect(form.body.contains(label))
        }
        #expect(boss.get("/crm/key-customers/\(prospect)").status == 409)
        #expect(boss.get("/crm/key-customers/999999").status == 404)

        // Invalid: 422 with the values kept, nothing marked.
        let bad = boss.submit("/crm/key-customers/\(cid)", [("sales_target", "一千万"), ("reason", "区域龙头"), ("actions", "每月拜访")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("value=\"一千万\"") && bad.body.contains("区域龙头") && bad.body.contains("每月拜访"))
        #expect(try t.db.scalar("SELECT COUNT(*) FROM crm_key_customers") == 0)

        let ok = boss.submit("/crm/key-customers/\(cid)", [("sales_target", "10000000"), ("reason", "区域龙头，增长快"),
                                                          ("actions", "每月拜访两次"), ("service_manager_advice", "优先安排售后"),
                                                          ("gm_advice", "")])
        #expect(ok.status == 303)
        let key = try #require(try t.db.first("SELECT * FROM crm_key_customers WHERE customer_id = \(cid)"))
        #expect(key.int("sales_target_fen") == 1_000_000_000 && key.bool("active") && key.int("marked_by") == self.boss)

        boss.get("/crm/key-customers/\(cid)")
        #expect(boss.submit("/crm/key-customers/\(cid)", [("sales_target", "10000000"), ("reason", "区域龙头，增长快"),
                                                         ("actions", "每月拜访两次"), ("service_manager_advice", "优先安排售后"),
                                                         ("gm_advice", "同意，季度复核")]).status == 303)
        let list = boss.get("/crm/key-customers")
        #expect(list.body.contains("宁波顺达汽配") && list.body.contains("10,000,000.00") && list.body.contains("区域龙头，增长快"))
        let csv = boss.get("/crm/key-customers?format=csv")
        #expect(csv.status == 200)
        // The CSV keeps the paper form's columns in its order, the page the ones people scan.
        #expect(csv.body.contains("客户名称,客户代码,负责人,销售额目标,本年销售额,目标达成率,将其设为重点客户的原因,实现目标的行动措施,客户服务部经理建议,总经理建议,设定人,设定时间,更新时间"))
        #expect(!list.body.contains("同意，季度复核") && list.body.contains("设为重点客户"))
        #expect(csv.body.contains("宁波顺达汽配") && csv.body.contains("同意，季度复核") && csv.body.contains("总经理建议"))

        #expect(boss.get("/crm/key-customers/\(cid)/remove").status == 200)
        #expect(boss.submit("/crm/key-customers/\(cid)/remove", [("reason", "")]).status == 422)
        #expect(boss.submit("/crm/key-customers/\(cid)/remove", [("reason", "年度调整")]).status == 303)
        #expect(try t.db.scalar("SELECT active FROM crm_key_customers WHERE customer_id = \(cid)") == 0)
        #expect(!boss.get("/crm/key-customers").body.contains("区域龙头，增长快"))
        #expect(boss.get("/crm/key-customers?removed=1").body.contains("宁波顺达汽配"))

        let audit = try t.db.query("SELECT username, action, from_state, to_state, reason FROM audit_log WHERE entity = 'crm.key_customer' AND entity_id = \(String(cid)) ORDER BY id")
        try #require(audit.map { $0.string("action") } == ["mark", "edit", "remove"])
        #expect(audit.allSatisfy { $0.string("username") == "boss" })
        #expect(audit[0].string("reason")?.contains("10,000,000.00") == true)
        #expect(audit[1].string("reason") == "修改：总经理建议")
        #expect(audit[2].string("reason") == "年度调整" && audit[2].string("to_state") == "removed")
    }

    @Test("RULES §1.5: with figures from the 订货 module, each top-10 section lists ten numbered lines with names and values")
    func topsWithFigures() throws {
        let a = try customer("甲商行", owner: rep1), b = try customer("乙商行", owner: rep2)
        let figures: KeyCustomerPages.Figures = [a: (sales: 200_000_00, lastYear: 100_000_00, profit: 30_000_00, costKnown: true),
                                                 b: (sales: 300_000_00, lastYear: 0, profit: 30_000_00, costKnown: true)]
        let ctx = try probeContext(user: boss, permissions: ["crm.use", "crm.view_all"], host: t.worker)
        // The figures as 订货 would give them, kept for this request: the real list page renders
        // them (bound templates, layout) in its top-10 cards and its cells.
        _ = ctx.memo("crm.key-customers.figures") { Optional(figures) }
        let r = try KeyCustomerPages.listPage.respond(ctx.request, ctx)
        #expect(r.status == 200)
        let html = String(decoding: r.body, as: UTF8.self)
        #expect(!html.contains("订货模块未安装"))
        struct Line: Equatable {
            var number: String, name: String, value: String
        }
        /// The numbered lines of one top-10 section.
        func lines(_ title: String) -> [Line] {
            guard let start = html.range(of: "<h2>\(title)</h2>"),
                  let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex) else {
                Issue.record("section \(title) missing")
                return []
            }
            let rows = html[start.upperBound..<end.lowerBound].components(separatedBy: "<tr><td class=\"num\">").dropFirst()
            return rows.map { row -> Line in
                let cells = row.components(separatedBy: "</td>")
                let name = cells.count > 1 ? cells[1].replacingOccurrences(of: "</a>", with: "").components(separatedBy: ">").last ?? "" : ""
                let value = cells.count > 2 ? cells[2].components(separatedBy: ">").last ?? "" : ""
                return Line(number: cells[0], name: name, value: value)
            }
        }
        var at = html.startIndex
        for title in ["销售额前10名", "销售额增长率前10名", "销售利润率前10名"] {
            let r = try #require(html.range(of: title, range: at..<html.endIndex), "\(title) out of order")
            at = r.upperBound
        }
        let sales = lines("销售额前10名"), growth = lines("销售额增长率前10名"), margin = lines("销售利润率前10名")
        try #require(sales.count == 10 && growth.count == 10 && margin.count == 10)
        #expect(sales.map(\.number) == (1...10).map { String($0) })
        #expect(sales.prefix(2).map(\.name) == ["乙商行", "甲商行"])
        #expect(sales[0].value == "300,000.00")
        #expect(html.contains("<a href=\"/crm/key-customers/\(b)\">乙商行</a>"))
        #expect(growth[0] == Line(number: "1", name: "甲商行", value: "100.00%"))
        #expect(growth[1] == Line(number: "2", name: "", value: ""))     // 乙 has no last-year sales: a blank line
        #expect(margin.prefix(2).map(\.value) == ["15.00%", "10.00%"])
    }
}
