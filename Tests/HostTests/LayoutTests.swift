import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
import AdminModule

/// A module that uses every shared layout mechanism of issue 16: flash messages after a redirect,
/// breadcrumbs (from the menu and a named parent), the history service with its vocabulary, and
/// error pages inside the layout.
struct LedgerModule: DepartmentModule {
    let manifest = ModuleManifest(id: "ledger", title: "台账", version: "1", folder: "Ledger")
    static let use = Permission("ledger", "use", title: "使用台账", defaultRoles: [.salesRep, .admin])
    var permissions: [Permission] { [Self.use] }
    var menu: [MenuItem] {
        [MenuItem("台账列表", path: "items", access: .permission(Self.use)),
         MenuItem("登记台账", path: "items/new", access: .permission(Self.use))]
    }
    var migrations: [Migration] {
        [Migration(1, "items", "CREATE TABLE ledger_items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, state TEXT NOT NULL);")]
    }

    enum State: String { case draft, archived }
    static let flow = StateMachine<State>(entity: "ledger.item", transitions: [
        .init("archive", from: [.draft], to: .archived, permission: use, title: "归档"),
    ])

    var auditVocabulary: AuditVocabulary {
        AuditVocabulary(actions: ["create": "登记"])
            .entity("ledger.item", "台账", states: ["draft": "草稿"])
            .flow(Self.flow, states: ["archived": "已归档"])
            .values(of: "ledger.item", action: "reassign", are: .user)
    }

    static let form = FormSchema([FormField("title", "名称", required: true, rules: [.length(min: 2, max: 40)])])
    var forms: [String: FormSchema] { ["item": Self.form] }

    struct NewPage: PageModel {
        static let template = "new"
        var form: FormView
    }

    struct ItemPage: PageModel {
        static let template = "item"
        var title: String
        var history: History
    }

    var pages: [any PageModel.Type] { [NewPage.self, ItemPage.self] }

    /// A draft is due by the end of today (stored as tomorrow 00:00) and a second step at 17:30.
    func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try ctx.db.query("SELECT id, title FROM ledger_items WHERE state = 'draft' ORDER BY id").flatMap { r in
            [InboxItem(title: "今天内核对：\(r.string("title") ?? "")", detail: "请于 \(ctx.today) 前核对", url: "/ledger/items/\(r.int("id") ?? 0)",
                       due: ctx.today.adding(days: 1).start(in: ctx.timeZone)),
             InboxItem(title: "下班前归档：\(r.string("title") ?? "")", url: "/ledger/items/\(r.int("id") ?? 0)",
                       due: ctx.today.start(in: ctx.timeZone).addingTimeInterval(17.5 * 3600))]
        }
    }

    static let list = ListPage(
        title: "台账列表", path: "/ledger/items", select: "i.id, i.title", from: "ledger_items i", scope: { _ in "1 = 1" },
        columns: [.init("title", "名称", sql: "i.title") { r, _ in ListCell(r.string("title") ?? "", href: "/ledger/items/\(r.int("id") ?? 0)") }],
        defaultSort: "title", tiebreaker: "i.id", empty: "没有台账。")

    func routes(_ r: inout RouteBuilder) {
        r.get("items", .permission(Self.use)) { req, ctx in try Self.list.respond(req, ctx) }
        r.form("items/new", .permission(Self.use)) { _, ctx in
            try ctx.handleForm(Self.form, title: "登记台账", page: { NewPage(form: $0) }) { v in
                let id = try ctx.db.transaction {
                    let id = try ctx.db.insert("INSERT INTO ledger_items (title, state) VALUES (\(v.string("title")), 'draft') RETURNING id")
                    try ctx.audit(AuditEntry(entity: "ledger.item", entityID: String(id), action: "create", to: "draft",
                                             reason: "来自<测试>"))
                    return id
                }
                return .redirect(to: "/ledger/items/\(id)", flash: .ok("台账「\(v.string("title"))」已登记。"))
            }
        }
        r.get("items/:id", .permission(Self.use)) { req, ctx in
            let id = try req.id()
            guard let row = try ctx.db.first("SELECT title FROM ledger_items WHERE id = \(id)") else { throw HTTPError.notFound }
            return ctx.render(ItemPage(title: row.string("title") ?? "", history: try ctx.history(entity: "ledger.item", id: id)),
                              title: row.string("title") ?? "")
        }
        r.get("items/:id/print", .permission(Self.use)) { req, ctx in
            let id = try req.id()
            return ctx.render(ItemPage(title: "打印", history: try ctx.history(entity: "ledger.item", id: id)), title: "打印台账",
                              parent: Breadcrumb("台账 \(id)", "/ledger/items/\(id)"))
        }
        // A refusal that changed nothing goes back to the record with a red message.
        r.post("items/:id/archive", .permission(Self.use)) { req, ctx in
            let id = try req.id()
            ctx.flash(.error, "该台账还有未结事项，不能归档。")
            return .redirect(to: "/ledger/items/\(id)")
        }
        r.post("items/:id/reassign", .permission(Self.use)) { req, ctx in
            let id = try req.id()
            try ctx.audit(AuditEntry(entity: "ledger.item", entityID: String(id), action: "reassign",
                                     from: req.form["from"], to: req.form["to"]))
            try Self.flow.apply("archive", from: .draft, id: String(id), reason: "年底归档", ctx)
            return .redirect(to: "/ledger/items/\(id)", flash: .info("已转交。"))
        }
        r.form("items/:id/rename", .permission(Self.use)) { req, ctx in
            let id = try req.id()
            return try ctx.handleForm(Self.form, title: "改名", parent: Breadcrumb("台账 \(id)", "/ledger/items/\(id)"),
                                      page: { NewPage(form: $0) }) { v in
                try ctx.db.execute("UPDATE ledger_items SET title = \(v.string("title")) WHERE id = \(id)")
                return .redirect(to: "/ledger/items/\(id)", flash: .ok("已改名。"))
            }
        }
        r.get("items/:id/busy", .permission(Self.use)) { _, _ in throw HTTPError.conflict("台账正在被他人修改。") }
        r.get("items/:id/csv", .permission(Self.use)) { _, _ in .csv(filename: "x.csv", CSVTable(header: ["a"], rows: [["1"]])) }
    }
}

@Suite struct LayoutTests {
    let t: TestApp
    init() throws {
        let plugins = try writeTemplates([
            "Ledger/templates/new.mustache": """
            {{<layout}}{{$content}}<form method="post">{{>form/csrf}}{{#form}}{{>form/fields}}{{/form}}</form>{{/content}}{{/layout}}
            """,
            "Ledger/templates/item.mustache": """
            {{<layout}}{{$content}}<h1>{{title}}</h1>{{#history}}{{>history/card}}{{/history}}{{/content}}{{/layout}}
            """,
        ])
        // 系统管理's own templates beside the test module's.
        try FileManager.default.createSymbolicLink(atPath: plugins + "/Admin", withDestinationPath: TestApp.repositoryRoot + "/Plugins/Admin")
        t = try TestApp(modules: [AdminModule(), LedgerModule()], pluginsDir: plugins)
        try t.addUser("rep", roles: [.salesRep], displayName: "张伟")
        try t.addUser("rep2", roles: [.salesRep], displayName: "李娜")
    }

    func loggedIn(_ user: String = "rep") -> TestClient {
        let c = t.client()
        c.login(user)
        return c
    }

    func create(_ c: TestClient, _ title: String) -> TestClient.Response {
        c.get("/ledger/items/new")
        return c.submit("/ledger/items/new", ["title": title])
    }

    // MARK: Flash messages (#16 point 5)

    @Test func aFlashTravelsInTheSessionAndShowsOnceOnTheNextPage() throws {
        let c = loggedIn()
        let r = create(c, "<b>样品</b>")
        #expect(r.status == 303)
        let location = try #require(r.location)
        #expect(location == "/ledger/items/1", "nothing of the message in the URL")
        #expect(try t.db.scalar("SELECT COUNT(*) FROM sessions WHERE flash_kind = 'ok'") == 1)
        let page = c.get(location)
        #expect(page.body.contains("<div class=\"flash ok\" role=\"status\">台账「&lt;b&gt;样品&lt;/b&gt;」已登记。</div>"),
                "shown, HTML-escaped")
        #expect(!c.get(location).body.contains("已登记"), "once: a reload does not show it again")
        #expect(try t.db.scalar("SELECT COUNT(*) FROM sessions WHERE flash_kind IS NOT NULL") == 0, "cleared when shown")
    }

    @Test func aCraftedLinkCannotMakeABannerAppear() {
        let c = loggedIn()
        _ = create(c, "样品")
        c.get("/ledger/items/1")
        for crafted in ["/ledger/items/1?flash=伪造", "/ledger/items/1?error=伪造的错误", "/ledger/items/1?flash_text=伪造&flash_kind=error",
                        "/ledger/items/1?saved=1"] {
            let r = c.get(crafted)
            #expect(r.status == 200)
            #expect(!r.body.contains("伪造") && !r.body.contains("class=\"flash"), "\(crafted)")
        }
    }

    @Test func aRefusalIsRedAndReadOutAndOnlyTheSessionThatActedSeesIt() {
        let c = loggedIn(), other = loggedIn()
        _ = create(c, "样品")
        c.get("/ledger/items/1")
        let r = c.submit("/ledger/items/1/archive", [(String, String)]())
        #expect(r.status == 303 && r.location == "/ledger/items/1")
        #expect(!other.get("/ledger/items/1").body.contains("不能归档"), "another browser of the same user: nothing")
        // A download in between does not use it up: it waits for an HTML page.
        #expect(c.get("/ledger/items/1/csv").status == 200)
        let page = c.get("/ledger/items/1")
        #expect(page.body.contains("<div class=\"flash error\" role=\"alert\">该台账还有未结事项，不能归档。</div>"))
    }

    @Test func aFlashAlsoShowsOnAnErrorPageAndIsKeptByARepeatedSubmit() throws {
        let c = loggedIn()
        let form = c.get("/ledger/items/new")
        let idem = try #require(form.body.range(of: "name=\"_idem\" value=\"").map { r in
            String(form.body[r.upperBound...].prefix { $0 != "\"" })
        })
        let first = c.submit("/ledger/items/new", [("_idem", idem), ("title", "一次")])
        let again = c.submit("/ledger/items/new", [("_idem", idem), ("title", "一次")])
        #expect(first.status == 303 && again.location == first.location)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM ledger_items") == 1)
        let missing = c.get("/ledger/items/99")
        #expect(missing.status == 404)
        #expect(missing.body.contains("台账「一次」已登记。"), "the next HTML page, even an error page")
    }

    // MARK: Inbox deadlines (#16 point 10)

    @Test func aDeadlineAtMidnightIsShownAsTheDayItEndsNotTheNextMorning() throws {
        let c = loggedIn()
        #expect(create(c, "样品台账").status == 303)
        let home = c.get("/").body
        let today = try #require(home.range(of: "请于 ").map { String(home[$0.upperBound...].prefix(10)) })
        // 「请于 <today> 前核对」 with 「期限 <today>」 — not the next day's 00:00.
        #expect(home.contains("<span class=\"due\">期限 \(today)</span>"))
        #expect(!home.contains("00:00</span>"))
        #expect(home.contains("<span class=\"due\">期限 \(today) 17:30</span>"))
    }

    @Test func withoutASessionThereIsNoFlashAndTheLoginPageSaysNothingWasKept() {
        let anonymous = t.client()
        let login = anonymous.get("/login?next=/ledger/items")
        #expect(!login.body.contains("class=\"flash"))
        #expect(!login.body.contains("表单已保留"), "「表单已保留」 only when a form was kept")
        // A link naming no stored form (crafted, or already taken): the expiry is said, nothing was kept.
        for crafted in ["/login?next=/x&resume=abc&expired=1", "/login?next=/x&resume=%3Cb%3E&expired=1"] {
            let page = anonymous.get(crafted).body
            #expect(page.contains("登录已过期") && !page.contains("表单已保留") && page.contains("name=\"resume\" value=\"\""), "\(crafted)")
        }
    }

    // MARK: Navigation (#16 point 6)

    @Test func theMenuIsOnEveryPageWithTheCurrentItemMarked() {
        let c = loggedIn()
        let list = c.get("/ledger/items")
        #expect(list.body.contains("<nav class=\"sidebar\" aria-label=\"模块菜单\">"), "desktop: the sidebar")
        #expect(list.body.contains("<details class=\"menu-toggle\">"), "phones: the same menu behind a button")
        #expect(list.body.components(separatedBy: "<a href=\"/ledger/items\" class=\"active\" aria-current=\"page\">台账列表</a>").count == 3,
                "marked in both menus")
        let new = c.get("/ledger/items/new")
        #expect(new.body.contains("<a href=\"/ledger/items/new\" class=\"active\" aria-current=\"page\">登记台账</a>"))
        #expect(!new.body.contains("<a href=\"/ledger/items\" class=\"active\""), "only the closest item is marked")
        #expect(new.body.contains("<div class=\"menu-group current\">"))
        // The menu is rendered once per user and item and kept by the worker (pages/menu.mustache),
        // printed in both places with the lines indented as the layout's own markup.
        #expect(new.body.contains("<nav class=\"menu\" aria-label=\"主菜单\">\n    <a href=\"/\" class=\"home\">待办事项</a>\n    <div class=\"menu-group"))
        #expect(new.body.contains("<nav class=\"sidebar\" aria-label=\"模块菜单\">\n  <a href=\"/\" class=\"home\">待办事项</a>\n  <div class=\"menu-group"))
        #expect(new.body.contains("\n      <span class=\"menu-title\">台账</span>\n      <a href=") && new.body.contains("\n    <span class=\"menu-title\">台账</span>\n    <a href="))
        #expect(new.body.contains("</a>\n    </div>\n  </nav>") && new.body.contains("</a>\n  </div>\n</nav>"))
        // The kept HTML is per item: the list again has its own item marked, not the form's.
        let again = c.get("/ledger/items")
        #expect(again.body.components(separatedBy: "<a href=\"/ledger/items\" class=\"active\" aria-current=\"page\">台账列表</a>").count == 3)
        #expect(!again.body.contains("<a href=\"/ledger/items/new\" class=\"active\""))
    }

    @Test func breadcrumbsFollowTheMenuAndANamedParent() {
        let c = loggedIn()
        _ = create(c, "样品")
        let record = c.get("/ledger/items/1")
        #expect(record.body.contains("<ol><li><a href=\"/\">首页</a></li><li><a href=\"/ledger/items\">台账</a></li><li><a href=\"/ledger/items\">台账列表</a></li><li><span aria-current=\"page\">样品</span></li></ol>"))
        #expect(record.body.contains("<a class=\"back\" href=\"/ledger/items\">‹ 返回台账列表</a>"))
        let print = c.get("/ledger/items/1/print")
        #expect(print.body.contains("<li><a href=\"/ledger/items\">台账列表</a></li><li><a href=\"/ledger/items/1\">台账 1</a></li><li><span aria-current=\"page\">打印台账</span></li>"))
        #expect(print.body.contains("<a class=\"back\" href=\"/ledger/items/1\">‹ 返回台账 1</a>"))
        let rename = c.get("/ledger/items/1/rename")
        #expect(rename.body.contains("<li><a href=\"/ledger/items/1\">台账 1</a></li><li><span aria-current=\"page\">改名</span></li>"),
                "handleForm(parent:)")
        c.get("/ledger/items/1/rename")
        let invalid = c.submit("/ledger/items/1/rename", ["title": "x"])
        #expect(invalid.status == 422 && invalid.body.contains("<a class=\"back\" href=\"/ledger/items/1\">‹ 返回台账 1</a>"),
                "the 422 page keeps the trail")
        let new = c.get("/ledger/items/new")
        #expect(new.body.contains("<a class=\"back\" href=\"/ledger/items\">‹ 返回台账列表</a>"),
                "a form that is its own menu item belongs to the list it is under")
        let list = c.get("/ledger/items")
        #expect(list.body.contains("<li><a href=\"/ledger/items\">台账</a></li><li><span aria-current=\"page\">台账列表</span></li>"))
        #expect(!list.body.contains("class=\"back\""), "a menu page has nothing to go back to")
        #expect(!c.get("/").body.contains("class=\"crumbs"), "home has no trail")
    }

    @Test func errorPagesKeepTheMenuForALoggedInUser() {
        let c = loggedIn()
        for (path, status, text) in [("/ledger/nothing", 404, "页面不存在"), ("/admin/users", 403, "无权访问"),
                                     ("/ledger/items/1/busy", 409, "台账正在被他人修改。")] {
            let r = c.get(path)
            #expect(r.status == status, "\(path)")
            #expect(r.body.contains(text))
            #expect(r.body.contains("<nav class=\"sidebar\""), "\(path): the menu")
            #expect(r.body.contains("href=\"/ledger/items\""))
            #expect(r.body.contains("请求编号"), "\(path): the request id as before")
            #expect(r.body.contains("name=\"_csrf\" value=\"") && r.body.contains("action=\"/logout\""), "logging out works there too")
        }
        let anonymous = t.client().get("/nothing/here")
        #expect(anonymous.status == 404 || anonymous.status == 303)
    }

    @Test func anAnonymousErrorPageHasNoMenu() {
        let r = t.client().request("DELETE", "/login")
        #expect(r.status == 405)
        #expect(!r.body.contains("<nav class=\"sidebar\""))
        #expect(r.body.contains("请求方法不允许"))
    }

    // MARK: History (#16 point 2)

    @Test func historyReadsInChineseWithDisplayNamesAndTheCompanyZone() throws {
        let c = loggedIn()
        _ = create(c, "样品")
        let rep2 = try #require(try t.db.scalar("SELECT id FROM users WHERE username = 'rep2'"))
        let rep = try #require(try t.db.scalar("SELECT id FROM users WHERE username = 'rep'"))
        c.get("/ledger/items/1")
        c.submit("/ledger/items/1/reassign", [("from", String(rep)), ("to", String(rep2))])
        let ctx = t.context(module: "ledger")
        let h = try ctx.history(entity: "ledger.item", id: 1)
        #expect(h.entries.map(\.actor) == ["张伟", "张伟", "张伟"])
        #expect(h.entries.map(\.action) == ["登记", "reassign", "归档"], "a code without a title stays the code")
        #expect(h.entries[0].from == nil && h.entries[0].to == "草稿")
        #expect(h.entries[1].from == "张伟" && h.entries[1].to == "李娜", "user ids as display names")
        #expect(h.entries[2].from == "草稿" && h.entries[2].to == "已归档" && h.entries[2].reason == "年底归档")
        #expect(h.entries[0].at.count == 16, "yyyy-MM-dd HH:mm in the company zone")
        let newest = try ctx.history(entity: "ledger.item", id: 1, newestFirst: true, limit: 1)
        #expect(newest.entries.map(\.action) == ["归档"])
        #expect(try ctx.history(entity: "ledger.item", id: 2).empty)

        let page = c.get("/ledger/items/1")
        #expect(page.body.contains("<h2>办理记录</h2>"))
        #expect(page.body.contains("<td data-label=\"办理人\">张伟</td><td data-label=\"办理\">登记</td><td data-label=\"状态\">— → 草稿</td><td class=\"pre\" data-label=\"说明\">来自&lt;测试&gt;</td>"))
    }

    @Test func theAuditLogShowsNamesAndTitlesAndFiltersFromLists() throws {
        let c = loggedIn()
        _ = create(c, "样品")
        let admin = t.client()
        try t.addUser("boss", roles: [.admin], displayName: "王总")
        admin.login("boss")
        let log = admin.get("/admin/audit?module=ledger")
        #expect(log.status == 200)
        #expect(log.body.contains("<td class=\"cl\">操作人</td><td>张伟</td>"))
        #expect(log.body.contains("<td class=\"cl\">模块</td><td>台账</td>"), "the module's title")
        #expect(log.body.contains("<td class=\"cl\">对象</td><td>台账 #1</td>") && log.body.contains("<td class=\"cl\">操作</td><td>登记</td>")
                && log.body.contains("<td class=\"cl\">状态变化</td><td>— → 草稿</td>"))
        #expect(log.body.contains("<option value=\"ledger\" selected>台账</option>"), "modules picked from a list")
        #expect(log.body.contains("<option value=\"rep\">张伟（rep）</option>"), "people picked from a list")
        #expect(log.body.contains("<option value=\"archive\">归档</option>"), "actions picked from a list, by title")
        let byAction = admin.get("/admin/audit?action=create&module=ledger")
        #expect(byAction.body.contains("<td class=\"cl\">操作</td><td>登记</td>"))
        #expect(admin.get("/admin/audit?username=rep2").body.contains("没有记录。"))
        let csv = admin.get("/admin/audit?module=ledger&format=csv").body
        #expect(csv.hasPrefix("\u{FEFF}时间,操作人,模块,对象,操作,状态变化,原因,用户名,模块代码,对象类型,对象编号,操作代码,原状态代码,新状态代码,来源地址\r\n"))
        #expect(csv.contains(",张伟,台账,台账 #1,登记,— → 草稿,来自<测试>,rep,ledger,ledger.item,1,create,,draft,127.0.0.1"),
                "the titles people read, then the stored codes")
        #expect(!log.body.contains("操作代码"), "the codes are in the CSV only")
    }

    @Test func theHostsOwnActionsHaveChineseTitles() {
        let titles = t.context().auditTitles
        #expect(titles.actionTitle(module: "admin", entity: "user", action: "create") == "新建用户")
        #expect(titles.actionTitle(module: "admin", entity: "user", action: "roles") == "修改角色")
        #expect(titles.actionTitle(module: "admin", entity: "user", action: "disable") == "停用用户")
        #expect(titles.actionTitle(module: "admin", entity: "user", action: "departments") == "调整部门")
        #expect(titles.actionTitle(module: "admin", entity: "user", action: "supervisor") == "更改直属上级")
        #expect(titles.actionTitle(module: "core", entity: "user", action: "password") == "修改密码")
        #expect(titles.actionTitle(module: "admin", entity: "department", action: "update") == "修改部门")
        #expect(titles.actionTitle(module: "admin", entity: "module", action: "enable") == "启用模块")
        #expect(titles.actionTitle(module: "admin", entity: "role", action: "grant") == "授予权限")
        #expect(titles.actionTitle(module: "core", entity: "session", action: "login") == "登录")
        #expect(titles.stateTitle(module: "admin", entity: "user", state: "sales_rep,admin") == "销售专员、管理员")
        #expect(titles.stateTitle(module: "admin", entity: "role", state: "ledger.use") == "使用台账")
        #expect(titles.entityTitle(module: "ledger", entity: "ledger.item") == "台账")
        #expect(titles.moduleTitle("ledger") == "台账")
    }
}
