import Foundation
import SalesKit

/// Returns (RULES §3.2). Migration version 2 (after ComplaintPages' version 1).
enum ReturnPages {
    static let permissions: [Permission] = []
    static let menu: [MenuItem] = []
    static let migrations: [Migration] = []
    static let forms: [String: FormSchema] = [:]
    static func routes(_ r: inout RouteBuilder) {}
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [] }
}
