/// The number people cite for a document derived from its record's id: a two-letter prefix and
/// the id in six digits (`TS000012` 投诉, `BG000003` 合同变更) — stable, never reused, and
/// shown wherever the document is named instead of a bare 「#12」 (issue #16 point 10).
public enum DocumentNumber {
    public static func make(_ prefix: String, _ id: Int64) -> String {
        let digits = String(id)
        return prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
