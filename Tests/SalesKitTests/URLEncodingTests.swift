import Testing
@testable import SalesKit

/// True when `error` is `HTTPError.badRequest` (any message).
func isBadRequest(_ error: HTTPError?) -> Bool {
    if case .badRequest = error { return true }
    return false
}

@Suite("URLEncoding")
struct URLEncodingTests {
    @Test func parsesPairsInOrderAndPercentDecodesUTF8() throws {
        let form = try URLEncoding.parse("a=1&b=%E4%B8%AD%E6%96%87&c")
        #expect(form.names == ["a", "b", "c"])
        #expect(form["a"] == "1")
        #expect(form["b"] == "中文")
        #expect(form["c"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func plusDecodesToSpaceButEncodedPlusStaysPlus() throws {
        let form = try URLEncoding.parse("q=a+b+c&p=1%2B1")
        #expect(form["q"] == "a b c")
        #expect(form["p"] == "1+1")
        #expect(try URLEncoding.decode("x+y%20z") == "x y z")
    }

    @Test func emptyInputAndEmptySegmentsGiveNoFields() throws {
        #expect(try URLEncoding.parse("").isEmpty)
        let form = try URLEncoding.parse("&&a=1&&")
        #expect(form.names == ["a"])
    }

    @Test func valueMayContainEqualsSigns() throws {
        let form = try URLEncoding.parse("token=abc==&x=a%3Db")
        #expect(form["token"] == "abc==")
        #expect(form["x"] == "a=b")
    }

    @Test func duplicatedFieldsAreKeptInOrder() throws {
        let form = try URLEncoding.parse("tag=b&x=1&tag=a&tag=c")
        #expect(form.all("tag") == ["b", "a", "c"])
        #expect(form["tag"] == "b", "subscript returns the first value")
        #expect(form.pairs.count == 4)
        #expect(form.names == ["tag", "x", "tag", "tag"])
    }

    @Test(arguments: ["%", "%4", "%G1", "%1G", "a=%zz", "a=ok&b=%E4%B8%"])
    func invalidPercentEscapesThrowBadRequest(_ input: String) {
        let error = #expect(throws: HTTPError.self) { try URLEncoding.parse(input) }
        #expect(isBadRequest(error))
    }

    @Test(arguments: ["%FF", "%C3%28", "%E4%B8", "%ED%A0%80"])
    func percentEncodedInvalidUTF8Throws(_ input: String) {
        let error = #expect(throws: HTTPError.self) { try URLEncoding.decode(input) }
        #expect(isBadRequest(error))
    }

    @Test func rawBodyBytesThatAreNotUTF8Throw() {
        let error = #expect(throws: HTTPError.self) { try URLEncoding.parse(bytes: [0x61, 0x3D, 0xFF, 0xFE]) }
        #expect(error == .badRequest("请求编码无效"))
    }

    @Test func rawBodyBytesParseLikeText() throws {
        let form = try URLEncoding.parse(bytes: Array("a=1&b=%E4%B8%AD".utf8))
        #expect(form == FormData([("a", "1"), ("b", "中")]))
    }

    @Test func tooManyFieldsThrows() throws {
        let five = (1...5).map { "f\($0)=\($0)" }.joined(separator: "&")
        #expect(try URLEncoding.parse(five, maxFields: 5).pairs.count == 5)
        let error = #expect(throws: HTTPError.self) { try URLEncoding.parse(five + "&f6=6", maxFields: 5) }
        #expect(error == .badRequest("表单字段过多"))
    }

    @Test func percentEncodeKeepsOnlyUnreservedCharacters() {
        #expect(URLEncoding.percentEncode("aZ09-._~") == "aZ09-._~")
        #expect(URLEncoding.percentEncode("a b&c=d/中") == "a%20b%26c%3Dd%2F%E4%B8%AD")
    }

    @Test func encodeRoundTripsThroughParse() throws {
        let form = FormData([("name", "张三 & 李四"), ("q", "a+b=c"), ("name", "100%")])
        let encoded = URLEncoding.encode(form)
        #expect(!encoded.contains(" "))
        #expect(try URLEncoding.parse(encoded) == form)
    }

    @Test func requestPathWithQueryEncodesTheQuery() {
        let plain = Request(method: "GET", path: "/crm/customers")
        #expect(plain.pathWithQuery == "/crm/customers")
        let withQuery = Request(method: "GET", path: "/crm/customers", query: FormData([("city", "上海"), ("page", "2")]))
        #expect(withQuery.pathWithQuery == "/crm/customers?city=%E4%B8%8A%E6%B5%B7&page=2")
    }

    @Test func requestIdAcceptsOnlyPositiveIntegers() throws {
        #expect(try Request(method: "GET", path: "/", parameters: ["id": "42"]).id() == 42)
        #expect(try Request(method: "GET", path: "/", parameters: ["oid": "7"]).id("oid") == 7)
        for bad in ["0", "-1", "abc", "1.5", ""] {
            #expect(throws: HTTPError.notFound) { try Request(method: "GET", path: "/", parameters: ["id": bad]).id() }
        }
        #expect(throws: HTTPError.notFound) { try Request(method: "GET", path: "/").id() }
    }
}

@Suite("CookieParser")
struct CookieParserTests {
    @Test func parsesSemicolonSeparatedPairsWithSpaces() {
        let c = CookieParser.parse("sid=abc123; theme=dark;lang=zh-CN")
        #expect(c == ["sid": "abc123", "theme": "dark", "lang": "zh-CN"])
    }

    @Test func stripsDoubleQuotesAroundValues() {
        let c = CookieParser.parse("a=\"quoted value\"; b=\"\"\"; c=\"\"; d=\"")
        #expect(c == ["a": "quoted value", "b": "\"", "c": "", "d": "\""])
    }

    @Test func firstOfDuplicateNamesWins() {
        #expect(CookieParser.parse("sid=first; sid=second")["sid"] == "first")
    }

    @Test func skipsMalformedPairsAndEmptyNames() {
        let c = CookieParser.parse("novalue; =orphan; ok=1; ;  ")
        #expect(c == ["ok": "1"])
    }

    @Test func valueMayContainEqualsAndIsNotPercentDecoded() {
        let c = CookieParser.parse("t=a=b==; p=%41")
        #expect(c["t"] == "a=b==")
        #expect(c["p"] == "%41")
    }

    @Test func emptyHeaderGivesNoCookies() {
        #expect(CookieParser.parse("").isEmpty)
    }

    @Test func emptyValueIsKept() {
        #expect(CookieParser.parse("a=; b=2") == ["a": "", "b": "2"])
    }
}
