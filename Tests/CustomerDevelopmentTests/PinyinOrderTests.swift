import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// Issue #16 point 10: the 客户名录 lists names in 拼音 order, as 金蝶/用友 do — 北京 before 广州
/// before 上海 before 深圳 before 张家港 — not in code-point order (which puts 上 first and 北 after
/// 广), in both directions and across the keyset pages.
@Suite struct PinyinOrderTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    static let cities = ["北京燕山石化有限公司", "广州白云电器有限公司", "上海亚凯机械有限公司", "深圳华强电子有限公司",
                         "张家港沙钢集团有限公司"]
    /// 47 branches that sort before the cities (安 an < 北 bei), numbered: 第2 before 第10.
    static let branches = (1...47).map { "安徽海螺第\($0)分公司" }

    /// The names of a list page in page order, and its 下一页 link.
    func names(_ body: String) -> (names: [String], next: String?) {
        let rows = body.matches(of: #/<a href="/crm/customers/\d+">([^<]+)</a>/#).map { String($0.1) }
        let next = body.firstMatch(of: #/<a href="([^"]+)">下一页/#).map { String($0.1).replacingOccurrences(of: "&amp;", with: "&") }
        return (rows, next)
    }

    /// Every page from `start` on, by the pages' own 下一页 links (the keyset cursor).
    func walk(_ c: TestClient, _ start: String) -> [[String]] {
        var pages: [[String]] = []
        var url: String? = start
        while let u = url, pages.count < 5 {
            let r = c.get(u)
            #expect(r.status == 200, "GET \(u)")
            let (n, next) = names(r.body)
            pages.append(n)
            url = next
        }
        return pages
    }

    @Test("#16 point 10: 客户名录 in 拼音 order both ways, across the keyset page boundary; new and renamed customers get their key")
    func customerListInPinyinOrder() throws {
        let rep = f.client("rep1")
        // The cities through the real form, in the reverse of their order (ids do not give it).
        for name in Self.cities.reversed() { _ = try f.createCustomer(rep, name) }
        let now = Int64(Date().timeIntervalSince1970)
        for name in Self.branches.shuffled() {
            try f.db.execute("""
                INSERT INTO crm_customers (name, name_sort, owner_id, created_by, created_at, updated_at)
                VALUES (\(name), \(NameSort.key(name)), \(f.rep1), \(f.rep1), \(now), \(now))
                """)
        }
        let ascending = Self.branches + Self.cities
        let up = walk(rep, "/crm/customers")
        #expect(up.map(\.count) == [50, 2])
        #expect(up.flatMap { $0 } == ascending)
        #expect(up[0].suffix(3) == ["北京燕山石化有限公司", "广州白云电器有限公司", "上海亚凯机械有限公司"])
        #expect(up[1] == ["深圳华强电子有限公司", "张家港沙钢集团有限公司"])

        let down = walk(rep, "/crm/customers?sort=name&dir=desc")
        #expect(down.map(\.count) == [50, 2])
        #expect(down.flatMap { $0 } == ascending.reversed())
        #expect(down[1] == ["安徽海螺第2分公司", "安徽海螺第1分公司"])

        // A rename (the edit form) moves the customer: 深圳 → 鞍山 (an shan, after 安徽 an hui).
        let shenzhen = try #require(try f.db.scalar("SELECT id FROM crm_customers WHERE name = '深圳华强电子有限公司'"))
        rep.get("/crm/customers/\(shenzhen)/edit")
        let saved = rep.submit("/crm/customers/\(shenzhen)/edit", [("name", "鞍山华强电子有限公司"), ("city", "鞍山"), ("in_city", "1")])
        #expect(saved.status == 303)
        let renamed = walk(rep, "/crm/customers").flatMap { $0 }
        #expect(renamed == Self.branches + ["鞍山华强电子有限公司", "北京燕山石化有限公司", "广州白云电器有限公司",
                                            "上海亚凯机械有限公司", "张家港沙钢集团有限公司"])
    }

    @Test("#16 point 10: a person picker (调整客户负责人) lists the reps in 拼音 order: 李 王 张 赵, not 张 李 王 赵 (code points)")
    func ownerPickerInPinyinOrder() throws {
        let cid = try f.createCustomer(f.client("rep1"), "北京燕山石化有限公司")
        let page = f.client("boss").get("/crm/customers/\(cid)/owner")
        #expect(page.status == 200)
        let people = page.body.matches(of: #/<option value="\d+"(?: selected)?>([^<]+)</option>/#).map { String($0.1) }
        #expect(people == ["李专员", "王主管", "张专员", "赵总"])
    }

    @Test("#16 point 10: a customer picker (拜访计划's 客户) lists the customers in 拼音 order")
    func customerPickerInPinyinOrder() throws {
        let rep = f.client("rep1")
        for name in Self.cities.reversed() { _ = try f.createCustomer(rep, name) }
        let form = rep.get("/crm/visits/plans/new")
        #expect(form.status == 200)
        let names = form.body.matches(of: #/<option value="\d+"(?: selected)?>([^<]+)</option>/#).map { String($0.1) }
        #expect(names.filter { $0.hasSuffix("有限公司") } == Self.cities)
    }

    @Test("#16 point 10: rows without a key (of before migration v12, bulk loads) get it at the next migrate (each start)")
    func missingKeysAreFilledAfterMigrate() throws {
        let rep = f.client("rep1")
        for name in Self.cities.reversed() { _ = try f.createCustomer(rep, name) }
        try f.db.execute("UPDATE crm_customers SET name_sort = NULL")
        // Unfilled rows sort first, by id: the order they were entered in.
        #expect(names(rep.get("/crm/customers").body).names == Self.cities.reversed())
        try f.t.app.migrate()
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_customers WHERE name_sort IS NULL") == 0)
        for r in try f.db.query("SELECT name, name_sort FROM crm_customers") {
            #expect(r.string("name_sort") == PinyinSortKey.make(r.string("name") ?? ""))
        }
        #expect(names(rep.get("/crm/customers").body).names == Self.cities)
        #expect(try NameSort.fillMissing(f.db) == 0)
    }
}
