import Synchronization

/// A mistake in a module's code found while serving a request — never something the user did.
/// Recorded (and logged by the host) instead of trapping: the request carries on with a safe
/// fallback, and the tests fail on it (`SalesTesting` fails the test whose request recorded one).
public struct ProgrammingError: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A form value read by a name its schema does not declare (it reads as empty).
        case undeclaredRead
        /// An error attached to a field the form does not declare (it is shown on top of the form).
        case undeclaredErrorField
        /// `SQL.insert` / `SQL.update` asked for a column the form cannot give (the statement is refused).
        case invalidFormSQL
        /// Two parts of a module declare a form under the same name (`FormSchema.combine`); the
        /// registry refuses to start.
        case duplicateFormName
        /// A page model rendered that its module does not list in `pages` (bound on first use).
        case undeclaredPage
    }

    public var kind: Kind
    /// The undeclared name or error key (the table, for `invalidFormSQL`).
    public var name: String
    /// What the schema declares, or why the key is not one of its fields.
    public var detail: String
    /// The call site (`Module/File.swift:42`), when known.
    public var site: String

    public init(kind: Kind, name: String, detail: String, site: String = "") {
        self.kind = kind
        self.name = name
        self.detail = detail
        self.site = site
    }

    public var description: String {
        let what = switch kind {
        case .undeclaredRead: "form value read by an undeclared name"
        case .undeclaredErrorField: "form error attached to an undeclared field"
        case .invalidFormSQL: "form SQL refused for table"
        case .duplicateFormName: "form name declared twice"
        case .undeclaredPage: "page model not declared"
        }
        return "\(what) '\(name)'" + (site.isEmpty ? "" : " at \(site)") + (detail.isEmpty ? "" : ": \(detail)")
    }
}

/// The process-wide sink of `ProgrammingError`s: thread-safe, bounded (the most recent
/// `capacity` are kept; `count` counts all), reported to the host's log as they happen.
public enum ProgrammingErrors {
    /// How many of the most recent errors are kept (a typo on a busy page records one per request).
    public static let capacity = 200

    private struct State {
        var recent: [ProgrammingError] = []
        var count = 0
        var reporter: (@Sendable (ProgrammingError) -> Void)?
    }

    private static let state = Mutex(State())

    /// Called with every error recorded while it is bound (the test client binds one around each
    /// request, so the test that caused an error is the one that fails, even with tests running
    /// in parallel).
    @TaskLocal public static var observer: (@Sendable (ProgrammingError) -> Void)?

    /// Records an error: kept, reported (the host logs it), and passed to the bound `observer`.
    public static func record(_ error: ProgrammingError) {
        let reporter = state.withLock { s -> (@Sendable (ProgrammingError) -> Void)? in
            if s.recent.count >= capacity { s.recent.removeFirst(s.recent.count - capacity + 1) }
            s.recent.append(error)
            s.count = s.count < Int.max ? s.count + 1 : s.count
            return s.reporter
        }
        reporter?(error)
        observer?(error)
    }

    /// The most recent errors, oldest first (at most `capacity`).
    public static var recorded: [ProgrammingError] { state.withLock { $0.recent } }

    /// How many errors were recorded since start (or `removeAll`).
    public static var count: Int { state.withLock { $0.count } }

    /// Forgets the recorded errors (the reporter stays).
    public static func removeAll() {
        state.withLock { s in
            s.recent = []
            s.count = 0
        }
    }

    /// Where errors are reported as they are recorded (the host installs its logger); nil: nowhere.
    public static func setReporter(_ reporter: (@Sendable (ProgrammingError) -> Void)?) {
        state.withLock { $0.reporter = reporter }
    }
}
