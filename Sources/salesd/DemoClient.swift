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

/// One browser of one demo user over the real request handlers, in process
/// (`InProcessBrowser`, as the unit tests' client): the login form, cookies, the session's CSRF
/// token, each form page fetched before it is sent. No HTTP, no database writes of its own:
/// everything goes through `Worker.handle`, as a request from nginx.
final class DemoBrowser {
    let worker: Worker
    let username: String
    let password: String
    var browser = InProcessBrowser(userAgent: "salesd demo")
    var cookies: [String: String] { browser.cookies }
    var csrf: String? { browser.csrf }

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
        let data = form.map { pairs in
            var data = FormData()
            for (k, v) in pairs { data.append(k, v) }
            return data
        }
        let r = worker.handle(browser.request(method, uri, form: data))
        let text = browser.absorb(r)
        return Page(status: r.status, location: r.header("Location"), body: text)
    }

    /// Logs in through the login form (a fresh session; the old one may have expired while the
    /// demo clock moved on).
    func login() throws {
        browser.cookies = [:]
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
        if let refusal = InProcessBrowser.flashError(in: next.body) {
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
