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

    @Test("003 §6.3.2, RULES §6 Returns: a received quantity that is negative, or more than listed (even with a note), is 422 next to its line, values kept")
    func test_003_6_3_2_receivedMoreThanListedRefused() throws {
        let id = try registered()
        listed(id)
        let q = w.client("quality")
        q.get("/service/returns/\(id)/notice")
        #expect(q.submit("/service/returns/\(id)/notice", [("outcome", "approve"), ("opinion", "核实属实，准予退回")]).status == 303)
        let lineID = try #require(try w.t.db.scalar("SELECT MIN(id) FROM service_return_lines WHERE return_id = \(id)"))
        let store = w.client("prod")
        store.get("/service/returns/\(id)/receive")
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "-1"), ("recv_\(lineID + 1)", "5")]).status == 422)
        let more = store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "12"), ("recv_\(lineID + 1)", "5"),
                                                                     ("discrepancy_note", "客户多退 2 片")])
        #expect(more.status == 422)
        #expect(more.body.contains("id=\"f-recv_\(lineID)-error\">实收数量不能多于退货清单数量（10）"))
        #expect(!more.body.contains("id=\"f-recv_\(lineID + 1)-error\""))
        #expect(more.body.contains("value=\"12\"") && more.body.contains("客户多退 2 片"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_return_lines WHERE received IS NOT NULL") == 0)
        #expect(try w.t.db.first("SELECT state FROM service_returns WHERE id = \(id)")?.string("state") == "approved")
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "10"), ("recv_\(lineID + 1)", "5")]).status == 303)
        // #16 point 10: the print names who registered it, who of 品质部 decided and who took the goods in.
        let print = store.get("/service/returns/\(id)/print").body
        #expect(print.contains("<th>登记</th><td class=\"signer\">rep</td><th>品质部核实</th><td class=\"signer\">quality</td><th>入库</th><td class=\"signer\">prod</td>"))
        #expect(!print.contains("<td class=\"nowrap\"></td>"))
    }

    @Test("003 §6.3.1: 品质部 refuses a return with the reason — it ends refused, shown to the rep and on the print; nothing is received or settled")
    func test_003_6_3_1_qualityRefusesReturn() throws {
        let id = try registered()
        listed(id)
        let q = w.client("quality")
        let form = q.get("/service/returns/\(id)/notice")
        #expect(form.body.contains("拒绝退回") && form.body.contains("部分准予"))
        let noReason = q.submit("/service/returns/\(id)/notice", [("outcome", "refuse"), ("opinion", "")])
        #expect(noReason.status == 422)
        #expect(noReason.body.contains("id=\"f-opinion-error\">拒绝退回须填写拒绝理由"))
        #expect(try w.t.db.first("SELECT state FROM service_returns WHERE id = \(id)")?.string("state") == "listed")
        #expect(q.submit("/service/returns/\(id)/notice", [("outcome", "refuse"), ("opinion", "经检验为客户安装不当所致，不属质量问题")]).status == 303)
        let row = try #require(try w.t.db.first("SELECT * FROM service_returns WHERE id = \(id)"))
        #expect(row.string("state") == "refused" && row.string("notice_outcome") == "refused" && row.string("notice_no") == nil)
        #expect(try w.t.db.scalar("""
            SELECT COUNT(*) FROM audit_log WHERE entity = 'service.return' AND entity_id = \(String(id)) AND action = 'refuse'
                AND from_state = 'listed' AND to_state = 'refused' AND reason = '经检验为客户安装不当所致，不属质量问题'
            """) == 1)
        // The rep's record and the customer-facing print show the refusal and its reason.
        let rep = w.client("rep")
        let page = rep.get("/service/returns/\(id)").body
        #expect(page.contains("品质部拒绝退回") && page.contains("经检验为客户安装不当所致"))
        #expect(!page.contains("/service/returns/\(id)/receive"))
        let print = rep.get("/service/returns/\(id)/print").body
        #expect(print.contains("退货核实结果通知（拒绝退回）") && print.contains("经检验为客户安装不当所致"))
        #expect(rep.get("/service/returns?state=refused").body.contains("href=\"/service/returns/\(id)\""))
        // Nothing is received or credited; 品质部 cannot decide again.
        #expect(w.client("prod").get("/service/returns/\(id)/receive").status == 409)
        #expect(w.client("finance").get("/service/returns/\(id)/settle").status == 409)
        #expect(q.get("/service/returns/\(id)/notice").status == 409)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_return_lines WHERE received IS NOT NULL OR accepted IS NOT NULL") == 0)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_returns WHERE settled_fen IS NOT NULL") == 0)
    }

    @Test("003 §6.3.1: a partial acceptance names each line's accepted quantity, at most the listed one; the receipt is bounded by it and the settlement credits received × price")
    func test_003_6_3_1_partialAcceptance() throws {
        let id = try registered()
        listed(id)
        let lineID = try #require(try w.t.db.scalar("SELECT MIN(id) FROM service_return_lines WHERE return_id = \(id)"))
        let q = w.client("quality")
        let form = q.get("/service/returns/\(id)/notice").body
        #expect(form.contains("name=\"acc_\(lineID)\" value=\"10\""))   // pre-filled with the listed quantity
        let tooMany = q.submit("/service/returns/\(id)/notice", [("outcome", "partial"), ("acc_\(lineID)", "11"), ("acc_\(lineID + 1)", "5"),
                                                                  ("opinion", "部分开裂")])
        #expect(tooMany.status == 422)
        #expect(tooMany.body.contains("id=\"f-acc_\(lineID)-error\">准予数量不能多于退货清单数量（10）"))
        #expect(tooMany.body.contains("value=\"11\"") && tooMany.body.contains("部分开裂"))
        let all = q.submit("/service/returns/\(id)/notice", [("outcome", "partial"), ("acc_\(lineID)", "10"), ("acc_\(lineID + 1)", "5"),
                                                              ("opinion", "部分开裂")])
        #expect(all.status == 422 && all.body.contains("请选择「准予退回」"))
        let none = q.submit("/service/returns/\(id)/notice", [("outcome", "partial"), ("acc_\(lineID)", "0"), ("acc_\(lineID + 1)", "0"),
                                                               ("opinion", "部分开裂")])
        #expect(none.status == 422 && none.body.contains("请选择「拒绝退回」"))
        let noReason = q.submit("/service/returns/\(id)/notice", [("outcome", "partial"), ("acc_\(lineID)", "6"), ("acc_\(lineID + 1)", "5")])
        #expect(noReason.status == 422 && noReason.body.contains("部分准予须写明理由"))
        #expect(try w.t.db.first("SELECT state FROM service_returns WHERE id = \(id)")?.string("state") == "listed")
        #expect(q.submit("/service/returns/\(id)/notice", [("outcome", "partial"), ("acc_\(lineID)", "6"), ("acc_\(lineID + 1)", "5"),
                                                             ("opinion", "4 片为安装损坏，不予退回")]).status == 303)
        #expect(try w.t.db.scalar("SELECT accepted FROM service_return_lines WHERE id = \(lineID)") == 6)
        #expect(try w.t.db.scalar("SELECT accepted FROM service_return_lines WHERE id = \(lineID + 1)") == 5)
        #expect(try w.t.db.first("SELECT notice_outcome FROM service_returns WHERE id = \(id)")?.string("notice_outcome") == "partial")
        let audit = try #require(try w.t.db.first("SELECT * FROM audit_log WHERE entity = 'service.return' AND action = 'notice'"))
        #expect(audit.string("reason")?.contains("实木地板 900×90 准予 6／清单 10") == true)
        #expect(w.client("rep").get("/service/returns/\(id)").body.contains("部分准予"))
        // 003 §6.3.2: the warehouse cannot receive more than accepted.
        let store = w.client("prod")
        let receipt = store.get("/service/returns/\(id)/receive").body
        #expect(receipt.contains("（清单 10，准予 6）实收"))
        let more = store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "8"), ("recv_\(lineID + 1)", "5")])
        #expect(more.status == 422)
        #expect(more.body.contains("id=\"f-recv_\(lineID)-error\">实收数量不能多于品质部准予退回的数量（6）"))
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "6"), ("recv_\(lineID + 1)", "4"),
                                                                 ("discrepancy_note", "踢脚线少 1 根")]).status == 303)
        // 003 §6.3.3: 6 × 100 元 + 4 × 20 元 = 680 元.
        let fin = w.client("finance")
        #expect(fin.get("/service/returns/\(id)/settle").body.contains("¥680.00"))
        #expect(fin.submit("/service/returns/\(id)/settle", [("note", "")]).status == 303)
        #expect(try w.t.db.scalar("SELECT settled_fen FROM service_returns WHERE id = \(id)") == 68_000)
    }

    @Test("003 §6.3.3: a receipt recorded above the accepted quantity (before the bound existed) is credited only up to the accepted quantity")
    func test_003_6_3_3_legacyOverReceiptCreditsAccepted() throws {
        let id = try registered()
        listed(id)
        let q = w.client("quality")
        q.get("/service/returns/\(id)/notice")
        #expect(q.submit("/service/returns/\(id)/notice", [("outcome", "approve"), ("opinion", "准予")]).status == 303)
        // As version 4 allowed with a discrepancy note: 12 received of 10 listed.
        try w.t.db.execute("UPDATE service_return_lines SET received = CASE WHEN quantity = 10 THEN 12 ELSE 5 END WHERE return_id = \(id)")
        try w.t.db.execute("UPDATE service_returns SET state = 'received' WHERE id = \(id)")
        let fin = w.client("finance")
        fin.get("/service/returns/\(id)/settle")
        #expect(fin.submit("/service/returns/\(id)/settle", [("note", "")]).status == 303)
        #expect(try w.t.db.scalar("SELECT settled_fen FROM service_returns WHERE id = \(id)") == 110_000)
    }

    @Test("RULES §3.2: a return through all five steps with a short receipt is settled on the received quantity, not the requested")
    func fullFlowSettlesReceived() throws {
        let id = try registered("written")
        listed(id)
        let q = w.client("quality")
        q.get("/service/returns/\(id)/notice")
        #expect(q.submit("/service/returns/\(id)/notice", [("outcome", "approve"), ("opinion", "准予退回")]).status == 303)
        let lineID = try #require(try w.t.db.scalar("SELECT MIN(id) FROM service_return_lines WHERE return_id = \(id)"))
        #expect(try w.t.db.scalar("SELECT SUM(accepted) FROM service_return_lines WHERE return_id = \(id)") == 15)
        let store = w.client("prod")
        store.get("/service/returns/\(id)/receive")
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "8"), ("recv_\(lineID + 1)", "5")]).status == 303)
        let page = store.get("/service/returns/\(id)").body
        #expect(page.contains("实收数量与准予退回数量不符"))
        let fin = w.client("finance")
        fin.get("/service/returns/\(id)/settle")
        #expect(fin.submit("/service/returns/\(id)/settle", [("note", "")]).status == 303)
        // 8 × 100 元 + 5 × 20 元 = 900 元, not the 1,100 元 requested.
        #expect(try w.t.db.scalar("SELECT settled_fen FROM service_returns WHERE id = \(id)") == 90_000)
        #expect(fin.get("/service/returns/\(id)/print").body.contains("准予退回通知单"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.return'") == 5)
    }
}
