#if canImport(Glibc)
import Glibc
#endif
import CFastCGI
import Foundation

/// What the master tells every worker and `/healthz`: how many workers should run, how many do,
/// and how many were replaced since the master started. Lives in one page of shared memory
/// (a memfd the master creates and passes to each worker as fd 3), so reading it costs a load,
/// not a system call, and it is the same in every worker.
public struct PoolSnapshot: Sendable, Equatable {
    public var wanted: Int
    public var alive: Int
    public var restarts: Int
    public var masterPID: Int
}

/// The shared page. The master writes it (one thread); workers map it read-only and only load
/// from it. Aligned 8-byte loads and stores are single-copy atomic on the platforms we build for,
/// so a reader sees each field whole (fields may be from two successive updates: harmless).
public final class PoolStatusPage: @unchecked Sendable {
    private static let size = 4096
    private static let magic: Int64 = 0x5341_4c45_5350_4f4c   // "SALESPOL"
    private let base: UnsafeMutablePointer<Int64>
    /// The memfd (master) or the inherited descriptor (worker).
    public let fd: Int32

    private init(base: UnsafeMutablePointer<Int64>, fd: Int32) {
        self.base = base
        self.fd = fd
    }

    /// Master side: a new anonymous page, zeroed, close-on-exec (the spawn actions dup it to 3).
    public static func create() throws -> PoolStatusPage {
        let fd = salesd_memfd("salesd-pool")
        guard fd >= 0 else { throw FastCGIError(description: "memfd_create: \(String(cString: strerror(errno)))") }
        guard ftruncate(fd, off_t(size)) == 0,
              let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), raw != MAP_FAILED else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw FastCGIError(description: "pool status page: \(message)")
        }
        let page = PoolStatusPage(base: raw.bindMemory(to: Int64.self, capacity: size / 8), fd: fd)
        page.base[0] = magic
        return page
    }

    /// Worker side: maps the page inherited as `fd`; nil if it is not one of ours.
    public static func attach(fd: Int32) -> PoolStatusPage? {
        guard let raw = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), raw != MAP_FAILED else { return nil }
        let page = PoolStatusPage(base: raw.bindMemory(to: Int64.self, capacity: size / 8), fd: fd)
        guard page.base[0] == magic else {
            munmap(raw, size)
            return nil
        }
        return page
    }

    public var snapshot: PoolSnapshot {
        PoolSnapshot(wanted: Int(base[1]), alive: Int(base[2]), restarts: Int(base[3]), masterPID: Int(base[4]))
    }

    func publish(_ s: PoolSnapshot) {
        base[1] = Int64(s.wanted)
        base[2] = Int64(s.alive)
        base[3] = Int64(s.restarts)
        base[4] = Int64(s.masterPID)
    }
}

/// Request statistics of the whole pool since the master started, for the administrators'
/// status page: every worker adds to the same counters (atomic adds on a shared page the master
/// creates, passed to each worker as fd 4); workers also count themselves ready there, which the
/// master reports to systemd (`READY=1`).
public struct PoolStats: Sendable, Equatable {
    /// Upper bounds of the latency buckets in milliseconds (the last bucket is everything above).
    public static let bucketBounds: [Int64] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
    public var requests: Int64
    public var serverErrors: Int64
    public var slow: Int64
    public var totalMicroseconds: Int64
    /// `bucketBounds.count + 1` counts.
    public var buckets: [Int64]
    public var readyWorkers: Int64

    /// The latency below which `fraction` of the requests finished, as a bucket bound in ms
    /// (nil: no requests; `Int64.max`: above the last bound).
    public func percentile(_ fraction: Double) -> Int64? {
        guard requests > 0 else { return nil }
        let target = Double(requests) * fraction
        var seen: Int64 = 0
        for (i, n) in buckets.enumerated() {
            seen += n
            if Double(seen) >= target { return i < Self.bucketBounds.count ? Self.bucketBounds[i] : Int64.max }
        }
        return Int64.max
    }
}

public final class PoolStatsPage: @unchecked Sendable {
    private static let size = 4096
    private static let magic: Int64 = 0x5341_4c45_5353_5441   // "SALESSTA"
    private static let bucketBase = 8
    private let base: UnsafeMutablePointer<Int64>
    public let fd: Int32

    private init(base: UnsafeMutablePointer<Int64>, fd: Int32) {
        self.base = base
        self.fd = fd
    }

    /// Master side: a new zeroed page.
    public static func create() throws -> PoolStatsPage {
        let fd = salesd_memfd("salesd-stats")
        guard fd >= 0 else { throw FastCGIError(description: "memfd_create: \(String(cString: strerror(errno)))") }
        guard let page = map(fd: fd, create: true) else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw FastCGIError(description: "pool statistics page: \(message)")
        }
        return page
    }

    /// Worker side: the page inherited as `fd`, mapped read-write; nil if it is not one of ours.
    public static func attach(fd: Int32) -> PoolStatsPage? { map(fd: fd, create: false) }

    private static func map(fd: Int32, create: Bool) -> PoolStatsPage? {
        if create, ftruncate(fd, off_t(size)) != 0 { return nil }
        guard let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), raw != MAP_FAILED else { return nil }
        let page = PoolStatsPage(base: raw.bindMemory(to: Int64.self, capacity: size / 8), fd: fd)
        if create { page.base[0] = magic }
        guard page.base[0] == magic else {
            munmap(raw, size)
            return nil
        }
        return page
    }

    /// One finished request (called by every worker thread).
    public func record(microseconds: Int64, status: Int, slow: Bool) {
        let us = max(0, microseconds)
        salesd_atomic_add(base + 2, 1)
        if status >= 500 { salesd_atomic_add(base + 3, 1) }
        if slow { salesd_atomic_add(base + 4, 1) }
        salesd_atomic_add(base + 5, us)
        let ms = us / 1000
        let bucket = PoolStats.bucketBounds.firstIndex { ms < $0 } ?? PoolStats.bucketBounds.count
        salesd_atomic_add(base + Self.bucketBase + bucket, 1)
    }

    /// A worker is serving (every thread has its connection).
    public func workerReady() { salesd_atomic_add(base + 1, 1) }

    public var snapshot: PoolStats {
        func load(_ i: Int) -> Int64 { salesd_atomic_load(base + i) }
        return PoolStats(requests: load(2), serverErrors: load(3), slow: load(4), totalMicroseconds: load(5),
                         buckets: (0...PoolStats.bucketBounds.count).map { load(Self.bucketBase + $0) }, readyWorkers: load(1))
    }
}

/// The supervising master of `salesd serve` (the PHP-FPM model): it owns the listening socket
/// and keeps `processes` worker processes running, each a fresh `exec` of the same binary that
/// receives the socket as fd 0 (exactly as under spawn-fcgi or systemd socket activation) and
/// runs the threaded `FastCGIServer` on it.
///
/// - A worker that dies (a Swift trap, a signal, the OOM killer, a non-zero exit) is logged with
///   its cause and replaced at once; one that keeps dying within `quickDeath` seconds of its
///   start is restarted with a doubling back-off (0.5 s … 30 s), and the master says so.
/// - SIGTERM / SIGINT: every worker gets SIGTERM (stops accepting, finishes its in-flight
///   requests); the master exits 0 when all have exited. The socket stays open until then.
/// - SIGHUP: `reload` is asked for the new worker count (nil: configuration invalid, keep the
///   running workers); a new generation is started, then the old one is told to drain. The
///   listening socket never closes, so nginx sees no 502.
///
/// The master runs no request code and holds no database connection: nothing a request can do
/// reaches it. Workers ask the kernel for SIGTERM when the master dies (parent-death signal).
public final class ProcessPool {
    public struct WorkerCommand: Sendable {
        public var executable: String
        public var arguments: [String]
        public var environment: [String: String]
        public init(executable: String, arguments: [String], environment: [String: String]) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
        }
    }

    public enum LogLevel: Sendable { case info, warning, error }

    /// Environment a worker finds: the pool page's descriptor and the master's pid.
    public static let poolFDVariable = "SALESD_POOL_FD"
    public static let statsFDVariable = "SALESD_STATS_FD"
    public static let masterPIDVariable = "SALESD_MASTER_PID"
    static let poolFD: Int32 = 3
    static let statsFD: Int32 = 4

    private struct Slot {
        var pid: pid_t?
        var startedAt: Double = 0
        var quickDeaths = 0
        var notBefore: Double = 0
    }

    private let listenFD: Int32
    private let command: WorkerCommand
    private let reload: () -> Int?
    private let log: (LogLevel, String) -> Void
    private let status: PoolStatusPage
    /// The pool's request statistics (workers write, the status page reads).
    public let stats: PoolStatsPage
    /// systemd: READY=1 sent once every worker of the first generation serves.
    private var readySent = false
    private var watchdogInterval: Double?
    private var lastWatchdog: Double = 0
    /// A worker that dies sooner than this after its start counts towards the back-off.
    public var quickDeath: Double = 10
    private var slots: [Slot]
    private var draining: [pid_t: Int] = [:]   // pid → generation, told to stop
    private var generation = 0
    private var generationOf: [pid_t: Int] = [:]
    private var restarts = 0
    private var stopping = false

    public init(processes: Int, listenFD: Int32, command: WorkerCommand,
                reload: @escaping () -> Int?, log: @escaping (LogLevel, String) -> Void) throws {
        self.listenFD = listenFD
        self.command = command
        self.reload = reload
        self.log = log
        self.status = try PoolStatusPage.create()
        self.stats = try PoolStatsPage.create()
        if let usec = ProcessInfo.processInfo.environment["WATCHDOG_USEC"].flatMap({ Double($0) }), usec > 0 {
            watchdogInterval = usec / 2e6       // notify at half the limit, as sd_watchdog_enabled(3) advises
        }
        self.slots = Array(repeating: Slot(), count: max(1, processes))
    }

    /// Runs until SIGTERM/SIGINT and every worker has exited. Call from the main thread of a
    /// process that has started no other threads: it blocks the signals it waits for.
    public func run() {
        var waitSet = sigset_t()
        sigemptyset(&waitSet)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&waitSet, s) }
        pthread_sigmask(SIG_BLOCK, &waitSet, nil)
        signal(SIGPIPE, SIG_IGN)
        // The listen socket reaches workers only as their fd 0.
        if listenFD != 0 { _ = fcntl(listenFD, F_SETFD, FD_CLOEXEC) }

        startMissing()
        while true {
            var timeout = timespec(tv_sec: 0, tv_nsec: 250_000_000)
            var info = siginfo_t()
            let signo = sigtimedwait(&waitSet, &info, &timeout)
            switch signo {
            case SIGTERM, SIGINT:
                if !stopping {
                    stopping = true
                    _ = salesd_sd_notify("STOPPING=1")
                    let pids = slots.compactMap(\.pid) + Array(draining.keys)
                    log(.info, "pool: signal \(signo): stopping \(pids.count) worker(s); in-flight requests finish first")
                    for pid in pids { kill(pid, SIGTERM) }
                }
            case SIGHUP:
                if !stopping { reloadWorkers() }
            default:
                break   // SIGCHLD or the timeout: reap and restart below
            }
            reap()
            if stopping {
                if slots.allSatisfy({ $0.pid == nil }) && draining.isEmpty { break }
            } else {
                startMissing()
                notifySystemd()
            }
            publish()
        }
        log(.info, "pool: all workers stopped")
    }

    /// `READY=1` once the first generation serves (a unit with Type=notify starts its dependents
    /// then, and `systemctl start` returns then); `WATCHDOG=1` while at least one worker runs, so
    /// a pool that cannot keep any worker alive is restarted by systemd (WatchdogSec).
    private func notifySystemd() {
        if !readySent, stats.snapshot.readyWorkers >= Int64(slots.count) {
            readySent = true
            _ = salesd_sd_notify("READY=1\nSTATUS=serving with \(slots.count) worker process(es)")
            log(.info, "pool: \(slots.count) worker(s) serving")
        }
        if let interval = watchdogInterval, readySent, slots.contains(where: { $0.pid != nil }) {
            let t = now()
            if t - lastWatchdog >= interval {
                lastWatchdog = t
                _ = salesd_sd_notify("WATCHDOG=1")
            }
        }
    }

    // MARK: - Workers

    private func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    private func startMissing() {
        let t = now()
        for i in slots.indices where slots[i].pid == nil && slots[i].notBefore <= t {
            if let pid = spawn() {
                slots[i].pid = pid
                slots[i].startedAt = t
                generationOf[pid] = generation
            } else {
                slots[i].notBefore = t + 1
            }
        }
        publish()
    }

    private func reloadWorkers() {
        guard let processes = reload() else {
            log(.error, "pool: reload refused (configuration or templates invalid, see above); the running workers keep serving")
            return
        }
        let old = slots.compactMap(\.pid)
        generation += 1
        slots = Array(repeating: Slot(), count: max(1, processes))
        startMissing()
        for pid in old {
            draining[pid] = generationOf[pid] ?? 0
            kill(pid, SIGTERM)
        }
        log(.info, "pool: reload: \(slots.count) new worker(s) started; \(old.count) old worker(s) finish their requests and exit")
    }

    private func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            generationOf[pid] = nil
            if draining.removeValue(forKey: pid) != nil {
                let (cause, _) = Self.describe(status)
                log(.info, "pool: worker \(pid) of the previous generation \(cause)")
                continue
            }
            guard let i = slots.firstIndex(where: { $0.pid == pid }) else { continue }
            slots[i].pid = nil
            let (cause, clean) = Self.describe(status)
            if stopping {
                if clean { log(.info, "pool: worker \(pid) \(cause)") } else { log(.warning, "pool: worker \(pid) \(cause) while stopping") }
                continue
            }
            restarts += 1
            let t = now()
            let lived = t - slots[i].startedAt
            slots[i].quickDeaths = lived < quickDeath ? slots[i].quickDeaths + 1 : 1
            let n = slots[i].quickDeaths
            let delay = n <= 1 ? 0 : min(30, 0.5 * Double(1 << min(n - 2, 6)))
            slots[i].notBefore = t + delay
            log(.error, "pool: worker \(pid) \(cause) after \(String(format: "%.1f", lived)) s; its in-flight requests are lost, the other workers keep serving; "
                + (delay == 0 ? "replacing it now" : "it died \(n) times in a row within \(Int(quickDeath)) s of starting: next start in \(delay) s (back-off)"))
        }
    }

    /// "exited with status 1", "was killed by signal 4 (Illegal instruction: a Swift runtime trap …)".
    static func describe(_ status: Int32) -> (String, clean: Bool) {
        let signal = status & 0x7f
        if signal == 0 {
            let code = (status >> 8) & 0xff
            return (code == 0 ? "exited" : "exited with status \(code)", code == 0)
        }
        var text = "was killed by signal \(signal)"
        if let name = strsignal(signal) { text += " (\(String(cString: name))" }
        switch signal {
        case SIGILL, SIGTRAP: text += ": a Swift runtime trap — force unwrap, overflow or failed precondition"
        case SIGKILL: text += ": killed from outside, e.g. by the OOM killer"
        case SIGSEGV, SIGBUS: text += ": a memory fault"
        default: break
        }
        if strsignal(signal) != nil { text += ")" }
        if status & 0x80 != 0 { text += ", core dumped" }
        return (text, false)
    }

    private func publish() {
        status.publish(PoolSnapshot(wanted: slots.count, alive: slots.filter { $0.pid != nil }.count,
                                    restarts: restarts, masterPID: Int(getpid())))
    }

    /// posix_spawn of the worker command with the listen socket as fd 0 and the status page as
    /// fd 3, an empty signal mask and default dispositions (the master blocks what it waits for).
    private func spawn() -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listenFD, 0)
        posix_spawn_file_actions_adddup2(&actions, status.fd, Self.poolFD)
        posix_spawn_file_actions_adddup2(&actions, stats.fd, Self.statsFD)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGUSR1] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var environment = ProcessInfo.processInfo.environment
        for (k, v) in command.environment { environment[k] = v }
        environment[Self.poolFDVariable] = String(Self.poolFD)
        environment[Self.statsFDVariable] = String(Self.statsFD)
        // Only the master talks to systemd (NotifyAccess=main).
        environment["NOTIFY_SOCKET"] = nil
        environment["WATCHDOG_USEC"] = nil
        environment["WATCHDOG_PID"] = nil
        environment[Self.masterPIDVariable] = String(getpid())
        let argv = ([command.executable] + command.arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, command.executable, &actions, &attr, argv, envp)
        guard rc == 0 else {
            log(.error, "pool: cannot start a worker (\(command.executable)): \(String(cString: strerror(rc)))")
            return nil
        }
        return pid
    }

    // MARK: - Worker side

    /// Called first thing in a worker process: the kernel sends SIGTERM when the master dies
    /// (so a killed master leaves no orphans serving a stale socket), and the status page.
    public static func joinPool(environment: [String: String] = ProcessInfo.processInfo.environment) -> PoolStatusPage? {
        _ = salesd_set_parent_death_signal(SIGTERM)
        if let master = environment[masterPIDVariable].flatMap({ Int32($0) }), getppid() != master {
            // The master died before the death signal was armed.
            kill(getpid(), SIGTERM)
        }
        return environment[poolFDVariable].flatMap { Int32($0) }.flatMap { PoolStatusPage.attach(fd: $0) }
    }

    /// Worker side: the pool's statistics page (nil outside a pool).
    public static func joinStats(environment: [String: String] = ProcessInfo.processInfo.environment) -> PoolStatsPage? {
        environment[statsFDVariable].flatMap { Int32($0) }.flatMap { PoolStatsPage.attach(fd: $0) }
    }

    /// The running executable, for spawning workers (a replaced binary: its new file).
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments.first ?? "salesd" }
        var path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }
}

/// Opens the listening socket the master hands to its workers.
public enum FastCGIListener {
    /// A unix path (created, chmod'ed), `host:port`, or fd 0 (inherited: must be a socket).
    public static func open(_ listen: FastCGIConfiguration.Listen, backlog: Int32 = 128) throws -> Int32 {
        guard FCGX_Init() == 0 else { throw FastCGIError(description: "FCGX_Init failed") }
        let fd: Int32
        switch listen {
        case .inherited:
            if FCGX_IsCGI() != 0 {
                throw FastCGIError(description: "fd 0 is not a FastCGI listen socket (start under spawn-fcgi or systemd socket activation, or configure a socket)")
            }
            fd = 0
        case .unix(let path, let mode):
            unlink(path)
            fd = FCGX_OpenSocket(path, backlog)
            if fd >= 0 { chmod(path, mode) }
        case .tcp(let address):
            fd = FCGX_OpenSocket(address, backlog)
        }
        guard fd >= 0 else {
            throw FastCGIError(description: "cannot listen on \(listen): \(String(cString: strerror(errno)))")
        }
        return fd
    }
}
