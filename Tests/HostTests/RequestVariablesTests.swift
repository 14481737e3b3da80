import Foundation
import Testing
@testable import SalesHost
import SalesKit
import SalesTesting
import AdminModule

/// Request variables read as RFC 3875 / FastCGI define them: every variable a front end may omit
/// has a default, the path comes from `REQUEST_URI` or `SCRIPT_NAME` + `PATH_INFO`, and a mount
/// prefix is stripped on the way in and put back on the way out.
@Suite struct RequestVariablesTests {
    // MARK: Defaults

    @Test func emptyParamsHaveDefinedDefaults() throws {
        let t = try RequestTarget([:], mountPath: "")
        #expect(t.method == "GET")
        #expect(t.path == "/")
        #expect(t.query == "")
        #expect(t.mount == "")
        #expect(t.isHTTPS == false)
        #expect(t.serverName == "localhost")
        #expect(t.serverPort == 80)
        #expect(t.remoteAddress == "")
        #expect(t.origin == "http://localhost")
    }

    @Test func emptyMethodIsGetAndMethodIsUpperCased() throws {
        #expect(try RequestTarget(["REQUEST_METHOD": ""], mountPath: "").method == "GET")
        #expect(try RequestTarget(["REQUEST_METHOD": "post"], mountPath: "").method == "POST")
    }

    @Test func requestURIGivesPathAndQuery() throws {
        let t = try RequestTarget(["REQUEST_URI": "/crm/a%20b?x=1&y=%2F", "QUERY_STRING": "ignored=1"], mountPath: "")
        #expect(t.path == "/crm/a b")
        #expect(t.query == "x=1&y=%2F")
        // No "?" in REQUEST_URI: QUERY_STRING is the query.
        #expect(try RequestTarget(["REQUEST_URI": "/x", "QUERY_STRING": "a=1"], mountPath: "").query == "a=1")
        // A plus in a path is a plus.
        #expect(try RequestTarget(["REQUEST_URI": "/a+b"], mountPath: "").path == "/a+b")
    }

    @Test func absoluteFormRequestURIIsCutToItsPath() throws {
        let t = try RequestTarget(["REQUEST_URI": "http://example.com:8080/crm/x?q=1"], mountPath: "")
        #expect(t.path == "/crm/x")
        #expect(t.query == "q=1")
        #expect(try RequestTarget(["REQUEST_URI": "http://example.com"], mountPath: "").path == "/")
    }

    @Test func withoutRequestURIThePathIsScriptNamePlusPathInfo() throws {
        // Already decoded by the server: "%41" stays literal, no second decoding.
        let t = try RequestTarget(["SCRIPT_NAME": "", "PATH_INFO": "/crm/a b%41", "QUERY_STRING": "p=2"], mountPath: "")
        #expect(t.path == "/crm/a b%41")
        #expect(t.query == "p=2")
        // Apache / nginx style: the whole path in SCRIPT_NAME, no PATH_INFO, no mount.
        let whole = try RequestTarget(["SCRIPT_NAME": "/crm/customers"], mountPath: "")
        #expect(whole.path == "/crm/customers")
        #expect(whole.mount == "")
        #expect(try RequestTarget(["SCRIPT_NAME": "", "PATH_INFO": ""], mountPath: "").path == "/")
    }

    @Test func invalidPercentEncodingIsABadRequest() {
        #expect(throws: HTTPError.self) { try RequestTarget(["REQUEST_URI": "/a%E4%B8"], mountPath: "") }
    }

    @Test func httpsPortAndServerName() throws {
        let on = try RequestTarget(["HTTPS": "on", "SERVER_NAME": "sales.example.com", "SERVER_PORT": "443"], mountPath: "/sales")
        #expect(on.isHTTPS)
        #expect(on.origin == "https://sales.example.com")
        #expect(on.absoluteURL("/crm/customers") == "https://sales.example.com/sales/crm/customers")
        let scheme = try RequestTarget(["REQUEST_SCHEME": "https"], mountPath: "")
        #expect(scheme.isHTTPS)
        #expect(scheme.serverPort == 443)   // SERVER_PORT absent: the scheme's default
        let off = try RequestTarget(["HTTPS": "off", "SERVER_PORT": "8080", "HTTP_HOST": "intranet:8080"], mountPath: "")
        #expect(!off.isHTTPS)
        #expect(off.origin == "http://intranet:8080")   // SERVER_NAME absent: the host of HTTP_HOST
        let v6 = try RequestTarget(["SERVER_NAME": "", "HTTP_HOST": "[::1]:9000", "SERVER_PORT": "9000"], mountPath: "")
        #expect(v6.origin == "http://[::1]:9000")
        #expect(try RequestTarget(["SERVER_PORT": "junk"], mountPath: "").serverPort == 80)
    }

    // MARK: Mount prefix

    @Test func configuredMountIsStripped() throws {
        #expect(try RequestTarget(["REQUEST_URI": "/sales/crm/x?a=1"], mountPath: "/sales").path == "/crm/x")
        #expect(try RequestTarget(["REQUEST_URI": "/sales/"], mountPath: "/sales").path == "/")
        #expect(try RequestTarget(["REQUEST_URI": "/sales"], mountPath: "/sales/").path == "/")
        // Outside the mount (or a neighbour sharing its first letters): left as it is.
        #expect(try RequestTarget(["REQUEST_URI": "/salesdemo/x"], mountPath: "/sales").path == "/salesdemo/x")
        #expect(try RequestTarget(["REQUEST_URI": "/crm/x"], mountPath: "/sales").path == "/crm/x")
    }

    /// lighttpd at the site root splits `/crm/x` into SCRIPT_NAME=/crm + PATH_INFO=/x: that is not
    /// a mount. Only the configured mountPath is one, whatever the front end splits.
    @Test func scriptNameIsNeverTakenForAMount() throws {
        let root = try RequestTarget(["SCRIPT_NAME": "/crm", "PATH_INFO": "/x", "REQUEST_URI": "/crm/x?q=1"], mountPath: "")
        #expect(root.mount == "")
        #expect(root.path == "/crm/x")
        #expect(root.query == "q=1")
        // lighttpd, fastcgi.server = ("/sales" => …), with mountPath /sales; also without REQUEST_URI.
        let sub = try RequestTarget(["SCRIPT_NAME": "/sales", "PATH_INFO": "/crm/x", "REQUEST_URI": "/sales/crm/x"], mountPath: "/sales")
        #expect(sub.mount == "/sales")
        #expect(sub.path == "/crm/x")
        let bare = try RequestTarget(["SCRIPT_NAME": "/sales", "PATH_INFO": "/crm/x"], mountPath: "/sales")
        #expect(bare.path == "/crm/x")
        // An invalid configured mount (only possible when AppConfig is built in code) is no mount.
        #expect(try RequestTarget(["REQUEST_URI": "/a b/x"], mountPath: "/a b").mount == "")
    }

    @Test func mountNormalisation() {
        #expect(RequestTarget.normalizedMount("") == "")
        #expect(RequestTarget.normalizedMount("/") == "")
        #expect(RequestTarget.normalizedMount("/sales/") == "/sales")
        #expect(RequestTarget.normalizedMount("sales") == "/sales")
        #expect(RequestTarget.normalizedMount("/apps/sales-2") == "/apps/sales-2")
        #expect(RequestTarget.normalizedMount("/a b") == nil)
        #expect(RequestTarget.normalizedMount("/a\"><x") == nil)
        #expect(RequestTarget.normalizedMount("/../x") == nil)
        #expect(RequestTarget.normalizedMount("//x") == nil)
    }

    @Test func mountPathConfigKeyAndEnvironment() throws {
        #expect(try AppConfig.load(path: nil, environment: [:]).mountPath == "")
        #expect(try AppConfig.load(path: nil, environment: ["SALES_MOUNT_PATH": "/sales/"]).mountPath == "/sales")
        #expect(throws: ConfigError.self) { try AppConfig.load(path: nil, environment: ["SALES_MOUNT_PATH": "/sa les"]) }
    }

    @Test func locationsGetTheMount() {
        #expect(RequestTarget.prefixLocation("/crm/x?a=1", mount: "/sales") == "/sales/crm/x?a=1")
        #expect(RequestTarget.prefixLocation("/", mount: "/sales") == "/sales/")
        #expect(RequestTarget.prefixLocation("//evil.example/x", mount: "/sales") == "//evil.example/x")
        #expect(RequestTarget.prefixLocation("https://example.com/x", mount: "/sales") == "https://example.com/x")
        #expect(RequestTarget.prefixLocation("/x", mount: "") == "/x")
    }

    @Test func htmlLinkAttributesGetTheMountAndNothingElse() {
        let html = """
            <a href="/crm">a</a><link rel="stylesheet" href="/static/app.css"><img src="/f/1" alt="x">
            <form method="post" action="/logout"><button formaction="/x/y">b</button></form>
            <a href="//cdn.example/x">c</a><a href="?page=2">d</a><a href="https://e.example/">e</a>
            <input name="next" value="/crm/x"><a data-href="/no">f</a><p>href="/typed"</p>
            <p>用户输入 href=&quot;/x&quot;</p><a
            HREF="/upper">g</a>
            """
        let out = String(decoding: RequestTarget.prefixLinks(Array(html.utf8), mount: "/sales"), as: UTF8.self)
        #expect(out.contains(#"href="/sales/crm""#))
        #expect(out.contains(#"href="/sales/static/app.css""#))
        #expect(out.contains(#"src="/sales/f/1""#))
        #expect(out.contains(#"action="/sales/logout""#))
        #expect(out.contains(#"formaction="/sales/x/y""#))
        #expect(out.contains(#"HREF="/sales/upper""#))
        #expect(out.contains(#"href="//cdn.example/x""#))
        #expect(out.contains(#"href="?page=2""#))
        #expect(out.contains(#"value="/crm/x""#))
        #expect(out.contains(#"data-href="/no""#))
        #expect(out.contains(#"<p>href="/typed"</p>"#))    // not an attribute: no whitespace before the name
        #expect(out.contains("href=&quot;/x&quot;"))
        #expect(RequestTarget.prefixLinks(Array(html.utf8), mount: "") == Array(html.utf8))
        #expect(RequestTarget.prefixLinks(Array(#"x="/"#.utf8), mount: "/s") == Array(#"x="/"#.utf8))
    }

    // MARK: Through the host

    func app(mount: String = "") throws -> TestApp {
        let t = try TestApp(modules: [AdminModule()]) { $0.mountPath = mount }
        try t.addUser("admin", roles: [.admin], displayName: "管理员")
        return t
    }

    /// Apache httpd sends no CONTENT_LENGTH, SCRIPT_NAME = the whole path, no PATH_INFO.
    @Test func apacheStyleGetWithoutContentLengthServesTheLoginPage() throws {
        let t = try app()
        let r = t.worker.handle(RawRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/login",
                                                    "SCRIPT_NAME": "/login", "QUERY_STRING": ""]))
        #expect(r.status == 200)
        #expect(r.bodyText.contains("登录"))
        // Only REQUEST_METHOD and SCRIPT_NAME, nothing else.
        #expect(t.worker.handle(RawRequest(params: ["REQUEST_METHOD": "GET", "SCRIPT_NAME": "/login"])).status == 200)
        // Nothing at all: GET / → the login page.
        let bare = t.worker.handle(RawRequest(params: [:]))
        #expect(bare.status == 303)
        #expect(bare.header("Location")?.hasPrefix("/login") == true)
    }

    @Test func underAMountEveryURLTheBrowserSeesHasThePrefix() throws {
        let t = try app(mount: "/sales")
        let c = t.client()
        let page = c.get("/sales/login")
        #expect(page.status == 200)
        #expect(page.body.contains(#"href="/sales/static/app.css?v="#))
        #expect(!page.body.contains(#"href="/static/"#))
        let preCookie = try #require(page.headers.first { $0.0 == "Set-Cookie" }?.1)
        #expect(preCookie.contains("Path=/sales;"))
        let login = c.submit("/sales/login", [("username", "admin"), ("password", TestApp.password), ("next", "/admin/users")])
        #expect(login.status == 303)
        #expect(login.location == "/sales/admin/users")
        let sid = try #require(login.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix("sid=") }?.1)
        #expect(sid.contains("Path=/sales;"))
        let users = c.get("/sales/admin/users")
        #expect(users.status == 200)
        #expect(users.body.contains(#"action="/sales/logout""#))
        #expect(users.body.contains(#"href="/sales/admin/users/new""#) || users.body.contains(#"href="/sales/admin/users"#))
        // No site-absolute link without the prefix is left in the page.
        for attr in ["href", "src", "action", "formaction"] {
            #expect(!users.body.contains(" \(attr)=\"/admin"))
            #expect(!users.body.contains(" \(attr)=\"/static"))
        }
        // The login redirect keeps the inner path in `next` and the prefix in Location.
        let anon = t.client().get("/sales/admin/users?page=2")
        #expect(anon.status == 303)
        #expect(anon.location?.hasPrefix("/sales/login?next=%2Fadmin%2Fusers") == true)
        // Error pages too.
        let missing = c.get("/sales/no/such/page")
        #expect(missing.status == 404)
        #expect(missing.body.contains(#"href="/sales/""#))
    }

    @Test func httpsFromTheFrontEndMakesCookiesSecure() throws {
        let t = try app()
        let r = t.worker.handle(RawRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/login", "HTTPS": "on"]))
        let cookie = try #require(r.headers.first { $0.0 == "Set-Cookie" }?.1)
        #expect(cookie.contains("; Secure"))
        #expect(cookie.contains("Path=/;"))
        let plain = t.worker.handle(RawRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/login"]))
        #expect(plain.headers.first { $0.0 == "Set-Cookie" }?.1.contains("Secure") == false)
    }
}
