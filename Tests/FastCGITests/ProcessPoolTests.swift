#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FastCGI

/// The pool master's own logic (issue 12); the pool itself is tested end to end through nginx in
/// Tests/e2e/test_worker_pool.py (traps, SIGSEGV, SIGKILL, reload, back-off).
@Suite struct ProcessPoolTests {
    /// waitpid statuses as the kernel encodes them: exit code << 8, or the signal number (| 0x80 core).
    @Test func exitCausesAreNamedForTheLog() {
        #expect(ProcessPool.describe(0) == ("exited", true))
        #expect(ProcessPool.describe(70 << 8) == ("exited with status 70", false))
        let trap = ProcessPool.describe(SIGILL)
        #expect(!trap.clean && trap.0.contains("signal 4") && trap.0.contains("Swift runtime trap"))
        #expect(ProcessPool.describe(SIGTRAP | 0x80).0.contains("core dumped"))
        #expect(ProcessPool.describe(SIGKILL).0.contains("OOM killer"))
        #expect(ProcessPool.describe(SIGSEGV).0.contains("memory fault"))
    }

    /// What the master publishes is what a worker mapping the same memfd reads.
    @Test func statusPageIsSharedThroughItsDescriptor() throws {
        let master = try PoolStatusPage.create()
        master.publish(PoolSnapshot(wanted: 3, alive: 2, restarts: 7, masterPID: 42))
        let worker = try #require(PoolStatusPage.attach(fd: master.fd))
        #expect(worker.snapshot == PoolSnapshot(wanted: 3, alive: 2, restarts: 7, masterPID: 42))
        master.publish(PoolSnapshot(wanted: 3, alive: 3, restarts: 8, masterPID: 42))
        #expect(worker.snapshot.restarts == 8 && worker.snapshot.alive == 3)
    }

    /// A descriptor that is not a status page (here: an empty file) is refused, not trusted.
    @Test func aForeignDescriptorIsNotAStatusPage() throws {
        let path = NSTemporaryDirectory() + "not-a-pool-\(UUID().uuidString.prefix(8))"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        defer { close(fd); unlink(path) }
        #expect(ftruncate(fd, 4096) == 0)
        #expect(PoolStatusPage.attach(fd: fd) == nil)
    }
}
