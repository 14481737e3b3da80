import Testing
@testable import SalesKit

/// Builds a multipart body from raw byte pieces.
private func bytes(_ pieces: [UInt8]...) -> [UInt8] { pieces.flatMap { $0 } }
private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

private let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"

/// A text part (without the leading delimiter).
private func textPart(_ name: String, _ value: String) -> [UInt8] {
    b("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)")
}

private func filePart(_ name: String, filename: String, type: String = "application/octet-stream", _ data: [UInt8]) -> [UInt8] {
    b("Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n") + data
}

/// `--b CRLF part CRLF --b CRLF part … CRLF --b--CRLF`.
private func body(_ parts: [[UInt8]], boundary: String = boundary) -> [UInt8] {
    var out: [UInt8] = []
    for p in parts { out += b("--\(boundary)\r\n") + p + b("\r\n") }
    out += b("--\(boundary)--\r\n")
    return out
}

@Suite("MultipartParser")
struct MultipartTests {
    @Test func parsesTextFieldsAndAFile() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF]
        let data = body([
            textPart("name", "张三"),
            textPart("note", "line1\r\nline2"),
            filePart("photo", filename: "头像.png", type: "image/png", png),
            textPart("name", "李四"),
        ])
        let (form, files) = try MultipartParser().parse(data, boundary: boundary)
        #expect(form.names == ["name", "note", "name"])
        #expect(form.all("name") == ["张三", "李四"])
        #expect(form["note"] == "line1\r\nline2")
        try #require(files.count == 1)
        #expect(files[0] == UploadedFile(fieldName: "photo", filename: "头像.png", contentType: "image/png", data: png))
    }

    @Test func fileWithoutContentTypeDefaultsToOctetStream() throws {
        let part = b("Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n") + [1, 2, 3]
        let (_, files) = try MultipartParser().parse(body([part]), boundary: boundary)
        #expect(files.first?.contentType == "application/octet-stream")
        #expect(files.first?.data == [1, 2, 3])
    }

    @Test func preambleBeforeTheFirstDelimiterIsIgnored() throws {
        let data = b("This is a preamble.\r\n") + body([textPart("a", "1")])
        let (form, _) = try MultipartParser().parse(data, boundary: boundary)
        #expect(form == FormData([("a", "1")]))
    }

    @Test func headerNamesAreCaseInsensitiveAndUnquotedNamesWork() throws {
        let part = b("content-disposition: form-data; name=plain\r\n\r\nv")
        let (form, _) = try MultipartParser().parse(body([part]), boundary: boundary)
        #expect(form["plain"] == "v")
    }

    /// Browsers (WHATWG multipart encoding) send a quote in a filename as %22 and never
    /// escape backslashes; the name is kept as sent.
    @Test func percentEncodedQuoteInAFilenameIsKeptAsSent() throws {
        let part = b("Content-Disposition: form-data; name=\"f\"; filename=\"a%22b.txt\"\r\n\r\nx")
        let (_, files) = try MultipartParser().parse(body([part]), boundary: boundary)
        #expect(files.first?.filename == "a%22b.txt")
    }

    @Test func semicolonInsideAQuotedFilenameDoesNotConfuseTheName() throws {
        let (form, files) = try MultipartParser().parse(
            body([filePart("doc", filename: "a; name=evil.txt", [0x41])]), boundary: boundary)
        #expect(form.isEmpty)
        #expect(files.first?.fieldName == "doc")
        #expect(files.first?.filename == "a; name=evil.txt")
    }

    @Test func boundaryFromContentTypePlainAndQuoted() {
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=abc123") == "abc123")
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=\"a b:c\"") == "a b:c")
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data;charset=utf-8; BOUNDARY=XyZ") == "XyZ")
    }

    @Test func boundaryFromContentTypeRejectsMissingEmptyOrTooLong() {
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data") == nil)
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; charset=utf-8") == nil)
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=") == nil)
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=\"\"") == nil)
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 70)) != nil)
    }

    @Test func quotedBoundaryParsesABody() throws {
        let contentType = "multipart/form-data; boundary=\"simple boundary\""
        let bnd = try #require(MultipartParser.boundary(fromContentType: contentType))
        let (form, _) = try MultipartParser().parse(body([textPart("k", "v")], boundary: bnd), boundary: bnd)
        #expect(form["k"] == "v")
    }

    @Test func bodyWithoutTheBoundaryThrows() {
        let data = body([textPart("a", "1")], boundary: "other")
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(data, boundary: boundary) }
        #expect(error == .badRequest("multipart 边界缺失"))
        #expect(throws: HTTPError.self) { try MultipartParser().parse([], boundary: boundary) }
    }

    @Test func truncatedBodyWithoutClosingDelimiterThrows() {
        let full = body([textPart("a", "1"), textPart("b", "2")])
        // Cut inside the second part's content: no closing delimiter is found.
        let cut = Array(full.prefix(full.count - 20))
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(cut, boundary: boundary) }
        #expect(error == .badRequest("multipart 内容被截断"))
    }

    @Test func truncatedInsidePartHeadersThrows() {
        let data = b("--\(boundary)\r\nContent-Disposition: form-data; name=\"a\"\r\n")
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(data, boundary: boundary) }
        #expect(error == .badRequest("multipart 头部不完整"))
    }

    @Test func bodyEndingRightAfterADelimiterThrows() {
        let data = b("--\(boundary)\r\n") + textPart("a", "1") + b("\r\n--\(boundary)")
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(data, boundary: boundary) }
        #expect(isBadRequest(error))
    }

    @Test func partWithoutNameThrows() {
        let part = b("Content-Disposition: form-data\r\n\r\nx")
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(body([part]), boundary: boundary) }
        #expect(error == .badRequest("multipart 缺少字段名"))
    }

    @Test func headerLineWithoutColonThrows() {
        let part = b("Content-Disposition: form-data; name=\"a\"\r\nGarbage\r\n\r\nx")
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(body([part]), boundary: boundary) }
        #expect(error == .badRequest("multipart 头部无效"))
    }

    @Test func boundaryTextInsideFileDataNotPrecededByCRLFIsContent() throws {
        // "--<boundary>" appears in the data, but not after CRLF: it is file content.
        let tricky = b("abc--\(boundary)def\n--\(boundary)--\rxyz")
        let data = body([filePart("f", filename: "t.txt", type: "text/plain", tricky), textPart("after", "ok")])
        let (form, files) = try MultipartParser().parse(data, boundary: boundary)
        #expect(files.first?.data == tricky)
        #expect(form["after"] == "ok")
    }

    @Test func fileDataEndingInCRLFKeepsItsOwnCRLF() throws {
        let content = b("line\r\n")
        let (_, files) = try MultipartParser().parse(body([filePart("f", filename: "x.txt", content)]), boundary: boundary)
        #expect(files.first?.data == content)
    }

    @Test func fileOverMaxFileBytesThrowsPayloadTooLarge() throws {
        let parser = MultipartParser(maxFileBytes: 10, maxTotalFileBytes: 100)
        let ok = body([filePart("f", filename: "a.bin", [UInt8](repeating: 7, count: 10))])
        #expect(try parser.parse(ok, boundary: boundary).files.first?.data.count == 10)
        let big = body([filePart("f", filename: "a.bin", [UInt8](repeating: 7, count: 11))])
        #expect(throws: HTTPError.payloadTooLarge) { try parser.parse(big, boundary: boundary) }
    }

    @Test func filesOverMaxTotalFileBytesThrowPayloadTooLarge() {
        let parser = MultipartParser(maxFileBytes: 10, maxTotalFileBytes: 15)
        let data = body([filePart("a", filename: "a.bin", [UInt8](repeating: 1, count: 8)),
                         filePart("b", filename: "b.bin", [UInt8](repeating: 2, count: 8))])
        #expect(throws: HTTPError.payloadTooLarge) { try parser.parse(data, boundary: boundary) }
    }

    @Test func textFieldsDoNotCountTowardsFileLimits() throws {
        let parser = MultipartParser(maxFileBytes: 4, maxTotalFileBytes: 4)
        let (form, _) = try parser.parse(body([textPart("long", String(repeating: "x", count: 100))]), boundary: boundary)
        #expect(form["long"]?.count == 100)
    }

    @Test func emptyFileInputIsSkipped() throws {
        let data = body([filePart("attachment", filename: "", []), textPart("a", "1")])
        let (form, files) = try MultipartParser().parse(data, boundary: boundary)
        #expect(files.isEmpty)
        #expect(form.names == ["a"], "the empty file input must not become a text field either")
    }

    @Test func emptyFileWithANameIsKept() throws {
        let (_, files) = try MultipartParser().parse(body([filePart("f", filename: "empty.txt", [])]), boundary: boundary)
        #expect(files.count == 1)
        #expect(files.first?.data == [])
    }

    @Test func invalidUTF8InATextFieldThrows() {
        let part = b("Content-Disposition: form-data; name=\"a\"\r\n\r\n") + [0xC3, 0x28]
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(body([part]), boundary: boundary) }
        #expect(error == .badRequest("请求编码无效"))
    }

    @Test func invalidUTF8InPartHeadersThrows() {
        let part = b("Content-Disposition: form-data; name=\"") + [0xFF] + b("\"\r\n\r\nx")
        let error = #expect(throws: HTTPError.self) { try MultipartParser().parse(body([part]), boundary: boundary) }
        #expect(isBadRequest(error))
    }

    @Test func tooManyPartsThrows() throws {
        let parser = MultipartParser(maxParts: 3)
        let three = body((1...3).map { textPart("f\($0)", "v") })
        #expect(try parser.parse(three, boundary: boundary).form.pairs.count == 3)
        let four = body((1...4).map { textPart("f\($0)", "v") })
        let error = #expect(throws: HTTPError.self) { try parser.parse(four, boundary: boundary) }
        #expect(error == .badRequest("表单字段过多"))
    }

    @Test func emptyMultipartBodyWithOnlyTheClosingDelimiter() throws {
        let (form, files) = try MultipartParser().parse(b("--\(boundary)--\r\n"), boundary: boundary)
        #expect(form.isEmpty)
        #expect(files.isEmpty)
    }

    /// A browser (WHATWG multipart encoding) escapes only `"`, CR and LF in filenames (as %22, %0D,
    /// %0A); a backslash is sent as-is. A file named `notes\` (legal on Linux/macOS) arrives as
    /// `filename="notes\"`: the parser reads `\"` as an escaped quote, finds no closing quote,
    /// drops the filename and turns the file into a *text field* (or a 400 if it is binary).
    @Test func filenameWithBackslashIsKeptAsAFile() throws {
        let part = b("Content-Disposition: form-data; name=\"f\"; filename=\"notes\\\"\r\nContent-Type: text/plain\r\n\r\nhello")
        let (form, files) = try MultipartParser().parse(body([part]), boundary: boundary)
        do {
            #expect(files.count == 1)
            #expect(files.first?.filename == "notes\\")
            #expect(form.isEmpty)
        }
    }
}
