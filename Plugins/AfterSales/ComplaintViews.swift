import Foundation
import SalesKit

/// Complaint pages that only read: list + CSV, the record, its print form, attachments, the
/// department queue, the on-time report and the inbox.
enum ComplaintViews {
    typealias P = ComplaintPages

    /// A complaint row as its pages show it: titles, times, the time left and the overdue flag.
    static func decorate(_ r: Row, _ ctx: Context) -> ComplaintView {
        let due = r.int("due_at") ?? 0
        let (left, overdue) = timeLeft(r, ctx)
        func text(_ column: String) -> String { r.string(column) ?? "" }
        return ComplaintView(
            id: r.int("id") ?? 0, number: DocNo.complaint(r.int("id") ?? 0), kindText: P.kindTitles[text("kind")] ?? "", customerName: text("customer_name"),
            inCityText: r.bool("in_city") ? "市内" : "市外", stateText: P.stateTitles[text("state")] ?? "",
            registered: ctx.displayEpoch(r.int("registered_at")), received: ctx.displayEpoch(r.int("received_at") ?? r.int("registered_at")),
            due: ctx.displayEpoch(due), left: left, overdue: overdue,
            summary: text("summary"), invoiceNo: text("invoice_no"), purchaseDate: text("purchase_date"), product: text("product"),
            spec: text("spec"), quantity: text("quantity"), grade: text("grade"), color: text("color"), concerned: text("concerned"),
            proposal: text("proposal"), remedy: text("remedy"), result: text("result"), feedback: text("feedback"))
    }

    /// `剩余 …` / `已超时 …` (overdue) while open (003 §7.8); `按时处理` / `逾期处理` once closed.
    static func timeLeft(_ r: Row, _ ctx: Context) -> (text: String, overdue: Bool) {
        let due = r.int("due_at") ?? 0
        guard r.string("state") == "closed" else { return ServiceDeadline.timeLeft(due: due, now: ctx.epoch) }
        return ((r.int("handled_at") ?? ctx.epoch) <= due ? "按时处理" : "逾期处理", false)
    }

    /// 客户投诉: the list of the complaints the user may see (004), with CSV of the same columns.
    static let listPage = ListPage(
        title: "客户投诉", path: "/service/complaints",
        select: "c.*", from: "service_complaints c",
        scope: { ctx in try P.visibility(ctx) },
        columns: [
            .init("id", "投诉编号", sql: "c.id") { r, _ in
                ListCell(DocNo.complaint(r.int("id") ?? 0), href: "/service/complaints/\(r.int("id") ?? 0)")
            },
            .init("kind", "类别", sql: "c.kind") { r, _ in ListCell(P.kindTitles[r.string("kind") ?? ""] ?? "") },
            .text("customer", "客户", sql: "c.customer_name"),
            .text("summary", "投诉内容", sql: "c.summary", sortable: false),
            .init("state", "状态", sql: "c.state") { r, _ in ListCell(P.stateTitles[r.string("state") ?? ""] ?? "") },
            .time("registered", "登记时间", sql: "c.registered_at"),
            .time("due", "处理时限", sql: "c.due_at"),
            .init("left", "剩余时间", sql: "c.due_at", sortable: false) { r, ctx in
                let left = timeLeft(r, ctx)
                return ListCell(left.text, cls: left.overdue ? "error" : nil)
            },
        ],
        filters: [
            .choice("kind", "类别", all: "全部类别", [Choice("quality", "质量投诉"), Choice("service", "服务投诉")]) { s, _ in "c.kind = \(s)" },
            .choice("state", "状态", all: "全部状态", P.State.allCases.map { Choice($0.rawValue, P.stateTitles[$0.rawValue] ?? "") }) { s, _ in
                "c.state = \(s)"
            },
            .init("department", "部门", .select(all: "全部部门", options: { ctx in try ServiceDepartments.choices(ctx) })) { s, _ in
                "c.id IN (SELECT complaint_id FROM service_complaint_departments WHERE department = \(s))"
            },
            .init("customer", "客户", .select(all: "全部客户", options: { ctx in try ServiceUtil.customerChoices(ctx) })) { s, _ in
                Int64(s).map { "c.customer_id = \($0)" }
            },
            .checkbox("overdue", "仅超时") { ctx in "c.state <> 'closed' AND c.due_at < \(ctx.epoch)" },
            .dateRange("登记", column: "c.registered_at", epoch: true),
        ],
        actions: [.init("登记投诉", href: "/service/complaints/new", shown: { ctx in ctx.can(P.register) })],
        defaultSort: "registered", defaultDescending: true, tiebreaker: "c.id", empty: "没有投诉。",
        rowClass: { r, ctx in timeLeft(r, ctx).overdue ? "overdue" : nil })

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// What the record and its print form both show.
    struct Record {
        var c: ComplaintView
        var quality: Bool
        var formTitle: String
        var departments: [ComplaintPage.Department]
        var penalties: [ComplaintPage.Penalty]
    }

    static func record(_ c: Row, _ ctx: Context) throws -> Record {
        let id = try c.requireInt("id")
        let s = ComplaintActions.state(c)
        let quality = c.string("kind") == "quality"
        // RULES §6: a part is filled in by the department's head and members.
        let myDepts = Set(try ctx.user.map { try ServiceDepartments.codes(of: $0.id, ctx) } ?? [])
        let depts = try ctx.db.query("""
            SELECT d.*, COALESCE(u.display_name, '') AS filler FROM service_complaint_departments d
            LEFT JOIN users u ON u.id = d.filled_by WHERE d.complaint_id = \(id) ORDER BY d.id
            """).map { r in
            let code = r.string("department") ?? ""
            return ComplaintPage.Department(
                department: code, title: ServiceDepartments.title(code, ctx), unmatched: !ServiceDepartments.known(code, ctx),
                finding: r.string("finding") ?? "",
                filled: r.string("finding") != nil, filler: r.string("filler") ?? "", filledAt: ctx.displayEpoch(r.int("filled_at")),
                canFill: s == .routed && myDepts.contains(code) && ctx.can(P.departmentPart))
        }
        // 001 篇二 §5.3a (service) and §5.3b (quality) penalties.
        let penalties = try ctx.db.query(quality
            ? "SELECT * FROM service_quality_penalties WHERE complaint_id = \(id) ORDER BY id"
            : "SELECT * FROM service_penalties WHERE complaint_id = \(id) ORDER BY id").map { r in
            ComplaintPage.Penalty(department: ServiceDepartments.title(r.string("department") ?? "", ctx), person: r.string("person") ?? "",
                                  notice: r.string("notice") ?? "", fine: Money.yuan(r.int("fine_fen") ?? 0),
                                  fineUpper: Money.uppercase(r.int("fine_fen") ?? 0), basis: r.string("basis") ?? "",
                                  dismissal: r.bool("dismissal"), at: ctx.displayEpoch(r.int("created_at")))
        }
        return Record(c: decorate(c, ctx), quality: quality, formTitle: quality ? "客户投诉质量处理表" : "客户投诉服务处理表",
                      departments: depts, penalties: penalties)
    }

    /// The approval panel's decisions (issue #16 point 8): the state-machine steps taken on the
    /// record itself — 核实属实 (a service complaint, its opinion the handling proposal) and
    /// 重新处理 — only those this user can take now. The steps with their own forms (分送, 处理措施,
    /// 结案, 处罚) stay links in the cards they fill.
    static func decisions(_ c: Row, _ ctx: Context) -> [ApprovalPanel.Decision] {
        let quality = c.string("kind") == "quality"
        return P.flow.available(from: ComplaintActions.state(c), for: ctx.user)
            .filter { ["verify", "reopen"].contains($0.action) && ($0.action != "verify" || !quality) }
            .map(ApprovalPanel.Decision.init)
    }

    static let detail: Handler = { req, ctx in try detailPage(req, ctx) }

    /// The complaint's page; after a refused panel submit, with the panel's error beside the
    /// opinion and what was typed kept (422).
    static func detailPage(_ req: Request, _ ctx: Context, refusal: (message: String, opinion: String)? = nil) throws -> Response {
        let c = try P.load(try req.id(), ctx)
        let id = try c.requireInt("id")
        let s = ComplaintActions.state(c)
        let rec = try record(c, ctx)
        let quality = rec.quality
        let files = try ctx.db.query("SELECT * FROM service_complaint_files WHERE complaint_id = \(id) ORDER BY id").map { r in
            ComplaintPage.File(isImage: (r.string("content_type") ?? "").hasPrefix("image/"),
                               url: "/service/complaints/\(id)/files/\(r.int("id") ?? 0)", originalName: r.string("original_name") ?? "")
        }
        var approval = ApprovalPanel(heading: "办理", url: "/service/complaints/\(id)/act", decisions: decisions(c, ctx))
        if let refusal { approval = approval?.with(error: refusal.message, opinion: refusal.opinion) }
        let canHandle = ctx.can(P.handle)
        if refusal == nil { try markOutcomeRead(id, ctx) }
        let notices = try ctx.db.query("""
            SELECT n.read_at, COALESCE(u.display_name, '') AS name FROM service_complaint_notices n
            LEFT JOIN users u ON u.id = n.user_id WHERE n.complaint_id = \(id) ORDER BY n.id
            """).map { r in
            ComplaintPage.Notice(name: r.string("name") ?? "", readAt: r.int("read_at").map { ctx.displayEpoch($0) })
        }
        return ctx.render(ComplaintPage(
            c: rec.c, formTitle: rec.formTitle, quality: quality,
            hasFiles: !files.isEmpty, files: files,
            hasDepartments: !rec.departments.isEmpty, departments: rec.departments,
            remedyAt: ctx.displayEpoch(c.int("remedy_at")), closedAt: ctx.displayEpoch(c.int("closed_at")),
            hasPenalties: !rec.penalties.isEmpty, penalties: rec.penalties, notices: notices,
            canRoute: canHandle && quality && (s == .open || s == .routed),
            canRemedy: ctx.can(P.remedy) && s == .routed,
            canClose: canHandle && (quality ? s == .decided : (s == .open || s == .verified)),
            canPenalty: canHandle && ComplaintActions.penaltyAllowed(c),
            approval: approval,
            history: try ctx.history(entity: "service.complaint", id: id)
        ), title: "客户投诉 \(DocNo.complaint(id))", status: refusal == nil ? 200 : 422)
    }

    /// The customer's rep has opened the closed complaint: its outcome notice leaves their inbox
    /// (audited). A read mark, so a database refusing the write does not fail the page.
    static func markOutcomeRead(_ id: Int64, _ ctx: Context) throws {
        guard let user = ctx.user,
              try ctx.db.first("SELECT id FROM service_complaint_notices WHERE complaint_id = \(id) AND user_id = \(user.id) AND read_at IS NULL") != nil
        else { return }
        do {
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE service_complaint_notices SET read_at = \(ctx.epoch)
                    WHERE complaint_id = \(id) AND user_id = \(user.id) AND read_at IS NULL
                    """)
                if changed > 0 {
                    try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "outcome_read",
                                             reason: "客户负责销售已阅处理结果"))
                }
            }
        } catch let e as StorageError where e.isUnavailable {
            // Read-only or busy: the notice stays unread and is marked on the next visit.
        }
    }

    static let print: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        let rec = try record(c, ctx)
        return ctx.render(ComplaintPrintPage(
            formTitle: rec.formTitle, printedAt: ctx.display(ctx.now), c: rec.c, quality: rec.quality,
            departments: rec.departments, hasPenalties: !rec.penalties.isEmpty, penalties: rec.penalties,
            signatures: try signatures(c, ctx)
        ), title: "客户投诉 \(rec.c.number)")
    }

    /// The print's signatures: 编制 whoever registered the complaint, 审核 技术部 who decided the
    /// remedy (a quality complaint), 批准 the sales manager who closed it — names and dates as
    /// recorded; a step not taken yet stays empty, to be signed by hand.
    static func signatures(_ c: Row, _ ctx: Context) throws -> SignatureBlock {
        func name(_ column: String) throws -> String? {
            guard let id = c.int(column) else { return nil }
            return try ctx.db.first("SELECT display_name FROM users WHERE id = \(id)")?.string("display_name")
        }
        return SignatureBlock(prepared: .init(try name("created_by"), at: c.int("registered_at"), ctx),
                              reviewed: .init(try name("remedy_by"), at: c.int("remedy_at"), ctx),
                              approved: .init(try name("closed_by"), at: c.int("closed_at"), ctx))
    }

    /// An attachment, only to users who may see the complaint it belongs to.
    static let file: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        guard let f = try ctx.db.first("""
            SELECT file_id FROM service_complaint_files WHERE id = \(try req.id("fid")) AND complaint_id = \(try c.requireInt("id"))
            """) else { throw HTTPError.notFound }
        return try ctx.fileResponse(f.string("file_id") ?? "")
    }

    /// 部门投诉待办: the complaints routed to the user's departments, still open, by deadline; the
    /// row links to the department's form while its part is not filled in.
    static let queuePage = ListPage(
        title: "部门投诉待办", path: "/service/queue",
        select: "d.id, d.complaint_id, d.department, d.finding, d.filled_at, c.customer_name, c.summary, c.due_at, c.state, c.handled_at",
        from: "service_complaint_departments d JOIN service_complaints c ON c.id = d.complaint_id",
        scope: { ctx in
            // RULES §6: the parts routed to the departments the user heads or belongs to.
            let depts = try ServiceDepartments.codes(of: try ctx.requireUser().id, ctx)
            return depts.isEmpty ? "1 = 0" : "d.department IN (\(list: depts)) AND c.state <> 'closed'"
        },
        columns: [
            .init("id", "投诉编号", sql: "d.complaint_id") { r, _ in
                ListCell(DocNo.complaint(r.int("complaint_id") ?? 0), href: "/service/complaints/\(r.int("complaint_id") ?? 0)")
            },
            .init("department", "部门", sql: "d.department") { r, ctx in ListCell(ServiceDepartments.title(r.string("department") ?? "", ctx)) },
            .text("customer", "客户", sql: "c.customer_name"),
            .text("summary", "投诉内容", sql: "c.summary", sortable: false),
            .time("due", "处理时限", sql: "c.due_at"),
            .init("left", "剩余时间", sql: "c.due_at", sortable: false) { r, ctx in
                let left = timeLeft(r, ctx)
                return ListCell(left.text, cls: left.overdue ? "error" : nil)
            },
            .init("finding", "本部门处理意见", sql: "d.filled_at") { r, _ in
                r.string("finding") == nil
                    ? ListCell("填写处理意见", href: "/service/complaints/\(r.int("complaint_id") ?? 0)/departments/\(r.string("department") ?? "")")
                    : ListCell("已填写")
            },
        ],
        filters: [
            .checkbox("pending", "仅待填写") { _ in "d.finding IS NULL" },
            .init("department", "部门", .select(all: "本人所属全部部门", options: { ctx in
                try ServiceDepartments.org(ctx).departments(ofUser: try ctx.requireUser().id, ctx).map { Choice($0.code, $0.name) }
            })) { s, _ in "d.department = \(s)" },
        ],
        defaultSort: "due", tiebreaker: "d.id", empty: "没有待处理的投诉。",
        intro: "001 篇二 §5.1：分送本部门的质量投诉，由本部门如实填写调查与处理意见；按处理时限排列（003 §7.8）。",
        rowClass: { r, ctx in timeLeft(r, ctx).overdue ? "overdue" : nil })

    static let queue: Handler = { req, ctx in try queuePage.respond(req, ctx) }

    /// Every complaint penalty, service (001 篇二 §5.3a) and quality (§5.3b), as one relation `p`
    /// with a unique key (`pkey`) for paging.
    static let allPenalties = """
        (SELECT id * 2 AS pkey, 'service' AS kind, complaint_id, '' AS department, person, notice, fine_fen, '' AS basis,
                0 AS dismissal, created_by, created_at FROM service_penalties
         UNION ALL
         SELECT id * 2 + 1, 'quality', complaint_id, department, person, notice, fine_fen, basis, dismissal, created_by, created_at
         FROM service_quality_penalties) p
        """

    /// 投诉处罚记录: the penalty list (001 篇二 §5.3), of the complaints the user may see, with CSV.
    static let penaltyPage = ListPage(
        title: "投诉处罚记录", path: "/service/penalties",
        select: "p.*, c.customer_name",
        from: allPenalties + " JOIN service_complaints c ON c.id = p.complaint_id",
        scope: { ctx in try P.visibility(ctx) },
        columns: [
            .init("complaint", "投诉编号", sql: "p.complaint_id") { r, _ in
                ListCell(DocNo.complaint(r.int("complaint_id") ?? 0), href: "/service/complaints/\(r.int("complaint_id") ?? 0)")
            },
            .init("kind", "类别", sql: "p.kind") { r, _ in ListCell(P.kindTitles[r.string("kind") ?? ""] ?? "") },
            .text("customer", "客户", sql: "c.customer_name"),
            .init("department", "责任部门", sql: "p.department") { r, ctx in ListCell(ServiceDepartments.title(r.string("department") ?? "", ctx)) },
            .text("person", "受处罚人员", sql: "p.person"),
            .text("notice", "批评通报", sql: "p.notice", sortable: false),
            .init("fine", "罚款", sql: "p.fine_fen") { r, _ in ListCell(Money.yuan(r.int("fine_fen") ?? 0), cls: "num") },
            .init("dismissal", "建议辞退", sql: "p.dismissal") { r, _ in r.bool("dismissal") ? ListCell("建议辞退", cls: "error") : ListCell("") },
            .text("basis", "《考核方案》依据", sql: "p.basis", sortable: false),
            .time("created", "记录时间", sql: "p.created_at"),
        ],
        filters: [
            .choice("kind", "类别", all: "全部类别", [Choice("quality", "质量投诉"), Choice("service", "服务投诉")]) { s, _ in "p.kind = \(s)" },
            .init("department", "责任部门", .select(all: "全部责任部门", options: { ctx in try ServiceDepartments.choices(ctx) })) { s, _ in
                "p.department = \(s)"
            },
            .dateRange("记录", column: "p.created_at", epoch: true),
        ],
        defaultSort: "created", defaultDescending: true, tiebreaker: "p.pkey", empty: "没有处罚记录。",
        intro: "001 篇二 §5.3：服务投诉经查实，对责任人通报批评并罚款 20–100 元／次；质量投诉对相关责任部门及责任人通报批评，按《考核方案》处罚，情节十分严重者建议辞退。")

    static let penalties: Handler = { req, ctx in try penaltyPage.respond(req, ctx) }

    /// On-time rate (003 §7.8) per month of registration and per department.
    static let report: Handler = { req, ctx in
        let now = ctx.epoch
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
        let monthRows = months.sorted { $0.key > $1.key }.map { k, m in
            // Counted against all complaints due: late, or still open past the deadline, is not on time.
            ReportPage.Month(month: k, total: m.total, handled: m.handled, onTime: m.onTime, overdueOpen: m.overdueOpen,
                             rate: rate(m.onTime, m.handled + m.overdueOpen))
        }
        let deptRows = try ctx.db.query("""
            SELECT d.department, COUNT(*) AS total,
                SUM(CASE WHEN d.filled_at IS NOT NULL THEN 1 ELSE 0 END) AS filled,
                SUM(CASE WHEN d.filled_at IS NOT NULL AND d.filled_at <= c.due_at THEN 1 ELSE 0 END) AS on_time,
                SUM(CASE WHEN d.filled_at IS NULL AND c.due_at < \(now) THEN 1 ELSE 0 END) AS overdue_open
            FROM service_complaint_departments d JOIN service_complaints c ON c.id = d.complaint_id
            GROUP BY d.department ORDER BY d.department
            """).map { r in
            let filled = Int(r.int("filled") ?? 0), onTime = Int(r.int("on_time") ?? 0), open = Int(r.int("overdue_open") ?? 0)
            return ReportPage.Department(title: ServiceDepartments.title(r.string("department") ?? "", ctx), total: r.int("total") ?? 0,
                                         filled: filled, onTime: onTime, overdueOpen: open, rate: rate(onTime, filled + open))
        }
        // 001 篇二 §5.3: the penalties per kind and responsible department.
        let penaltyRows = try ctx.db.query("""
            SELECT p.kind, p.department, COUNT(*) AS n, SUM(p.fine_fen) AS total, SUM(p.dismissal) AS dismissals
            FROM \(raw: allPenalties) GROUP BY p.kind, p.department ORDER BY p.kind, p.department
            """).map { r in
            let dept = r.string("department") ?? ""
            return ReportPage.Penalties(title: (P.kindTitles[r.string("kind") ?? ""] ?? "") + (dept.isEmpty ? "" : " · " + ServiceDepartments.title(dept, ctx)),
                                        count: r.int("n") ?? 0, total: Money.yuan(r.int("total") ?? 0), dismissals: r.int("dismissals") ?? 0)
        }
        if req.query["format"] == "csv" {
            var t = CSVTable(header: ["月份/部门", "投诉数", "已处理", "按时处理", "超时未处理", "及时率"])
            for m in monthRows { t.rows.append([m.month, String(m.total), String(m.handled), String(m.onTime), String(m.overdueOpen), m.rate]) }
            for d in deptRows { t.rows.append([d.title, String(d.total), String(d.filled), String(d.onTime), String(d.overdueOpen), d.rate]) }
            t.rows.append(["处罚（类别 · 责任部门）", "处罚次数", "罚款合计", "建议辞退", "", ""])
            for p in penaltyRows { t.rows.append([p.title, String(p.count), p.total, String(p.dismissals), "", ""]) }
            return .csv(filename: "投诉及时率.csv", t)
        }
        return ctx.render(ReportPage(months: monthRows, departments: deptRows, penalties: penaltyRows), title: "投诉处理及时率")
    }

    /// Open complaints for those who handle them (overdue ones urgent), each department's
    /// pending parts, remedies waiting for 技术部, and outcomes for the customer's area rep.
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var items: [InboxItem] = []
        let now = ctx.epoch
        func item(_ r: Row, _ title: String, url: String? = nil) -> InboxItem {
            let due = r.int("due_at") ?? 0
            let left = ServiceDeadline.timeLeft(due: due, now: now)
            return InboxItem(title: (left.overdue ? "【超时】" : "") + title + "：\(r.string("customer_name") ?? "") \(DocNo.complaint(r.int("id") ?? 0))",
                             detail: left.text, url: url ?? "/service/complaints/\(r.int("id") ?? 0)",
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
        // RULES §6: each part lands in the inbox of its department's head and members, linked to
        // the department's form (a member need not hold any 售后服务 permission).
        let depts = user.can(P.departmentPart) ? try ServiceDepartments.codes(of: user.id, ctx) : []
        if !depts.isEmpty {
            for r in try ctx.db.query("""
                SELECT c.*, d.department FROM service_complaint_departments d JOIN service_complaints c ON c.id = d.complaint_id
                WHERE d.department IN (\(list: depts)) AND d.finding IS NULL AND c.state = 'routed' ORDER BY c.due_at LIMIT 200
                """) {
                let dept = r.string("department") ?? ""
                items.append(item(r, "\(ServiceDepartments.title(dept, ctx))待填写投诉处理意见",
                                  url: "/service/complaints/\(r.int("id") ?? 0)/departments/\(URLEncoding.percentEncode(dept))"))
            }
        }
        // 001 篇一 §1.12: the customer's rep is told the outcome of a closed complaint until they open it.
        for r in try ctx.db.query("""
            SELECT c.id, c.customer_name, c.result FROM service_complaint_notices n JOIN service_complaints c ON c.id = n.complaint_id
            WHERE n.user_id = \(user.id) AND n.read_at IS NULL AND c.state = 'closed' ORDER BY n.created_at, n.id LIMIT 200
            """) {
            let result = r.string("result") ?? ""
            items.append(InboxItem(title: "投诉已结案，请知悉处理结果：\(r.string("customer_name") ?? "") \(DocNo.complaint(r.int("id") ?? 0))",
                                   detail: result.count > 60 ? String(result.prefix(60)) + "…" : result,
                                   url: "/service/complaints/\(r.int("id") ?? 0)"))
        }
        if user.can(P.remedy) {
            for r in try ctx.db.query("SELECT * FROM service_complaints WHERE state = 'routed' ORDER BY due_at LIMIT 200") {
                items.append(item(r, "待决定投诉处理措施"))
            }
        }
        return items
    }
}

// MARK: - Page models

/// A complaint as the record, its print form and `complaint-fields` show it (`c`).
struct ComplaintView: TemplateModel {
    var id: Int64
    /// The complaint's number as people cite it (`DocNo.complaint`).
    var number: String
    var kindText: String
    var customerName: String
    var inCityText: String
    var stateText: String
    var registered: String
    /// 受理时间 (003 §7.8: the deadline runs from it).
    var received: String
    var due: String
    /// `剩余 …` / `已超时 …` while open; `按时处理` / `逾期处理` once closed.
    var left: String
    var overdue: Bool
    var summary: String
    var invoiceNo: String
    var purchaseDate: String
    var product: String
    var spec: String
    var quantity: String
    var grade: String
    var color: String
    var concerned: String
    var proposal: String
    var remedy: String
    var result: String
    var feedback: String
}

/// 客户投诉 #n: the record, its attachments, the departments' findings, the steps and the history.
struct ComplaintPage: PageModel {
    static let template = "complaint"
    struct Department: TemplateModel {
        var department: String
        var title: String
        /// A stored department the directory lacks (free text kept by migration 10).
        var unmatched: Bool
        var finding: String
        var filled: Bool
        var filler: String
        var filledAt: String
        var canFill: Bool
    }

    struct File: TemplateModel {
        var isImage: Bool
        var url: String
        var originalName: String
    }

    struct Penalty: TemplateModel {
        /// The responsible department (quality complaints, 001 篇二 §5.3b); "" for a service complaint.
        var department: String
        var person: String
        var notice: String
        var fine: String
        /// 人民币大写 of the fine (on the print).
        var fineUpper: String
        /// The 考核方案 clause a quality-complaint penalty follows.
        var basis: String
        var dismissal: Bool
        var at: String
    }

    /// The outcome notice to the customer's rep, read or not.
    struct Notice: TemplateModel {
        var name: String
        var readAt: String?
    }

    var c: ComplaintView
    var formTitle: String
    var quality: Bool
    var hasFiles: Bool
    var files: [File]
    var hasDepartments: Bool
    var departments: [Department]
    var remedyAt: String
    var closedAt: String
    var hasPenalties: Bool
    var penalties: [Penalty]
    var notices: [Notice]
    var canRoute: Bool
    var canRemedy: Bool
    var canClose: Bool
    var canPenalty: Bool
    /// 核实 / 重新处理 (审批意见 + the decisions this user can take); nil when none.
    var approval: ApprovalPanel?
    var history: History
}

/// 客户投诉质量处理表 / 服务处理表 for paper.
struct ComplaintPrintPage: PageModel {
    static let template = "complaint-print"
    var formTitle: String
    var printedAt: String
    var c: ComplaintView
    var quality: Bool
    var departments: [ComplaintPage.Department]
    var hasPenalties: Bool
    var penalties: [ComplaintPage.Penalty]
    /// 编制 / 审核 / 批准 with the names and dates recorded.
    var signatures: SignatureBlock
}

/// 登记客户投诉.
struct ComplaintFormPage: PageModel {
    static let template = "complaint-form"
    var form: FormView
}

/// A step on a complaint (attach, route, a department's finding, remedy, close, penalty).
struct ComplaintStepPage: PageModel {
    static let template = "complaint-step"
    struct Subject: TemplateModel {
        var id: Int64
        var number: String
        var customerName: String
        var summary: String
    }

    var heading: String
    var c: Subject
    var multipart: Bool
    var form: FormView

    init(_ c: Row, heading: String, multipart: Bool = false, form: FormView) {
        self.heading = heading
        self.c = Subject(id: c.int("id") ?? 0, number: DocNo.complaint(c.int("id") ?? 0), customerName: c.string("customer_name") ?? "", summary: c.string("summary") ?? "")
        self.multipart = multipart
        self.form = form
    }
}

/// 投诉处理及时率.
struct ReportPage: PageModel {
    static let template = "report"
    struct Month: TemplateModel {
        var month: String
        var total: Int
        var handled: Int
        var onTime: Int
        var overdueOpen: Int
        var rate: String
    }

    struct Department: TemplateModel {
        var title: String
        var total: Int64
        var filled: Int
        var onTime: Int
        var overdueOpen: Int
        var rate: String
    }

    /// Penalties per complaint kind and responsible department (001 篇二 §5.3).
    struct Penalties: TemplateModel {
        var title: String
        var count: Int64
        var total: String
        var dismissals: Int64
    }

    var months: [Month]
    var departments: [Department]
    var penalties: [Penalties]
}

/// 投诉处理时限.
struct PolicyPage: PageModel {
    static let template = "policy"
    var form: FormView
}
