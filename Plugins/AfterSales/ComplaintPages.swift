import Foundation
import SalesKit

/// Complaints (RULES §3.1). Migration version 1.
enum ComplaintPages {
    static let permissions: [Permission] = []
    static let menu: [MenuItem] = []
    static let migrations: [Migration] = []
    static let forms: [String: FormSchema] = [:]
    static func routes(_ r: inout RouteBuilder) {}
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [] }
}
