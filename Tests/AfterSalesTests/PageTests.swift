import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// The pages as users see them (typed page models, issue #13): the shared list pages, the read
/// marks, and every record and form page rendering for its users.
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

    @Test("002 第九章 §9, §11: a daily or urgent report says 未阅 until the superior reads it; the urgent list filters the unread")
    func readMarks() throws {
        let svc = try w.t.addUser("svc", roles: [.serviceRep])
        try w.t.addUser("svcsup", roles: [.serviceSupervisor])
        let sup = w.client("svcsup")
        sup.get("/service/patrol/visits/new")
        let visit = try w.idFrom(sup.submit("/service/patrol/visits/new", [("customer", String(w.inCity)), ("patroller", String(svc)),
                                                                           ("planned_date", "2026-05-28")]))
        let c = w.client("svc")
        c.get("/service/patrol/visits/\(visit)/report")
        let report = try w.idFrom(c.submit("/service/patrol/visits/\(visit)/report", PatrolTests.reportFields()))
        c.get("/service/patrol/urgent/new")
        let urgent = try w.idFrom(c.submit("/service/patrol/urgent/new", [("trigger", "defect"), ("content", "批次开裂")]))

        #expect(sup.get("/service/patrol/reports/\(report)").body.contains("<td>未阅</td>"))
        #expect(sup.get("/service/patrol/urgent/\(urgent)").body.contains("<dd>未阅</dd>"))
        let unread = sup.get("/service/patrol/urgent?unread=1").body
        #expect(unread.contains("批次开裂") && unread.contains("href=\"/service/patrol/urgent/\(urgent)\""))
        #expect(sup.submit("/service/patrol/reports/\(report)/ack", []).status == 303)
        #expect(sup.submit("/service/patrol/urgent/\(urgent)/ack", []).status == 303)
        let read = sup.get("/service/patrol/reports/\(report)").body
        #expect(read.contains("svcsup 已阅 2026-05-29 04:26") && !read.contains("<td>未阅</td>"))
        #expect(sup.get("/service/patrol/urgent/\(urgent)").body.contains("svcsup 已阅 2026-05-29 04:26"))
        #expect(!sup.get("/service/patrol/urgent?unread=1").body.contains("批次开裂"))
        #expect(sup.get("/service/patrol/urgent").body.contains("批次开裂"))
        // The reporter sees their own urgent report in the list; another patroller does not.
        #expect(c.get("/service/patrol/urgent").body.contains("批次开裂"))
        try w.t.addUser("svc2", roles: [.serviceRep])
        #expect(!w.client("svc2").get("/service/patrol/urgent").body.contains("批次开裂"))
    }

    @Test("002 第九章 §8: 赠送礼品预算申请 is a list page with a state filter; the application, its decision and record pages show it")
    func giftPages() throws {
        let svc = try w.t.addUser("svc", roles: [.serviceRep])
        try w.t.addUser("svcsup", roles: [.serviceSupervisor])
        let sup = w.client("svcsup")
        sup.get("/service/patrol/visits/new")
        _ = sup.submit("/service/patrol/visits/new", [("customer", String(w.inCity)), ("patroller", String(svc)), ("planned_date", "2026-05-28")])
        let c = w.client("svc")
        c.get("/service/patrol/gifts/new")
        let id = try w.idFrom(c.submit("/service/patrol/gifts/new", [("customer", String(w.inCity)), ("gift", "茶具"), ("budget", "300"),
                                                                     ("reason", "十年老客户")]))
        let detail = sup.get("/service/patrol/gifts/\(id)").body
        #expect(detail.contains("赠送礼品预算申请表 \(DocNo.gift(id))") && detail.contains("¥300.00") && detail.contains("待审批"))
        #expect(detail.contains("href=\"/service/patrol/gifts/\(id)/decide\""))
        let decide = sup.get("/service/patrol/gifts/\(id)/decide").body
        #expect(decide.contains("申请 \(DocNo.gift(id)) · 本市建材公司 · 茶具 · 预算 ¥300.00 · 待审批"))
        #expect(sup.get("/service/patrol/gifts?state=pending").body.contains("<td>茶具</td>"))
        #expect(!sup.get("/service/patrol/gifts?state=recorded").body.contains("<td>茶具</td>"))
        #expect(sup.get("/service/patrol/gifts?state=recorded").body.contains("没有记录。"))
        #expect(sup.get("/service/patrol/gifts?format=csv").body.contains("编号,客户,礼品,预算金额,申请人,申请时间,状态,实际金额"))
        // #16 point 10: pending — only the applicant signs; approved — the approver's name and date fill 批准.
        #expect(sup.get("/service/patrol/gifts/\(id)").body.contains("<th>编制</th><td class=\"signer\">svc</td><th>审核</th><td class=\"signer\"></td><th>批准</th><td class=\"signer\"></td>"))
        #expect(sup.submit("/service/patrol/gifts/\(id)/decide", [("decision", "approve"), ("note", "同意")]).status == 303)
        #expect(sup.get("/service/patrol/gifts/\(id)").body.contains("<th>批准</th><td class=\"signer\">svcsup</td>"))
        #expect(c.get("/service/patrol/gifts/\(id)/record").body.contains("已批准"))
        #expect(c.get("/service/patrol/gifts/\(id)").body.contains("href=\"/service/patrol/gifts/\(id)/record\""))
    }

    @Test("RULES §3.1: the attachment step, a refusal shown on the record, the service complaint's record and print")
    func complaintPages() throws {
        let rep = w.client("rep")
        let id = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差"), ("concerned", "王五")]))
        let attach = rep.get("/service/complaints/\(id)/attach")
        #expect(attach.status == 200 && attach.body.contains("enctype=\"multipart/form-data\""))
        #expect(attach.body.contains("投诉 <a href=\"/service/complaints/\(id)\">\(DocNo.complaint(id))</a> · 本市建材公司 · 态度差"))
        let manager = w.client("manager")
        manager.get("/service/complaints/\(id)")
        // The refusal is shown once on the record (a flash in the session), and a crafted URL shows none (#16).
        let refused = manager.submit("/service/complaints/\(id)/act", [("action", "reopen"), ("reason", "x")])
        #expect(refused.location == "/service/complaints/\(id)")
        #expect(manager.refusal(after: refused) != nil)
        #expect(!manager.get("/service/complaints/\(id)").body.contains("class=\"flash error\""))
        #expect(!manager.get("/service/complaints/\(id)?error=%E4%BC%AA%E9%80%A0").body.contains("伪造"))
        let page = manager.get("/service/complaints/\(id)").body
        #expect(page.contains("被投诉人员或部门") && page.contains("王五") && !page.contains("相关部门处理意见"))
        #expect(page.contains("value=\"verify\""))
        let print = manager.get("/service/complaints/\(id)/print").body
        #expect(print.contains("客户投诉服务处理表") && print.contains("打印时间：2026-05-29 04:26"))
        // Open: only who registered it signs (with the day); 审核 and 批准 wait for the pen.
        #expect(print.contains("<th>编制</th><td class=\"signer\">rep</td><th>审核</th><td class=\"signer\"></td><th>批准</th><td class=\"signer\"></td>"))
        #expect(print.contains("<tr><th>日期</th><td class=\"nowrap\">2026-05-29</td>"))
    }
}
