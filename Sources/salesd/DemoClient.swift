import Foundation
import SalesHost
import SalesKit

/// The clock `salesd demo` moves through the demo company's history: every request the demo
/// makes runs at this instant (`Worker.clock`, the hook the unit tests use).
final class DemoClock {
    var now: Date
    init(_ now: Date) { self.now = now }
}

/// A step of the demo the application did not take as expected: the path, the status and the
/// message the page showed (an error flash or the field errors).
struct DemoFailure: Error, CustomStringConvertible {
    var description: String
}

/// One browser of one demo user over the real request handlers, in process: the login form,
/// cookies, the session's CSRF token, each form page fetched before it is sent. No HTTP, no
/// database writes of its own: everything goes through `Worker.handle`, as a request from nginx.
final class DemoBrowser {
    let worker: Worker
    let username: String
    let password: String
    var cookies: [String: String] = [:]
    var csrf: String?

    struct Page {
        var status: Int
        var location: String?
        var body: String
    }

    init(worker: Worker, username: String, password: String) {
        self.worker = worker
        self.username = username
        self.password = password
    }

    func request(_ method: String, _ uri: String, form: [(String, String)]? = nil) -> Page {
        var params: [String: String] = [
            "REQUEST_METHOD": method, "REQUEST_URI": uri, "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost", "HTTP_USER_AGENT": "salesd demo",
        ]
        if let q = uri.firstIndex(of: "?") { params["QUERY_STRING"] = String(uri[uri.index(after: q)...]) }
        if !cookies.isEmpty { params["HTTP_COOKIE"] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        var bytes: [UInt8] = []
        if let form {
            var data = FormData()
            for (k, v) in form { data.append(k, v) }
            bytes = Array(URLEncoding.encode(data).utf8)
            params["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        }
        params["CONTENT_LENGTH"] = String(bytes.count)
        let r = worker.handle(RawRequest(params: params, body: bytes))
        for (name, value) in r.headers where name.lowercased() == "set-cookie" {
            guard let pair = value.split(separator: ";").first, let eq = pair.firstIndex(of: "=") else { continue }
            let k = String(pair[..<eq]), v = String(pair[pair.index(after: eq)...])
            if v.isEmpty || value.contains("Max-Age=0") { cookies[k] = nil } else { cookies[k] = v }
        }
        let text = r.bodyText
        if let token = Self.csrfToken(in: text) { csrf = token }
        return Page(status: r.status, location: r.header("Location"), body: text)
    }

    /// Logs in through the login form (a fresh session; the old one may have expired while the
    /// demo clock moved on).
    func login() throws {
        cookies = [:]
        _ = request("GET", "/login")
        let r = request("POST", "/login", form: [("_csrf", csrf ?? ""), ("username", username), ("password", password)])
        guard r.status == 303 else { throw DemoFailure(description: "登录失败 (login failed): \(username), status \(r.status)") }
        _ = request("GET", "/")
    }

    /// A page, logging in again first when the session has expired.
    func get(_ uri: String) throws -> Page {
        if cookies.isEmpty { try login() }
        var r = request("GET", uri)
        if r.status == 303, r.location?.hasPrefix("/login") == true {
            try login()
            r = request("GET", uri)
        }
        guard r.status == 200 else {
            throw DemoFailure(description: "\(username): GET \(uri) → \(r.status)\(Self.message(r))")
        }
        return r
    }

    /// Opens `page` (the form, or the record whose action this is), then sends `fields` to
    /// `path` with the session's CSRF token; returns where the application redirected to. A
    /// refusal shown as an error flash on the next page is a failure too.
    @discardableResult
    func submit(_ path: String, _ fields: [(String, String)], from page: String? = nil) throws -> String {
        _ = try get(page ?? path)
        let r = request("POST", path, form: [("_csrf", csrf ?? "")] + fields)
        guard r.status == 303, let location = r.location else {
            throw DemoFailure(description: "\(username): POST \(path) → \(r.status)\(Self.message(r))")
        }
        let next = request("GET", location)
        if let refusal = Self.flashError(next.body) {
            throw DemoFailure(description: "\(username): POST \(path) refused: \(refusal)")
        }
        return location
    }

    /// The trailing number of a location such as `/crm/customers/12` (or `…/12?x`).
    static func id(_ location: String) throws -> Int64 {
        let path = location.split(separator: "?").first.map(String.init) ?? location
        guard let last = path.split(separator: "/").last, let id = Int64(last) else {
            throw DemoFailure(description: "no record id in \(location)")
        }
        return id
    }

    static func csrfToken(in html: String) -> String? {
        guard let r = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = html[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    static func flashError(_ html: String) -> String? {
        guard let start = html.range(of: "<div class=\"flash error\""),
              let open = html[start.upperBound...].range(of: ">"),
              let close = html[open.upperBound...].range(of: "</div>") else { return nil }
        return String(html[open.upperBound..<close.lowerBound])
    }

    /// What a refused page says: the field errors (`class="error"` texts) or the first paragraph.
    static func message(_ r: Page) -> String {
        var found: [String] = []
        var rest = Substring(r.body)
        while let m = rest.range(of: "-error\">") ?? rest.range(of: "class=\"error\">") {
            let tail = rest[m.upperBound...]
            guard let end = tail.firstIndex(of: "<") else { break }
            let text = tail[..<end].trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { found.append(text) }
            rest = tail[end...]
            if found.count >= 6 { break }
        }
        if found.isEmpty, let p = r.body.range(of: "<p>"), let e = r.body[p.upperBound...].range(of: "</p>") {
            found.append(String(r.body[p.upperBound..<e.lowerBound]))
        }
        return found.isEmpty ? "" : ": " + found.joined(separator: "；")
    }
}
