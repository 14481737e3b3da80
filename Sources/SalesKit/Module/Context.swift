import Foundation

/// What the host provides behind a `Context`. Implemented by the host; modules never call it.
public protocol ContextHost: AnyObject {
    func renderPage<P: PageModel>(_ page: P, title: String, status: Int, context: Context) -> Response
    func service(_ id: ObjectIdentifier, for module: String) -> (any Sendable)?
    func recordAudit(_ entry: AuditEntry, context: Context) throws
    func storeFile(_ file: UploadedFile, context: Context) throws -> StoredFile
    func loadFile(_ id: String, context: Context) throws -> (StoredFile, [UInt8])?
    func formatTime(_ date: Date, pattern: String) -> String
    /// `formatTime` of an epoch-seconds instant, appended as UTF-8 (a list's time column: no
    /// `Date`, no `String` per cell).
    func appendTime(_ epoch: Int64, pattern: String, into out: inout [UInt8])
    /// The titles of every installed module's audit codes (the history service reads them).
    var auditCatalogue: AuditCatalogue { get }
    /// The other modules' panels on a hub page (`ctx.panels(for:)`).
    func panels(for subject: PanelSubject, context: Context) -> [RecordPanel]
}

extension ContextHost {
    public func appendTime(_ epoch: Int64, pattern: String, into out: inout [UInt8]) {
        out.append(contentsOf: formatTime(Date(timeIntervalSince1970: Double(epoch)), pattern: pattern).utf8)
    }
    public var auditCatalogue: AuditCatalogue { .empty }
    public func panels(for subject: PanelSubject, context: Context) -> [RecordPanel] { [] }
}

/// An audit-trail entry: who (from the context), when, entity, from-state, to-state, why.
public struct AuditEntry: Sendable {
    public var entity: String
    public var entityID: String
    public var action: String
    public var fromState: String?
    public var toState: String?
    public var reason: String?

    public init(entity: String, entityID: String, action: String, from: String? = nil, to: String? = nil, reason: String? = nil) {
        self.entity = entity
        self.entityID = entityID
        self.action = action
        fromState = from
        toState = to
        self.reason = reason
    }
}

/// A stored upload: the id is the server-chosen name under the data directory.
public struct StoredFile: Sendable, Equatable {
    public var id: String
    public var originalName: String
    public var contentType: String
    public var size: Int
    public init(id: String, originalName: String, contentType: String, size: Int) {
        self.id = id
        self.originalName = originalName
        self.contentType = contentType
        self.size = size
    }
}

/// Everything a handler needs for one request. Lives on one worker thread for one request.
public final class Context {
    public let request: Request
    /// The logged-in user; nil only on `.public` routes.
    public let user: User?
    /// This worker thread's database connection.
    public let db: any Database
    /// The request's start time (UTC). Use it instead of `Date()` so a request sees one "now".
    public let now: Date
    /// The company time zone (default Asia/Shanghai).
    public let timeZone: TimeZone
    /// The module whose route is running.
    public let module: String
    /// The CSRF token to put in forms as `_csrf` (the layout's form partials do this). Made on
    /// first use: a page without a form (or `/healthz`) sets no pre-session cookie.
    public private(set) lazy var csrfToken: String = makeCSRFToken()
    private let makeCSRFToken: () -> String
    /// Values of a form the user was filling when the session expired, restored after login.
    public let resumedForm: FormData?
    /// The host behind this context (host use only).
    @_spi(Host) public let host: ContextHost
    /// Set by the host when the database could not take this submit (busy, full, read-only) and
    /// the handler runs again with writes refused: `handleForm` then re-shows the typed form.
    @_spi(Host) public var storageFailure: StorageError?
    /// A message set with `flash(_:_:)` for the next page (host use: stored with the session).
    @_spi(Host) public var pendingFlash: Flash?
    /// The page's parent in the breadcrumb trail when it is not the menu item the path is under
    /// (a customer's page for the customer's stage form): shown as the last link before the page
    /// and as the 「返回…」 link. `render(_:title:status:parent:)` sets it too.
    public var parent: Breadcrumb?
    /// Values computed once per request (`memo(_:_:)`).
    private var memos: [String: Any] = [:]

    /// The value `make` computes, once per request under `key`: what a list's cells and the
    /// cards above it both read (another module's figures for the customers shown) is fetched
    /// once, not once per cell. Keys are the caller's own (prefix them with the module).
    public func memo<T>(_ key: String, _ make: () throws -> T) rethrows -> T {
        // Unwrapped first: a missing key cast to an optional `T` would "succeed" as nil.
        if let kept = memos[key], let value = kept as? T { return value }
        let value = try make()
        memos[key] = value
        return value
    }

    public init(request: Request, user: User?, db: any Database, now: Date, timeZone: TimeZone, module: String,
                csrfToken: @autoclosure @escaping () -> String, resumedForm: FormData?, host: ContextHost) {
        self.request = request
        self.user = user
        self.db = db
        self.now = now
        self.timeZone = timeZone
        self.module = module
        makeCSRFToken = csrfToken
        self.resumedForm = resumedForm
        self.host = host
    }

    /// The logged-in user, or 403.
    public func requireUser() throws -> User {
        guard let user else { throw HTTPError.forbidden }
        return user
    }

    /// Throws 403 unless the user holds `permission`.
    public func require(_ permission: Permission) throws {
        guard user?.can(permission) == true else { throw HTTPError.forbidden }
    }

    public func can(_ permission: Permission) -> Bool { user?.can(permission) ?? false }

    /// Renders a page model in the layout (menu, user, CSRF token): the template is the one the
    /// model names, bound to it at start-up.
    ///
    /// `parent`: the page's place in the breadcrumb trail when it is not under a menu item's
    /// path (see `Breadcrumb`).
    public func render<P: PageModel>(_ page: P, title: String, status: Int = 200, parent: Breadcrumb? = nil) -> Response {
        if let parent { self.parent = parent }
        return host.renderPage(page, title: title, status: status, context: self)
    }

    /// A one-time message for the next page the user sees (kept in the session, never in the
    /// URL): `ctx.flash(.ok, "已保存。")` before returning a redirect. A flash given to
    /// `Response.redirect(to:flash:)` does the same. A page rendered in this same request shows
    /// it at once instead.
    public func flash(_ kind: Flash.Kind, _ text: String) {
        pendingFlash = Flash(kind, text)
    }

    /// A typed service of a module this module depends on; throws if absent or undeclared.
    public func service<T>(_ type: T.Type) throws -> T {
        guard let s = host.service(ObjectIdentifier(type), for: module) as? T else {
            throw ServiceUnavailable(name: "\(type)")
        }
        return s
    }

    /// The service if its module is installed (for optional integrations).
    public func optionalService<T>(_ type: T.Type) -> T? {
        host.service(ObjectIdentifier(type), for: module) as? T
    }

    /// Writes an audit row (same transaction as the change when called inside one).
    public func audit(_ entry: AuditEntry) throws { try host.recordAudit(entry, context: self) }

    /// Stores an upload under the data directory with a server-chosen name.
    public func store(_ file: UploadedFile) throws -> StoredFile { try host.storeFile(file, context: self) }

    /// Serves a file this module stored. Check first that the user may see the record it belongs
    /// to: the host only checks that the id exists and was stored by this module (else 404).
    /// Images (PNG, JPEG, GIF, WebP) are shown inline; everything else downloads.
    public func fileResponse(_ id: String) throws -> Response {
        guard let (file, data) = try host.loadFile(id, context: self) else { throw HTTPError.notFound }
        let inlineTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"]
        let type = file.contentType.lowercased()
        let inline = inlineTypes.contains(type)
        return Response(status: 200, headers: [
            ("Content-Type", inline ? type : "application/octet-stream"),
            ("Content-Disposition", (inline ? "inline" : "attachment") + "; filename=\"file\"; filename*=UTF-8''" + URLEncoding.percentEncode(file.originalName)),
            ("Cache-Control", "private, no-store"),
        ], body: data)
    }

    /// A UTC instant shown in the company time zone, e.g. `2026-11-25 18:04`.
    public func display(_ date: Date, pattern: String = "yyyy-MM-dd HH:mm") -> String {
        host.formatTime(date, pattern: pattern)
    }

    /// `display` of an epoch-seconds instant, appended to `out` as UTF-8.
    public func appendDisplay(epoch: Int64, pattern: String = "yyyy-MM-dd HH:mm", into out: inout [UInt8]) {
        host.appendTime(epoch, pattern: pattern, into: &out)
    }

    /// Today's date in the company time zone.
    public var today: LocalDate { LocalDate(date: now, timeZone: timeZone) }
}

public struct ServiceUnavailable: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "service \(name) is not available to this module (not installed, or not a declared dependency)" }
}
