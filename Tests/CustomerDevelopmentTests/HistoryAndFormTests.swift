import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// Issue #16 in 客户开发: history in Chinese (`ctx.history` + the module's `auditVocabulary`),
/// confirmations as flashes, the 认定申请表 laid out like the paper form, document numbers.
@Suite struct HistoryAndFormTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    /// Every `AuditEntry(entity: "…", … action: …)` written in the module's sources: the entity and
    /// every action code (string literals of the action expression, e.g. a ternary).
    static func auditCodes() throws -> [(entity: String, action: String)] {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let module = tests.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Plugins/CustomerDevelopment")
        let files = try FileManager.default.contentsOfDirectory(atPath: module.path).filter { $0.hasSuffix(".swift") }
        var out: [(String, String)] = []
        let entry = try NSRegularExpression(pattern: #"AuditEntry\(entity: "([^"]+)",[^\n]*?action: ([^\n]*)"#)
        let literal = try NSRegularExpression(pattern: #""([a-z_]+)""#)
        for file in files {
            let text = try String(contentsOf: module.appendingPathComponent(file), encoding: .utf8)
            let ns = text as NSString
            for m in entry.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let entity = ns.substring(with: m.range(at: 1))
                var action = ns.substring(with: m.range(at: 2))
                for end in [", from:", ", to:", ", reason:", "))"] {
                    if let r = action.range(of: end) { action = String(action[..<r.lowerBound]) }
                }
                let codes = literal.matches(in: action, range: NSRange(location: 0, length: (action as NSString).length))
                    .map { (action as NSString).substring(with: $0.range(at: 1)) }
                for code in codes { out.append((entity, code)) }
            }
        }
        return out
    }

    @Test("#16: auditVocabulary titles every entity and action the module writes (its AuditEntry calls and both flows)")
    func vocabularyCoversEveryCode() throws {
        let v = CustomerDevelopmentModule().auditVocabulary
        let codes = try Self.auditCodes()
        #expect(codes.count >= 30, "the scan found \(codes.count) audit calls")
        for (entity, action) in codes {
            #expect(v.entities[entity] != nil, "no title for entity \(entity)")
            #expect(v.actionTitle(entity: entity, action: action) != nil, "no title for \(entity) \(action)")
        }
        for t in ApplicationPages.flow.transitions {
            #expect(v.actionTitle(entity: "crm.application", action: t.action) != nil)
            #expect(v.stateTitle(entity: "crm.application", state: t.to.rawValue) != nil)
        }
        for t in RatingReview.flow.transitions {
            #expect(v.actionTitle(entity: "crm.rating", action: t.action) != nil)
            #expect(v.stateTitle(entity: "crm.rating", state: t.to.rawValue) != nil)
        }
        #expect(v.stateTitle(entity: "crm.credit_survey", state: "good") == "信用良好，可以开发")
        #expect(v.stateTitle(entity: "crm.visit_plan", state: "done") == "已实施")
    }

    @Test("#16: the application's 办理记录 reads in Chinese — display names, action and state titles, the credit survey's steps too; each step confirmed by a flash")
    func applicationHistoryInChinese() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "历史公司")
        let aid = try f.apply(rep, cid, "历史公司")
        let submitted = f.act(rep, aid, "submit")
        #expect(submitted.location == "/crm/applications/\(aid)")
        let page = rep.get("/crm/applications/\(aid)").body
        #expect(page.contains("flash ok") && page.contains("申请已提交，开始信用调查。"))
        #expect(f.survey(rep, aid).status == 303)
        let shown = rep.get("/crm/applications/\(aid)").body
        #expect(shown.contains("新客户信用调查表已保存。"))
        let history = try #require(shown.range(of: "办理记录").map { String(shown[$0.lowerBound...]) })
        for text in ["张专员", "填写新客户认定申请表", "提交并开始信用调查", "草稿", "信用调查中", "填写信用调查表", "信用良好，可以开发"] {
            #expect(history.contains(text), "history lacks \(text)")
        }
        #expect(!history.contains(">submit<") && !history.contains(">investigating<") && !history.contains(">rep1<"))
    }

    @Test("#16: the key customer's 办理记录 comes from ctx.history with the titles of the vocabulary")
    func keyCustomerHistory() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try f.evaluatedApplication(rep, "重点历史公司")
        let boss = f.client("boss")
        #expect(f.act(boss, aid, "approve").status == 303)
        boss.get("/crm/key-customers/\(cid)")
        let r = boss.submit("/crm/key-customers/\(cid)", [("sales_target", "100000"), ("reason", "销量大")])
        #expect(r.status == 303)
        let page = boss.get("/crm/key-customers/\(cid)").body
        #expect(page.contains("重点客户管理表已保存。"))
        #expect(page.contains("办理记录") && page.contains("设为重点客户") && page.contains("王主管"))
        // Saved again unchanged: told so, nothing recorded.
        #expect(boss.submit("/crm/key-customers/\(cid)", [("sales_target", "100000"), ("reason", "销量大")]).status == 303)
        #expect(boss.get("/crm/key-customers/\(cid)").body.contains("重点客户管理表没有变化。"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.key_customer' AND entity_id = \(String(cid))") == 1)
    }

    @Test("#16 point 9/10: the 认定申请表 is laid out in the paper form's sections, every field of the schema present once; 422 keeps the layout and the values")
    func applicationFormLayout() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "版式公司")
        let page = rep.get("/crm/customers/\(cid)/apply").body
        var at = page.startIndex
        for section in ["企业概况", "近期业绩", "客户和产品的销售额", "工厂与供货条件", "交易理由与基本方针", "支付条件", "选择原则与备注"] {
            let r = try #require(page.range(of: "<h2>\(section)</h2>", range: at..<page.endIndex), "section \(section) missing or out of order")
            at = r.upperBound
        }
        #expect(page.contains("<table class=\"paper-form\">"))
        for field in ApplicationPages.form.fields {
            var isRows = false, isMulti = false
            if case .rows = field.kind { isRows = true }
            if case .multiSelect = field.kind { isMulti = true }
            let name = isRows ? "name=\"\(field.name).0." : "name=\"\(field.name)\""
            #expect(page.contains(name), "field \(field.name) missing")
            if !isRows, !isMulti {
                #expect(page.components(separatedBy: name).count == 2, "field \(field.name) shown more than once")
            }
        }
        let bad = rep.submit("/crm/customers/\(cid)/apply", [("company_name", "版式公司"), ("postcode", "20A"), ("fax", "传真号"),
                                                              ("pay_cash_pct", "30"), ("pay_check_pct", "70")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("<h2>支付条件</h2>"))
        #expect(bad.body.contains("邮编为 6 位数字") && bad.body.contains("id=\"f-postcode-error\""))
        #expect(bad.body.contains("value=\"20A\"") && bad.body.contains("value=\"传真号\"") && bad.body.contains("value=\"30\""))
    }

    @Test("#16 point 9/10: the application page and print show the 认定申请表 in the paper form's sections, two short fields a line; every field of the form and of the survey is in exactly one section")
    func applicationShownInSections() throws {
        for (schema, paper) in [(ApplicationPages.form, ApplicationPages.paperSections), (CreditSurvey.form, CreditSurvey.paperSections)] {
            let placed = paper.flatMap(\.fields)
            #expect(placed.sorted() == schema.fields.map(\.name).sorted(), "every field once: \(placed)")
        }
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "分节公司")
        let aid = try f.apply(rep, cid, "分节公司")
        #expect(f.survey(rep, aid).status == 303)
        for path in ["/crm/applications/\(aid)", "/crm/applications/\(aid)/print"] {
            let page = rep.get(path).body
            for titles in [ApplicationPages.paperSections.map(\.title), CreditSurvey.paperSections.map(\.title)] {
                var at = page.startIndex
                for title in titles {
                    let r = try #require(page.range(of: "<h3>\(title)</h3>", range: at..<page.endIndex), "\(path): \(title) missing or out of order")
                    at = r.upperBound
                }
            }
            // Two short fields on one line, as on paper.
            #expect(page.contains("<tr><th>企业名称</th><td>分节公司</td><th>企业性质</th><td>中外合资</td></tr>"), "\(path)")
            #expect(page.contains("董事长"))
        }
    }

    @Test("#16 point 9/10: the 新客户信用调查表 form is laid out in its sections, every field of the schema present once")
    func surveyFormLayout() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "调查版式公司")
        let aid = try f.apply(rep, cid, "调查版式公司")
        let page = rep.get("/crm/applications/\(aid)/survey").body
        var at = page.startIndex
        for title in CreditSurvey.paperSections.map(\.title) {
            let r = try #require(page.range(of: "<h2>\(title)</h2>", range: at..<page.endIndex), "section \(title) missing or out of order")
            at = r.upperBound
        }
        for field in CreditSurvey.form.fields {
            var isMulti = false
            if case .multiSelect = field.kind { isMulti = true }
            #expect(page.contains("name=\"\(field.name)\""), "field \(field.name) missing")
            if !isMulti { #expect(page.components(separatedBy: "name=\"\(field.name)\"").count == 2, "field \(field.name) twice") }
        }
    }

    @Test("#16: an application is named by its document number (申请编号 XKSQ-<year>-NNNN), never by a bare id")
    func applicationDocumentNumber() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "编号公司")
        let aid = try f.apply(rep, cid, "编号公司")
        let no = "XKSQ-\(CRMFixture.year)-" + String(repeating: "0", count: max(0, 4 - String(aid).count)) + String(aid)
        #expect(rep.get("/crm/applications/\(aid)").body.contains("新客户认定申请 \(no)"))
        #expect(!rep.get("/crm/applications/\(aid)").body.contains("#\(aid)"))
        #expect(rep.get("/crm/applications/\(aid)/print").body.contains("申请编号：\(no)"))
        #expect(rep.get("/crm/applications").body.contains(">\(no)</a>"))
        #expect(rep.get("/crm/customers/\(cid)").body.contains("认定申请 \(no)"))
        #expect(rep.get("/crm/applications/\(aid)/survey").body.contains("认定申请 \(no)"))
    }

    @Test("#16: the 新客户开发计划及实施表 and the 客户开发报告表 show their document numbers (KFJH-/KFBG-<year>-NNNN), not a bare id")
    func visitDocumentNumbers() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "编号拜访公司")
        func no(_ prefix: String, _ id: Int64) -> String {
            "\(prefix)-\(CRMFixture.year)-" + String(repeating: "0", count: max(0, 4 - String(id).count)) + String(id)
        }
        rep.get("/crm/visits/plans/new")
        let pid = try CRMFixture.id(rep.submit("/crm/visits/plans/new", [("customer_id", String(cid)), ("kind", "visit"),
                                                                          ("planned_date", LocalDate(date: Date(), timeZone: CRMFixture.zone).description),
                                                                          ("purpose", "介绍新产品")]), after: "/crm/visits/plans/")
        let plan = rep.get("/crm/visits/plans/\(pid)").body
        #expect(plan.contains("编号：\(no("KFJH", pid))"))
        #expect(plan.contains("拜访计划已保存。"))
        rep.get("/crm/reports/development/new")
        let did = try CRMFixture.id(rep.submit("/crm/reports/development/new", [("customer_id", String(cid)), ("handler", "张专员"),
                                                                                ("process", "多次拜访")]), after: "/crm/reports/development/")
        #expect(rep.get("/crm/reports/development/\(did)").body.contains("编号：\(no("KFBG", did))"))
        #expect(rep.get("/crm/reports/development/\(did)/print").body.contains("编号：\(no("KFBG", did))"))
    }
}

/// Issue #17 (PostgreSQL is coming): the module's declarative lists sort and page (keyset) by SQL
/// expressions only — a result alias in the seek condition's WHERE is an SQLite-only leniency.
@Suite struct PortableListTests {
    @Test("#17: every sortable column of the module's ListPages is a qualified column or an expression, never a bare result alias")
    func sortColumnsAreExpressions() {
        let pages = [CustomerPages.listPage, ApplicationPages.listPage, RatingReview.listPage, SurveyReportPages.listPage,
                     VisitDevelopmentPages.listPage, VisitPlanPages.listPage]
        for page in pages {
            for c in page.spec.columns where c.sortable {
                #expect(c.sql.contains(".") || c.sql.contains("("), "\(page.spec.columns.map(\.key)) sorts \(c.key) by the alias \(c.sql)")
            }
        }
    }
}
