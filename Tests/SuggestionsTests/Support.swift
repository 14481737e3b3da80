import SalesTesting

extension TestApp {
    /// Seats `chair` as the committee's chair and `member` as a member (002 §9), for suites that
    /// add those users themselves.
    func seatCommittee(chair: String = "chair", member: String = "member") throws {
        try db.execute("INSERT INTO ideas_committee (user_id, position) SELECT id, 'chair' FROM users WHERE username = \(chair)")
        try db.execute("INSERT INTO ideas_committee (user_id, position) SELECT id, 'member' FROM users WHERE username = \(member)")
    }

    /// The directory code of a department named in a test (「销售部」 → `sales`); the name itself
    /// when the directory has no such department.
    func departmentCode(_ name: String) throws -> String {
        try db.first("SELECT code FROM departments WHERE name = \(name)")?.string("code") ?? name
    }

    /// The grading form's department fields for names written 「销售部，财务部」 (RULES §6: the
    /// departments are picked from the directory, by code).
    func departmentFields(_ names: String, field: String = "departments") throws -> [(String, String)] {
        try names.split(whereSeparator: { ",，、".contains($0) }).map { (field, try departmentCode(String($0))) }
    }
}
