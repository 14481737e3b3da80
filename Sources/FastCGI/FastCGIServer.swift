#if canImport(Glibc)
import Glibc
#endif
import CFastCGI
import Dispatch
import Foundation
import Synchronization

/// One request as libfcgi delivered it, copied into Swift values before `FCGX_Finish_r`.
public struct FastCGIRequest: Sendable {
    /// The FastCGI params (`REQUEST_METHOD`, `QUERY_STRING`, `HTTP_COOKIE`, …), all but the
    /// configuration's `ignoredParams`.
    public var params: [String: String]
    /// The request body, read up to `CONTENT_LENGTH`, or to the end of the stdin stream when the
    /// front end declared no length (unset or empty); empty when too large.
    public var body: [UInt8]
    /// The body (declared or read) was larger than the configured limit: drained and dropped.
    public var bodyTooLarge: Bool
    /// `CONTENT_LENGTH` was not a number, or the stream ended before that many bytes arrived.
    public var bodyMalformed: Bool

    public init(params: [String: String], body: [UInt8] = [], bodyTooLarge: Bool = false, bodyMalformed: Bool = false) {
        self.params = params
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.bodyMalformed = bodyMalformed
    }
}

/// What a handler answers. `body` is omitted on the wire for HEAD requests.
public struct FastCGIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

public struct FastCGIConfiguration: Sendable {
    public enum Listen: Sendable, Equatable {
        /// A unix socket path (created, chmod'ed to `mode`, removed at shutdown).
        case unix(path: String, mode: mode_t = 0o660)
        /// `host:port`, e.g. `127.0.0.1:9000`.
        case tcp(String)
        /// fd 0 inherited from spawn-fcgi or systemd socket activation (`StandardInput=socket`).
        case inherited
    }

    public var listen: Listen
    /// Worker threads; each owns one `FCGX_Request` and one database connection.
    public var threads: Int
    /// Bodies above this are answered 413 by the handler (`bodyTooLarge`) and never buffered.
    public var maxBodyBytes: Int
    public var backlog: Int32
    /// Params left out of `FastCGIRequest.params`: skipped as they are read (no String, no
    /// dictionary entry, one fewer entry for every lookup and scan of the dictionary).
    public var ignoredParams: Set<String>

    /// The default `ignoredParams`: what front ends send that says nothing about the request
    /// the application handles, and that salesd (`RequestTarget`, `Worker`) never reads —
    /// nginx's `fastcgi_params` constants and addresses (`GATEWAY_INTERFACE`,
    /// `SERVER_SOFTWARE`, `DOCUMENT_ROOT`, `DOCUMENT_URI`, `SCRIPT_FILENAME`, `REDIRECT_STATUS`,
    /// `REMOTE_PORT`, `SERVER_ADDR`), Apache httpd's (`CONTEXT_DOCUMENT_ROOT`, `CONTEXT_PREFIX`,
    /// `SERVER_ADMIN`, `SERVER_SIGNATURE`) and libfcgi's own `FCGI_ROLE` (always RESPONDER).
    /// Every RFC 3875 request variable and every `HTTP_…` header is kept.
    public static let unreadParams: Set<String> = [
        "GATEWAY_INTERFACE", "SERVER_SOFTWARE", "DOCUMENT_ROOT", "DOCUMENT_URI", "SCRIPT_FILENAME", "REDIRECT_STATUS",
        "REMOTE_PORT", "SERVER_ADDR", "CONTEXT_DOCUMENT_ROOT", "CONTEXT_PREFIX", "SERVER_ADMIN", "SERVER_SIGNATURE",
        "FCGI_ROLE",
    ]

    public init(listen: Listen, threads: Int = 2 * ProcessInfo.processInfo.activeProcessorCount,
                maxBodyBytes: Int = 8 << 20, backlog: Int32 = 128, ignoredParams: Set<String> = Self.unreadParams) {
        self.listen = listen
        self.threads = max(1, threads)
        self.maxBodyBytes = maxBodyBytes
        self.backlog = backlog
        self.ignoredParams = ignoredParams
    }
}

public struct FastCGIError: Error, CustomStringConvertible {
    public var description: String
}

/// A per-worker handler: created on, and used only by, its own worker thread.
public typealias FastCGIHandler = (FastCGIRequest) -> FastCGIResponse

/// A threaded libfcgi responder.
///
/// ```swift
/// let server = try FastCGIServer(configuration: .init(listen: .unix(path: "/run/app.sock"))) { worker in
///     let db = openConnection()            // one per thread
///     return { request in handle(request, db) }
/// }
/// try server.start()
/// FastCGIServer.waitForTerminationSignal()  // SIGTERM / SIGINT
/// server.shutdown(); server.wait()          // in-flight requests finish first
/// ```
public final class FastCGIServer: Sendable {
    public let configuration: FastCGIConfiguration
    private let makeHandler: @Sendable (Int) -> FastCGIHandler
    private let state = Mutex(State())
    private let group = DispatchGroup()

    private struct State {
        var listenFD: Int32 = -1
        var started = false
        var stopping = false
        var inFlight = 0
        /// Worker threads currently blocked in (or about to enter) `FCGX_Accept_r`.
        /// Indexed by worker (`start` sizes it): an array, not a dictionary hashed twice per request.
        var idle: [pthread_t?] = []
        var running = 0
    }

    public init(configuration: FastCGIConfiguration, makeHandler: @escaping @Sendable (Int) -> FastCGIHandler) {
        self.configuration = configuration
        self.makeHandler = makeHandler
    }

    /// Requests being handled right now.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Opens the listen socket and starts the worker threads. Returns once every thread has made
    /// its handler (opened its database connection), so "serving" in the log means ready.
    public func start() throws {
        // A client that goes away must only make a write fail, never kill the process.
        signal(SIGPIPE, SIG_IGN)
        let fd = try FastCGIListener.open(configuration.listen, backlog: configuration.backlog)
        // Idle workers are woken for shutdown with SIGUSR1: no SA_RESTART, so a blocked
        // accept() — or read() on a kept-alive nginx connection — returns EINTR.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR1, &action, nil)
        state.withLock { s in
            s.listenFD = fd
            s.started = true
            s.idle = Array(repeating: nil, count: configuration.threads)
        }
        let ready = DispatchGroup()
        for index in 0..<configuration.threads {
            group.enter()
            ready.enter()
            let thread = Thread { [self] in
                self.workerLoop(index: index, listenFD: fd, ready: ready)
                self.group.leave()
            }
            thread.name = "fcgi-worker-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        ready.wait()
    }

    /// Stop accepting: wakes workers blocked in accept. In-flight requests run to completion.
    ///
    /// A socket we opened ourselves is `shutdown()`: every blocked `accept` fails at once.
    /// An inherited socket (systemd, spawn-fcgi) is shared with its owner and must stay
    /// listening for the next start, so instead libfcgi's shutdown flag is set
    /// (`FCGX_ShutdownPending`, process-wide) and each idle worker is interrupted with SIGUSR1
    /// (handler installed without `SA_RESTART`, so `accept` returns EINTR). Busy workers are
    /// never signalled: an interrupted read would fail their request.
    ///
    /// With nginx's upstream keepalive (`fastcgi_keep_conn on`) an idle worker waits in `read()`
    /// on its kept connection, not in `accept`, so idle workers are interrupted in both cases:
    /// libfcgi then closes that connection (nginx retries a request that was just being sent
    /// on a cached connection) and the worker's next `accept` fails.
    public func shutdown() {
        let fd = state.withLock { s -> Int32 in
            if s.stopping { return -1 }
            s.stopping = true
            return s.listenFD
        }
        guard fd >= 0 else { return }
        if configuration.listen == .inherited {
            FCGX_ShutdownPending()
        } else {
            Glibc.shutdown(fd, Int32(truncatingIfNeeded: SHUT_RDWR))
        }
        interruptIdleWorkers()
    }

    private func interruptIdleWorkers() {
        for thread in state.withLock({ $0.idle.compactMap { $0 } }) { pthread_kill(thread, SIGUSR1) }
    }

    /// Blocks until every worker has finished its last request.
    public func wait() {
        // A worker may have been between its idle mark and accept()/read() when signalled: repeat.
        while group.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if state.withLock({ $0.stopping }) { interruptIdleWorkers() }
        }
        let fd = state.withLock { $0.listenFD }
        if fd > 0 { close(fd) }
        if case .unix(let path, _) = configuration.listen { unlink(path) }
    }

    /// Blocks SIGTERM and SIGINT in the calling thread (call before `start()`, so workers inherit
    /// the mask) and returns a function that waits for one of them and returns its number.
    public static func blockTerminationSignals() -> @Sendable () -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waitSet = set
        return {
            var s = waitSet
            var signo: Int32 = 0
            while sigwait(&s, &signo) != 0 {}
            return signo
        }
    }

    // MARK: - Worker

    private func workerLoop(index: Int, listenFD: Int32, ready: DispatchGroup) {
        let handler = makeHandler(index)
        ready.leave()
        let request = FastCGIRequestHandle(listenFD: listenFD, ignoring: configuration.ignoredParams)
        defer { request.free() }
        let me = pthread_self()
        while true {
            let stopping = state.withLock { s -> Bool in
                if !s.stopping { s.idle[index] = me }
                return s.stopping
            }
            if stopping { break }
            let accepted = request.accept()
            state.withLock { s in
                s.idle[index] = nil
                if accepted { s.inFlight += 1 }
            }
            guard accepted else {
                if state.withLock({ $0.stopping }) { break }
                usleep(10_000) // a transient accept error: retry
                continue
            }
            let incoming = request.read(maxBodyBytes: configuration.maxBodyBytes)
            let response = handler(incoming)
            request.write(response, omitBody: incoming.params["REQUEST_METHOD"] == "HEAD")
            request.finish()
            state.withLock { $0.inFlight -= 1 }
        }
    }
}

/// The only holder of an `FCGX_Request`. Never leaves the worker thread that made it;
/// the struct lives at a stable address because libfcgi's streams point back into it.
final class FastCGIRequestHandle {
    private let raw: UnsafeMutablePointer<FCGX_Request>
    /// The last request's params, kept so the next request refills the same storage once the
    /// handler has let go of it.
    private var params: [String: String] = [:]
    /// The names of the last request's params in the order they came (duplicates included,
    /// ignored ones left out), each one's table index (-1 for a name not in the table), and —
    /// once the same names have come twice in a row — where each one's value is in `params`.
    /// A request with the same names in the same order (nearly every request from the same
    /// front end and browser) then only replaces the values in place: no hashing, no inserts.
    private var layoutNames: [String] = []
    private var layoutIndices: [Int] = []
    private var layoutSlots: [Dictionary<String, String>.Index] = []
    /// The well-known names and the ignored ones; `ignored[i]` for `names.names[i]`.
    private let names: ParamNames.Table
    private let ignored: [Bool]

    init(listenFD: Int32, ignoring ignoredParams: Set<String> = []) {
        let extra = ignoredParams.subtracting(ParamNames.names).sorted()
        names = extra.isEmpty ? ParamNames.table : ParamNames.Table(ParamNames.names + extra)
        ignored = names.names.map { ignoredParams.contains($0) }
        raw = .allocate(capacity: 1)
        raw.initialize(to: FCGX_Request())
        FCGX_InitRequest(raw, listenFD, 0)
    }

    func free() {
        FCGX_Free(raw, 1)
        raw.deinitialize(count: 1)
        raw.deallocate()
    }

    func accept() -> Bool { FCGX_Accept_r(raw) >= 0 }

    func finish() { FCGX_Finish_r(raw) }

    func read(maxBodyBytes: Int) -> FastCGIRequest {
        // Taken out of the property while it is filled (no exclusivity check per insert).
        var params: [String: String] = [:]
        swap(&params, &self.params)
        if layoutSlots.isEmpty || !refill(&params) { rebuild(&params) }
        self.params = params
        var result = FastCGIRequest(params: params)
        // RFC 3875 §4.1.2: CONTENT_LENGTH is set only when a body is attached. Apache httpd leaves
        // it unset for a GET, nginx sends it empty, lighttpd sends "0": all mean "no length given".
        // FastCGI still ends the stdin stream with an empty record, so read up to that end: nothing
        // for a GET, and a body a front end streams without a length is taken too (within the limit).
        guard let declared = params["CONTENT_LENGTH"], !declared.isEmpty else {
            readToEnd(maxBodyBytes: maxBodyBytes, into: &result)
            return result
        }
        guard let length = Int(declared), length >= 0 else {
            result.bodyMalformed = true
            drain(limit: Int.max)
            return result
        }
        if length > maxBodyBytes {
            // Drain without keeping: an unread body makes nginx fail the response (502).
            result.bodyTooLarge = true
            drain(limit: length)
            return result
        }
        if length > 0 {
            var body = [UInt8](repeating: 0, count: length)
            var got = 0
            body.withUnsafeMutableBufferPointer { buf in
                guard let base = buf.baseAddress else { return }
                while got < length {
                    let n = base.advanced(by: got).withMemoryRebound(to: CChar.self, capacity: length - got) {
                        FCGX_GetStr($0, Int32(truncatingIfNeeded: min(length - got, 1 << 20)), raw.pointee.in)
                    }
                    if n <= 0 { break }
                    got += Int(n)
                }
            }
            if got < length {
                result.bodyMalformed = true
                body.removeSubrange(got...)
            }
            result.body = body
        }
        return result
    }

    /// Calls `body` with each param's name (its table index, or -1 and its bytes) and value, in
    /// the order they came, ignored names left out; stops when `body` returns false.
    private func forEachParam(_ body: (Int, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) {
        guard var envp = raw.pointee.envp else { return }
        while let entry = envp.pointee {
            envp += 1
            // NAME=value: split at the first "=" byte.
            guard let eq = strchr(entry, 61) else { continue }
            let nameLength = entry.distance(to: eq)
            let keepGoing = entry.withMemoryRebound(to: UInt8.self, capacity: nameLength) { start -> Bool in
                let name = UnsafeBufferPointer(start: start, count: nameLength)
                let index = names.index(of: name) ?? -1
                if index >= 0, ignored[index] { return true }
                let value = eq + 1
                let valueLength = strlen(value)
                return value.withMemoryRebound(to: UInt8.self, capacity: valueLength) {
                    body(index, name, UnsafeBufferPointer(start: $0, count: valueLength))
                }
            }
            if !keepGoing { return }
        }
    }

    /// Each side decoded once; a well-known name is the shared constant (`ParamNames`).
    private func decodeName(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        index >= 0 ? names.names[index] : String(decoding: bytes, as: UTF8.self)
    }

    private static func decodeValue(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        bytes.isEmpty ? "" : String(decoding: bytes, as: UTF8.self)
    }

    /// The same names in the same order as the last request: the values are replaced where they
    /// are (a repeated name's later value last, so it wins as on insert). False, with `params`
    /// partly updated, as soon as a name differs or the count does: `rebuild` then starts over.
    private func refill(_ params: inout [String: String]) -> Bool {
        // Locals: no exclusivity check on the stored properties per param.
        let names = layoutNames, indices = layoutIndices, slots = layoutSlots
        var k = 0
        var same = true
        forEachParam { index, name, value in
            guard k < names.count, index >= 0 ? indices[k] == index : (indices[k] < 0 && names[k].utf8.elementsEqual(name)) else {
                same = false
                return false
            }
            params.values[slots[k]] = Self.decodeValue(value)
            k += 1
            return true
        }
        return same && k == names.count
    }

    /// A new dictionary of this request's params (storage kept). The names are remembered; when
    /// they are the last request's again, where each value sits is remembered too, for `refill`.
    private func rebuild(_ params: inout [String: String]) {
        layoutSlots.removeAll()
        params.removeAll(keepingCapacity: true)
        params.reserveCapacity(48)   // nginx's fastcgi_params: ~30 (no rehashing as it fills)
        var names: [String] = []
        var indices: [Int] = []
        names.reserveCapacity(max(layoutNames.count, 32))
        indices.reserveCapacity(max(layoutNames.count, 32))
        forEachParam { index, nameBytes, value in
            let name = decodeName(index, nameBytes)
            params[name] = Self.decodeValue(value)
            names.append(name)
            indices.append(index)
            return true
        }
        if names == layoutNames {
            var slots: [Dictionary<String, String>.Index] = []
            slots.reserveCapacity(names.count)
            for name in names {
                guard let slot = params.index(forKey: name) else { return }
                slots.append(slot)
            }
            layoutSlots = slots
        }
        layoutNames = names
        layoutIndices = indices
    }

    /// No length declared: reads stdin to its end. More than `maxBodyBytes` is drained and
    /// dropped (`bodyTooLarge`), as for a declared length over the limit.
    private func readToEnd(maxBodyBytes: Int, into result: inout FastCGIRequest) {
        var body: [UInt8] = []
        // Uninitialised scratch on the stack: a GET (no body) costs neither a malloc nor a memset.
        // At most 1 KB: Swift puts a larger temporary allocation on the heap unless it can tell
        // the thread's stack has room (on the worker threads it could not: a malloc per request).
        let tooLarge = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1 << 10) { chunk -> Bool in
            guard let base = chunk.baseAddress else { return false }
            while true {
                let n = FCGX_GetStr(base, Int32(truncatingIfNeeded: chunk.count), raw.pointee.in)
                if n <= 0 { return false }
                if body.count + Int(n) > maxBodyBytes { return true }
                body.append(contentsOf: UnsafeRawBufferPointer(start: base, count: Int(n)))
            }
        }
        if tooLarge {
            result.bodyTooLarge = true
            drain(limit: Int.max)
            return
        }
        result.body = body
    }

    private func drain(limit: Int) {
        var scratch = [CChar](repeating: 0, count: 64 << 10)
        var left = limit
        while left > 0 {
            let n = FCGX_GetStr(&scratch, Int32(truncatingIfNeeded: min(left, scratch.count)), raw.pointee.in)
            if n <= 0 { break }
            left -= Int(n)
        }
    }

    func write(_ response: FastCGIResponse, omitBody: Bool) {
        // The head is collected in a buffer on the stack (1 KB: larger would be a malloc, see
        // `readToEnd`) and goes to libfcgi's stream in one call (more if it is larger), then the
        // body as it is (no joined copy): `Status: 200 OK`, the headers, `Content-Length` unless
        // the handler gave one, each line ended by CRLF, then an empty line.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 << 10) { space in
            var head = HeadBuffer(space: space, handle: self)
            head.append("Status: ")
            head.appendDecimal(response.status)
            head.append(" ")
            head.append(reasonPhrase(response.status))
            head.append("\r\n")
            var hasLength = false
            for (name, value) in response.headers {
                if name.utf8.count == 14, name.lowercased() == "content-length" { hasLength = true }
                head.append(name)
                head.append(": ")
                // Header injection guard: values never contain CR or LF.
                if value.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                    var clean = value
                    clean.unicodeScalars.removeAll { $0 == "\r" || $0 == "\n" }
                    head.append(clean)
                } else {
                    head.append(value)
                }
                head.append("\r\n")
            }
            if !hasLength {
                head.append("Content-Length: ")
                head.appendDecimal(response.body.count)
                head.append("\r\n")
            }
            head.append("\r\n")
            head.flush()
        }
        if !omitBody { response.body.withUnsafeBufferPointer { put($0) } }
    }

    /// Bytes collected in `space`; a piece that does not fit first sends what is there.
    private struct HeadBuffer {
        let space: UnsafeMutableBufferPointer<UInt8>
        let handle: FastCGIRequestHandle
        var count = 0

        init(space: UnsafeMutableBufferPointer<UInt8>, handle: FastCGIRequestHandle) {
            self.space = space
            self.handle = handle
        }

        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let source = bytes.baseAddress, let base = space.baseAddress else { return }
            if count + bytes.count > space.count {
                flush()
                if bytes.count > space.count {
                    handle.put(bytes)
                    return
                }
            }
            (base + count).initialize(from: source, count: bytes.count)
            count += bytes.count
        }

        mutating func append(_ text: StaticString) {
            append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        mutating func append(_ text: String) {
            var text = text
            text.withUTF8 { append($0) }
        }

        /// `String(n)`'s digits.
        mutating func appendDecimal(_ n: Int) {
            guard n >= 0, n < 1_000_000_000_000 else {
                append(String(n))
                return
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 12) { digits in
                var i = digits.count
                var rest = n
                repeat {
                    i -= 1
                    digits[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                } while rest > 0
                append(UnsafeBufferPointer(rebasing: digits[i...]))
            }
        }

        mutating func flush() {
            guard count > 0 else { return }
            handle.put(UnsafeBufferPointer(start: space.baseAddress, count: count))
            count = 0
        }
    }

    private func put(_ buf: UnsafeBufferPointer<UInt8>) {
        guard let base = buf.baseAddress, !buf.isEmpty else { return }
        // In pieces of at most 1 MiB: FCGX_PutStr takes an Int32 length.
        var offset = 0
        while offset < buf.count {
            let n = min(buf.count - offset, 1 << 20)
            let written = (base + offset).withMemoryRebound(to: CChar.self, capacity: n) {
                FCGX_PutStr($0, Int32(truncatingIfNeeded: n), raw.pointee.out)
            }
            if written < 0 { return }   // the client went away
            offset += n
        }
    }
}

func reasonPhrase(_ status: Int) -> StaticString {
    switch status {
    case 200: "OK"
    case 201: "Created"
    case 204: "No Content"
    case 302: "Found"
    case 303: "See Other"
    case 304: "Not Modified"
    case 400: "Bad Request"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 413: "Payload Too Large"
    case 422: "Unprocessable Content"
    case 429: "Too Many Requests"
    case 500: "Internal Server Error"
    case 503: "Service Unavailable"
    default: "Status"
    }
}
