import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// The pages as users see them (typed page models, issue #13).
@Suite struct PageTests {
    let w: ServiceWorld
    init() throws { w = try ServiceWorld() }

    func registerReturn(_ customer: Int64, _ text: String) throws -> Int64 {
        let rep = w.client("rep")
        rep.get("/service/returns/new")
        return try w.idFrom(rep.submit("/service/returns/new", [("customer", String(customer)), ("reason_code", "6.1.2"),
                                                                ("reason_form", "written"), ("reason_text", text)]))
    }

    @Test("RULES §3.2: 退货 is a list page — each return linked to its record, filters by state and customer, CSV with the same columns; another rep sees none")
    func returnList() throws {
        let a = try registerReturn(w.outCity, "组装时发现开裂")
        let b = try registerReturn(w.inCity, "色差")
        let rep = w.client("rep")
        let page = rep.get("/service/returns")
        #expect(page.status == 200)
        #expect(page.body.contains("href=\"/service/returns/\(a)\"") && page.body.contains("href=\"/service/returns/\(b)\""))
        #expect(page.body.contains("<td>外省装饰公司</td>") && page.body.contains("<td>本市建材公司</td>"))
        #expect(page.body.contains("href=\"/service/returns/new\">登记退货</a>"))
        let one = rep.get("/service/returns?customer=\(w.inCity)").body
        #expect(one.contains("<td>本市建材公司</td>") && !one.contains("<td>外省装饰公司</td>"))
        #expect(one.contains("<option value=\"\(w.inCity)\" selected>本市建材公司</option>"))
        #expect(rep.get("/service/returns?state=listed").body.contains("没有退货。"))
        let csv = rep.get("/service/returns?format=csv").body
        #expect(csv.contains("编号,客户,原因,状态,登记时间,结算金额"))
        #expect(csv.contains("外省装饰公司") && csv.contains("6.1.2 组装时发现质量问题") && csv.contains("已登记"))
        // Finance sees every return (and the customers in the filter), but registers none.
        let fin = w.client("finance").get("/service/returns").body
        #expect(fin.contains("<option value=\"\(w.outCity)\">外省装饰公司</option>"))
        #expect(!fin.contains("登记退货"))
        #expect(w.client("rep2").get("/service/returns").body.contains("没有退货。"))
    }

    @Test("RULES §3.1: the attachment step, a refusal shown on the record, the service complaint's record and print")
    func complaintPages() throws {
        let rep = w.client("rep")
        let id = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差"), ("concerned", "王五")]))
        let attach = rep.get("/service/complaints/\(id)/attach")
        #expect(attach.status == 200 && attach.body.contains("enctype=\"multipart/form-data\""))
        #expect(attach.body.contains("投诉 <a href=\"/service/complaints/\(id)\">#\(id)</a> · 本市建材公司 · 态度差"))
        let manager = w.client("manager")
        manager.get("/service/complaints/\(id)")
        let refused = try #require(manager.submit("/service/complaints/\(id)/act", [("action", "reopen"), ("reason", "x")]).location)
        #expect(manager.get(refused).body.contains("<p class=\"error-summary\" role=\"alert\">"))
        #expect(!manager.get("/service/complaints/\(id)").body.contains("<p class=\"error-summary\" role=\"alert\">"))
        let page = manager.get("/service/complaints/\(id)").body
        #expect(page.contains("被投诉人员或部门") && page.contains("王五") && !page.contains("相关部门处理意见"))
        #expect(page.contains("value=\"verify\""))
        let print = manager.get("/service/complaints/\(id)/print").body
        #expect(print.contains("客户投诉服务处理表") && print.contains("打印时间：2026-05-29 04:26"))
    }
}
