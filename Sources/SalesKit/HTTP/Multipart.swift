/// `multipart/form-data` (RFC 7578). Bounded by the caller's body limit; also enforces per-file
/// and total upload limits. Malformed bodies throw `HTTPError.badRequest` (answered 400).
public struct MultipartParser: Sendable {
    public var maxFileBytes: Int
    public var maxTotalFileBytes: Int
    public var maxParts: Int

    public init(maxFileBytes: Int = 5 << 20, maxTotalFileBytes: Int = 8 << 20, maxParts: Int = 5000) {
        self.maxFileBytes = maxFileBytes
        self.maxTotalFileBytes = maxTotalFileBytes
        self.maxParts = maxParts
    }

    /// The `boundary` parameter of a `multipart/form-data` content type.
    public static func boundary(fromContentType contentType: String) -> String? {
        for param in contentType.unicodeScalars.split(separator: ";").dropFirst() {
            let p = String(String.UnicodeScalarView(param)).trimmingCharacters(in: " \t")
            if p.lowercased().hasPrefix("boundary=") {
                var v = String(p.dropFirst("boundary=".count))
                let u = v.unicodeScalars
                if u.count >= 2, u.first == "\"", u.last == "\"" { v = String(String.UnicodeScalarView(u.dropFirst().dropLast())) }
                return v.isEmpty || v.utf8.count > 70 ? nil : v
            }
        }
        return nil
    }

    public func parse(_ body: [UInt8], boundary: String) throws -> (form: FormData, files: [UploadedFile]) {
        let delimiter = Array(("--" + boundary).utf8)
        let crlfDelimiter = Array(("\r\n--" + boundary).utf8)
        var form = FormData()
        var files: [UploadedFile] = []
        var totalFileBytes = 0

        // The body starts with the first delimiter (a preamble is allowed before it).
        guard var pos = Self.find(delimiter, in: body, from: 0) else { throw HTTPError.badRequest("multipart 边界缺失") }
        pos += delimiter.count
        var parts = 0
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if Self.hasPrefix(body, at: pos, [45, 45]) { return (form, files) }
            guard Self.hasPrefix(body, at: pos, [13, 10]) else { throw HTTPError.badRequest("multipart 格式无效") }
            pos += 2
            parts += 1
            if parts > maxParts { throw HTTPError.badRequest("表单字段过多") }
            guard let headerEnd = Self.find([13, 10, 13, 10], in: body, from: pos) else {
                throw HTTPError.badRequest("multipart 头部不完整")
            }
            let headers = try parseHeaders(Array(body[pos..<headerEnd]))
            let contentStart = headerEnd + 4
            guard let contentEnd = Self.find(crlfDelimiter, in: body, from: contentStart) else {
                throw HTTPError.badRequest("multipart 内容被截断")
            }
            let content = Array(body[contentStart..<contentEnd])
            pos = contentEnd + crlfDelimiter.count

            guard let disposition = headers["content-disposition"],
                  let name = Self.parameter("name", in: disposition) else {
                throw HTTPError.badRequest("multipart 缺少字段名")
            }
            if let filename = Self.parameter("filename", in: disposition) {
                if filename.isEmpty && content.isEmpty { continue } // empty file input
                if content.count > maxFileBytes { throw HTTPError.payloadTooLarge }
                totalFileBytes += content.count
                if totalFileBytes > maxTotalFileBytes { throw HTTPError.payloadTooLarge }
                files.append(UploadedFile(fieldName: name, filename: filename,
                                          contentType: headers["content-type"] ?? "application/octet-stream",
                                          data: content))
            } else {
                guard let value = String(validating: content, as: UTF8.self) else {
                    throw HTTPError.badRequest("请求编码无效")
                }
                form.append(name, value)
            }
        }
    }

    private func parseHeaders(_ bytes: [UInt8]) throws -> [String: String] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw HTTPError.badRequest("multipart 头部编码无效") }
        var out: [String: String] = [:]
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPError.badRequest("multipart 头部无效") }
            out[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingCharacters(in: " \t")
        }
        return out
    }

    /// `name="x"` (quoted, with `\"` escapes) or `name=x` in a Content-Disposition value.
    /// `key=value` or `key="value"` after a `;` in a header. Separators and quotes are found as
    /// Unicode scalars, not Characters: a combining or prepend mark next to one would join it
    /// into a grapheme and hide it (found by fuzzing the URL-encoded and cookie parsers).
    static func parameter(_ key: String, in header: String) -> String? {
        let wanted = Array((key + "=").unicodeScalars)
        var rest = header.unicodeScalars[...]
        while let semi = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semi)...]
            let trimmed = rest.drop { $0 == " " || $0 == "\t" }
            let head = trimmed.prefix(wanted.count)
            guard head.count == wanted.count,
                  zip(head, wanted).allSatisfy({ Self.asciiLower($0) == $1 }) else { continue }
            let v = trimmed.dropFirst(wanted.count)
            if v.first == "\"" {
                // Browsers percent-encode a quote in a filename and send backslashes as they
                // are (a Windows path), so a quoted value simply ends at the next quote.
                let inner = v.dropFirst()
                guard let end = inner.firstIndex(of: "\"") else { return nil }
                return String(String.UnicodeScalarView(inner[..<end]))
            }
            return String(String.UnicodeScalarView(v.prefix { $0 != ";" })).trimmingCharacters(in: " \t")
        }
        return nil
    }

    static func asciiLower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        // A–Z: the value fits a byte, and Unicode.Scalar(UInt8) cannot fail.
        ("A"..."Z").contains(c) ? Unicode.Scalar(UInt8(truncatingIfNeeded: c.value + 32)) : c
    }

    static func hasPrefix(_ body: [UInt8], at pos: Int, _ prefix: [UInt8]) -> Bool {
        guard pos + prefix.count <= body.count else { return false }
        for i in 0..<prefix.count where body[pos + i] != prefix[i] { return false }
        return true
    }

    /// First index of `needle` in `hay` at or after `from` (memchr on the first byte, then compare).
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        let last = hay.count - needle.count
        return hay.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}

extension StringProtocol {
    /// Trims the given characters, compared as Unicode scalars (so "\r\n" in `set` means
    /// CR and LF separately, and a lone LF is trimmed too).
    func trimmingCharacters(in set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        var s = Substring(self).unicodeScalars[...]
        while let f = s.first, scalars.contains(f) { s.removeFirst() }
        while let l = s.last, scalars.contains(l) { s.removeLast() }
        return String(String.UnicodeScalarView(s))
    }
}
