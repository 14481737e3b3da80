/// An HTTP response. Handlers usually build one with `Context.render`, `.redirect`, or `.csv`.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// A one-time message the host keeps in the session and shows on the next HTML page (see
    /// `Flash`); never part of the URL.
    public var flash: Flash?

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], flash: Flash? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.flash = flash
    }

    public static func html(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(text.utf8))
    }

    public static func text(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// 303 See Other: the answer to every successful POST (post-redirect-get). `flash` is shown
    /// once on the next page (kept in the session, not in the URL):
    /// `.redirect(to: "/crm/customers/5", flash: .ok("已保存。"))`.
    public static func redirect(to location: String, status: Int = 303, flash: Flash? = nil) -> Response {
        Response(status: status, headers: [("Location", location)], flash: flash)
    }

    /// A CSV download: UTF-8 with BOM so Excel opens Chinese text correctly.
    public static func csv(filename: String, _ table: CSVTable) -> Response {
        Response(status: 200, headers: [
            ("Content-Type", "text/csv; charset=utf-8"),
            ("Content-Disposition", "attachment; filename=\"export.csv\"; filename*=UTF-8''\(URLEncoding.percentEncode(filename))"),
        ], body: table.encoded())
    }

    /// The first header of that name, compared case-insensitively (`lowercased()` on both sides).
    public func header(_ name: String) -> String? {
        let wanted = name.utf8
        guard wanted.allSatisfy({ $0 < 0x80 }) else {
            let lower = name.lowercased()
            return headers.first { $0.0.lowercased() == lower }?.1
        }
        // An ASCII name (every one in practice) by bytes, without lower-cased copies. A header
        // name with other characters is compared as before: one may lower-case to ASCII (K → k).
        return headers.first { header in
            let candidate = header.0.utf8
            if candidate.count == wanted.count, candidate.elementsEqual(wanted, by: Self.sameASCIIIgnoringCase) { return true }
            return !candidate.allSatisfy({ $0 < 0x80 }) && header.0.lowercased() == name.lowercased()
        }?.1
    }

    private static func sameASCIIIgnoringCase(_ a: UInt8, _ b: UInt8) -> Bool {
        if a == b { return true }
        let la = a | 0x20
        return la == b | 0x20 && la >= UInt8(ascii: "a") && la <= UInt8(ascii: "z")
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
