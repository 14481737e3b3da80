import Testing
@testable import SalesHost
import SalesKit

/// The request path reads ASCII text by bytes where it used to go Character by Character
/// (issue #13: instructions per request). Each shortcut must give exactly the old answer, for
/// ASCII and for the text where bytes and Characters part ways (combining marks, CR LF, K).
@Suite struct RequestPathShortcutTests {
    static let tricky = ["", "/", "//", "/a", "a", "/healthz", "/crm/customers?page=1", "/x?", "?", "/?a=1", "/a?b?c",
                         "/a?\u{301}x", "/a/\u{301}b", "/中文/x?q=中", "/a\r\n/b", "/a?\r\nb", "http://host:8080/p?q=1",
                         "http://example.com", "https://h?x", "/\u{301}?a", "/é?x=1", "/a\u{301}?x"]

    @Test func requestURISplitsAsTheCharacterScan() {
        for uri in Self.tricky {
            let fast = RequestTarget.split(uri)
            let slow = RequestTarget.splitCharacters(uri)
            #expect(fast.path == slow.path, "\(uri.debugDescription)")
            #expect(fast.query == slow.query, "\(uri.debugDescription)")
        }
    }

    @Test func hostOnlyAsTheCharacterSplit() {
        for host in ["", "intranet", "intranet:8080", "[::1]:9000", "[::1]", "[bad", ":80", "a:b:c", "例子.cn:80",
                     "a\u{301}:80", "host:\u{301}80", "[::1\u{301}]:9"] {
            let slow: String
            if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
                slow = String(host[host.index(after: host.startIndex)..<end])
            } else {
                slow = String(host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            }
            #expect(RequestTarget.hostOnly(host) == slow, "\(host.debugDescription)")
        }
    }

    @Test func routeSegmentsAsTheCharacterSplit() {
        for path in Self.tricky + ["/crm/customers/5/contacts", "///a//b/", "/a/\u{301}/b"] {
            #expect(Router.segments(path) == path.split(separator: "/", omittingEmptySubsequences: true), "\(path.debugDescription)")
        }
    }

    @Test func headerVariablesAsHasPrefix() {
        for name in ["HTTP_HOST", "HTTP_", "HTTP", "HTTPS", "HTTP_\u{301}X", "HTTP_é", "http_host", "XHTTP_A", "",
                     "HTTP_USER_AGENT", "HTTP_X_中"] {
            #expect(Worker.isHeaderVariable(name) == name.hasPrefix("HTTP_"), "\(name.debugDescription)")
        }
    }

    @Test func responseHeaderIsFoundIgnoringCase() {
        let r = Response(headers: [("Content-Type", "text/html"), ("\u{212A}ey", "kelvin"), ("cache-control", "no-cache"),
                                   ("X-Ä", "umlaut")])
        #expect(r.header("Cache-Control") == "no-cache")
        #expect(r.header("CONTENT-TYPE") == "text/html")
        #expect(r.header("content-typ") == nil)
        #expect(r.header("Location") == nil)
        #expect(r.header("key") == "kelvin")        // K (Kelvin sign) lower-cases to k, as before
        #expect(r.header("x-ä") == "umlaut")
        #expect(r.header("X-Ä") == "umlaut")
        for name in ["Cache-Control", "CONTENT-TYPE", "key", "x-ä", "Location", "", "cache-control"] {
            #expect(r.header(name) == r.headers.first { $0.0.lowercased() == name.lowercased() }?.1, "\(name)")
        }
    }

    @Test func accessLineIsTheInterpolatedText() {
        for (status, bytes, tenths) in [(200, 16, UInt64(4)), (303, 0, 0), (500, 1_234_567, 12_345), (-1, -5, 9), (404, 10, 10)] {
            for (method, uri, who) in [("GET", "/healthz", "-"), ("POST", "/crm/customers/2/contacts?x=中", "张三"), ("-", "-", "rep")] {
                let id = "0000abcd"
                let line = Worker.accessLine(method: method, uri: uri, status: status, bytes: bytes, tenths: tenths, who: who, requestID: id)
                #expect(line == "\(method) \(uri) \(status) \(bytes)B \(tenths / 10).\(tenths % 10)ms user=\(who) req=\(id)")
            }
        }
    }
}
