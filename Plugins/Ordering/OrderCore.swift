import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// An order's states. The checks decide where a new order lands (002 §3.3–§3.4, 003 §4.1);
/// the flow below carries it from there.
enum OrderState: String, Sendable, CaseIterable {
    case contractPending = "contract_pending"
    case settlementPending = "settlement_pending"
    case creditBlocked = "credit_blocked"
    case sporadicPending = "sporadic_pending"
    case pricePending = "price_pending"
    case accepted, released, scheduled, delivering, delivered, completed, rejected, cancelled

    var title: String {
        switch self {
        case .contractPending: "待签订/批准合同"
        case .settlementPending: "待结清逾期货款"
        case .creditBlocked: "超销售警戒线，待总经理批准"
        case .sporadicPending: "零星客户，待总经理批准"
        case .pricePending: "低于合同价/价格表，待销售经理批准"
        case .accepted: "审核通过，待下达"
        case .released: "已下达（销售计划下达表）"
        case .scheduled: "已排产"
        case .delivering: "分批交货中"
        case .delivered: "已全部交货"
        case .completed: "已完成"
        case .rejected: "已驳回"
        case .cancelled: "已取消"
        }
    }

    /// Orders that hold credit: passed the checks (or GM-approved) and not yet finished.
    static let committed: [OrderState] = [.accepted, .released, .scheduled, .delivering, .delivered]
    static let open: [OrderState] = [.contractPending, .settlementPending, .pricePending, .creditBlocked, .sporadicPending, .accepted,
                                     .released, .scheduled, .delivering, .delivered]
}

enum OrderFlow {
    static let machine = StateMachine<OrderState>(entity: "order.order", transitions: [
        // 003 §4.2, §4.1.3: the GM approves or rejects, with a reason, an over-line or sporadic order.
        .init("approve", from: [.creditBlocked, .sporadicPending], to: .accepted, permission: OrderPages.approve,
              requiresReason: true, title: "总经理批准"),
        .init("reject", from: [.creditBlocked, .sporadicPending], to: .rejected, permission: OrderPages.approve,
              requiresReason: true, title: "总经理驳回"),
        // 003 §4.3.2–§4.3.4: the sales head signs the 销售计划下达表.
        .init("release", from: [.accepted], to: .released, permission: OrderPages.release, title: "签发销售计划下达表"),
        .init("cancel", from: [.contractPending, .settlementPending, .pricePending, .creditBlocked, .sporadicPending, .accepted],
              to: .cancelled, permission: OrderPages.register, requiresReason: true, title: "取消订单"),
        // 003 §4.3.5–§4.3.6: all delivered and every delivery's paperwork done.
        .init("complete", from: [.delivered], to: .completed, permission: OrderPages.register, title: "完成（交验手续齐全）"),
    ])

    /// Actions handled outside the machine (their own audit rows).
    static let extraTitles = ["recheck": "重新核查", "refuse": "不予供货（E 类客户，订单拒绝）", "confirm_written": "已收到书面确认",
                              "oral_notice": "口头预先通知相关部门", "price_approve": "销售经理批准低价", "price_reject": "销售经理驳回低价"]

    /// States in which the rep or the sales head may run the checks again.
    static let recheckable: [OrderState] = [.contractPending, .settlementPending, .creditBlocked]
}

enum OrderChannel {
    static let choices = [Choice("phone", "电话"), Choice("fax", "传真"), Choice("courier", "快递/信函")]
    static func title(_ v: String?) -> String { choices.first { $0.value == v }?.label ?? (v ?? "") }
}

/// Small shared helpers, kept in a namespace so they never clash with other files of the module.
enum OrderUtil {
    /// A stored instant plus 24 hours (saturating: a corrupt value cannot trap).
    static func plusDay(_ epoch: Int64) -> Int64 {
        let (v, overflow) = epoch.addingReportingOverflow(86_400)
        return overflow ? .max : v
    }

    static func yuan(_ fen: Int64?) -> String { fen.map { Money.format($0) } ?? "" }

    static func directory(_ ctx: Context) throws -> any CustomerDirectory { try ctx.service(CustomerDirectory.self) }

    /// The customer picker's choices (issue #16 point 3): the approved customers (with a
    /// 客户代码) this user may act on — value = code, label = name and class.
    static func customerPicker(_ dir: any CustomerDirectory, _ ctx: Context) throws -> [Choice] {
        try (seesAll(ctx) ? dir.searchAll("", limit: 500, ctx) : dir.search("", limit: 500, ctx)).compactMap { c in
            c.code.map { Choice($0, c.name + (c.ratingClass.map { "（\($0) 类）" } ?? "")) }
        }
    }

    static let noCustomers = "您名下暂无已认定（有客户代码）的客户：客户须先经新客户认定并取得客户代码，才能登记订单、合同和收款。"

    /// Whether the user sees every order (supervisors and above, finance, production).
    static func seesAll(_ ctx: Context) -> Bool { ctx.can(OrderPages.viewAll) }

    /// SQL condition on `o.customer_id`: all, or the customers the directory lets this user see.
    static func visibleFilter(_ ctx: Context, column: String = "o.customer_id") throws -> SQL {
        if seesAll(ctx) { return "1 = 1" }
        let ids = try directory(ctx).search("", limit: 100_000, ctx).map(\.id)
        return SQL(unsafe: column + " IN (") + "\(list: ids))"
    }

    static func maySee(customer id: Int64, _ ctx: Context) throws -> Bool {
        if seesAll(ctx) { return true }
        return try directory(ctx).maySee(customerID: id, ctx)
    }

    /// The order row if it exists (404) and the user may see its customer (403).
    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let o = try ctx.db.first("SELECT * FROM order_orders WHERE id = \(id)") else { throw HTTPError.notFound }
        guard try maySee(customer: o.int("customer_id") ?? 0, ctx) else { throw HTTPError.forbidden }
        return o
    }

    static func state(_ o: Row) -> OrderState { OrderState(rawValue: o.string("state") ?? "") ?? .contractPending }

    /// `DH-2026-0001`: a per-year counter taken inside the inserting transaction.
    static func nextNumber(prefix: String, _ ctx: Context) throws -> String {
        let year = ctx.today.year
        let n = try ctx.db.scalar("""
            INSERT INTO order_counters (year, last) VALUES (\(year), 1)
            ON CONFLICT (year) DO UPDATE SET last = order_counters.last + 1 RETURNING last
            """) ?? 1
        let digits = String(n)
        return "\(prefix)-\(year)-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func back(_ path: String, error: String) -> Response {
        // The refusal travels in the session (shown once on the next page), never in the URL:
        // a crafted link cannot put an official-looking banner on a real record (#16).
        .redirect(to: path, flash: .error(error))
    }

    /// Parses `YYYY-MM-DD HH:MM` in the company zone into epoch seconds.
    static func parseLocalTime(_ text: String, _ ctx: Context) -> Int64? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let d = LocalDate(String(parts[0])) else { return nil }
        let hm = parts[1].split(separator: ":")
        guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        return Int64(d.start(in: ctx.timeZone).timeIntervalSince1970) + Int64(h * 3600 + m * 60)
    }
}
