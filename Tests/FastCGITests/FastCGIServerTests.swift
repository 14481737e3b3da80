import Foundation
import Testing
@testable import FastCGI
#if canImport(Glibc)
import Glibc
#endif

/// A minimal FastCGI client (the web server's side of the protocol) over a unix socket.
struct FCGIClient {
    let path: String

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func record(_ type: UInt8, _ content: [UInt8]) -> [UInt8] {
        [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xFF), 0, 0] + content
    }

    static func lengthBytes(_ n: Int) -> [UInt8] {
        n < 128 ? [UInt8(n)] : [UInt8((n >> 24) | 0x80), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
    }

    func send(params: [String: String], body: [UInt8] = [], declaredLength: String? = nil) throws -> Reply {
        var p = params
        p["CONTENT_LENGTH"] = declaredLength ?? String(body.count)
        return try sendRaw(pairs: p.map { ($0.key, $0.value) }, body: body)
    }

    func sendRaw(pairs params: [(String, String)], body: [UInt8] = []) throws -> Reply {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in path.utf8.enumerated() { buf[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw FastCGIError(description: "connect failed") }

        var out = Self.record(1, [0, 1, 0, 0, 0, 0, 0, 0]) // BEGIN_REQUEST, responder, no keep-alive
        var pairs: [UInt8] = []
        for (k, v) in params { pairs += Self.lengthBytes(k.utf8.count) + Self.lengthBytes(v.utf8.count) + Array(k.utf8) + Array(v.utf8) }
        out += Self.record(4, pairs) + Self.record(4, [])
        var i = 0
        while i < body.count {
            let n = min(60_000, body.count - i)
            out += Self.record(5, Array(body[i..<i + n]))
            i += n
        }
        out += Self.record(5, [])
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break } // the responder may answer early
            sent += n
        }
        // Read records until END_REQUEST.
        var input: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var stdout: [UInt8] = []
        parsing: while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            input += buf[0..<n]
            while input.count >= 8 {
                let len = Int(input[4]) << 8 | Int(input[5])
                let total = 8 + len + Int(input[6])
                guard input.count >= total else { break }
                if input[1] == 6 { stdout += input[8..<8 + len] }
                let type = input[1]
                input.removeFirst(total)
                if type == 3 { break parsing }
            }
        }
        let sep: [UInt8] = [13, 10, 13, 10]
        var headEnd = 0
        while headEnd + 4 <= stdout.count && Array(stdout[headEnd..<headEnd + 4]) != sep { headEnd += 1 }
        let head = String(decoding: stdout[0..<min(headEnd, stdout.count)], as: UTF8.self)
        var headers: [String: String] = [:]
        for line in head.split(separator: "\r\n") {
            if let c = line.firstIndex(of: ":") { headers[String(line[..<c])] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces) }
        }
        let status = Int(headers["Status"]?.prefix(3) ?? "0") ?? 0
        return Reply(status: status, headers: headers, body: Array(stdout.dropFirst(min(headEnd + 4, stdout.count))))
    }
}

@Suite(.serialized) struct FastCGIServerTests {
    func withServer(threads: Int = 2, maxBody: Int = 1024, ignoredParams: Set<String> = FastCGIConfiguration.unreadParams,
                    _ handler: @escaping @Sendable (FastCGIRequest) -> FastCGIResponse,
                    _ body: (FastCGIServer, FCGIClient) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "fcgi-test-\(UUID().uuidString.prefix(8)).sock"
        let server = FastCGIServer(configuration: .init(listen: .unix(path: path), threads: threads, maxBodyBytes: maxBody,
                                                        ignoredParams: ignoredParams)) { _ in handler }
        try server.start()
        defer {
            server.shutdown()
            server.wait()
        }
        try body(server, FCGIClient(path: path))
    }

    static let echo: @Sendable (FastCGIRequest) -> FastCGIResponse = { req in
        var text = "method=\(req.params["REQUEST_METHOD"] ?? "") uri=\(req.params["REQUEST_URI"] ?? "")"
        text += " body=\(String(decoding: req.body, as: UTF8.self)) tooLarge=\(req.bodyTooLarge) malformed=\(req.bodyMalformed)"
        return FastCGIResponse(status: req.bodyTooLarge ? 413 : 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Test", "a\r\nInjected: b")],
                               body: Array(text.utf8))
    }

    @Test func copiesParamsAndBody() throws {
        try withServer(Self.echo) { _, client in
            let r = try client.send(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/x?y=中文"], body: Array("a=1&b=二".utf8))
            #expect(r.status == 200)
            #expect(r.text == "method=POST uri=/x?y=中文 body=a=1&b=二 tooLarge=false malformed=false")
            #expect(r.headers["Content-Length"] == String(r.body.count))
        }
    }

    @Test func headerValuesCannotInjectHeaders() throws {
        try withServer(Self.echo) { _, client in
            let r = try client.send(params: ["REQUEST_METHOD": "GET"])
            #expect(r.headers["X-Test"] == "aInjected: b")
            #expect(r.headers["Injected"] == nil)
        }
    }

    @Test func headOmitsTheBody() throws {
        try withServer(Self.echo) { _, client in
            let r = try client.send(params: ["REQUEST_METHOD": "HEAD"])
            #expect(r.status == 200)
            #expect(r.body.isEmpty)
            #expect(Int(r.headers["Content-Length"] ?? "") ?? 0 > 0)
        }
    }

    @Test func bodyOverTheLimitIsFlaggedAndNotBuffered() throws {
        try withServer(maxBody: 1024, Self.echo) { _, client in
            let r = try client.send(params: ["REQUEST_METHOD": "POST"], body: [UInt8](repeating: 65, count: 200_000))
            #expect(r.status == 413)
            #expect(r.text.contains("tooLarge=true"))
            #expect(r.text.contains("body= "))
        }
    }

    @Test func shortOrInvalidContentLengthIsMalformed() throws {
        try withServer(Self.echo) { _, client in
            let short = try client.send(params: ["REQUEST_METHOD": "POST"], body: Array("abc".utf8), declaredLength: "10")
            #expect(short.text.contains("malformed=true"))
            let invalid = try client.send(params: ["REQUEST_METHOD": "POST"], body: [], declaredLength: "ten")
            #expect(invalid.text.contains("malformed=true"))
        }
    }

    @Test func servesConcurrentRequestsOnAllThreads() throws {
        let threads = Set<String>()
        let seen = ThreadNames(threads)
        try withServer(threads: 4, { req in
            seen.add(String(UInt(pthread_self())))
            usleep(50_000)
            return FastCGIResponse(status: 200, body: Array("ok".utf8))
        }) { _, client in
            let group = DispatchGroup()
            let ok = Counter()
            for _ in 0..<16 {
                group.enter()
                Thread {
                    if (try? client.send(params: ["REQUEST_METHOD": "GET"]))?.text == "ok" { ok.increment() }
                    group.leave()
                }.start()
            }
            group.wait()
            #expect(ok.value == 16)
            #expect(seen.count > 1) // requests were spread over several worker threads
        }
    }

    @Test func shutdownLetsInFlightRequestsFinish() throws {
        let path = NSTemporaryDirectory() + "fcgi-test-\(UUID().uuidString.prefix(8)).sock"
        let server = FastCGIServer(configuration: .init(listen: .unix(path: path), threads: 2)) { _ in
            { _ in
                usleep(300_000)
                return FastCGIResponse(status: 200, body: Array("finished".utf8))
            }
        }
        try server.start()
        let result = Box()
        let answered = DispatchSemaphore(value: 0)
        let t = Thread {
            result.set(try? FCGIClient(path: path).send(params: ["REQUEST_METHOD": "GET"]))
            answered.signal()
        }
        t.start()
        while server.inFlight == 0 { usleep(5_000) }
        server.shutdown()
        server.wait()
        // The server is done when the answer is written; the client thread may still be reading it.
        #expect(answered.wait(timeout: .now() + 10) == .success)
        #expect(result.get()?.text == "finished")
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

final class ThreadNames: @unchecked Sendable {
    private let lock = NSLock()
    private var names: Set<String>
    init(_ s: Set<String>) { names = s }
    func add(_ s: String) { lock.lock(); names.insert(s); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return names.count }
}

final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var reply: FCGIClient.Reply?
    func set(_ r: FCGIClient.Reply?) { lock.lock(); reply = r; lock.unlock() }
    func get() -> FCGIClient.Reply? { lock.lock(); defer { lock.unlock() }; return reply }
}

extension FastCGIServerTests {
    /// nginx sends a repeated param twice (e.g. `fastcgi_param REMOTE_USER ""` after
    /// `include fastcgi_params`); the deploy config relies on the last one winning.
    @Test func repeatedParamLastValueWins() throws {
        try withServer({ req in FastCGIResponse(status: 200, body: Array((req.params["REMOTE_USER"] ?? "nil").utf8)) }) { _, client in
            let r = try client.sendRaw(pairs: [("REQUEST_METHOD", "GET"), ("REMOTE_USER", "spoofed"), ("REMOTE_USER", "")])
            #expect(r.text == "")
        }
    }
}

extension FastCGIServerTests {
    /// The head is written piece by piece: the status line with its reason phrase (or `Status`
    /// for a code without one), the handler's headers in order, and `Content-Length` only when
    /// the handler gave none (in any letter case).
    @Test func headLinesAndContentLength() throws {
        try withServer({ req in
            switch req.params["REQUEST_URI"] ?? "" {
            case "/own": FastCGIResponse(status: 201, headers: [("content-LENGTH", "2"), ("X-A", "1")], body: Array("ok".utf8))
            case "/odd": FastCGIResponse(status: 299, headers: [("X-B", "b")], body: Array("12345".utf8))
            default: FastCGIResponse(status: 1_000_000_000_007, body: [])
            }
        }) { _, client in
            let own = try client.send(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/own"])
            #expect(own.status == 201)
            #expect(own.headers["content-LENGTH"] == "2")
            #expect(own.headers["Content-Length"] == nil)
            #expect(own.headers["X-A"] == "1")
            #expect(own.text == "ok")
            let odd = try client.send(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/odd"])
            #expect(odd.headers["Status"] == "299 Status")
            #expect(odd.headers["Content-Length"] == "5")
            let big = try client.send(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/big"])
            #expect(big.headers["Status"] == "1000000000007 Status")
            #expect(big.headers["Content-Length"] == "0")
        }
    }

    /// Params are read into the same dictionary as before, whether their names are well known
    /// (shared constants) or not, request after request on the same thread (`FCGI_ROLE`, which
    /// libfcgi adds itself, is one of the default `ignoredParams`).
    @Test func wellKnownAndOtherParamNamesAlike() throws {
        try withServer(threads: 1, { req in
            let text = req.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            return FastCGIResponse(status: 200, body: Array(text.utf8))
        }) { _, client in
            let first = try client.sendRaw(pairs: [("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h"), ("X_CUSTOM", "中"),
                                                   ("SCRIPT_NAME", "/a"), ("SCRIPT_NAME", ""), ("E", ""), ("HTTP_X", "x")])
            #expect(first.text == "E=&HTTP_HOST=h&HTTP_X=x&REQUEST_METHOD=GET&SCRIPT_NAME=&X_CUSTOM=中")
            let second = try client.sendRaw(pairs: [("REQUEST_METHOD", "POST"), ("HTTP_COOKIE", "a=1")])
            #expect(second.text == "HTTP_COOKIE=a=1&REQUEST_METHOD=POST")
        }
    }
}

extension FastCGIServerTests {
    static let listParams: @Sendable (FastCGIRequest) -> FastCGIResponse = { req in
        FastCGIResponse(status: 200, body: Array(req.params.keys.sorted().joined(separator: " ").utf8))
    }

    /// nginx's constants and addresses that salesd never reads are left out by default; every
    /// RFC 3875 request variable and header stays. An empty set keeps everything, and a name
    /// outside the well-known ones can be ignored too.
    @Test func ignoredParamsAreLeftOut() throws {
        let pairs = [("REQUEST_METHOD", "GET"), ("DOCUMENT_ROOT", "/srv"), ("GATEWAY_INTERFACE", "CGI/1.1"),
                     ("SERVER_PROTOCOL", "HTTP/1.1"), ("REMOTE_ADDR", "127.0.0.1"), ("REMOTE_PORT", "5555"),
                     ("HTTP_HOST", "h"), ("X_SECRET", "s")]
        try withServer(threads: 1, Self.listParams) { _, client in
            let r = try client.sendRaw(pairs: pairs)
            #expect(r.text == "HTTP_HOST REMOTE_ADDR REQUEST_METHOD SERVER_PROTOCOL X_SECRET")
        }
        try withServer(threads: 1, ignoredParams: [], Self.listParams) { _, client in
            let r = try client.sendRaw(pairs: pairs)
            #expect(r.text == "DOCUMENT_ROOT FCGI_ROLE GATEWAY_INTERFACE HTTP_HOST REMOTE_ADDR REMOTE_PORT REQUEST_METHOD SERVER_PROTOCOL X_SECRET")
        }
        try withServer(threads: 1, ignoredParams: ["X_SECRET", "HTTP_HOST"], Self.listParams) { _, client in
            let r = try client.sendRaw(pairs: pairs)
            #expect(r.text == "DOCUMENT_ROOT FCGI_ROLE GATEWAY_INTERFACE REMOTE_ADDR REMOTE_PORT REQUEST_METHOD SERVER_PROTOCOL")
        }
    }
}

/// Every params dictionary a handler was given, kept (as a handler may keep it).
final class ParamsLog: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [[String: String]] = []
    func add(_ p: [String: String]) { lock.lock(); all.append(p); lock.unlock() }
    var snapshot: [[String: String]] { lock.lock(); defer { lock.unlock() }; return all }
}

extension FastCGIServerTests {
    /// A request whose param names come in the same order as the last two replaces the values
    /// in place: each request must still get exactly its own params, whatever came before it
    /// (more, fewer, other or reordered names, repeated names, other names outside the table),
    /// and a dictionary a handler kept must not change afterwards.
    @Test func paramsAreEachRequestsOwnWhateverCameBefore() throws {
        let log = ParamsLog()
        let sequence: [[(String, String)]] = [
            [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/a"), ("HTTP_HOST", "h"), ("X_ONE", "1")],
            [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/b"), ("HTTP_HOST", "h"), ("X_ONE", "2")],
            [("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/c"), ("HTTP_HOST", "i"), ("X_ONE", "")],
            [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/d"), ("HTTP_HOST", "h"), ("X_ONE", "中")],
            [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/e"), ("HTTP_HOST", "h"), ("X_TWO", "2")],
            [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/f"), ("HTTP_HOST", "h")],
            [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/g"), ("HTTP_HOST", "h"), ("HTTP_COOKIE", "a=1"), ("X_ONE", "1")],
            [("REQUEST_URI", "/h"), ("REQUEST_METHOD", "HEAD"), ("HTTP_HOST", "h")],
            [("REQUEST_URI", "/i"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h")],
            [("REQUEST_URI", "/j"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h")],
            [("REQUEST_URI", "/k"), ("REQUEST_URI", "/k2"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h")],
            [("REQUEST_URI", "/l"), ("REQUEST_URI", "/l2"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h")],
            [("REQUEST_URI", "/m"), ("REQUEST_URI", "/m2"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h")],
            [("REQUEST_URI", "/n"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h"), ("DOCUMENT_ROOT", "/srv")],
            [("REQUEST_URI", "/o"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h"), ("GATEWAY_INTERFACE", "CGI/1.1")],
            [("REQUEST_URI", "/p"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h"), ("X_THREE", "3")],
            [("REQUEST_URI", "/q"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h"), ("X_THREE", "3")],
            [("REQUEST_URI", "/r"), ("REQUEST_METHOD", "GET"), ("HTTP_HOST", "h"), ("X_THREF", "3")],
            [],
            [],
            [("REQUEST_URI", "/s")],
        ]
        // Several rounds: each layout is seen once, twice in a row and three times in a row.
        var expected: [[String: String]] = []
        try withServer(threads: 1, { req in
            log.add(req.params)
            return FastCGIResponse(status: 200, body: Array((req.params["REQUEST_URI"] ?? "-").utf8))
        }) { _, client in
            for pairs in sequence + sequence.flatMap({ [$0, $0] }) + sequence.flatMap({ [$0, $0, $0] }) {
                _ = try client.sendRaw(pairs: pairs)
                var want: [String: String] = [:]
                for (k, v) in pairs where !FastCGIConfiguration.unreadParams.contains(k) { want[k] = v }
                expected.append(want)
            }
        }
        let got = log.snapshot
        #expect(got.count == expected.count)
        for (i, (g, e)) in zip(got, expected).enumerated() {
            #expect(g == e, "request \(i)")
        }
    }
}

extension FastCGIServerTests {
    /// A head larger than the stack buffer it is collected in (a long header value, many
    /// headers) arrives whole and in order.
    @Test func largeHeadsArriveWhole() throws {
        let long = String(repeating: "v", count: 5000)
        let many = (0..<200).map { ("X-H\($0)", String(repeating: "w", count: $0)) }
        try withServer({ req in
            req.params["REQUEST_URI"] == "/long"
                ? FastCGIResponse(status: 200, headers: [("X-Short", "s"), ("X-Long", long), ("X-After", "a")], body: Array("b".utf8))
                : FastCGIResponse(status: 200, headers: many, body: Array("c".utf8))
        }) { _, client in
            let r = try client.send(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/long"])
            #expect(r.headers["X-Short"] == "s")
            #expect(r.headers["X-Long"] == long)
            #expect(r.headers["X-After"] == "a")
            #expect(r.headers["Content-Length"] == "1")
            #expect(r.text == "b")
            let m = try client.send(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/many"])
            for (name, value) in many where !value.isEmpty { #expect(m.headers[name] == value) }
            #expect(m.text == "c")
        }
    }
}
