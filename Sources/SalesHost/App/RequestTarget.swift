import SalesKit

/// What the front end says about a request, read as the CGI specification (RFC 3875) and
/// FastCGI define the variables, so nginx, Apache httpd (mod_proxy_fcgi) and lighttpd
/// (mod_fastcgi) all work, at the site root or under a sub-path.
///
/// | variable | when absent or empty |
/// |---|---|
/// | `REQUEST_METHOD` | `GET` |
/// | `REQUEST_URI` (not in RFC 3875, but sent by all three) | the path is `SCRIPT_NAME` + `PATH_INFO` (already decoded by the server), the query `QUERY_STRING` |
/// | `QUERY_STRING` | no query (also used when `REQUEST_URI` has no `?`) |
/// | `SCRIPT_NAME`, `PATH_INFO` | `""` |
/// | `HTTPS` (`on`/`1`), `REQUEST_SCHEME` | plain `http` |
/// | `SERVER_NAME` | the host of `HTTP_HOST`, else `localhost` |
/// | `SERVER_PORT` | 443 over HTTPS, else 80 |
/// | `REMOTE_ADDR` | `""` |
/// | `CONTENT_LENGTH` | no length: the FastCGI layer reads stdin to its end (nothing for a GET) |
///
/// **Mount prefix** (`/sales` for `https://intranet/sales/`): the `mountPath` setting. It is not
/// guessed from `SCRIPT_NAME`: front ends disagree on what it holds. nginx's stock
/// `fastcgi_params` and Apache send the whole path and no `PATH_INFO`; lighttpd splits at a
/// segment boundary, so at the site root `/crm/x` arrives as `SCRIPT_NAME=/crm` +
/// `PATH_INFO=/x`, exactly what a mount `/crm` would look like (measured with Debian's
/// lighttpd 1.4.69). A configured mount is unambiguous with all three.
///
/// Handlers and modules never see the prefix: it is stripped here from the incoming path and put
/// back on the way out, in one place (`Worker.applyMount`): `Location` headers, the cookie
/// `Path`, and the `href="/…"`, `src="/…"`, `action="/…"`, `formaction="/…"` attributes of
/// HTML pages (templates write site-absolute links; user text is HTML-escaped, so it can never
/// contain `href="/` literally). Rewriting the output in one place, rather than every `href`
/// of every module template, keeps module authors writing plain `/crm/…` links; it costs one
/// byte scan per HTML page, only when a mount is set. A path outside the mount is served as it is.
struct RequestTarget {
    var method: String
    /// The path inside the app, percent-decoded, mount stripped; never empty.
    var path: String
    /// The raw (still encoded) query string.
    var query: Substring
    /// `""` or `/sales`: the prefix every URL the browser sees needs.
    var mount: String
    var isHTTPS: Bool
    var remoteAddress: String
    /// The front end's variables, for the parts read only when asked for.
    private let params: [String: String]
    /// `SERVER_NAME`, else the host of `HTTP_HOST`, else `localhost`.
    var serverName: String { Self.serverName(params) }
    /// `SERVER_PORT`, else the scheme's default.
    var serverPort: Int { Self.serverPort(params, isHTTPS: isHTTPS) }

    var scheme: String { isHTTPS ? "https" : "http" }

    /// `https://sales.example.com` (the port only when it is not the scheme's default):
    /// for absolute URLs, which the app needs nowhere yet (redirects are site-relative).
    var origin: String {
        let host = serverName.contains(":") && !serverName.hasPrefix("[") ? "[\(serverName)]" : serverName
        let defaultPort = isHTTPS ? 443 : 80
        return scheme + "://" + host + (serverPort == defaultPort ? "" : ":\(serverPort)")
    }

    /// An absolute URL for a path inside the app.
    func absoluteURL(_ appPath: String) -> String { origin + mount + appPath }

    /// Throws `HTTPError.badRequest` for a path with invalid percent-encoding.
    init(_ p: [String: String], mountPath: String) throws {
        try self.init(p, site: Self.site(p, mountPath: mountPath))
    }

    /// As `init(_:mountPath:)`, with the request's `Site` already read (`Worker.handle` reads it
    /// first, for error pages of requests whose path does not decode).
    init(_ p: [String: String], site: Site) throws {
        method = site.method
        mount = site.mount
        isHTTPS = site.isHTTPS
        params = p
        remoteAddress = p["REMOTE_ADDR"] ?? ""
        let full: String
        if let uri = p["REQUEST_URI"], !uri.isEmpty {
            let (pathPart, queryPart) = Self.split(uri)
            query = queryPart ?? Substring(p["QUERY_STRING"] ?? "")
            full = try Self.decodePath(pathPart)
        } else {
            query = Substring(p["QUERY_STRING"] ?? "")
            full = (p["SCRIPT_NAME"] ?? "") + (p["PATH_INFO"] ?? "")
        }
        path = Self.strip(mount, from: full)
    }

    /// The parts that cannot fail (for error pages of requests whose path does not decode).
    struct Site {
        var method: String
        var mount: String
        var isHTTPS: Bool
    }

    static func site(_ p: [String: String], mountPath: String) -> Site {
        site(p, mount: normalizedMount(mountPath) ?? "")
    }

    /// `mount`: the mount prefix already normalised (`normalizedMount(…) ?? ""`, once per worker).
    static func site(_ p: [String: String], mount: String) -> Site {
        let methodValue = p["REQUEST_METHOD"] ?? ""
        let method = methodValue.isEmpty ? "GET" : isUpperASCII(methodValue) ? methodValue : methodValue.uppercased()
        let httpsVar = p["HTTPS"] ?? "", schemeVar = p["REQUEST_SCHEME"] ?? ""
        let https = httpsVar == "1" || (httpsVar.utf8.count == 2 && httpsVar.lowercased() == "on")
            || (schemeVar.utf8.count == 5 && schemeVar.lowercased() == "https")
        return Site(method: method, mount: mount, isHTTPS: https)
    }

    /// The server name and port are read when asked for (`origin`): no request needs them yet.
    static func serverName(_ p: [String: String]) -> String {
        var serverName = p["SERVER_NAME"] ?? ""
        if serverName.isEmpty || serverName == "_" {
            serverName = hostOnly(p["HTTP_HOST"] ?? "")
            if serverName.isEmpty { serverName = "localhost" }
        }
        return serverName
    }

    static func serverPort(_ p: [String: String], isHTTPS https: Bool) -> Int {
        Int(p["SERVER_PORT"] ?? "").flatMap { (1...65535).contains($0) ? $0 : nil } ?? (https ? 443 : 80)
    }

    /// Only the ASCII letters A–Z (`GET`, `POST`): `uppercased()` would return it unchanged.
    private static func isUpperASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }

    /// `/sales/` → `/sales`, `sales` → `/sales`, `/` or `""` → `""`; nil for anything that is not
    /// a plain path of unreserved characters (it is written into headers and HTML attributes).
    static func normalizedMount(_ s: String) -> String? {
        var m = Substring(s)
        while m.hasSuffix("/") { m = m.dropLast() }
        if m.isEmpty { return "" }
        if !m.hasPrefix("/") { m = "/" + m }
        let segments = m.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for seg in segments {
            guard !seg.isEmpty, seg != ".", seg != "..",
                  seg.utf8.allSatisfy({ b in
                      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                          || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
                  }) else { return nil }
        }
        return String(m)
    }

    /// `/sales/x` → `/x`, `/sales` → `/`; a path outside the mount is left as it is.
    static func strip(_ mount: String, from path: String) -> String {
        let p = path.isEmpty ? "/" : path
        guard !mount.isEmpty, p.hasPrefix(mount) else { return p }
        let rest = p.dropFirst(mount.count)
        if rest.isEmpty { return "/" }
        return rest.hasPrefix("/") ? String(rest) : p
    }

    /// Path and query of a `REQUEST_URI`. An absolute form (`http://host/path`) is cut to its path.
    static func split(_ uri: String) -> (path: Substring, query: Substring?) {
        // The usual case, an ASCII origin form (`/path?query`), by bytes: the same cut as the
        // Character scan below, which every other target takes (a non-ASCII byte could start a
        // grapheme that joins the "?" or "/" it follows).
        let bytes = uri.utf8
        if bytes.first == UInt8(ascii: "/") {
            var i = bytes.startIndex
            while i != bytes.endIndex {
                let b = bytes[i]
                if b >= 0x80 { return splitCharacters(uri) }
                if b == UInt8(ascii: "?") {
                    // "?" then ASCII (or the end): two Characters, as the scan below would see them.
                    let after = bytes.index(after: i)
                    if after == bytes.endIndex || bytes[after] < 0x80 { return (uri[..<i], uri[after...]) }
                    return splitCharacters(uri)
                }
                i = bytes.index(after: i)
            }
            return (Substring(uri), nil)
        }
        return splitCharacters(uri)
    }

    static func splitCharacters(_ uri: String) -> (path: Substring, query: Substring?) {
        var target = Substring(uri)
        if !target.hasPrefix("/"), let scheme = target.range(of: "://") {
            let afterHost = target[scheme.upperBound...]
            target = afterHost.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterHost[$0...] } ?? "/"
        }
        guard let q = target.firstIndex(of: "?") else { return (target, nil) }
        return (target[..<q], target[target.index(after: q)...])
    }

    /// A "+" in a path is a plus (only forms encode spaces as "+"); most paths need no decoding.
    static func decodePath(_ raw: Substring) throws -> String {
        guard raw.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(raw) }
        return try URLEncoding.decode(raw.replacingOccurrences(of: "+", with: "%2B"))
    }

    /// `example.com:8080` → `example.com`, `[::1]:8080` → `::1`.
    static func hostOnly(_ host: String) -> String {
        // An ASCII host (`intranet:8080`, `[::1]:9000`) by bytes; anything else by Characters.
        let bytes = host.utf8
        if bytes.allSatisfy({ $0 < 0x80 }) {
            if bytes.first == UInt8(ascii: "["), let end = bytes.firstIndex(of: UInt8(ascii: "]")) {
                return String(host[bytes.index(after: bytes.startIndex)..<end])
            }
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return host }
            return String(host[..<colon])
        }
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") { return String(host[host.index(after: host.startIndex)..<end]) }
        return String(host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    // MARK: - Outgoing URLs under the mount

    /// A site-absolute `Location` (`/x`, not `//host/x` or `https://…`) gets the mount.
    static func prefixLocation(_ location: String, mount: String) -> String {
        guard !mount.isEmpty, location.hasPrefix("/"), !location.hasPrefix("//"), !location.hasPrefix("/\\") else { return location }
        return mount + location
    }

    /// Inserts the mount into every `href="/`, `src="/`, `action="/` and `formaction="/`
    /// attribute start of an HTML page (not `="//`: protocol-relative). The attribute name must
    /// follow whitespace and the value use double quotes, as every template writes them; escaped
    /// user text has `&quot;` for `"`, so it cannot match. One pass over the bytes.
    static func prefixLinks(_ html: [UInt8], mount: String) -> [UInt8] {
        guard !mount.isEmpty else { return html }
        let prefix = Array(mount.utf8)
        let eq = UInt8(ascii: "="), quote = UInt8(ascii: "\""), slash = UInt8(ascii: "/")
        var out: [UInt8] = []
        var copied = 0
        let n = html.count
        var i = 0
        while i + 2 < n {
            guard html[i] == eq, html[i + 1] == quote, html[i + 2] == slash, i + 3 >= n || html[i + 3] != slash else {
                i += 1
                continue
            }
            var j = i
            while j > 0, (html[j - 1] | 0x20) >= UInt8(ascii: "a"), (html[j - 1] | 0x20) <= UInt8(ascii: "z") { j -= 1 }
            if j > 0, [0x20, 0x09, 0x0A, 0x0D].contains(html[j - 1]), isLinkAttribute(html[j..<i]) {
                if out.isEmpty { out.reserveCapacity(n + 64 * prefix.count) }
                out.append(contentsOf: html[copied..<(i + 2)])
                out.append(contentsOf: prefix)
                copied = i + 2
            }
            i += 3
        }
        if copied == 0 { return html }
        out.append(contentsOf: html[copied...])
        return out
    }

    private static func isLinkAttribute(_ name: ArraySlice<UInt8>) -> Bool {
        let lower = name.map { $0 | 0x20 }
        switch lower.count {
        case 3: return lower == Array("src".utf8)
        case 4: return lower == Array("href".utf8)
        case 6: return lower == Array("action".utf8)
        case 10: return lower == Array("formaction".utf8)
        default: return false
        }
    }
}
