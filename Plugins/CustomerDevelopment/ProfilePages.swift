import Foundation
import SalesKit

/// The long customer file 客户资料表 (002 第九章 第三节) and 重点客户管理表 (RULES §1.5).
/// Owned by its own migration (version 3) and routes under /crm/…
///
/// One current file per customer (`crm_profiles`); every saved version, the current one
/// included, is kept with who and when in `crm_profile_history`. Pages:
/// - `/crm/customers/:id/profile` — the file by section, with its versions
/// - `/crm/customers/:id/profile/edit` — fill in or revise it (a new version)
/// - `/crm/customers/:id/profile/print` — laid out like the paper form, ending with 确认者
/// - `/crm/customers/:id/profile/versions/:version` — an earlier version
/// The key-customer pages are in `ProfileKeyCustomers.swift`.
enum ProfilePages: ModuleFeature {

    static var pages: [any PageModel.Type] {
        [ProfilePage.self, ProfilePrintPage.self, ProfileFormPage.self,
         KeyCustomerPickPage.self, KeyCustomerFormPage.self, KeyCustomerRemovePage.self]
    }

    static var forms: [String: FormSchema] {
        ["profile": ProfileForm.schema, "key_customer": KeyCustomerPages.form, "key_customer_remove": KeyCustomerPages.removeForm]
    }

    static let menu: [MenuItem] = [
        MenuItem("重点客户", path: "key-customers", access: .permission(CustomerDevelopmentModule.keyCustomers)),
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.get("customers/:id/profile", .permission(CustomerDevelopmentModule.use), view)
        r.form("customers/:id/profile/edit", .permission(CustomerDevelopmentModule.use), edit)
        r.get("customers/:id/profile/print", .permission(CustomerDevelopmentModule.use), print)
        r.get("customers/:id/profile/versions/:version", .permission(CustomerDevelopmentModule.use), version)
        KeyCustomerPages.routes(&r)
    }

    /// The customer's current file, if any.
    static func current(_ customerID: Int64, _ ctx: Context) throws -> Row? {
        try ctx.db.first("""
            SELECT p.*, COALESCE(u.display_name, '') AS by_name FROM crm_profiles p
            LEFT JOIN users u ON u.id = p.updated_by WHERE p.customer_id = \(customerID)
            """)
    }

    static let edit: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let cid = try c.requireInt("id")
        let profile = try current(cid, ctx)
        let base = profile?.int("version") ?? 0
        let initial = try profile.map { try URLEncoding.parse($0.string("data") ?? "") }
            ?? FormData([("filled_on", ctx.today.description), ("surveyor", try ctx.requireUser().displayName)])
        return try ctx.handleForm(ProfileForm.schema, title: "客户资料表", initial: initial, page: { form in
            ProfileFormPage(c: CustomerView(c), version: base, isNew: profile == nil, form: form,
                            field: try form.fields(as: ProfileFormPage.Fields.self))
        }) { v in
            let user = try ctx.requireUser()
            // The version the user started from: a file revised meanwhile by someone else is not
            // overwritten silently (the form comes back; saving again overwrites knowingly).
            let started = req.form["base_version"].flatMap { Int64($0) } ?? base
            let stored = ProfileForm.stored(req.form)
            if let profile, profile.int("version") == started, profile.string("data") == stored {
                return .redirect(to: "/crm/customers/\(cid)/profile", flash: .info("客户资料表没有变化，未生成新的一版。"))   // saved unchanged: no new version
            }
            try ctx.db.transaction {
                let latest = try ctx.db.scalar("SELECT version FROM crm_profiles WHERE customer_id = \(cid)") ?? 0
                guard latest == started else {
                    throw FormRejection("该客户资料表已被他人修改（现为第 \(latest) 版）。请核对后再次保存，将以您填写的内容为准。")
                }
                let next = latest + 1
                let filledOn = v.string("filled_on")
                let limit = v.money("credit_limit")
                try ctx.db.execute("""
                    INSERT INTO crm_profiles (customer_id, version, data, filled_on, credit_limit_fen, updated_by, updated_at)
                    VALUES (\(cid), \(next), \(stored), \(filledOn), \(limit), \(user.id), \(ctx.epoch))
                    ON CONFLICT (customer_id) DO UPDATE SET version = excluded.version, data = excluded.data,
                        filled_on = excluded.filled_on, credit_limit_fen = excluded.credit_limit_fen,
                        updated_by = excluded.updated_by, updated_at = excluded.updated_at
                    """)
                try ctx.db.execute("""
                    INSERT INTO crm_profile_history (customer_id, version, data, filled_on, credit_limit_fen, saved_by, saved_at)
                    VALUES (\(cid), \(next), \(stored), \(filledOn), \(limit), \(user.id), \(ctx.epoch))
                    """)
                let changed = ProfileForm.changedSections(try URLEncoding.parse(profile?.string("data") ?? ""), try URLEncoding.parse(stored))
                try ctx.audit(AuditEntry(entity: "crm.profile", entityID: String(cid), action: latest == 0 ? "create" : "edit",
                                         from: latest == 0 ? nil : "第\(latest)版", to: "第\(next)版",
                                         reason: latest == 0 || changed.isEmpty ? nil : "修改：" + changed.joined(separator: "、")))
            }
            return .redirect(to: "/crm/customers/\(cid)/profile", flash: .ok("客户资料表已保存为新的一版。"))
        }
    }

    static let view: Handler = { req, ctx in try page(req, ctx, version: nil, title: "客户资料表") }
    static let version: Handler = { req, ctx in try page(req, ctx, version: try req.id("version"), title: "客户资料表（历史版本）") }

    /// The file (current, or an earlier `version`) on screen, with its versions.
    static func page(_ req: Request, _ ctx: Context, version: Int64?, title: String) throws -> Response {
        let s = try shown(req, ctx, version: version, paper: false)
        let versions = try ctx.db.query("""
            SELECT h.version, h.saved_at, COALESCE(u.display_name, '') AS by_name FROM crm_profile_history h
            LEFT JOIN users u ON u.id = h.saved_by WHERE h.customer_id = \(s.c.id) ORDER BY h.version DESC
            """)
        let isKey = try ctx.db.scalar("SELECT COUNT(*) FROM crm_key_customers WHERE customer_id = \(s.c.id) AND active = 1") ?? 0 > 0
        return ctx.render(ProfilePage(
            c: s.c, hasCode: s.hasCode, hasProfile: s.hasProfile, filledOn: s.filledOn, shownVersion: s.shownVersion,
            isOld: version != nil && version != s.currentVersion, updatedBy: s.updatedBy, updatedAt: s.updatedAt,
            sections: s.sections,
            versions: versions.map { r in
                .init(version: r.int("version") ?? 0, by: r.string("by_name") ?? "", at: ctx.displayEpoch(r.int("saved_at")),
                      current: r.int("version") == s.currentVersion)
            },
            hasVersions: versions.count > 1,
            isKey: isKey && ctx.can(CustomerDevelopmentModule.keyCustomers)), title: title + "：" + s.c.name)
    }

    /// The current file laid out like the paper form (a blank form when there is none yet).
    static let print: Handler = { req, ctx in
        let s = try shown(req, ctx, version: nil, paper: true)
        return ctx.render(ProfilePrintPage(
            c: s.c, hasCode: s.hasCode, hasProfile: s.hasProfile, filledOn: s.filledOn, shownVersion: s.shownVersion,
            updatedBy: s.updatedBy, updatedAt: s.updatedAt, sections: s.sections, printedAt: ctx.display(ctx.now)),
            title: "客户资料表：" + s.c.name)
    }

    struct Shown {
        var c: CustomerView
        var hasCode: Bool
        var hasProfile: Bool
        var filledOn: String
        var shownVersion: Int64
        var currentVersion: Int64
        var updatedBy: String
        var updatedAt: String
        var sections: [ProfileSection]
    }

    /// The file shown: the current one, or an earlier `version` (404 when there is none such).
    static func shown(_ req: Request, _ ctx: Context, version: Int64?, paper: Bool) throws -> Shown {
        let c = try Visibility.customer(try req.id(), ctx)
        let cid = try c.requireInt("id")
        let profile = try current(cid, ctx)
        var shown = profile
        if let version {
            guard let old = try ctx.db.first("""
                SELECT h.version, h.data, h.filled_on, h.saved_at AS updated_at, COALESCE(u.display_name, '') AS by_name
                FROM crm_profile_history h LEFT JOIN users u ON u.id = h.saved_by
                WHERE h.customer_id = \(cid) AND h.version = \(version)
                """) else { throw HTTPError.notFound }
            shown = old
        }
        let data = try URLEncoding.parse(shown?.string("data") ?? "")
        return Shown(
            c: CustomerView(c), hasCode: !(c.string("code") ?? "").isEmpty, hasProfile: shown != nil,
            filledOn: shown?.string("filled_on") ?? "", shownVersion: shown?.int("version") ?? 0,
            currentVersion: profile?.int("version") ?? 0, updatedBy: shown?.string("by_name") ?? "",
            updatedAt: ctx.displayEpoch(shown?.int("updated_at")), sections: ProfileForm.display(data, paper: paper))
    }
}

// MARK: - Page models

/// 客户资料表 on screen (the current file or an earlier version).
struct ProfilePage: PageModel {
    static let template = "profile"
    var c: CustomerView
    var hasCode: Bool
    var hasProfile: Bool
    var filledOn: String
    var shownVersion: Int64
    var isOld: Bool
    var updatedBy: String
    var updatedAt: String
    var sections: [ProfileSection]
    var versions: [Version]
    var hasVersions: Bool
    var isKey: Bool

    struct Version: TemplateModel {
        var version: Int64
        var by: String
        var at: String
        var current: Bool
    }
}

/// 客户资料表 for print, ending with 确认者.
struct ProfilePrintPage: PageModel {
    static let template = "profile-print"
    var c: CustomerView
    var hasCode: Bool
    var hasProfile: Bool
    var filledOn: String
    var shownVersion: Int64
    var updatedBy: String
    var updatedAt: String
    var sections: [ProfileSection]
    var printedAt: String
}

/// Fill in or revise the 客户资料表, laid out field by field in the sections of the paper form.
struct ProfileFormPage: PageModel {
    static let template = "profile-form"
    var c: CustomerView
    /// The version the user starts from (0: none yet).
    var version: Int64
    var isNew: Bool
    var form: FormView
    var field: Fields

    /// Every field of `ProfileForm.schema`, named as the field (`FormView.fields(as:)`).
    struct Fields: TemplateModel {
        var filled_on: FieldView
        // 经营者概况
        var op_name: FieldView
        var op_gender: FieldView
        var op_age: FieldView
        var op_native_place: FieldView
        var op_education: FieldView
        var op_language: FieldView
        var op_temperament: FieldView
        var op_character: FieldView
        var op_reputation: FieldView
        var legal_rep: FieldView
        var controller: FieldView
        var controller_relation: FieldView
        // 金融状况
        var bank: FieldView
        var account: FieldView
        var bank_notes: FieldView
        var cashing: FieldView
        var funds: FieldView
        var payment_attitude: FieldView
        var finance_notes: FieldView
        // 经营概况
        var policy: FieldView
        var business_status: FieldView
        var business_type: FieldView
        var suppliers: FieldView
        var sales_retail_pct: FieldView
        var sales_institution_pct: FieldView
        var sales_wholesale_pct: FieldView
        var sales_other_pct: FieldView
        var sales_area: FieldView
        var price_level: FieldView
        var business_nature: FieldView
        var avg_monthly_sales: FieldView
        var peak_purchase: FieldView
        var low_purchase: FieldView
        var peak_sales: FieldView
        var low_sales: FieldView
        var peak_stock: FieldView
        var low_stock: FieldView
        // 一般概况
        var organization: FieldView
        var store_size: FieldView
        var opened_on: FieldView
        var store_layout: FieldView
        var warehouse: FieldView
        var return_habit: FieldView
        var financial_mgmt: FieldView
        var stock_mgmt: FieldView
        var shop: FieldView
        var shop_value: FieldView
        var shop_rent: FieldView
        var shop_site: FieldView
        var vehicles: FieldView
        var standing: FieldView
        var staff_clerks: FieldView
        var staff_salesmen: FieldView
        var staff_repairers: FieldView
        var staff_temps: FieldView
        var brand_awareness: FieldView
        var recent_change: FieldView
        var forecast: FieldView
        var special_relations: FieldView
        // 保全关系
        var collaterals: FieldView
        var guarantor_firm: FieldView
        var guarantor_capital: FieldView
        var guarantor_license: FieldView
        var guarantor_address: FieldView
        var guarantor_head: FieldView
        var guarantor_head_id: FieldView
        var guarantor_procedure: FieldView
        var personal_guarantors: FieldView
        // 经销合约、结论与信用
        var dealer_contract: FieldView
        var credit_agency: FieldView
        var conclusion: FieldView
        var credit_limit: FieldView
        var surveyor: FieldView
    }
}
