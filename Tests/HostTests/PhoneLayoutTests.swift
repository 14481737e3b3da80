import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// Issue 16 point 7 in the shared list page and forms: column styles (numbers right-aligned,
/// codes and phone numbers never broken), `tel:` links, the phone layout's cards (each cell with
/// its column title) and folded filters; the form's error summary links to the fields.
@Suite struct PhoneLayoutTests {
    struct Contacts: DepartmentModule {
        let manifest = ModuleManifest(id: "contacts", title: "通讯录", version: "1", folder: "Contacts")
        static let use = Permission("contacts", "use", title: "使用", defaultRoles: [.salesRep])
        var permissions: [Permission] { [Self.use] }
        var menu: [MenuItem] { [MenuItem("联系人", path: "", access: .permission(Self.use))] }
        var migrations: [Migration] {
            [Migration(1, "people", """
                CREATE TABLE contacts (id INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL,
                                       amount TEXT NOT NULL);
                INSERT INTO contacts (code, name, phone, amount) VALUES
                    ('KH-2026-0001', '上海亚凯', '+86 21-5555 0101', '12,300.00'), ('KH-2026-0002', '杭州&<华东>', '—', '5.00');
                """)]
        }

        static let page = ListPage(
            title: "联系人", path: "/contacts", select: "c.id, c.code, c.name, c.phone, c.amount", from: "contacts c",
            scope: { _ in "1 = 1" },
            columns: [
                .code("code", "客户代码", sql: "c.code"),
                .text("name", "名称", sql: "c.name"),
                .phone("phone", "电话", sql: "c.phone"),
                .number("amount", "应收", sql: "c.amount"),
                .text("remark", "备注", sql: "c.name", sortable: false).styled(.nowrap),
            ],
            filters: [.search("q", "名称") { v, _ in "c.name LIKE \("%" + v + "%")" }],
            defaultSort: "code", tiebreaker: "c.id", empty: "无")

        static let form = FormSchema([
            FormField("name", "名称", required: true),
            FormField("qty", "数量", .integer, rules: [.range(1, 10)]),
            FormField("lines", "明细", .rows(FormSchema([FormField("product", "产品", required: true), FormField("n", "件数", .integer)]),
                                           minRows: 0, blankRows: 1)),
        ])
        var forms: [String: FormSchema] { ["contact": Self.form] }
        struct NewPage: PageModel {
            static let template = "new"
            var form: FormView
        }
        var pages: [any PageModel.Type] { [NewPage.self] }

        func routes(_ r: inout RouteBuilder) {
            r.get("", .permission(Self.use)) { req, ctx in try Self.page.respond(req, ctx) }
            r.form("new", .permission(Self.use)) { _, ctx in
                try ctx.handleForm(Self.form, title: "新联系人", page: { NewPage(form: $0) }) { _ in
                    .redirect(to: "/contacts", flash: .ok("已保存。"))
                }
            }
        }
    }

    let t: TestApp
    let c: TestClient
    init() throws {
        let plugins = try writeTemplates([
            "Contacts/templates/new.mustache": """
            {{<layout}}{{$content}}<form method="post">{{>form/csrf}}{{#form}}{{>form/fields}}{{/form}}</form>{{/content}}{{/layout}}
            """,
        ])
        t = try TestApp(modules: [Contacts()], pluginsDir: plugins)
        try t.addUser("rep", roles: [.salesRep])
        c = t.client()
        c.login("rep")
    }

    @Test func columnStylesGoOnTheHeaderAndEveryCell() {
        let r = c.get("/contacts")
        #expect(r.status == 200)
        #expect(r.body.contains("<th class=\"num\"><a href=\"/contacts?sort=amount&amp;dir=asc\">应收 </a></th>"))
        #expect(r.body.contains("<th class=\"code\">"))
        #expect(r.body.contains("<td class=\"cl\">客户代码</td><td class=\"code\">KH-2026-0001</td>"))
        #expect(r.body.contains("<td class=\"cl\">应收</td><td class=\"num\">12,300.00</td>"))
        #expect(r.body.contains("<td class=\"cl\">备注</td><td class=\"nowrap\">杭州&amp;&lt;华东&gt;</td>"))
        #expect(r.body.contains("<td class=\"cl\">电话</td><td class=\"tel\"><a href=\"tel:+862155550101\">+86 21-5555 0101</a></td>"))
        #expect(r.body.contains("<td class=\"cl\">电话</td><td class=\"tel\">—</td>"), "no digits: plain text, no link")
        #expect(r.body.contains("<table class=\"list cards\">"), "cards on a phone: each value after a label cell, as the tests of modules still read <td>value</td>")
    }

    @Test func filtersFoldOnAPhoneUnlessInUse() {
        let plain = c.get("/contacts")
        #expect(plain.body.contains("<input type=\"checkbox\" id=\"filters-toggle\" class=\"filters-toggle\">"))
        #expect(plain.body.contains("<label for=\"filters-toggle\" class=\"filters-toggle-label\">筛选条件</label>"))
        let filtered = c.get("/contacts?q=%E4%B8%8A%E6%B5%B7")
        #expect(filtered.body.contains("<input type=\"checkbox\" id=\"filters-toggle\" class=\"filters-toggle\" checked>"))
        #expect(filtered.body.contains("上海亚凯") && !filtered.body.contains("杭州"))
    }

    @Test func telLinksKeepDigitsAPlusAndAnExtension() {
        #expect(Tel.href("138 0013 8000") == "tel:13800138000")
        #expect(Tel.href("+86 (571) 8888-6666") == "tel:+8657188886666")
        #expect(Tel.href("0571-88886666 转 8") == "tel:057188886666,8")
        #expect(Tel.href("—") == nil)
        #expect(Tel.href("") == nil)
        #expect(ListCell.phone("400-800-8888").href == "tel:4008008888")
    }

    @Test func theErrorSummaryLinksToEachFieldWithAnError() {
        c.get("/contacts/new")
        let r = c.submit("/contacts/new", [("name", ""), ("qty", "99"), ("lines.0.n", "3")])
        #expect(r.status == 422)
        #expect(r.body.contains("请更正以下 3 处错误后再提交。"))
        #expect(r.body.contains("<li><a href=\"#f-name\">名称："))
        #expect(r.body.contains("<a href=\"#f-qty\">数量："))
        #expect(r.body.contains("<a href=\"#f-lines-0-product\">产品（第 1 行）："), "a row's cell, by row")
        #expect(r.body.contains("id=\"f-qty\"") && r.body.contains("value=\"99\""), "the target exists; the value is kept")
        #expect(r.body.contains("<fieldset class=\"field rows\" id=\"f-lines\">"))
    }
}
