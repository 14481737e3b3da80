import Testing
@testable import SalesKit

/// Inputs found by the libFuzzer targets in Tests/Fuzz (`make fuzz`), one test per finding,
/// named after it, with the input inlined (Tests/Fuzz/run.sh prints how to replay an artifact).
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// FuzzURLEncoded, input `=&\u{35C}` (minimised): a combining mark after `&` made `&\u{35C}`
    /// one Character, so splitting on the Character `&` missed the separator and the next field
    /// was swallowed into the previous value. Separators are now found as bytes.
    @Test func urlencodedCombiningMarkAfterAmpersandStillSeparates() throws {
        let fuzzed = try URLEncoding.parse(bytes: [0x3D, 0x26, 0xCD, 0x9C])
        #expect(fuzzed.pairs.count == 2)
        #expect(fuzzed.names == ["", "\u{35C}"])
        #expect(fuzzed.all("") == [""])

        let form = try URLEncoding.parse("a=1&\u{301}b=2")
        #expect(form.names == ["a", "\u{301}b"])
        #expect(form["a"] == "1")
    }

    /// Same finding, the other side: a prepend mark (U+0600) before `&` or `=` joins it into one
    /// Character with the mark.
    @Test func urlencodedPrependMarkBeforeSeparatorsStillSeparates() throws {
        let form = try URLEncoding.parse("a=\u{600}&b=2&c\u{600}=3")
        #expect(form.names == ["a", "b", "c\u{600}"])
        #expect(form["a"] == "\u{600}")
        #expect(form["b"] == "2")
        #expect(form["c\u{600}"] == "3")
        // The decoded text is what was sent; encode → parse gives it back.
        #expect(try URLEncoding.parse(URLEncoding.encode(form)) == form)
    }

    /// FuzzCookie, input `\u{600}==` (minimised): the prepend mark U+0600 and the first `=` were
    /// one Character, so the name ended at the second `=` and contained the first. Separators
    /// are now found as Unicode scalars.
    @Test func cookiePrependMarkBeforeEqualsEndsTheName() {
        #expect(CookieParser.parse("\u{600}==") == ["\u{600}": "="])
    }

    /// Same finding through `;`: a cookie value ending in U+0600 hid the next `;`, so the
    /// following cookie (here the session) vanished into that value.
    @Test func cookiePrependMarkBeforeSemicolonDoesNotSwallowTheNextCookie() {
        let cookies = CookieParser.parse("x=\u{600}; sid=abc; y=\"q\u{600}\";z=\u{301}1")
        #expect(cookies["sid"] == "abc")
        #expect(cookies["x"] == "\u{600}")
        #expect(cookies["y"] == "q\u{600}")
        #expect(cookies["z"] == "\u{301}1")
        #expect(cookies.count == 4)
    }

    /// The same class of bug in the multipart headers (found by reading, after the fuzzers'
    /// findings): a filename ending in U+0600 joined its closing quote into one Character, so
    /// the parameter had no end and the upload lost its name.
    @Test func multipartParameterEndingInAPrependMarkKeepsItsQuote() throws {
        let body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\u{600}\"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"t\u{600}\"\r\n\r\nv\r\n--XyZ--\r\n".utf8)
        let parsed = try MultipartParser().parse(body, boundary: "XyZ")
        #expect(parsed.files.map(\.filename) == ["a\u{600}"])
        #expect(parsed.files.map(\.fieldName) == ["f"])
        #expect(parsed.form["t\u{600}"] == "v")
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=\"b\u{600}\"; x=1") == "b\u{600}")
    }
}
