import Foundation
import Testing
@testable import FastCGI

/// `CONTENT_LENGTH` as RFC 3875 §4.1.2 defines it: set only when a body is attached. Apache httpd
/// leaves it unset for a GET, nginx sends it empty, lighttpd sends "0"; none of them is malformed.
@Suite(.serialized) struct ContentLengthTests {
    func withServer(maxBody: Int = 1024, _ body: (FCGIClient) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "fcgi-cl-\(UUID().uuidString.prefix(8)).sock"
        let server = FastCGIServer(configuration: .init(listen: .unix(path: path), threads: 2, maxBodyBytes: maxBody)) { _ in
            FastCGIServerTests.echo
        }
        try server.start()
        defer {
            server.shutdown()
            server.wait()
        }
        try body(FCGIClient(path: path))
    }

    @Test func unsetContentLengthIsNoBody() throws {
        try withServer { client in
            let r = try client.sendRaw(pairs: [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/login")])
            #expect(r.status == 200)
            #expect(r.text == "method=GET uri=/login body= tooLarge=false malformed=false")
        }
    }

    @Test func emptyOrZeroContentLengthIsNoBody() throws {
        try withServer { client in
            for declared in ["", "0"] {
                let r = try client.sendRaw(pairs: [("REQUEST_METHOD", "GET"), ("CONTENT_LENGTH", declared)])
                #expect(r.text.hasSuffix("body= tooLarge=false malformed=false"), "CONTENT_LENGTH=\(declared)")
            }
        }
    }

    /// A front end that streams a body without declaring its length: stdin is read to its end.
    @Test func bodyWithoutContentLengthIsReadToTheEndOfStdin() throws {
        try withServer { client in
            let r = try client.sendRaw(pairs: [("REQUEST_METHOD", "POST")], body: Array("a=1&b=二".utf8))
            #expect(r.text == "method=POST uri= body=a=1&b=二 tooLarge=false malformed=false")
        }
    }

    /// Read in chunks of 1 KB: a body of several chunks, and one exactly at the limit, whole.
    @Test func undeclaredBodyOfManyChunksIsReadWhole() throws {
        try withServer(maxBody: 5000) { client in
            for size in [1023, 1024, 1025, 4097, 5000] {
                let body = (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) }
                let r = try client.sendRaw(pairs: [("REQUEST_METHOD", "POST")], body: body)
                #expect(r.text == "method=POST uri= body=\(String(decoding: body, as: UTF8.self)) tooLarge=false malformed=false", "\(size)")
            }
            let over = try client.sendRaw(pairs: [("REQUEST_METHOD", "POST")], body: [UInt8](repeating: 65, count: 5001))
            #expect(over.status == 413)
        }
    }

    @Test func undeclaredBodyOverTheLimitIsTooLarge() throws {
        try withServer(maxBody: 1024) { client in
            let r = try client.sendRaw(pairs: [("REQUEST_METHOD", "POST")], body: [UInt8](repeating: 65, count: 100_000))
            #expect(r.status == 413)
            #expect(r.text.contains("body= tooLarge=true"))
            // The worker drained the stream: the next request on the server is served normally.
            let next = try client.sendRaw(pairs: [("REQUEST_METHOD", "GET")])
            #expect(next.status == 200)
        }
    }

    @Test func negativeContentLengthIsStillMalformed() throws {
        try withServer { client in
            let r = try client.sendRaw(pairs: [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "-1")])
            #expect(r.text.contains("malformed=true"))
        }
    }
}
