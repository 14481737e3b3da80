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

    /// Every customer (not prospects), whoever asks: for the 客户服务部, which takes complaints
    /// from any customer (`ComplaintPages.registerAny`).
    static func allCustomerChoices(_ ctx: Context) throws -> [Choice] {
        try directory(ctx).searchAll("", limit: 5000, ctx).map { c in
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
}

/// The numbers people cite for the module's documents: 投诉编号 `TS000012`, 退货单 `TH000003`,
/// 礼品预算申请 `LP000007`, 巡访 `XF000004`, 巡访日报 `RB000002`, 巡访紧急报告 `JJ000001` — derived from the record's id (stable, never reused).
enum DocNo {
    static func complaint(_ id: Int64) -> String { DocumentNumber.make("TS", id) }
    static func returnOrder(_ id: Int64) -> String { DocumentNumber.make("TH", id) }
    static func gift(_ id: Int64) -> String { DocumentNumber.make("LP", id) }
    /// 巡访 (a patrol visit), 巡访日报, 巡访紧急报告 — never a bare 「#12」 (issue #16 point 10).
    static func patrolVisit(_ id: Int64) -> String { DocumentNumber.make("XF", id) }
    static func patrolReport(_ id: Int64) -> String { DocumentNumber.make("RB", id) }
    static func patrolUrgent(_ id: Int64) -> String { DocumentNumber.make("JJ", id) }
}

/// The departments a quality complaint is routed to (001 篇二 §5.1): records of the platform's
/// department directory (RULES §6 "Departments are records"), stored by code. The routed part
/// lands in the inbox of the department's head and members (`Department.inboxUserIDs`).
///
/// A stored value that is no directory code (free text kept by migration 10 because it matched
/// no department) stays visible, flagged 「未对应部门」, and reaches nobody's inbox.
enum ServiceDepartments {
    static func org(_ ctx: Context) throws -> any OrgDirectory { try ctx.service(OrgDirectory.self) }

    /// The directory's active departments for a picker (value = code).
    static func choices(_ ctx: Context) throws -> [Choice] { try org(ctx).choices(ctx) }

    /// The standard departments, for the declared schema of a form (`forms`); the pages offer
    /// the directory's.
    static let standardChoices = StandardDepartment.choices

    /// The codes of the departments `userID` heads or belongs to.
    static func codes(of userID: Int64, _ ctx: Context) throws -> [String] { try org(ctx).codes(of: userID, ctx) }

    /// Whether a task of department `code` reaches `userID` (its head or a member).
    static func reaches(_ code: String, userID: Int64, _ ctx: Context) throws -> Bool { try org(ctx).reaches(code, userID: userID, ctx) }

    /// Whether the stored value names a department of the directory.
    static func known(_ stored: String, _ ctx: Context) -> Bool { ((try? org(ctx)).map { $0.knows(stored, ctx) }) ?? false }

    /// The department's name; a stored value the directory lacks as 「…」（未对应部门）.
    static func title(_ stored: String, _ ctx: Context) -> String {
        ((try? org(ctx)).map { $0.title(stored: stored, ctx) }) ?? stored
    }

    /// The head of the department (who answers for its overdue parts), if it has one.
    static func head(_ code: String, _ ctx: Context) throws -> Int64? {
        try org(ctx).department(code: code, ctx)?.headID
    }
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
