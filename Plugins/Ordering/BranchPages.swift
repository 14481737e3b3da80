import Foundation
import SalesKit

/// Branch orders (RULES §2.2). Migration version 2 (after OrderPages' version 1).
enum BranchPages {
    static let permissions: [Permission] = []
    static let menu: [MenuItem] = []
    static let migrations: [Migration] = []
    static let forms: [String: FormSchema] = [:]
    static func routes(_ r: inout RouteBuilder) {}
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [] }
}
