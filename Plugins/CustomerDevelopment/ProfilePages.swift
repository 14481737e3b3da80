import Foundation
import SalesKit

/// The long customer file 客户资料表 (002 第九章 第三节) and 重点客户管理表 (RULES §1.5).
/// Owned by its own migration (version 3) and routes under /crm/…
enum ProfilePages {
    static let migrations: [Migration] = []
    static let menu: [MenuItem] = []
    static func routes(_ r: inout RouteBuilder) {}
}
