import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// A test module exercising uploads, repeated rows, the state-machine helper, services and the
/// inbox through the host.
struct DocsModule: DepartmentModule {
    let manifest = ModuleManifest(id: "docs", title: "测试文档", version: "0.1", folder: "Docs")
    static let use = Permission("docs", "use", title: "使用", defaultRoles: [.salesRep, .salesSupervisor])
    static let approve = Permission("docs", "approve", title: "审批", defaultRoles: [.salesSupervisor])
    var permissions: [Permission] { [Self.use, Self.approve] }
    var menu: [MenuItem] { [MenuItem("文档", path: "new", access: .permission(Self.use))] }
    var migrations: [Migration] {
        [Migration(1, "docs", """
            CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT NOT NULL, file_id TEXT, owner_id INTEGER NOT NULL,
                               state TEXT NOT NULL DEFAULT 'draft', total INTEGER NOT NULL DEFAULT 0);
            """)]
    }

    enum State: String, Sendable { case draft, submitted, approved, rejected }
    static let flow = StateMachine<State>(entity: "docs.doc", transitions: [
        .init("submit", from: [.draft], to: .submitted, permission: use, title: "提交"),
        .init("approve", from: [.submitted], to: .approved, permission: approve, title: "批准"),
        .init("reject", from: [.submitted], to: .rejected, permission: approve, requiresReason: true, title: "驳回"),
    ])

    static let form = FormSchema([
        FormField("title", "标题", required: true),
        FormField("attachment", "附件", .file(accept: ["image/", ".pdf"], maxBytes: 1000)),
        FormField("lines", "明细", .rows(FormSchema([
            FormField("name", "品名", required: true),
            FormField("qty", "数量", .integer, required: true, rules: [.range(1, nil)]),
            FormField("price", "单价", .money, required: true, rules: [.range(0, nil)]),
        ]), minRows: 1, blankRows: 2)),
    ])

    struct NewPage: PageModel {
        static let template = "new"
        var form: FormView
    }

    var pages: [any PageModel.Type] { [NewPage.self] }

    func routes(_ r: inout RouteBuilder) {
        r.form("new", .permission(Self.use)) { req, ctx in
            try ctx.handleForm(Self.form, title: "新文档", page: { NewPage(form: $0) }) { v in
                let user = try ctx.requireUser()
                let total = v.rows("lines").reduce(Int64(0)) { $0 + ($1.int("qty") ?? 0) * ($1.money("price") ?? 0) }
                let stored = try v.file("attachment").map { try ctx.store($0) }
                let id = try ctx.db.insert("INSERT INTO docs (title, file_id, owner_id, total) VALUES (\(v.string("title")), \(stored?.id), \(user.id), \(total)) RETURNING id")
                return .redirect(to: "/docs/\(id)")
            }
        }
        r.get(":id", .permission(Self.use)) { req, ctx in
            let doc = try Self.visible(req, ctx)
            return .text("\(doc.string("title") ?? "") \(doc.string("state") ?? "") \(Money.yuan(doc.int("total") ?? 0))")
        }
        r.get(":id/file", .permission(Self.use)) { req, ctx in
            let doc = try Self.visible(req, ctx)
            guard let fid = doc.string("file_id") else { throw HTTPError.notFound }
            return try ctx.fileResponse(fid)
        }
        r.post(":id/:action", .permission(Self.use)) { req, ctx in
            let doc = try Self.visible(req, ctx)
            let id = try req.id()
            try ctx.db.transaction {
                let next = try Self.flow.apply(req.parameters["action"] ?? "", from: State(rawValue: doc.string("state") ?? "")!,
                                               id: String(id), reason: req.form["reason"], ctx)
                try ctx.db.execute("UPDATE docs SET state = \(next.rawValue) WHERE id = \(id)")
            }
            return .redirect(to: "/docs/\(id)")
        }
    }

    /// Record-level rule: a rep sees own documents; approvers see all.
    static func visible(_ req: Request, _ ctx: Context) throws -> Row {
        let user = try ctx.requireUser()
        guard let doc = try ctx.db.first("SELECT * FROM docs WHERE id = \(try req.id())"),
              doc.int("owner_id") == user.id || user.can(approve) else { throw HTTPError.notFound }
        return doc
    }

    func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        guard user.can(Self.approve) else { return [] }
        return try ctx.db.query("SELECT id, title FROM docs WHERE state = 'submitted'").map {
            InboxItem(title: "待审批：\($0.string("title") ?? "")", url: "/docs/\($0.int("id") ?? 0)")
        }
    }

    func services(_ s: inout ServiceRegistry) { s.provide(DocCounter.self, DocCounterImpl()) }
}

protocol DocCounter: Sendable { func count(_ ctx: Context) throws -> Int64 }
struct DocCounterImpl: DocCounter {
    func count(_ ctx: Context) throws -> Int64 { try ctx.db.scalar("SELECT COUNT(*) FROM docs") ?? 0 }
}

/// Depends on docs and reads it only through its service.
struct ReportModule: DepartmentModule {
    let manifest = ModuleManifest(id: "report", title: "报表", version: "0.1", dependencies: ["docs"])
    static let view = Permission("report", "view", title: "查看", defaultRoles: [.salesRep])
    var permissions: [Permission] { [Self.view] }
    func routes(_ r: inout RouteBuilder) {
        r.get("count", .permission(Self.view)) { _, ctx in .text("count=\(try ctx.service(DocCounter.self).count(ctx))") }
    }
}

/// Not a dependant of docs: must not get its service.
struct NosyModule: DepartmentModule {
    let manifest = ModuleManifest(id: "nosy", title: "无关", version: "0.1")
    static let view = Permission("nosy", "view", title: "查看", defaultRoles: [.salesRep])
    var permissions: [Permission] { [Self.view] }
    func routes(_ r: inout RouteBuilder) {
        r.get("count", .permission(Self.view)) { _, ctx in
            .text(ctx.optionalService(DocCounter.self) == nil ? "no service" : "leak")
        }
    }
}

func writeTemplates(_ files: [String: String]) throws -> String {
    let dir = NSTemporaryDirectory() + "plugins-" + UUID().uuidString
    for (path, text) in files {
        let full = dir + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }
    return dir
}


@Suite struct ModuleFeatureTests {
    let t: TestApp
    init() throws {
        let plugins = try writeTemplates([
            "Docs/templates/new.mustache": """
            {{<layout}}{{$content}}<form method="post" enctype="multipart/form-data">{{>form/csrf}}{{#form}}{{>form/fields}}{{/form}}</form>{{/content}}{{/layout}}
            """,
        ])
        t = try TestApp(modules: [DocsModule(), ReportModule(), NosyModule()], pluginsDir: plugins)
        try t.addUser("rep1", roles: [.salesRep])
        try t.addUser("rep2", roles: [.salesRep])
        try t.addUser("boss", roles: [.salesSupervisor])
    }

    func upload(_ c: TestClient, title: String, file: (String, String, [UInt8])?, lines: [(String, String, String)]) -> TestClient.Response {
        var parts: [(name: String, filename: String?, type: String?, data: [UInt8])] = [("_csrf", nil, nil, Array((c.csrf ?? "").utf8)),
                                                                                       ("title", nil, nil, Array(title.utf8))]
        if let file { parts.append(("attachment", file.0, file.1, file.2)) }
        for (i, l) in lines.enumerated() {
            parts += [("lines.\(i).name", nil, nil, Array(l.0.utf8)), ("lines.\(i).qty", nil, nil, Array(l.1.utf8)),
                      ("lines.\(i).price", nil, nil, Array(l.2.utf8))]
        }
        return c.request("POST", "/docs/new", contentType: "multipart/form-data; boundary=XyZ123", body: multipartBody(parts, boundary: "XyZ123"))
    }

    @Test func multipartFormWithRowsAndUploadIsStoredAndServedOnlyToWhoMaySee() throws {
        let c = t.client()
        c.login("rep1")
        #expect(c.get("/docs/new").status == 200)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        let r = upload(c, title: "照片", file: ("../../etc/passwd.png", "image/png", png), lines: [("螺栓", "3", "1.50"), ("", "", "")])
        #expect(r.status == 303)
        let loc = try #require(r.location)
        #expect(c.get(loc).body == "照片 draft ¥4.50") // 3 × 150 分, money stays integer
        let file = c.get(loc + "/file")
        #expect(file.status == 200)
        #expect(file.header("Content-Type") == "image/png")
        // The stored name is server-chosen: no path from the client.
        let stored = try #require(try t.db.first("SELECT id, original_name FROM files"))
        #expect(stored.string("original_name") == "passwd.png")
        #expect(FileManager.default.fileExists(atPath: t.directory + "/files/" + stored.string("id")!))
        // Another rep may not see the record, nor its file.
        let other = t.client()
        other.login("rep2")
        #expect(other.get(loc).status == 404)
        #expect(other.get(loc + "/file").status == 404)
        // The supervisor may.
        let boss = t.client()
        boss.login("boss")
        #expect(boss.get(loc + "/file").status == 200)
    }

    @Test func badLinesAndWrongFileTypeGive422WithEverythingKept() throws {
        let c = t.client()
        c.login("rep1")
        c.get("/docs/new")
        let r = upload(c, title: "合同<b>", file: ("x.exe", "application/x-msdownload", [1, 2]),
                       lines: [("螺母", "-2", "abc"), ("垫片", "5", "0.10")])
        #expect(r.status == 422)
        #expect(r.body.contains("不支持的文件类型"))
        #expect(r.body.contains("不能小于 1"))          // lines.0.qty, beside that cell
        #expect(r.body.contains("请输入金额"))          // lines.0.price
        #expect(r.body.contains("value=\"合同&lt;b&gt;\""))
        #expect(r.body.contains("name=\"lines.0.qty\" value=\"-2\""))
        #expect(r.body.contains("name=\"lines.1.name\" value=\"垫片\""))
        #expect(try t.db.scalar("SELECT COUNT(*) FROM docs") == 0)
    }

    @Test func stateMachineTransitionsAreCheckedAndAudited() throws {
        let c = t.client()
        c.login("rep1")
        c.get("/docs/new")
        let loc = try #require(upload(c, title: "申请", file: nil, lines: [("a", "1", "1")]).location)
        #expect(c.submit(loc + "/approve", [(String, String)]()).status == 409) // not from draft
        #expect(c.submit(loc + "/submit", [(String, String)]()).status == 303)
        #expect(c.submit(loc + "/approve", [(String, String)]()).status == 403) // a rep may not approve

        let boss = t.client()
        boss.login("boss")
        let home = boss.get("/")
        #expect(home.body.contains("待审批：申请"))              // the supervisor's inbox
        boss.get(loc)
        boss.get("/") // refresh csrf
        let noReason = boss.submit(loc + "/reject", [("reason", "  ")])
        #expect(noReason.status == 409)
        #expect(noReason.body.contains("必须填写原因"))
        #expect(boss.submit(loc + "/reject", [("reason", "资料不全")]).status == 303)
        let rows = try t.db.query("SELECT username, action, from_state, to_state, reason FROM audit_log WHERE entity = 'docs.doc' ORDER BY id")
        #expect(rows.map { $0.string("action") ?? "" } == ["submit", "reject"])
        #expect(rows.last?.string("from_state") == "submitted")
        #expect(rows.last?.string("to_state") == "rejected")
        #expect(rows.last?.string("reason") == "资料不全")
        #expect(rows.last?.string("username") == "boss")
    }

    @Test func servicesReachOnlyDeclaredDependants() {
        let c = t.client()
        c.login("rep1")
        #expect(c.get("/report/count").body == "count=0")
        #expect(c.get("/nosy/count").body == "no service")
    }

    @Test func timesAreStoredUTCAndShownInTheCompanyZone() throws {
        // 2026-01-01 16:30 UTC is 2026-01-02 00:30 in Asia/Shanghai.
        let ctx = Context(request: Request(method: "GET", path: "/"), user: nil, db: t.db, now: Date(timeIntervalSince1970: 1767285000),
                          timeZone: TimeZone(identifier: "Asia/Shanghai")!, module: "docs", csrfToken: "", resumedForm: nil, host: t.worker)
        #expect(ctx.display(ctx.now) == "2026-01-02 00:30")
        #expect(ctx.today == LocalDate(year: 2026, month: 1, day: 2))
    }
}

@Suite struct SSOTests {
    @Test func remoteUserIsTrustedOnlyWhenEnabled() throws {
        let off = try TestApp(modules: [])
        try off.addUser("sso", roles: [.salesRep])
        let c1 = off.client()
        let r1 = c1.request("GET", "/", headers: [:])
        #expect(r1.status == 303)
        let r1b = off.worker.handle(RawRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "REMOTE_USER": "sso"]))
        #expect(r1b.status == 303) // ignored by default

        let on = try TestApp(modules: []) { $0.trustRemoteUser = true }
        try on.addUser("sso", roles: [.salesRep])
        let r2 = on.worker.handle(RawRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "REMOTE_USER": "sso"]))
        #expect(r2.status == 200)
        #expect(r2.headers.contains { $0.0 == "Set-Cookie" && $0.1.hasPrefix("sid=") })
        let unknown = on.worker.handle(RawRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "REMOTE_USER": "nobody"]))
        #expect(unknown.status == 303)
    }
}
