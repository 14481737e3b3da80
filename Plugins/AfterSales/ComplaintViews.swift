import Foundation
import SalesKit

/// Complaint pages that only read: list + CSV, the record, its print form, attachments, the
/// department queue, the on-time report and the inbox.
enum ComplaintViews {
    typealias P = ComplaintPages

    static let listSpec = ListSpec(columns: [
        .init("id", "编号", sql: "c.id"),
        .init("kind", "类别", sql: "c.kind"),
        .init("customer", "客户", sql: "c.customer_name"),
        .init("summary", "投诉内容", sql: "c.summary", sortable: false),
        .init("state", "状态", sql: "c.state"),
        .init("registered", "登记时间", sql: "c.registered_at"),
        .init("due", "处理时限", sql: "c.due_at"),
        .init("left", "剩余时间", sql: "c.due_at", sortable: false),
    ], defaultSort: "registered", defaultDescending: true,
       filters: ["kind", "state", "department", "customer", "overdue", "from", "to"], pageSize: 50, tiebreaker: "c.id")

    /// Shared decoration of a complaint row: titles, time left, overdue flag.
    static func decorate(_ r: Row, _ ctx: Context) -> [String: Any] {
        var d: [String: Any] = r.dictionary
        let open = r.string("state") != "closed"
        let now = ServiceUtil.epoch(ctx)
        let due = r.int("due_at") ?? 0
        d["kindText"] = P.kindTitles[r.string("kind") ?? ""] ?? ""
        d["stateText"] = P.stateTitles[r.string("state") ?? ""] ?? ""
        d["registered"] = ServiceUtil.time(r.int("registered_at"), ctx)
        d["due"] = ServiceUtil.time(due, ctx)
        d["inCityText"] = r.bool("in_city") ? "市内" : "市外"
        if open {
            let left = ServiceDeadline.timeLeft(due: due, now: now)
            d["left"] = left.text
            d["overdue"] = left.overdue
        } else {
            let handled = r.int("handled_at") ?? now
            d["left"] = handled <= due ? "按时处理" : "逾期处理"
            d["overdue"] = false
            d["late"] = handled > due
        }
        return d
    }

    static let list: Handler = { req, ctx in
        let q = listSpec.parse(req.query)
        var w: SQL = "WHERE \(try P.visibility(ctx))"
        if let k = q.filters["kind"] { w = w + " AND c.kind = \(k)" }
        if let s = q.filters["state"] { w = w + " AND c.state = \(s)" }
        if let d = q.filters["department"] {
            w = w + " AND c.id IN (SELECT complaint_id FROM service_complaint_departments WHERE department = \(d))"
        }
        if let cu = q.filters["customer"], let cid = Int64(cu) { w = w + " AND c.customer_id = \(cid)" }
        if q.filters["overdue"] == "1" { w = w + " AND c.state <> 'closed' AND c.due_at < \(ServiceUtil.epoch(ctx))" }
        w = w + q.dateRange("c.registered_at", epochIn: ctx.timeZone)
        let rows = try ctx.db.query("""
            SELECT c.* FROM service_complaints c \(w) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        let items = rows.map { decorate($0, ctx) }
        func cells(_ d: [String: Any]) -> [String] {
            ["id", "kindText", "customer_name", "summary", "stateText", "registered", "due", "left"].map { "\(d[$0] ?? "")" }
        }
        if q.export { return .csv(filename: "客户投诉.csv", CSVTable(header: listSpec.columns.map(\.title), rows: items.map(cells))) }
        let customers = try ServiceUtil.customerChoices(ctx)
        return ctx.render("complaints", [
            "complaints": items.prefix(listSpec.pageSize).map { d -> [String: Any] in
                var m = d
                m["cells"] = cells(d)
                return m
            },
            "list": q.viewModel(rowsFetched: rows.count, basePath: "/service/complaints"),
            "kinds": P.kindTitles.sorted { $0.key < $1.key }.map { ["value": $0.key, "title": $0.value, "selected": q.filters["kind"] == $0.key] },
            "states": P.State.allCases.map { ["value": $0.rawValue, "title": P.stateTitles[$0.rawValue] ?? "", "selected": q.filters["state"] == $0.rawValue] },
            "departments": ServiceDepartment.allCases.map { ["value": $0.rawValue, "title": $0.title, "selected": q.filters["department"] == $0.rawValue] },
            "customers": customers.map { ["value": $0.value, "title": $0.label, "selected": q.filters["customer"] == $0.value] },
            "overdueChecked": q.filters["overdue"] == "1",
            "from": q.filters["from"] ?? "", "to": q.filters["to"] ?? "",
            "canRegister": ctx.can(P.register),
        ], title: "客户投诉")
    }

    static func page(_ req: Request, _ ctx: Context, template: String) throws -> Response {
        let c = try P.load(try req.id(), ctx)
        let id = try c.requireInt("id")
        let s = ComplaintActions.state(c)
        let quality = c.string("kind") == "quality"
        let myDepts = Set(ServiceDepartment.of(ctx.user))
        let depts = try ctx.db.query("""
            SELECT d.*, COALESCE(u.display_name, '') AS filler FROM service_complaint_departments d
            LEFT JOIN users u ON u.id = d.filled_by WHERE d.complaint_id = \(id) ORDER BY d.id
            """).map { r -> [String: Any] in
            var d: [String: Any] = r.dictionary
            let dept = ServiceDepartment(rawValue: r.string("department") ?? "")
            d["title"] = dept?.title ?? ""
            d["filled"] = r.string("finding") != nil
            d["filledAt"] = ServiceUtil.time(r.int("filled_at"), ctx)
            d["canFill"] = s == .routed && dept.map { myDepts.contains($0) } == true && ctx.can(P.department)
            return d
        }
        let files = try ctx.db.query("SELECT * FROM service_complaint_files WHERE complaint_id = \(id) ORDER BY id").map { r -> [String: Any] in
            var d: [String: Any] = r.dictionary
            d["isImage"] = (r.string("content_type") ?? "").hasPrefix("image/")
            d["url"] = "/service/complaints/\(id)/files/\(r.int("id") ?? 0)"
            return d
        }
        let penalties = try ctx.db.query("SELECT * FROM service_penalties WHERE complaint_id = \(id) ORDER BY id").map { r -> [String: Any] in
            var d: [String: Any] = r.dictionary
            d["fine"] = Money.yuan(r.int("fine_fen") ?? 0)
            d["at"] = ServiceUtil.time(r.int("created_at"), ctx)
            return d
        }
        let acts = P.flow.available(from: s, for: ctx.user).filter { ["verify", "reopen"].contains($0.action) }
            .filter { $0.action != "verify" || !quality }
            .map { t -> [String: Any] in ["action": t.action, "title": t.title, "needsReason": t.requiresReason] }
        let canHandle = ctx.can(P.handle)
        return ctx.render(template, [
            "c": decorate(c, ctx), "quality": quality, "departments": depts, "hasDepartments": !depts.isEmpty,
            "files": files, "hasFiles": !files.isEmpty, "penalties": penalties, "hasPenalties": !penalties.isEmpty,
            "actions": acts, "hasActions": !acts.isEmpty,
            "canRoute": canHandle && quality && (s == .open || s == .routed),
            "canRemedy": ctx.can(P.remedy) && s == .routed,
            "canClose": canHandle && (quality ? s == .decided : (s == .open || s == .verified)),
            "canPenalty": canHandle && !quality && c.bool("verified"),
            "remedyAt": ServiceUtil.time(c.int("remedy_at"), ctx),
            "closedAt": ServiceUtil.time(c.int("closed_at"), ctx),
            "history": try ServiceUtil.history(entity: "service.complaint", id: id, titles: P.stateTitles, ctx),
            "error": req.query["error"] ?? "", "hasError": req.query["error"] != nil,
            "printedAt": ctx.display(ctx.now),
            "formTitle": quality ? "客户投诉质量处理表" : "客户投诉服务处理表",
        ], title: "客户投诉 #\(id)")
    }

    static let detail: Handler = { req, ctx in try page(req, ctx, template: "complaint") }
    static let print: Handler = { req, ctx in try page(req, ctx, template: "complaint-print") }

    /// An attachment, only to users who may see the complaint it belongs to.
    static let file: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        guard let f = try ctx.db.first("""
            SELECT file_id FROM service_complaint_files WHERE id = \(try req.id("fid")) AND complaint_id = \(try c.requireInt("id"))
            """) else { throw HTTPError.notFound }
        return try ctx.fileResponse(f.string("file_id") ?? "")
    }

    /// A department's own queue: complaints routed to it, its part not yet filled in first.
    static let queue: Handler = { req, ctx in
        let depts = ServiceDepartment.of(ctx.user).map(\.rawValue)
        let rows = depts.isEmpty ? [] : try ctx.db.query("""
            SELECT c.*, d.department, d.finding, d.filled_at FROM service_complaint_departments d
            JOIN service_complaints c ON c.id = d.complaint_id
            WHERE d.department IN (\(list: depts)) AND c.state <> 'closed'
            ORDER BY d.filled_at IS NOT NULL, c.due_at, c.id LIMIT 500
            """)
        let items = rows.map { r -> [String: Any] in
            var d = decorate(r, ctx)
            d["deptTitle"] = ServiceDepartment.title(r.string("department") ?? "")
            d["pending"] = r.string("finding") == nil
            return d
        }
        return ctx.render("queue", ["items": items, "hasItems": !items.isEmpty,
                                    "deptTitles": depts.map(ServiceDepartment.title).joined(separator: "、")], title: "部门投诉待办")
    }

    /// On-time rate (003 §7.8) per month of registration and per department.
    static let report: Handler = { req, ctx in
        let now = ServiceUtil.epoch(ctx)
        let rows = try ctx.db.query("SELECT id, registered_at, due_at, handled_at FROM service_complaints ORDER BY registered_at")
        var months: [String: (total: Int, handled: Int, onTime: Int, overdueOpen: Int)] = [:]
        for r in rows {
            let reg = Date(timeIntervalSince1970: TimeInterval(r.int("registered_at") ?? 0))
            let key = ctx.display(reg, pattern: "yyyy-MM")
            var m = months[key] ?? (0, 0, 0, 0)
            m.total += 1
            if let h = r.int("handled_at") {
                m.handled += 1
                if h <= (r.int("due_at") ?? 0) { m.onTime += 1 }
            } else if (r.int("due_at") ?? 0) < now { m.overdueOpen += 1 }
            months[key] = m
        }
        func rate(_ onTime: Int, _ total: Int) -> String {
            total == 0 ? "—" : String(format: "%.1f%%", Double(onTime) * 100 / Double(total))
        }
        let monthRows = months.sorted { $0.key > $1.key }.map { k, m -> [String: Any] in
            // Counted against all complaints due: late, or still open past the deadline, is not on time.
            ["month": k, "total": m.total, "handled": m.handled, "onTime": m.onTime, "overdueOpen": m.overdueOpen,
             "rate": rate(m.onTime, m.handled + m.overdueOpen)]
        }
        let deptRows = try ctx.db.query("""
            SELECT d.department, COUNT(*) AS total,
                SUM(CASE WHEN d.filled_at IS NOT NULL THEN 1 ELSE 0 END) AS filled,
                SUM(CASE WHEN d.filled_at IS NOT NULL AND d.filled_at <= c.due_at THEN 1 ELSE 0 END) AS on_time,
                SUM(CASE WHEN d.filled_at IS NULL AND c.due_at < \(now) THEN 1 ELSE 0 END) AS overdue_open
            FROM service_complaint_departments d JOIN service_complaints c ON c.id = d.complaint_id
            GROUP BY d.department ORDER BY d.department
            """).map { r -> [String: Any] in
            let filled = Int(r.int("filled") ?? 0), onTime = Int(r.int("on_time") ?? 0), open = Int(r.int("overdue_open") ?? 0)
            return ["title": ServiceDepartment.title(r.string("department") ?? ""), "total": r.int("total") ?? 0, "filled": filled,
                    "onTime": onTime, "overdueOpen": open, "rate": rate(onTime, filled + open)]
        }
        if req.query["format"] == "csv" {
            var t = CSVTable(header: ["月份/部门", "投诉数", "已处理", "按时处理", "超时未处理", "及时率"])
            for m in monthRows { t.rows.append(["month", "total", "handled", "onTime", "overdueOpen", "rate"].map { "\(m[$0] ?? "")" }) }
            for d in deptRows { t.rows.append(["title", "total", "filled", "onTime", "overdueOpen", "rate"].map { "\(d[$0] ?? "")" }) }
            return .csv(filename: "投诉及时率.csv", t)
        }
        return ctx.render("report", ["months": monthRows, "departments": deptRows], title: "投诉处理及时率")
    }

    /// Open complaints for those who handle them (overdue ones urgent), each department's
    /// pending parts, remedies waiting for 技术部, and outcomes for the customer's area rep.
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var items: [InboxItem] = []
        let now = ServiceUtil.epoch(ctx)
        func item(_ r: Row, _ title: String) -> InboxItem {
            let due = r.int("due_at") ?? 0
            let left = ServiceDeadline.timeLeft(due: due, now: now)
            return InboxItem(title: (left.overdue ? "【超时】" : "") + title + "：\(r.string("customer_name") ?? "") #\(r.int("id") ?? 0)",
                             detail: left.text, url: "/service/complaints/\(r.int("id") ?? 0)",
                             due: Date(timeIntervalSince1970: TimeInterval(due)), urgent: left.overdue)
        }
        if user.can(P.handle) {
            for r in try ctx.db.query("SELECT * FROM service_complaints WHERE state IN ('open', 'decided', 'verified') ORDER BY due_at LIMIT 200") {
                items.append(item(r, r.string("state") == "decided" ? "投诉待结案" : "投诉待处理"))
            }
            for r in try ctx.db.query("SELECT * FROM service_complaints WHERE state = 'routed' AND due_at < \(now) ORDER BY due_at LIMIT 200") {
                items.append(item(r, "投诉部门处理中"))
            }
        }
        let depts = ServiceDepartment.of(user).map(\.rawValue)
        if user.can(P.department), !depts.isEmpty {
            for r in try ctx.db.query("""
                SELECT c.*, d.department FROM service_complaint_departments d JOIN service_complaints c ON c.id = d.complaint_id
                WHERE d.department IN (\(list: depts)) AND d.finding IS NULL AND c.state = 'routed' ORDER BY c.due_at LIMIT 200
                """) {
                items.append(item(r, "\(ServiceDepartment.title(r.string("department") ?? ""))待填写投诉处理意见"))
            }
        }
        if user.can(P.remedy) {
            for r in try ctx.db.query("SELECT * FROM service_complaints WHERE state = 'routed' ORDER BY due_at LIMIT 200") {
                items.append(item(r, "待决定投诉处理措施"))
            }
        }
        return items
    }
}
