import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// XCTest on Linux has no per-test time limit (`executionTimeAllowance` is Apple's only), so every test
/// case of the suite derives from this one. A watchdog starts with each test:
/// - at `timeLimit` (scaled by `LVJ_TEST_TIMEOUT_SCALE`) it prints which test overran, the thread stacks
///   of every child process still running, and kills them, which ends whatever the test waits on;
/// - if the test still has not finished `grace` seconds later (it hangs inside this process), it prints
///   this process's own stacks and exits with status 124, so the run fails instead of hanging CI.
/// After each test, children it left running are killed.
open class TimeLimitedTestCase: XCTestCase {
    /// Seconds a test of this class may take. Far above what any test needs on a slow machine: this
    /// catches hangs, it does not measure speed.
    open class var timeLimit: Double { 600 }
    public static let grace = 60.0

    override open func invokeTest() {
        let limit = TestDeadline.seconds(Self.timeLimit)
        let test = name
        let finished = Locked(false)
        let watchdog = DispatchSource.makeTimerSource(queue: .global())
        watchdog.schedule(deadline: .now() + limit)
        watchdog.setEventHandler {
            guard !finished.value else { return }
            let report = ChildProcess.killAll(stacks: true)
            FileHandle.standardError.write(Data("\n*** \(test) exceeded its time limit of \(Int(limit)) s; children killed.\(report)\n".utf8))
            DispatchQueue.global().asyncAfter(deadline: .now() + Self.grace) {
                guard !finished.value else { return }
                FileHandle.standardError.write(Data("\n*** \(test) still hangs \(Int(Self.grace)) s later, inside the test process:\n\(threadStacks(of: getpid()))\n".utf8))
                exit(124)
            }
        }
        watchdog.resume()
        super.invokeTest()
        finished.withLock { $0 = true }
        watchdog.cancel()
        ChildProcess.killAll()
    }
}
