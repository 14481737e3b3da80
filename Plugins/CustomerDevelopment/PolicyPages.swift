import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// The class policy table (admin-editable, pre-filled from 003 §4.1.2 and 002 访问频次计划表)
/// and the customer-code format.
enum PolicyPages {
    static let classes = ["A", "B", "C", "D", "E"]

    static func policy(_ r: Row) -> ClassPolicy {
        ClassPolicy(ratingClass: r.string("rating_class") ?? "", title: r.string("title") ?? "",
                    warningLineFen: r.int("warning_line_fen"), monthlyVolume: r.int("monthly_volume") ?? 0,
                    visitsHandler: r.int("visits_handler") ?? 0, visitsDepartmentHead: r.int("visits_department_head") ?? 0,
                    visitsDepartmentManager: r.int("visits_department_manager") ?? 0,
                    visitsGeneralManager: r.int("visits_general_manager") ?? 0)
    }

    static let columns: [(key: String, title: String, kind: FieldKind)] = [
        ("warning", "销售警戒线（元，空 = 不供货）", .money),
        ("volume", "月供量（套）", .integer),
        ("v_handler", "经办人（次/月）", .integer),
        ("v_head", "部门主管（次/月）", .integer),
        ("v_manager", "部门经理（次/月）", .integer),
        ("v_gm", "总经理或副总经理（次/月）", .integer),
    ]

    /// One row per class (`A.warning`, `A.volume`, …) plus the code format.
    static let form = FormSchema(classes.flatMap { cls in
        columns.map { col in
            FormField("\(cls).\(col.key)", "\(cls) 类 \(col.title)", col.kind, required: col.key != "warning",
                      rules: [.range(0, col.kind == .integer ? 100_000 : nil)])
        }
    } + [FormField("code_format", "客户代码格式", required: true,
                   rules: [.custom { v in
                       if case .text(let s) = v, !CustomerCode.isValidFormat(s) { return "须包含 YYYY（年份）和 N…（序号），如 KH-YYYY-NNNN" }
                       return nil
                   }])])

    static let edit: Handler = { req, ctx in
        let rows = try ctx.db.query("SELECT * FROM crm_class_policy ORDER BY rating_class")
        var initial = FormData()
        for r in rows {
            let p = policy(r)
            let c = p.ratingClass
            initial.append("\(c).warning", p.warningLineFen.map { Money.format($0, grouping: false) } ?? "")
            initial.append("\(c).volume", String(p.monthlyVolume))
            initial.append("\(c).v_handler", String(p.visitsHandler))
            initial.append("\(c).v_head", String(p.visitsDepartmentHead))
            initial.append("\(c).v_manager", String(p.visitsDepartmentManager))
            initial.append("\(c).v_gm", String(p.visitsGeneralManager))
        }
        initial.append("code_format", try ctx.db.first("SELECT value FROM crm_settings WHERE key = 'code_format'")?.string("value") ?? "")
        let titles = Dictionary(rows.map { ($0.string("rating_class") ?? "", $0.string("title") ?? "") },
                                uniquingKeysWith: { first, _ in first })   // never a trap on a duplicate row
        return try ctx.handleForm(form, title: "客户分类政策", initial: initial, page: { form in
            PolicyPage(
                form: form,
                columns: columns.map { .init(title: $0.title) },
                rows: try classes.map { cls in
                    .init(cls: cls, title: titles[cls] ?? "", cells: try columns.map { try form.field("\(cls).\($0.key)") })
                },
                codeFormat: try form.field("code_format"))
        }) { v in
            try save(v, rows, ctx)
            return .redirect(to: "/crm/policy", flash: .ok("客户分类政策已保存。"))
        }
    }

    static func save(_ v: FormValues, _ rows: [Row], _ ctx: Context) throws {
        try ctx.db.transaction {
            for cls in classes {
                let old = rows.first { $0.string("rating_class") == cls }.map(policy)
                try ctx.db.execute("""
                    UPDATE crm_class_policy SET warning_line_fen = \(v.money("\(cls).warning")), monthly_volume = \(v.int("\(cls).volume") ?? 0),
                        visits_handler = \(v.int("\(cls).v_handler") ?? 0), visits_department_head = \(v.int("\(cls).v_head") ?? 0),
                        visits_department_manager = \(v.int("\(cls).v_manager") ?? 0), visits_general_manager = \(v.int("\(cls).v_gm") ?? 0),
                        updated_by = \(ctx.user?.id), updated_at = \(ctx.epoch)
                    WHERE rating_class = \(cls)
                    """)
                if let new = try ctx.db.first("SELECT * FROM crm_class_policy WHERE rating_class = \(cls)").map(policy), new != old {
                    try ctx.audit(AuditEntry(entity: "crm.class_policy", entityID: cls, action: "edit",
                                             from: old.map(describe), to: describe(new)))
                }
            }
            try ctx.db.execute("UPDATE crm_settings SET value = \(v.string("code_format")) WHERE key = 'code_format'")
        }
    }

    static func describe(_ p: ClassPolicy) -> String {
        "警戒线 \(p.warningLineFen.map(Money.yuan) ?? "不供货")，月供量 \(p.monthlyVolume)，拜访 \(p.visitsHandler)/\(p.visitsDepartmentHead)/\(p.visitsDepartmentManager)/\(p.visitsGeneralManager)"
    }
}

/// 客户分类政策: one row per class, one input per column, and the code format.
struct PolicyPage: PageModel {
    static let template = "policy"
    var form: FormView
    var columns: [Column]
    var rows: [ClassRow]
    var codeFormat: FieldView

    struct Column: TemplateModel {
        var title: String
    }

    struct ClassRow: TemplateModel {
        var cls: String
        var title: String
        var cells: [FieldView]
    }
}

extension FieldKind {
    static func == (a: FieldKind, b: FieldKind) -> Bool {
        switch (a, b) {
        case (.integer, .integer), (.money, .money), (.text, .text): true
        default: false
        }
    }
}
