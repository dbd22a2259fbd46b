import Basics
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program a test starts: its standard output and error are collected as they come (so neither
/// pipe can fill up and stall it), a test can wait for a line or for its exit with a deadline, and a
/// process that misses its deadline is killed after its thread stacks were taken, so a hang becomes a
/// failure that says where it hung. Every child still running when its test ends is killed
/// (`ChildProcess.killAll`, called by `TimeLimitedTestCase`).
public final class ChildProcess: @unchecked Sendable {
    public let name: String
    public let process = Process()
    private let out = Pipe(), err = Pipe()
    /// Standard input, when the test talks to the program (`input: true`); else /dev/null.
    private let input: Pipe?
    private let buffers = Locked<(stdout: Data, stderr: Data)>((Data(), Data()))
    private let readers = DispatchGroup()

    /// Starts `path` with `arguments`. `environment` nil: the test's own. `input`: its standard input is
    /// a pipe the test writes lines to (`write(line:)`).
    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, name: String? = nil, input: Bool = false) throws {
        self.name = name ?? (path as NSString).lastPathComponent
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        self.input = input ? Pipe() : nil
        process.standardInput = self.input ?? FileHandle.nullDevice
        process.standardOutput = out; process.standardError = err
        try process.run()
        for (handle, isOut) in [(out.fileHandleForReading, true), (err.fileHandleForReading, false)] {
            readers.enter()
            Thread.detachNewThread { [buffers, readers] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffers.withLock { if isOut { $0.stdout.append(chunk) } else { $0.stderr.append(chunk) } }
                }
                readers.leave()
            }
        }
        Self.live.withLock { $0.append(Weak(self)) }
    }

    /// Starts `commandLine` (the program, then its arguments).
    public convenience init(commandLine: [String], environment: [String: String]? = nil, name: String? = nil, input: Bool = false) throws {
        try self.init(commandLine[0], Array(commandLine.dropFirst()), environment: environment, name: name, input: input)
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }

    public var pid: pid_t { process.processIdentifier }

    /// One line to its standard input (started with `input: true`).
    public func write(line: String) {
        precondition(input != nil, "\(name) was started without input")
        input?.fileHandleForWriting.write(Data((line + "\n").utf8))
    }
    public var isRunning: Bool { process.isRunning }
    public var stdoutData: Data { buffers.withLock { $0.stdout } }
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: buffers.withLock { $0.stderr }, as: UTF8.self) }
    /// Standard output as lines, each parsed as a JSON object where it is one (`--json` event streams).
    public var jsonLines: [[String: Any]] {
        stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// What a failure report shows: the last part of both streams.
    public var tail: String {
        "--- \(name) stdout (last 3000 characters):\n\(stdout.suffix(3000))\n--- \(name) stderr (last 6000 characters):\n\(stderr.suffix(6000))"
    }

    /// Waits until standard error or output contains `text`; on a deadline, or if the program ends first,
    /// throws with its output (and its stacks, if it still runs).
    public func waitForOutput(_ text: String, timeout: Double = 60) throws {
        try waitFor("'\(text)' from \(name)", timeout: timeout, details: { failureDetails() }) {
            if stderr.contains(text) || stdout.contains(text) { return true }
            if !isRunning { throw TestTimeout(what: "'\(text)' from \(name), which exited with \(process.terminationStatus)", seconds: 0, details: tail) }
            return false
        }
    }

    /// Waits until a JSON line on standard output satisfies `match` (and returns it).
    @discardableResult
    public func waitForEvent(_ what: String, timeout: Double = 60, _ match: @escaping ([String: Any]) -> Bool) throws -> [String: Any] {
        var found: [String: Any]?
        try waitFor("event \(what) from \(name)", timeout: timeout, details: { failureDetails() }) {
            found = jsonLines.first(where: match)
            if found == nil, !isRunning {
                throw TestTimeout(what: "event \(what) from \(name), which exited with \(process.terminationStatus)", seconds: 0, details: tail)
            }
            return found != nil
        }
        return found!
    }

    /// Waits for the program to end by itself; at the deadline its stacks are taken, it is killed and
    /// `TestTimeout` is thrown. Returns the exit status (a signal's number for a killed process).
    @discardableResult
    public func waitForExit(timeout: Double = 120) throws -> Int32 {
        do {
            try waitFor("\(name) to exit", timeout: timeout, every: 0.05, details: { failureDetails() }) { !isRunning }
        } catch {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            throw error
        }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 10)     // the rest of its output (a grandchild may hold a pipe open)
        return process.terminationStatus
    }

    /// Sends `signal` and waits for the exit, with the same deadline handling as `waitForExit`.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 120) throws -> Int32 {
        if isRunning { kill(pid, signal) }
        return try waitForExit(timeout: timeout)
    }

    /// Output and, while it runs, thread stacks (taken once: gdb stops the process while it reads them).
    public func failureDetails() -> String {
        isRunning ? tail + "\n" + threadStacks(of: pid) : tail
    }

    // MARK: Every child of the test process

    private struct Weak: @unchecked Sendable { weak var child: ChildProcess?; init(_ c: ChildProcess) { child = c } }
    private static let live = Locked<[Weak]>([])

    /// Children still running.
    public static var running: [ChildProcess] {
        live.withLock { list in list.removeAll { $0.child == nil }; return list.compactMap(\.child).filter(\.isRunning) }
    }

    /// Kills every child still running (a test that failed half-way leaves none behind); with
    /// `stacks`, their stacks are returned first.
    @discardableResult
    public static func killAll(stacks: Bool = false) -> String {
        var report = ""
        for child in running {
            if stacks { report += "\n\(child.name) (pid \(child.pid)) was still running:\n" + child.failureDetails() }
            kill(child.pid, SIGKILL)
        }
        return report
    }
}

/// A value behind a lock, shareable between threads (closures capture the box, not the lock).
public final class Locked<Value>: @unchecked Sendable {
    private let lock: Lock<Value>
    public init(_ value: Value) { lock = Lock(value) }
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R { try lock.withLock { (v: inout Value) throws -> R in try body(&v) } }
    public var value: Value { withLock { $0 } }
}
