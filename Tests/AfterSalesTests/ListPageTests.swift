import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// The module's plain lists on the shared `ListPage` (heading, filters, table, pager, CSV): the
/// same columns, filters and visibility as the custom pages they replace.
@Suite struct ServiceListPageTests {
    let w: ServiceWorld
    init() throws { w = try ServiceWorld() }

    @Test("004, 003 §7.8: 客户投诉 — records linked, kind/state/department/customer/overdue/date filters, overdue rows marked, CSV with the same columns; another rep sees none")
    func complaintList() throws {
        let rep = w.client("rep")
        let a = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.outCity)))
        let b = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差"), ("concerned", "王五")]))
        let manager = w.client("manager")
        manager.get("/service/complaints/\(a)/route")
        #expect(manager.submit("/service/complaints/\(a)/route", [("departments", "production")]).status == 303)
        let page = rep.get("/service/complaints").body
        #expect(page.contains("href=\"/service/complaints/\(a)\"") && page.contains("href=\"/service/complaints/\(b)\""))
        #expect(page.contains("href=\"/service/complaints/new\">登记投诉</a>"))
        #expect(!w.client("quality").get("/service/complaints").body.contains("登记投诉</a>"))
        let byDept = manager.get("/service/complaints?department=production").body
        #expect(byDept.contains("href=\"/service/complaints/\(a)\"") && !byDept.contains("href=\"/service/complaints/\(b)\""))
        let byCustomer = manager.get("/service/complaints?customer=\(w.inCity)").body
        #expect(byCustomer.contains("<option value=\"\(w.inCity)\" selected>") && !byCustomer.contains("href=\"/service/complaints/\(a)\""))
        #expect(manager.get("/service/complaints?state=closed").body.contains("没有投诉。"))
        #expect(manager.get("/service/complaints?from=2026-05-30").body.contains("没有投诉。"))
        #expect(manager.get("/service/complaints?from=2026-05-29&to=2026-05-29").body.contains("href=\"/service/complaints/\(a)\""))
        #expect(manager.get("/service/complaints?overdue=1").body.contains("没有投诉。"))
        w.advance(hours: 25)  // the in-city one is overdue
        let late = w.client("manager").get("/service/complaints?overdue=1").body
        #expect(late.contains("href=\"/service/complaints/\(b)\"") && !late.contains("href=\"/service/complaints/\(a)\""))
        #expect(late.contains("<tr class=\"overdue\">") && late.contains("<td class=\"nowrap error\">已超时 1 小时 0 分</td>"))
        let csv = w.client("manager").get("/service/complaints?format=csv").body
        #expect(csv.contains("编号,类别,客户,投诉内容,状态,登记时间,处理时限,剩余时间") && csv.contains("已超时 1 小时 0 分"))
        #expect(w.client("rep2").get("/service/complaints").body.contains("没有投诉。"))
    }

    @Test("001 篇二 §5.1: 部门投诉待办 — the department's open complaints by deadline, a link to fill its part until filled, the pending filter; nothing for a user of no department")
    func queueList() throws {
        let rep = w.client("rep")
        let a = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.inCity)))
        let b = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.outCity)))
        let manager = w.client("manager")
        for id in [a, b] {
            manager.get("/service/complaints/\(id)/route")
            #expect(manager.submit("/service/complaints/\(id)/route", [("departments", "quality")]).status == 303)
        }
        let q = w.client("quality")
        let page = q.get("/service/queue").body
        #expect(page.contains("href=\"/service/complaints/\(a)/departments/quality\">填写处理意见</a>"))
        #expect(page.contains("href=\"/service/complaints/\(b)/departments/quality\">填写处理意见</a>"))
        // By deadline: the in-city complaint (24 h) before the out-of-city one (48 h).
        let first = try #require(page.range(of: "/service/complaints/\(a)/departments"))
        let second = try #require(page.range(of: "/service/complaints/\(b)/departments"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(!page.contains("/departments/technical"))  // not 品质部's part
        #expect(q.submit("/service/complaints/\(a)/departments/quality", [("finding", "含水率超标")]).status == 303)
        let after = q.get("/service/queue").body
        #expect(after.contains("<td>已填写</td>") && !after.contains("/service/complaints/\(a)/departments/quality\""))
        let pending = q.get("/service/queue?pending=1").body
        #expect(!pending.contains("href=\"/service/complaints/\(a)\"") && pending.contains("href=\"/service/complaints/\(b)\""))
        #expect(q.get("/service/queue?format=csv").body.contains("编号,部门,客户,投诉内容,处理时限,剩余时间,本部门处理意见"))
        #expect(w.client("tech").get("/service/queue").body.contains("/service/complaints/\(a)/departments/technical"))
        #expect(w.client("rep").get("/service/queue").status == 403)
    }

    @Test("002 第九章 §6, §9: 巡访安排 and 巡访日报 — linked records, filters (patroller and unit for 巡访管理 only), CSV with the same columns; a patroller sees own records only")
    func patrolLists() throws {
        let svc = try w.t.addUser("svc", roles: [.serviceRep], department: "华东营业部")
        let svc2 = try w.t.addUser("svc2", roles: [.serviceRep])
        try w.t.addUser("svcsup", roles: [.serviceSupervisor])
        let sup = w.client("svcsup")
        sup.get("/service/patrol/visits/new")
        let v1 = try w.idFrom(sup.submit("/service/patrol/visits/new", [("customer", String(w.inCity)), ("patroller", String(svc)),
                                                                        ("planned_date", "2026-05-28")]))
        let v2 = try w.idFrom(sup.submit("/service/patrol/visits/new", [("customer", String(w.outCity)), ("patroller", String(svc2)),
                                                                        ("planned_date", "2026-06-03")]))
        let visits = sup.get("/service/patrol/visits").body
        #expect(visits.contains("href=\"/service/patrol/visits/\(v1)\"") && visits.contains("href=\"/service/patrol/visits/\(v2)\""))
        #expect(visits.contains("href=\"/service/patrol/visits/new\">指派巡访</a>") && visits.contains("name=\"patroller\""))
        let bySvc = sup.get("/service/patrol/visits?patroller=\(svc)").body
        #expect(bySvc.contains("href=\"/service/patrol/visits/\(v1)\"") && !bySvc.contains("href=\"/service/patrol/visits/\(v2)\""))
        let june = sup.get("/service/patrol/visits?from=2026-06-01").body
        #expect(!june.contains("href=\"/service/patrol/visits/\(v1)\"") && june.contains("href=\"/service/patrol/visits/\(v2)\""))
        #expect(sup.get("/service/patrol/visits?format=csv").body.contains("编号,客户,类别,巡访专人,计划日期,状态"))
        let own = w.client("svc").get("/service/patrol/visits").body
        #expect(own.contains("href=\"/service/patrol/visits/\(v1)\"") && !own.contains("href=\"/service/patrol/visits/\(v2)\""))
        #expect(!own.contains("name=\"patroller\"") && !own.contains("指派巡访</a>"))
        // The patroller filter is not applied for a patroller (own records only, whatever is asked).
        #expect(!w.client("svc").get("/service/patrol/visits?patroller=\(svc2)").body.contains("href=\"/service/patrol/visits/\(v2)\""))

        let c = w.client("svc")
        c.get("/service/patrol/visits/\(v1)/report")
        let rid = try w.idFrom(c.submit("/service/patrol/visits/\(v1)/report", PatrolTests.reportFields()))
        let reports = sup.get("/service/patrol/reports").body
        #expect(reports.contains("href=\"/service/patrol/reports/\(rid)\"") && reports.contains("<td>未阅</td>"))
        #expect(reports.contains("<option value=\"华东营业部\">华东营业部</option>"))
        #expect(sup.get("/service/patrol/reports?unit=华东营业部").body.contains("href=\"/service/patrol/reports/\(rid)\""))
        #expect(sup.get("/service/patrol/reports?unit=%E5%85%B6%E4%BB%96").body.contains("没有记录。"))
        #expect(!c.get("/service/patrol/reports").body.contains("name=\"unit\""))
        #expect(sup.get("/service/patrol/reports?format=csv").body.contains(
            "编号,巡访日期,时间,客户,巡访人,营业单位,客户意见、建议、希望,市场行情、竞争对手动向,巡访效果,主要事项处理,其他,上级已阅"))
        #expect(!w.client("svc2").get("/service/patrol/reports").body.contains("href=\"/service/patrol/reports/\(rid)\""))
    }
}
