import Foundation
import Testing
@testable import SalesKit

/// A page around a form, as a module would declare it.
struct NewPage: PageModel {
    static let template = "new"
    var form: FormView
    var extra: Int
}

/// A minimal host: records audit entries and renders, answers nothing else.
final class FakeHost: ContextHost {
    var audits: [AuditEntry] = []
    var renders: [(template: String, page: any PageModel, title: String, status: Int)] = []
    var failAudit = false

    func renderPage<P: PageModel>(_ page: P, title: String, status: Int, context: Context) -> Response {
        renders.append((P.template, page, title, status))
        return Response.html("rendered \(P.template)", status: status)
    }
    func service(_ id: ObjectIdentifier, for module: String) -> (any Sendable)? { nil }
    func recordAudit(_ entry: AuditEntry, context: Context) throws {
        if failAudit { throw StorageError(.busy, "audit table locked") }
        audits.append(entry)
    }
    func storeFile(_ file: UploadedFile, context: Context) throws -> StoredFile {
        StoredFile(id: "f1", originalName: file.filename, contentType: file.contentType, size: file.data.count)
    }
    func loadFile(_ id: String, context: Context) throws -> (StoredFile, [UInt8])? { nil }
    func formatTime(_ date: Date, pattern: String) -> String { "\(date.timeIntervalSince1970)" }
}

/// A database that runs nothing (the state machine never touches it itself).
final class NullDatabase: Database {
    let dialect = "none"
    func query(_ sql: SQL) throws -> [Row] { [] }
    func execute(_ sql: SQL) throws -> Int { 0 }
    func transaction<T>(_ body: () throws -> T) throws -> T { try body() }
    func executeScript(_ script: String) throws {}
    func setQueryOnly(_ on: Bool) throws {}
}

func makeContext(user: User?, host: FakeHost, request: Request = Request(method: "GET", path: "/crm/applications/1"),
                 now: Date = Date(timeIntervalSince1970: 1_773_532_800)) -> Context {
    Context(request: request, user: user, db: NullDatabase(), now: now,
            timeZone: TimeZone(identifier: "Asia/Shanghai")!, module: "crm",
            csrfToken: "tok", resumedForm: nil, host: host)
}

enum AppState: String, Sendable {
    case draft, investigating, approved, rejected
}

@Suite("StateMachine")
struct StateMachineTests {
    static let apply = Permission("crm", "apply", title: "提交申请")
    static let approve = Permission("crm", "approve", title: "审批申请")

    static let flow = StateMachine<AppState>(entity: "crm.application", transitions: [
        .init("submit", from: [.draft], to: .investigating, permission: apply, title: "提交"),
        .init("approve", from: [.investigating], to: .approved, permission: approve, title: "批准"),
        .init("reject", from: [.investigating], to: .rejected, permission: approve, requiresReason: true, title: "驳回"),
        .init("reopen", from: [.approved, .rejected], to: .draft, access: .authenticated),
    ])

    static func user(_ permissions: Permission...) -> User {
        User(id: 5, username: "rep", displayName: "销售甲", roles: ["sales_rep"], permissions: Set(permissions.map(\.id)))
    }

    @Test func allowedTransitionReturnsNewStateAndWritesAudit() throws {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.approve), host: host)
        let next = try Self.flow.apply("approve", from: .investigating, id: "12", reason: nil, ctx)
        #expect(next == .approved)
        try #require(host.audits.count == 1)
        let entry = host.audits[0]
        #expect(entry.entity == "crm.application")
        #expect(entry.entityID == "12")
        #expect(entry.action == "approve")
        #expect(entry.fromState == "investigating")
        #expect(entry.toState == "approved")
        #expect(entry.reason == nil)
    }

    @Test func reasonIsTrimmedAndRecorded() throws {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.approve), host: host)
        let next = try Self.flow.apply("reject", from: .investigating, id: "3", reason: "  资料不全\u{3000}\r\n", ctx)
        #expect(next == .rejected)
        #expect(host.audits.first?.reason == "资料不全")
        #expect(host.audits.first?.fromState == "investigating")
        #expect(host.audits.first?.toState == "rejected")
    }

    @Test func optionalReasonIsKeptAndBlankReasonBecomesNil() throws {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.approve), host: host)
        try Self.flow.apply("approve", from: .investigating, id: "1", reason: "符合条件", ctx)
        try Self.flow.apply("approve", from: .investigating, id: "2", reason: "   ", ctx)
        #expect(host.audits.map(\.reason) == ["符合条件", nil])
    }

    @Test func wrongStateIsRefusedWithoutAudit() {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.apply, Self.approve), host: host)
        let refusal = #expect(throws: StateMachine<AppState>.Refusal.self) {
            try Self.flow.apply("approve", from: .draft, id: "1", reason: nil, ctx)
        }
        #expect(refusal == .notAllowedFrom(action: "批准", state: "draft"))
        #expect(refusal?.description == "当前状态（draft）不能执行「批准」")
        #expect(host.audits.isEmpty)
    }

    @Test func unknownActionIsRefused() {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.apply, Self.approve), host: host)
        #expect(throws: StateMachine<AppState>.Refusal.unknownAction("delete")) {
            try Self.flow.apply("delete", from: .draft, id: "1", reason: nil, ctx)
        }
        #expect(host.audits.isEmpty)
    }

    @Test func missingPermissionIsForbidden() {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.apply), host: host)
        let refusal = #expect(throws: StateMachine<AppState>.Refusal.self) {
            try Self.flow.apply("approve", from: .investigating, id: "1", reason: nil, ctx)
        }
        #expect(refusal == .forbidden(action: "批准"))
        #expect(refusal?.description == "您没有执行「批准」的权限")
        #expect(host.audits.isEmpty)
    }

    @Test func noUserIsForbiddenEvenForAuthenticatedAccess() {
        let host = FakeHost()
        let ctx = makeContext(user: nil, host: host)
        #expect(throws: StateMachine<AppState>.Refusal.forbidden(action: "reopen")) {
            try Self.flow.apply("reopen", from: .approved, id: "1", reason: nil, ctx)
        }
        #expect(host.audits.isEmpty)
    }

    @Test func authenticatedAccessNeedsNoPermission() throws {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(), host: host)
        #expect(try Self.flow.apply("reopen", from: .rejected, id: "9", reason: nil, ctx) == .draft)
        #expect(host.audits.first?.fromState == "rejected")
    }

    @Test(arguments: [nil, "", "   ", "\u{3000}\t\r\n"] as [String?])
    func reasonRequiredIsRefusedWhenMissingOrBlank(_ reason: String?) {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.approve), host: host)
        let refusal = #expect(throws: StateMachine<AppState>.Refusal.self) {
            try Self.flow.apply("reject", from: .investigating, id: "1", reason: reason, ctx)
        }
        #expect(refusal == .reasonRequired(action: "驳回"))
        #expect(refusal?.description == "「驳回」必须填写原因")
        #expect(host.audits.isEmpty)
    }

    /// See `FormSchemaTests.loneLineBreaksAreTrimmed`: the trim set `" \t\r\n\u{3000}"` holds the
    /// single Character "\r\n", so a lone "\n" is not trimmed and a reason of "\n" counts as given.
    @Test func reasonOfOnlyALineFeedIsRefused() {
        let host = FakeHost()
        let ctx = makeContext(user: Self.user(Self.approve), host: host)
        do {
            #expect(throws: StateMachine<AppState>.Refusal.reasonRequired(action: "驳回")) {
                try Self.flow.apply("reject", from: .investigating, id: "1", reason: "\n", ctx)
            }
        }
    }

    @Test func permissionIsCheckedBeforeReason() {
        let ctx = makeContext(user: Self.user(), host: FakeHost())
        #expect(throws: StateMachine<AppState>.Refusal.forbidden(action: "驳回")) {
            try Self.flow.apply("reject", from: .investigating, id: "1", reason: nil, ctx)
        }
    }

    @Test func auditFailurePropagates() {
        let host = FakeHost()
        host.failAudit = true
        let ctx = makeContext(user: Self.user(Self.approve), host: host)
        let error = #expect(throws: StorageError.self) {
            try Self.flow.apply("approve", from: .investigating, id: "1", reason: nil, ctx)
        }
        #expect(error?.kind == .busy)
    }

    @Test func availableListsOnlyPermittedTransitionsFromTheState() {
        let approver = Self.user(Self.approve)
        #expect(Self.flow.available(from: .investigating, for: approver).map(\.action) == ["approve", "reject"])
        #expect(Self.flow.available(from: .investigating, for: Self.user(Self.apply)).isEmpty)
        #expect(Self.flow.available(from: .draft, for: Self.user(Self.apply)).map(\.action) == ["submit"])
        #expect(Self.flow.available(from: .approved, for: Self.user()).map(\.action) == ["reopen"])
        #expect(Self.flow.available(from: .investigating, for: nil).isEmpty)
    }

    @Test func transitionTitleDefaultsToAction() {
        #expect(Self.flow.transitions[3].title == "reopen")
        #expect(Self.flow.transitions[0].title == "提交")
        #expect(Self.flow.transitions[0].access == .permission(Self.apply))
    }
}

@Suite("Context helpers")
struct ContextTests {
    static let view = Permission("crm", "view", title: "查看")

    @Test func requireAndCanFollowPermissions() throws {
        let user = User(id: 1, username: "u", displayName: "U", roles: [], permissions: ["crm.view"])
        let ctx = makeContext(user: user, host: FakeHost())
        #expect(ctx.can(Self.view))
        try ctx.require(Self.view)
        #expect(throws: HTTPError.forbidden) { try ctx.require(Permission("crm", "delete", title: "删除")) }
        #expect(try ctx.requireUser() == user)

        let anonymous = makeContext(user: nil, host: FakeHost())
        #expect(!anonymous.can(Self.view))
        #expect(throws: HTTPError.forbidden) { try anonymous.require(Self.view) }
        #expect(throws: HTTPError.forbidden) { try anonymous.requireUser() }
    }

    @Test func todayIsInTheCompanyTimeZone() {
        // 2026-03-14T16:30:00Z is 2026-03-15 00:30 in Shanghai.
        let ctx = makeContext(user: nil, host: FakeHost(), now: Date(timeIntervalSince1970: 1_773_505_800))
        #expect(ctx.today == LocalDate(year: 2026, month: 3, day: 15))
    }

    @Test func missingServiceThrows() {
        let ctx = makeContext(user: nil, host: FakeHost())
        #expect(throws: ServiceUnavailable.self) { try ctx.service(String.self) }
        #expect(ctx.optionalService(String.self) == nil)
    }
}

@Suite("Context.handleForm")
struct HandleFormTests {
    static let schema = FormSchema([
        FormField("name", "名称", required: true),
        FormField("qty", "数量", .integer, rules: [.range(1, 10)]),
    ])

    private func post(_ pairs: [(name: String, value: String)]) -> Request {
        Request(method: "POST", path: "/crm/new", form: FormData(pairs))
    }

    @Test func getRendersABlankFormWithInitialValues() throws {
        let host = FakeHost()
        let ctx = makeContext(user: nil, host: host)
        let response = try ctx.handleForm(Self.schema, title: "新建", initial: FormData([("name", "预填")]),
                                          page: { NewPage(form: $0, extra: 1) }) { _ in
            Issue.record("onValid must not run on GET")
            return .redirect(to: "/")
        }
        #expect(response.status == 200)
        let render = try #require(host.renders.first)
        #expect(render.template == "new")
        #expect(render.title == "新建")
        let page = try #require(render.page as? NewPage)
        #expect(page.extra == 1)
        #expect(page.form.hasErrors == false)
        #expect(try page.form.field("name").value == "预填")
    }

    @Test func invalidPostRendersTheTypedValuesWith422() throws {
        let host = FakeHost()
        let ctx = makeContext(user: nil, host: host, request: post([("name", ""), ("qty", "99")]))
        let response = try ctx.handleForm(Self.schema, title: "新建", page: { NewPage(form: $0, extra: 0) }) { _ in
            Issue.record("onValid must not run for an invalid form")
            return .redirect(to: "/")
        }
        #expect(response.status == 422)
        let form = try #require(host.renders.first?.page as? NewPage).form
        let qty = try form.field("qty")
        #expect(qty.value == "99")
        #expect(qty.error == "应在 1 至 10 之间")
        #expect(form.errorCount == 2)
    }

    @Test func validPostCallsOnValidWithTypedValues() throws {
        let host = FakeHost()
        let ctx = makeContext(user: nil, host: host, request: post([("name", " 甲 "), ("qty", "3")]))
        var seen: FormValues?
        let response = try ctx.handleForm(Self.schema, title: "新建", page: { NewPage(form: $0, extra: 0) }) { values in
            seen = values
            return .redirect(to: "/crm/1")
        }
        #expect(response.status == 303)
        #expect(response.header("location") == "/crm/1")
        #expect(seen?.string("name") == "甲")
        #expect(seen?.int("qty") == 3)
        #expect(host.renders.isEmpty)
    }

    @Test func formRejectionComesBackWith422AndTheMessage() throws {
        let host = FakeHost()
        let ctx = makeContext(user: nil, host: host, request: post([("name", "甲"), ("qty", "3")]))
        let response = try ctx.handleForm(Self.schema, title: "新建", page: { NewPage(form: $0, extra: 0) }) { _ in
            throw FormRejection([FormError(field: "name", "名称已存在"), FormError("请稍后再试")])
        }
        #expect(response.status == 422)
        let form = try #require(host.renders.first?.page as? NewPage).form
        let name = try form.field("name")
        #expect(name.error == "名称已存在")
        #expect(name.value == "甲")
        #expect(form.formErrors == ["请稍后再试"])
    }

    @Test func otherErrorsFromOnValidPropagate() {
        let ctx = makeContext(user: nil, host: FakeHost(), request: post([("name", "甲")]))
        #expect(throws: HTTPError.conflict("已被修改")) {
            try ctx.handleForm(Self.schema, title: "新建", page: { NewPage(form: $0, extra: 0) }) { _ in throw HTTPError.conflict("已被修改") }
        }
    }
}
