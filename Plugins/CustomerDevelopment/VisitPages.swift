import Foundation
import SalesKit

/// Plans, visits and reports (RULES §1.4, 002 §14–§16, 002 第三节, 003 §7.10, 003 §5.5.3,
/// 004 第六章 5(6)). Owned by its own migration (version 2) and routes under /crm/…
enum VisitPages {
    static let migrations: [Migration] = []
    static let menu: [MenuItem] = []
    static func routes(_ r: inout RouteBuilder) {}
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [] }
}
