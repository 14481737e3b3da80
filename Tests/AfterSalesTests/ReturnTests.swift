import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import AfterSalesModule

@Suite struct ReturnTests {
    let w: ServiceWorld
    init() throws { w = try ServiceWorld() }

    func registered(_ reasonForm: String = "oral") throws -> Int64 {
        let rep = w.client("rep")
        rep.get("/service/returns/new")
        let r = rep.submit("/service/returns/new", [("customer", String(w.outCity)), ("reason_code", "6.1.2"),
                                                    ("reason_form", reasonForm), ("reason_text", "电话告知：组装时发现开裂")])
        return try w.idFrom(r)
    }

    func listed(_ id: Int64) {
        let rep = w.client("rep")
        rep.get("/service/returns/\(id)/list")
        rep.submit("/service/returns/\(id)/list", [("lines.0.product", "实木地板"), ("lines.0.spec", "900×90"), ("lines.0.quantity", "10"),
                                                   ("lines.0.price", "100"), ("lines.1.product", "踢脚线"), ("lines.1.spec", "2400"),
                                                   ("lines.1.quantity", "5"), ("lines.1.price", "20"), ("checked", "1")])
    }

    @Test("003 §6.1: the reason is one of 6.1.1–6.1.5; an oral reason is recorded")
    func reasons() throws {
        let rep = w.client("rep")
        rep.get("/service/returns/new")
        #expect(rep.submit("/service/returns/new", [("customer", String(w.inCity)), ("reason_code", "6.1.9"), ("reason_form", "oral"),
                                                    ("reason_text", "口头")]).status == 422)
        let id = try registered()
        #expect(try w.t.db.first("SELECT reason_form FROM service_returns WHERE id = \(id)")?.string("reason_form") == "oral")
    }

    @Test("003 §6.3.2: the 退货库 cannot receive without the quality notice — refused with the reason, nothing changed")
    func receiveNeedsNotice() throws {
        let id = try registered()
        listed(id)
        let store = w.client("prod")
        let r = store.get("/service/returns/\(id)/receive")
        #expect(r.status == 409)
        #expect(r.body.contains("准予退回通知单"))
        store.get("/service/returns/\(id)")
        let lineID = try #require(try w.t.db.scalar("SELECT MIN(id) FROM service_return_lines WHERE return_id = \(id)"))
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "10"), ("recv_\(lineID + 1)", "5")]).status == 409)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_return_lines WHERE received IS NOT NULL") == 0)
        #expect(try w.t.db.first("SELECT state FROM service_returns")?.string("state") == "listed")
    }

    @Test("003 §6.3.3: finance cannot settle before receipt")
    func settleNeedsReceipt() throws {
        let id = try registered()
        listed(id)
        let fin = w.client("finance")
        #expect(fin.get("/service/returns/\(id)/settle").status == 409)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_returns WHERE settled_fen IS NOT NULL") == 0)
    }

    @Test("003 §6.3.2: a received quantity that is negative, or more than the list without a discrepancy note, is 422")
    func badReceipt() throws {
        let id = try registered()
        listed(id)
        let q = w.client("quality")
        q.get("/service/returns/\(id)/notice")
        #expect(q.submit("/service/returns/\(id)/notice", [("opinion", "核实属实，准予退回")]).status == 303)
        let lineID = try #require(try w.t.db.scalar("SELECT MIN(id) FROM service_return_lines WHERE return_id = \(id)"))
        let store = w.client("prod")
        store.get("/service/returns/\(id)/receive")
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "-1"), ("recv_\(lineID + 1)", "5")]).status == 422)
        let more = store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "12"), ("recv_\(lineID + 1)", "5")])
        #expect(more.status == 422)
        #expect(more.body.contains("差异说明"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_return_lines WHERE received IS NOT NULL") == 0)
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "12"), ("recv_\(lineID + 1)", "5"),
                                                                 ("discrepancy_note", "客户多退 2 片")]).status == 303)
    }

    @Test("RULES §3.2: a return through all five steps with a short receipt is settled on the received quantity, not the requested")
    func fullFlowSettlesReceived() throws {
        let id = try registered("written")
        listed(id)
        let q = w.client("quality")
        q.get("/service/returns/\(id)/notice")
        #expect(q.submit("/service/returns/\(id)/notice", [("opinion", "准予退回")]).status == 303)
        let lineID = try #require(try w.t.db.scalar("SELECT MIN(id) FROM service_return_lines WHERE return_id = \(id)"))
        let store = w.client("prod")
        store.get("/service/returns/\(id)/receive")
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "8"), ("recv_\(lineID + 1)", "5")]).status == 303)
        let page = store.get("/service/returns/\(id)").body
        #expect(page.contains("实收数量与退货清单不符"))
        let fin = w.client("finance")
        fin.get("/service/returns/\(id)/settle")
        #expect(fin.submit("/service/returns/\(id)/settle", [("note", "")]).status == 303)
        // 8 × 100 元 + 5 × 20 元 = 900 元, not the 1,100 元 requested.
        #expect(try w.t.db.scalar("SELECT settled_fen FROM service_returns WHERE id = \(id)") == 90_000)
        #expect(fin.get("/service/returns/\(id)/print").body.contains("准予退回通知单"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.return'") == 5)
    }
}
