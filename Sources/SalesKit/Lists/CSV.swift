/// A CSV table for export: UTF-8 with BOM (Excel opens Chinese correctly), RFC 4180 quoting,
/// and cells starting with `= + - @` (or tab/CR) prefixed with `'` against formula injection.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }

    public static func cell(_ s: String) -> String {
        var v = s
        if let f = v.first, "=+-@\t\r".contains(f) { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            v = "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0xEF, 0xBB, 0xBF]
        for line in [header] + rows {
            out += Array(line.map(Self.cell).joined(separator: ",").utf8)
            out += [13, 10]
        }
        return out
    }
}

extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
