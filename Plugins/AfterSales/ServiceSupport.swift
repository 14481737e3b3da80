import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Helpers shared by the complaint and return pages of 售后服务.
enum ServiceUtil {
    static func directory(_ ctx: Context) throws -> any CustomerDirectory { try ctx.service(CustomerDirectory.self) }

    /// Customers (not prospects) the current user may see, for pickers — only through the directory.
    static func customerChoices(_ ctx: Context) throws -> [Choice] {
        try directory(ctx).search("", limit: 500, ctx).map { c in
            Choice(String(c.id), (c.code.map { $0 + " " } ?? "") + c.name + (c.inCity ? "（市内）" : "（市外）"))
        }
    }

    /// Ids of customers the current user may see (for list filters).
    static func visibleCustomerIDs(_ ctx: Context) throws -> [Int64] {
        try directory(ctx).search("", limit: 100_000, ctx).map(\.id)
    }

    /// A business refusal shown on the record's page (nothing changed).
    static func back(_ path: String, _ message: String) -> Response {
        .redirect(to: path, flash: .error(message))     // in the session, never in the URL (#16)
    }

    static func history(entity: String, id: Int64, titles: [String: String], _ ctx: Context) throws -> [HistoryRow] {
        try ctx.db.query("""
            SELECT at, username, action, from_state, to_state, reason FROM audit_log
            WHERE entity = \(entity) AND entity_id = \(String(id)) ORDER BY at, id
            """).map { r in
            let from = r.string("from_state") ?? "", to = r.string("to_state") ?? ""
            return HistoryRow(at: ctx.displayEpoch(r.int("at")), username: r.string("username") ?? "", action: r.string("action") ?? "",
                              from: titles[from] ?? from, to: titles[to] ?? to, reason: r.string("reason") ?? "")
        }
    }
}

/// One line of a record's 办理记录 (the history tables of every 售后服务 record page).
struct HistoryRow: TemplateModel {
    var at: String
    var username: String
    var action: String
    var from: String
    var to: String
    var reason: String
}

/// The departments a quality complaint is routed to (001 篇二 §5.1). A user belongs to a
/// department by holding its role.
enum ServiceDepartment: String, CaseIterable, Sendable {
    case quality, technical, production, service

    var title: String {
        switch self {
        case .quality: "品质部"
        case .technical: "技术部"
        case .production: "生产部"
        case .service: "客户服务部"
        }
    }

    var roles: [Role] {
        switch self {
        case .quality: [.quality]
        case .technical: [.technical]
        case .production: [.production]
        case .service: [.serviceRep, .serviceSupervisor]
        }
    }

    static func of(_ user: User?) -> [ServiceDepartment] {
        guard let user else { return [] }
        return allCases.filter { d in d.roles.contains { user.has($0) } }
    }

    static var choices: [Choice] { allCases.map { Choice($0.rawValue, $0.title) } }
    static func title(_ key: String) -> String { ServiceDepartment(rawValue: key)?.title ?? key }
}

/// The admin-editable time limits (`/service/policy`): the complaint deadline (003 §7.8), hours
/// after the complaint was received (受理时间), by whether the customer is in the same city; and the time
/// the rep has to reach the customer after a return is registered (003 §6.2).
struct DeadlinePolicy: Sendable, Equatable {
    var hoursInCity: Int64
    var hoursOutOfCity: Int64
    /// 003 §6.2 says only "在要求的时间范围内". **Decision:** 48 hours by default, editable.
    var returnArrivalHours: Int64 = 48

    static let standard = DeadlinePolicy(hoursInCity: 24, hoursOutOfCity: 48, returnArrivalHours: 48)

    static func load(_ ctx: Context) throws -> DeadlinePolicy {
        guard let r = try ctx.db.first("SELECT hours_in_city, hours_out_city, return_arrival_hours FROM service_policy WHERE id = 1") else {
            return .standard
        }
        return DeadlinePolicy(hoursInCity: r.int("hours_in_city") ?? 24, hoursOutOfCity: r.int("hours_out_city") ?? 48,
                              returnArrivalHours: r.int("return_arrival_hours") ?? 48)
    }
}

enum ServiceDeadline {
    /// THE deadline computation (003 §7.8): from when the complaint was received (受理时间) — the
    /// one place to add working hours or holidays later (the time zone is passed for that
    /// purpose). Epoch seconds, UTC.
    static func due(receivedAt: Int64, inCity: Bool, policy: DeadlinePolicy, timeZone: TimeZone) -> Int64 {
        _ = timeZone
        return after(receivedAt, hours: inCity ? policy.hoursInCity : policy.hoursOutOfCity)
    }

    /// The rep's deadline to reach the customer after a return was registered (003 §6.2).
    static func arrivalDue(registeredAt: Int64, policy: DeadlinePolicy) -> Int64 {
        after(registeredAt, hours: policy.returnArrivalHours)
    }

    /// `start` plus `hours`; stored hours or instants too large for the sum saturate (issue 12:
    /// never a trap).
    static func after(_ start: Int64, hours: Int64) -> Int64 {
        let (seconds, o1) = hours.multipliedReportingOverflow(by: 3600)
        let (due, o2) = start.addingReportingOverflow(seconds)
        return o1 || o2 ? (hours < 0 ? .min : .max) : due
    }

    /// An instant from a form's date, hour and minute in the company time zone (nil outside
    /// 0–23 / 0–59; the fields' ranges have checked them).
    static func instant(_ date: LocalDate, hour: Int64, minute: Int64, _ zone: TimeZone) -> Int64? {
        guard (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        return Int64(date.start(in: zone).timeIntervalSince1970) + hour * 3600 + minute * 60
    }

    /// The hour and minute of `date` in the company time zone, as a form's initial values.
    static func hourMinute(_ ctx: Context) -> (hour: String, minute: String) {
        (String(Int(ctx.display(ctx.now, pattern: "H")) ?? 0), String(Int(ctx.display(ctx.now, pattern: "m")) ?? 0))
    }

    /// `剩余 5 小时 20 分` or `已超时 3 小时 5 分`.
    static func timeLeft(due: Int64, now: Int64) -> (text: String, overdue: Bool) {
        let (d, overflow) = due.subtractingReportingOverflow(now)
        let diff = overflow ? (due < now ? Int64.min : .max) : d
        let m = diff.magnitude / 60   // magnitude: abs(Int64.min) would trap
        let text = m >= 60 ? "\(m / 60) 小时 \(m % 60) 分" : "\(m) 分"
        return diff >= 0 ? ("剩余 " + text, false) : ("已超时 " + text, true)
    }
}
