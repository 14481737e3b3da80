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
enum ProfilePages {
    static let migrations: [Migration] = [
        Migration(3, "customer file (客户资料表) with history, key customers (重点客户管理表)", """
            CREATE TABLE crm_profiles (
                customer_id INTEGER PRIMARY KEY REFERENCES crm_customers(id),
                version INTEGER NOT NULL,                -- 1, 2, … (the latest row of crm_profile_history)
                data TEXT NOT NULL,                      -- the 客户资料表 as submitted (urlencoded)
                filled_on TEXT NOT NULL,                 -- 填写日期 YYYY-MM-DD
                credit_limit_fen INTEGER,                -- 最高信用程度, 分
                updated_by INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE TABLE crm_profile_history (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                version INTEGER NOT NULL,
                data TEXT NOT NULL,
                filled_on TEXT NOT NULL,
                credit_limit_fen INTEGER,
                saved_by INTEGER NOT NULL,
                saved_at INTEGER NOT NULL,
                UNIQUE (customer_id, version)
            );
            CREATE TABLE crm_key_customers (
                customer_id INTEGER PRIMARY KEY REFERENCES crm_customers(id),
                active INTEGER NOT NULL DEFAULT 1,       -- 0: no longer a key customer (row kept)
                sales_target_fen INTEGER NOT NULL,       -- 销售额目标, 分
                reason TEXT NOT NULL,                    -- 将其设为重点客户的原因
                actions TEXT NOT NULL DEFAULT '',        -- 实现目标的行动措施
                service_manager_advice TEXT NOT NULL DEFAULT '',   -- 客户服务部经理建议
                gm_advice TEXT NOT NULL DEFAULT '',      -- 总经理建议
                marked_by INTEGER NOT NULL,
                marked_at INTEGER NOT NULL,
                updated_by INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX crm_key_customers_active ON crm_key_customers(active, customer_id);
            """),
    ]

    static let menu: [MenuItem] = [
        MenuItem("重点客户", path: "key-customers", access: .permission(CustomerDevelopmentModule.viewAll)),
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
        let data: [String: Any] = ["c": c.dictionary, "version": base, "isNew": profile == nil]
        return try ctx.handleForm(ProfileForm.schema, template: "profile-form", title: "客户资料表", data: data, initial: initial) { v in
            let user = try ctx.requireUser()
            // The version the user started from: a file revised meanwhile by someone else is not
            // overwritten silently (the form comes back; saving again overwrites knowingly).
            let started = req.form["base_version"].flatMap { Int64($0) } ?? base
            let stored = ProfileForm.stored(req.form)
            if let profile, profile.int("version") == started, profile.string("data") == stored {
                return .redirect(to: "/crm/customers/\(cid)/profile")   // saved unchanged: no new version
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
            return .redirect(to: "/crm/customers/\(cid)/profile")
        }
    }

    static let view: Handler = { req, ctx in try page(req, ctx, version: nil, template: "profile", title: "客户资料表") }
    static let print: Handler = { req, ctx in try page(req, ctx, version: nil, template: "profile-print", title: "客户资料表") }
    static let version: Handler = { req, ctx in
        try page(req, ctx, version: try req.id("version"), template: "profile", title: "客户资料表（历史版本）")
    }

    /// The file (current, or an earlier `version`) for the screen or the paper.
    static func page(_ req: Request, _ ctx: Context, version: Int64?, template: String, title: String) throws -> Response {
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
        let versions = try ctx.db.query("""
            SELECT h.version, h.saved_at, COALESCE(u.display_name, '') AS by_name FROM crm_profile_history h
            LEFT JOIN users u ON u.id = h.saved_by WHERE h.customer_id = \(cid) ORDER BY h.version DESC
            """)
        let data = try URLEncoding.parse(shown?.string("data") ?? "")
        let currentVersion = profile?.int("version") ?? 0
        let isKey = try ctx.db.scalar("SELECT COUNT(*) FROM crm_key_customers WHERE customer_id = \(cid) AND active = 1") ?? 0 > 0
        return ctx.render(template, [
            "c": c.dictionary,
            "hasCode": !(c.string("code") ?? "").isEmpty,
            "hasProfile": shown != nil,
            "filledOn": shown?.string("filled_on") ?? "",
            "shownVersion": shown?.int("version") ?? 0,
            "isOld": version != nil && version != currentVersion,
            "updatedBy": shown?.string("by_name") ?? "",
            "updatedAt": ctx.time(shown?.int("updated_at")),
            "sections": ProfileForm.display(data, paper: template == "profile-print"),
            "versions": versions.map { r -> [String: Any] in
                ["version": r.int("version") ?? 0, "by": r.string("by_name") ?? "", "at": ctx.time(r.int("saved_at")),
                 "current": r.int("version") == currentVersion]
            },
            "hasVersions": versions.count > 1,
            "isKey": isKey && ctx.can(CustomerDevelopmentModule.viewAll),
            "printedAt": ctx.display(ctx.now),
        ], title: title + "：" + (c.string("name") ?? ""))
    }
}
