/// `application/x-www-form-urlencoded` and query strings.
public enum URLEncoding {
    /// Parses `a=1&b=%E4%B8%AD&c`. Invalid percent-escapes or invalid UTF-8 throw
    /// `HTTPError.badRequest` (the host answers 400); `+` is a space.
    public static func parse(_ input: some StringProtocol, maxFields: Int = 5000) throws -> FormData {
        let text = Substring(input)
        var result = FormData()
        guard !text.isEmpty else { return result }
        var count = 0
        // `&` and `=` are found as bytes, not as Characters: a combining mark after one (or a
        // prepend mark before one) joins it into a grapheme and would hide the separator.
        for part in text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            count += 1
            if count > maxFields { throw HTTPError.badRequest("表单字段过多") }
            let name: Substring, value: Substring
            if let eq = part.firstIndex(of: UInt8(ascii: "=")) {
                name = Substring(part[..<eq])
                value = Substring(part[part.index(after: eq)...])
            } else {
                name = Substring(part)
                value = ""
            }
            result.append(try decode(name), try decode(value))
        }
        return result
    }

    public static func parse(bytes: [UInt8], maxFields: Int = 5000) throws -> FormData {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            // Percent-decoding happens later; raw bytes must already be ASCII/UTF-8.
            throw HTTPError.badRequest("请求编码无效")
        }
        return try parse(text, maxFields: maxFields)
    }

    /// Percent-decodes one component (`+` as space).
    public static func decode(_ s: some StringProtocol) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            switch b {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let h = it.next().flatMap(hexValue), let l = it.next().flatMap(hexValue) else {
                    throw HTTPError.badRequest("URL 编码无效")
                }
                bytes.append(h << 4 | l)
            default: bytes.append(b)
            }
        }
        guard let out = String(validating: bytes, as: UTF8.self) else { throw HTTPError.badRequest("请求编码无效") }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986).
    public static func percentEncode(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count * 3)
        appendPercentEncoded(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `percentEncode(s)` appended to `out` (a link built in one buffer).
    public static func appendPercentEncoded(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            // Unreserved bytes in runs, the rest as %XX.
            var runStart = 0
            for i in 0..<bytes.count {
                let b = bytes[i]
                switch b {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                     UInt8(ascii: "_"), UInt8(ascii: "~"):
                    continue
                default:
                    if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                    out.append(UInt8(ascii: "%"))
                    out.append(hexDigit(b >> 4))
                    out.append(hexDigit(b & 15))
                    runStart = i + 1
                }
            }
            if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
        }
    }

    private static func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? UInt8(ascii: "0") + n : UInt8(ascii: "A") + n - 10 }

    public static func encode(_ form: FormData) -> String {
        var out: [UInt8] = []
        appendEncoded(form.pairs, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `name=value&…`, percent-encoded, appended to `out`.
    public static func appendEncoded(_ pairs: [(name: String, value: String)], to out: inout [UInt8]) {
        for (i, p) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "&")) }
            appendPercentEncoded(p.name, to: &out)
            out.append(UInt8(ascii: "="))
            appendPercentEncoded(p.value, to: &out)
        }
    }
}

/// `Cookie:` header parsing. Malformed pairs are skipped; the first of duplicate names wins.
public enum CookieParser {
    public static func parse(_ header: String) -> [String: String] {
        if header.isEmpty { return [:] }   // no Cookie header (every /healthz, every first visit)
        var out: [String: String] = [:]
        // `;` and `=` are found as Unicode scalars, not as Characters: a combining mark after one
        // (or a prepend mark before one) joins it into a grapheme and would hide the separator.
        for part in header.unicodeScalars.split(separator: ";") {
            let trimmed = part.drop { $0 == " " || $0 == "\t" }
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            let name = String(Substring(trimmed[..<eq])).trimmingSpaces()
            var value = String(Substring(trimmed[trimmed.index(after: eq)...])).trimmingSpaces()
            let scalars = value.unicodeScalars
            if scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" { value = String(Substring(scalars.dropFirst().dropLast())) }
            guard !name.isEmpty, out[name] == nil else { continue }
            out[name] = value
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
