import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A condition that did not come true before its deadline. Its description says what was awaited,
/// for how long, and whatever the waiter added (a process's output and thread stacks).
public struct TestTimeout: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public let details: String
    public init(what: String, seconds: Double, details: String = "") { self.what = what; self.seconds = seconds; self.details = details }
    public var description: String { "timed out after \(seconds) s waiting for \(what)" + (details.isEmpty ? "" : "\n\(details)") }
}

/// How long a test waits for anything at most. Generous on purpose: a deadline is there to turn a hang
/// into a failure with evidence, not to measure speed (a slow machine must still pass).
/// `LVJ_TEST_TIMEOUT_SCALE` stretches every deadline (sanitizer builds run several times slower).
public enum TestDeadline {
    public static var scale: Double {
        ProcessInfo.processInfo.environment["LVJ_TEST_TIMEOUT_SCALE"].flatMap(Double.init).map { max($0, 1) } ?? 1
    }
    public static func seconds(_ s: Double) -> Double { s * scale }
}

/// Polls `condition` until it holds, or throws `TestTimeout` once `timeout` seconds (scaled) have passed.
/// `details` is asked for only on failure (say what was seen instead).
public func waitFor(_ what: String, timeout: Double = 60, every interval: Double = 0.02, details: () -> String = { "" },
                    _ condition: () throws -> Bool) throws {
    let limit = TestDeadline.seconds(timeout)
    let deadline = Date().addingTimeInterval(limit)
    while true {
        if try condition() { return }
        if Date() >= deadline { throw TestTimeout(what: what, seconds: limit, details: details()) }
        usleep(UInt32(interval * 1e6))
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` seconds (scaled) pass; the final answer.
public func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    (try? waitFor("condition", timeout: timeout, every: 0.01, condition)) != nil
}

/// Thread stacks of a running process, read with gdb (installed by scripts/setup.sh); an explanation
/// when gdb is missing or cannot attach. Bounded: gdb itself gets 60 s.
public func threadStacks(of pid: pid_t) -> String {
    guard let gdb = ["/usr/bin/gdb", "/usr/local/bin/gdb"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        return "(no thread stacks: gdb is not installed)"
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = ["60", gdb, "-p", "\(pid)", "-batch", "-nx", "-ex", "set pagination off", "-ex", "thread apply all bt 40"]
    let out = Pipe()
    p.standardOutput = out; p.standardError = out; p.standardInput = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return "(no thread stacks: gdb did not start)" }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .filter { $0.hasPrefix("#") || $0.hasPrefix("Thread ") }
    return "thread stacks of process \(pid):\n" + lines.joined(separator: "\n")
}
