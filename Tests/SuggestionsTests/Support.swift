import SalesTesting

extension TestApp {
    /// Seats `chair` as the committee's chair and `member` as a member (002 §9), for suites that
    /// add those users themselves.
    func seatCommittee(chair: String = "chair", member: String = "member") throws {
        try db.execute("INSERT INTO ideas_committee (user_id, position) SELECT id, 'chair' FROM users WHERE username = \(chair)")
        try db.execute("INSERT INTO ideas_committee (user_id, position) SELECT id, 'member' FROM users WHERE username = \(member)")
    }
}
