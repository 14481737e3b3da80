import Testing
@testable import CustomerDevelopmentModule

/// RULES §1.2 (003 §2.2–§2.4): class thresholds.
@Suite struct RatingClassTests {
    @Test("003 §2.3: ≥40 A, ≥33 B, ≥26 C, ≥18 D, <18 E — 以上 includes the number")
    func thresholds() {
        #expect(Rating.ratingClass(total: 45) == "A")
        #expect(Rating.ratingClass(total: 40) == "A")
        #expect(Rating.ratingClass(total: 39) == "B")
        #expect(Rating.ratingClass(total: 33) == "B")
        #expect(Rating.ratingClass(total: 32) == "C")
        #expect(Rating.ratingClass(total: 26) == "C")
        #expect(Rating.ratingClass(total: 25) == "D")
        #expect(Rating.ratingClass(total: 18) == "D")
        #expect(Rating.ratingClass(total: 17) == "E")
        #expect(Rating.ratingClass(total: 0) == "E")
    }
}
