import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// The pages as users see them (typed page models, issue #13).
@Suite struct PageTests {
    let w: ServiceWorld
    init() throws { w = try ServiceWorld() }

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
