import Foundation
import SalesKit

/// The implementing departments of adopted suggestions (002 §26): records of the platform's
/// department directory (RULES §6 "Departments are records"), stored by code. An order lands in
/// the inbox of the department's head and members (`Department.inboxUserIDs`); the head answers
/// for a plan not returned in time.
///
/// A stored value that is no directory code (free text kept by migration 4 because it matched no
/// department) stays visible, flagged 「未对应部门」, and reaches nobody's inbox.
enum IdeasDepartments {
    static func org(_ ctx: Context) throws -> any OrgDirectory { try ctx.service(OrgDirectory.self) }

    /// The directory's active departments for a picker (value = code).
    static func choices(_ ctx: Context) throws -> [Choice] { try org(ctx).choices(ctx) }

    /// The standard departments, for the declared schema of a form (`forms`); the pages offer the
    /// directory's.
    static let standardChoices = StandardDepartment.choices

    /// The codes of the departments `userID` heads or belongs to.
    static func codes(of userID: Int64, _ ctx: Context) throws -> [String] { try org(ctx).codes(of: userID, ctx) }

    /// Whether a task of department `code` reaches `userID` (its head or a member).
    static func reaches(_ code: String, userID: Int64, _ ctx: Context) throws -> Bool { try org(ctx).reaches(code, userID: userID, ctx) }

    static func known(_ stored: String, _ ctx: Context) -> Bool { ((try? org(ctx)).map { $0.knows(stored, ctx) }) ?? false }

    /// The department's name; a stored value the directory lacks as 「…」（未对应部门）.
    static func title(_ stored: String, _ ctx: Context) -> String {
        ((try? org(ctx)).map { $0.title(stored: stored, ctx) }) ?? stored
    }

    /// The names of a stored comma-separated list of codes, joined with 「、」.
    static func titles(_ stored: String, _ ctx: Context) -> String {
        stored.split(separator: ",").map { title(String($0), ctx) }.joined(separator: "、")
    }

    /// The code of a stored value: itself when it is a code of the directory; else the code of
    /// the department of that name (a name typed before migration 4 and not mapped by it); else
    /// the value as it was (shown flagged).
    static func resolve(_ stored: String, _ ctx: Context) throws -> String {
        let text = stored.trimmingCharacters(in: .whitespaces)
        let o = try org(ctx)
        if try o.department(code: text, ctx) != nil { return text }
        return try o.departments(ctx).first { $0.name == text }?.code ?? text
    }

    static func head(_ code: String, _ ctx: Context) throws -> Int64? {
        try org(ctx).department(code: code, ctx)?.headID
    }
}
