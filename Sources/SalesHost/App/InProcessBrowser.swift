import Foundation
import SalesKit

/// The state of one browser talking to the request handlers in process (no HTTP, no nginx): its
/// cookies and the last CSRF token a page showed. `request` builds the FastCGI parameters a
/// request from nginx would carry; `absorb` takes what a response sets. The unit tests' client
/// (`SalesTesting.TestClient`) and `salesd demo`'s browsers are both made of it, each adding what
/// only it needs (recording programming errors; logging in again as the demo clock moves).
public struct InProcessBrowser: Sendable {
    public var cookies: [String: String] = [:]
    /// The last `_csrf` token seen in a page.
    public var csrf: String?
    public var remoteAddress = "127.0.0.1"
    public var userAgent: String?

    public init(userAgent: String? = nil) { self.userAgent = userAgent }

    /// The request as nginx would pass it: `form` urlencoded, or `body` as it is (with
    /// `contentType`), the cookies held, `headers` as `HTTP_…` parameters.
    public func request(_ method: String, _ uri: String, form: FormData? = nil, contentType: String? = nil,
                        body: [UInt8]? = nil, headers: [String: String] = [:]) -> RawRequest {
        var params: [String: String] = [
            "REQUEST_METHOD": method, "REQUEST_URI": uri, "REMOTE_ADDR": remoteAddress,
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost",
        ]
        if let userAgent { params["HTTP_USER_AGENT"] = userAgent }
        if let q = uri.firstIndex(of: "?") { params["QUERY_STRING"] = String(uri[uri.index(after: q)...]) }
        if !cookies.isEmpty {
            params["HTTP_COOKIE"] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        for (k, v) in headers { params["HTTP_" + k.uppercased().replacingOccurrences(of: "-", with: "_")] = v }
        var bytes: [UInt8] = []
        if let body {
            bytes = body
            params["CONTENT_TYPE"] = contentType ?? "application/octet-stream"
        } else if let form {
            bytes = Array(URLEncoding.encode(form).utf8)
            params["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        }
        params["CONTENT_LENGTH"] = String(bytes.count)
        return RawRequest(params: params, body: bytes)
    }

    /// Keeps the cookies `response` sets (an empty value or `Max-Age=0` drops one) and the CSRF
    /// token its page shows; returns the page's text.
    @discardableResult
    public mutating func absorb(_ response: Response) -> String {
        for (name, value) in response.headers where name.lowercased() == "set-cookie" {
            guard let pair = value.split(separator: ";").first, let eq = pair.firstIndex(of: "=") else { continue }
            let k = String(pair[..<eq]), v = String(pair[pair.index(after: eq)...])
            if v.isEmpty || value.contains("Max-Age=0") { cookies[k] = nil } else { cookies[k] = v }
        }
        let text = response.bodyText
        if let token = Self.csrfToken(in: text) { csrf = token }
        return text
    }

    /// The `_csrf` hidden field's value in a page.
    public static func csrfToken(in html: String) -> String? {
        guard let r = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = html[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// The error flash a page shows (a refused action's message, kept in the session), if any.
    public static func flashError(in html: String) -> String? {
        guard let start = html.range(of: "<div class=\"flash error\""),
              let open = html[start.upperBound...].range(of: ">"),
              let close = html[open.upperBound...].range(of: "</div>") else { return nil }
        return String(html[open.upperBound..<close.lowerBound])
    }
}
