import Foundation
import SalesKit

/// Customer orders (RULES §2.1, §2.3). Migration version 1.
enum OrderPages {
    static let permissions: [Permission] = []
    static let menu: [MenuItem] = []
    static let migrations: [Migration] = []
    static let forms: [String: FormSchema] = [:]
    static func routes(_ r: inout RouteBuilder) {}
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [] }
}
