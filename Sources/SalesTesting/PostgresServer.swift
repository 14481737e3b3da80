import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server for the tests: Debian's `postgresql` binaries, run as the `postgres`
/// user on a private port and socket directory under a temp folder, trust authentication on the
/// socket only (no TCP). One server per test process, started on first use;
/// each test takes a fresh database (`freshDatabaseURL()`). The server stops when the test
/// process ends.
public final class PostgresServer: @unchecked Sendable {
    public let directory: String
    public let port: Int
    public var socketDirectory: String { directory + "/sock" }
    private let bin: String
    private let lock = NSLock()
    private var databases = 0

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The process's server (started once). Throws `Unavailable` with the reason and the fix.
    public static func shared() throws -> PostgresServer {
        try sharedServer.get()
    }

    private static let sharedServer: Result<PostgresServer, Error> = Result { try PostgresServer() }

    init() throws {
        let fm = FileManager.default
        guard let version = (try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last,
              fm.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") else {
            throw Unavailable(description: "PostgreSQL is not installed (apt-get install -y postgresql; `make deps` does it)")
        }
        bin = "/usr/lib/postgresql/\(version)/bin"
        directory = NSTemporaryDirectory() + "sales-pg-" + UUID().uuidString.prefix(8)
        port = 20000 + Int(getpid() % 20000)
        try fm.createDirectory(atPath: directory + "/sock", withIntermediateDirectories: true)
        try Self.run("/bin/chown", ["-R", "postgres:postgres", directory])
        try Self.asPostgres(bin + "/initdb", ["-D", directory + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                              "--locale=C.UTF-8"])
        // The server lives exactly as long as this test process: a watcher shell (as postgres)
        // starts it, waits while this process exists, then stops it and removes the folder —
        // whatever way the test process ends (Swift Testing does not run atexit handlers).
        let data = directory + "/data"
        let options = "-p \(port) -k \(directory)/sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        let script = """
            \(bin)/pg_ctl -D \(data) -l \(directory)/server.log -w -t 30 -o "\(options)" start >/dev/null 2>&1 || exit 1
            while [ -d /proc/\(getpid()) ]; do sleep 1; done
            \(bin)/pg_ctl -D \(data) -m immediate -w stop >/dev/null 2>&1
            rm -rf \(directory)
            """
        try Self.spawnDetached(getuid() == 0 ? "/usr/sbin/runuser" : "/bin/sh",
                               getuid() == 0 ? ["-u", "postgres", "--", "/bin/sh", "-c", script] : ["-c", script])
        let socket = directory + "/sock/.s.PGSQL.\(port)"
        let deadline = Date().addingTimeInterval(30)
        while !fm.fileExists(atPath: socket) {
            guard Date() < deadline else {
                let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
                throw Unavailable(description: "PostgreSQL did not start in 30 s: \(log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.2)     // the socket appears just before connections are accepted
    }

    /// A new, empty database; its libpq URL.
    public func freshDatabaseURL() throws -> String {
        let name: String = lock.withLock {
            databases += 1
            return "t\(databases)"
        }
        try Self.asPostgres(bin + "/createdb", ["-h", socketDirectory, "-p", String(port), "-U", "postgres", name])
        return url(database: name)
    }

    public func url(database: String) -> String {
        "postgresql:///\(database)?host=\(socketDirectory)&port=\(port)&user=postgres"
    }

    private static func asPostgres(_ tool: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try run("/usr/sbin/runuser", ["-u", "postgres", "--", tool] + arguments)
        } else {
            try run(tool, arguments)
        }
    }

    /// Starts a tool and does not wait for it (the watcher).
    private static func spawnDetached(_ tool: String, _ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(0x80))     // POSIX_SPAWN_SETSID: not in the test's process group
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, tool, &actions, &attr, argv, environ)
        guard rc == 0 else { throw Unavailable(description: "\(tool): \(String(cString: strerror(rc)))") }
    }

    /// Runs a tool and waits for it (posix_spawn + waitpid: Foundation's Process did not notice
    /// the exit of `pg_ctl start`, whose server keeps the inherited descriptors).
    private static func run(_ tool: String, _ arguments: [String]) throws {
        let log = NSTemporaryDirectory() + "sales-pg-cmd-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, tool, &actions, nil, argv, environ)
        guard rc == 0 else { throw Unavailable(description: "\(tool): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Unavailable(description: "\(tool) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
    }
}
