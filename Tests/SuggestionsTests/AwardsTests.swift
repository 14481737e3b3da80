import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import SuggestionsModule

/// 奖励标准与奖励台账 (002 §23, §23.3, §23.4, §26.4) through the host.
@Suite(.serialized) struct AwardsTests {
    let f: IdeasFixture
    init() throws { f = try IdeasFixture() }

    /// The award form as stored, with some fields replaced.
    func awardFields(_ changes: [String: String]) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for r in try f.db.query("SELECT outcome, title, amount_fen, prize FROM ideas_awards ORDER BY position") {
            let k = r.string("outcome") ?? ""
            for (name, value) in [("title_\(k)", r.string("title") ?? ""), ("amount_\(k)", Money.format(r.int("amount_fen") ?? 0, grouping: false)),
                                  ("prize_\(k)", r.string("prize") ?? "")] {
                out.append((name, changes[name] ?? value))
            }
        }
        return out
    }

    @Test("002 §23: award amounts are edited by ideas.manage (422 keeps values, audited) and used at the next finalization")
    func editAwardTable() throws {
        f.at(2026, 11, 1)
        let admin = f.client("admin")
        let page = admin.get("/ideas/awards")
        #expect(page.status == 200 && page.body.contains("value=\"1000.00\"") && page.body.contains("团体奖第一名"))
        #expect(f.client("chair").get("/ideas/awards").status == 403)

        let notMoney = f.post(admin, "/ideas/awards", try awardFields(["amount_grade2": "八百"]))
        #expect(notMoney.status == 422 && notMoney.body.contains("value=\"八百\"") && notMoney.body.contains("请输入金额"))
        let inverted = f.post(admin, "/ideas/awards", try awardFields(["amount_grade2": "1200"]))
        #expect(inverted.status == 422 && inverted.body.contains("不能高于一等") && inverted.body.contains("value=\"1200\""))
        let cash = f.post(admin, "/ideas/awards", try awardFields(["amount_effort": "50"]))
        #expect(cash.status == 422 && cash.body.contains("努力奖发奖品，不发现金"))
        #expect(try f.db.scalar("SELECT amount_fen FROM ideas_awards WHERE outcome = 'grade2'") == 80_000)

        let saved = f.post(admin, "/ideas/awards", try awardFields(["amount_grade2": "900", "amount_team1": "500"]))
        #expect(saved.status == 303 && saved.location == "/ideas/awards")   // #16: no `?saved=1`
        #expect(admin.get("/ideas/awards").body.contains("class=\"flash ok\" role=\"status\">奖励标准已保存。"))
        #expect(try f.db.scalar("SELECT amount_fen FROM ideas_awards WHERE outcome = 'grade2'") == 90_000)
        #expect(try f.db.scalar("SELECT amount_fen FROM ideas_awards WHERE outcome = 'team1'") == 50_000)
        let audit = try #require(try f.db.first("SELECT from_state, to_state FROM audit_log WHERE entity = 'ideas.award' AND entity_id = 'grade2'"))
        #expect(audit.string("from_state") == "二等奖｜800.00｜" && audit.string("to_state") == "二等奖｜900.00｜")
        #expect(try f.auditCount("ideas.award", "update") == 2) // only the changed rows

        try f.publish(year: 2026, month: 11, [("新标准下的二等奖", "grade2", "销售部")])
        #expect(try f.db.scalar("SELECT amount_fen FROM ideas_ledger WHERE kind = 'award'") == 90_000)
        #expect(f.client("outsider").get("/ideas/bulletin/2026-11").body.contains("¥900.00"))
    }

    @Test("002 §23 ledger: every kind, filters by batch, department and kind, totals per person and department, payroll CSV with BOM")
    func ledger() throws {
        try f.publish(year: 2026, month: 11, [("一等建议", "grade1", "销售部"), ("四等建议", "grade4", "销售部"), ("努力建议", "effort", "")])
        try f.publish(year: 2026, month: 12, proposer: "finmgr", [("鼓励建议", "encourage", "")])
        try f.db.execute("""
            INSERT INTO ideas_ledger (user_id, department, suggestion_id, batch, kind, title, amount_fen, created_by, created_at)
            VALUES (0, '销售部', NULL, '2026-12', 'team', '团体奖第一名（2026 年第 4 季度）', 50000, 1, 1798000000)
            """)
        f.at(2027, 1, 5)
        let c = f.client("member")
        let all = c.get("/ideas/ledger")
        #expect(all.status == 200)
        #expect(all.body.contains("奖品（努力奖）") && all.body.contains("（部门团体奖）") && all.body.contains("1000.00"))
        #expect(all.body.contains("href=\"/ideas/ledger/totals\""))
        // Filters on the rows (a ListPage): by person, by kind and batch.
        let staff = try f.userID("staff")
        let own = c.get("/ideas/ledger?person=\(staff)")
        #expect(own.body.contains("一等建议") && !own.body.contains("鼓励建议") && !own.body.contains("（部门团体奖）</td>"))
        #expect(own.body.contains("<option value=\"\(staff)\" selected>张三</option>"))
        let dec = c.get("/ideas/ledger?batch=2026-12&kind=award")
        #expect(dec.body.contains("鼓励建议") && !dec.body.contains("一等建议"))
        // Totals for payroll, under the same filters. 1000 + 400 + 0 (prize) + 200 + 500 (team).
        #expect(c.get("/ideas/ledger/totals").body.contains("合计：5 笔，¥2,100.00"))
        #expect(c.get("/ideas/ledger/totals?department=%E9%94%80%E5%94%AE%E9%83%A8").body.contains("合计：4 笔，¥1,900.00"))
        #expect(c.get("/ideas/ledger/totals?kind=award&batch=2026-11").body.contains("合计：2 笔，¥1,400.00"))
        #expect(c.get("/ideas/ledger/totals?batch=2026-12&kind=award").body.contains("合计：1 笔，¥200.00"))
        let totals = c.get("/ideas/ledger/totals?person=\(staff)")
        #expect(totals.body.contains("合计：3 笔，¥1,400.00"))
        #expect(totals.body.contains("href=\"/ideas/ledger?person=\(staff)\""))   // the person's rows

        let rows = c.get("/ideas/ledger?kind=award&format=csv")
        #expect(rows.status == 200 && rows.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(rows.body.hasPrefix("\u{FEFF}日期,人员,用户名,部门,批次,类别,名目,建议,金额（元）"))
        #expect(rows.body.contains("张三,staff,销售部,2026-11,评定奖金,一等奖,一等建议,1000.00"))
        #expect(!rows.body.contains("团体奖"))
        let persons = c.get("/ideas/ledger?view=person&format=csv")
        #expect(persons.body.hasPrefix("\u{FEFF}用户名,人员,部门,笔数,金额（元）"))
        #expect(persons.body.contains("staff,张三,销售部,3,1400.00\r\n"))
        #expect(persons.body.contains("finmgr,财务经理,财务部,1,200.00\r\n"))
        #expect(persons.body.contains(",（部门团体奖）,销售部,1,500.00\r\n"))
        #expect(c.get("/ideas/ledger/totals?view=person&format=csv").body == persons.body)
        #expect(c.get("/ideas/ledger/totals?kind=award&view=person&format=csv").body.contains("staff,张三,销售部,2,1400.00\r\n"))
        let departments = c.get("/ideas/ledger?view=department&format=csv")
        #expect(departments.body.contains("销售部,4,1900.00\r\n") && departments.body.contains("财务部,1,200.00\r\n"))

        // Finance (payroll) reads it; a sales rep does not.
        #expect(f.client("finmgr").get("/ideas/ledger").status == 200)
        #expect(f.client("outsider").get("/ideas/ledger").status == 403)
        #expect(f.client("outsider").get("/ideas/ledger/totals").status == 403)
        #expect(f.client("outsider").get("/ideas/ledger/totals?view=person&format=csv").status == 403)
    }
}
