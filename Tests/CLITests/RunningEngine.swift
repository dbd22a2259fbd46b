import Control
import Foundation
import TestSupport
import XCTest

/// `latentvj live --json` as a child process, watched the way a tablet watches it: the test waits for
/// its `started` event (first frame out, OSC listening), subscribes over OSC (liblo) and then waits on
/// what the engine itself reports: values fed back after a change, its frame counter in
/// `/lvj/status/engine`, the JSON events it prints. Nothing waits on the clock; every wait has a deadline after
/// which the engine's output and thread stacks are in the failure.
final class RunningEngine {
    let child: ChildProcess
    /// The OSC port it listens on (nil with --no-osc).
    let oscPort: Int?
    /// The OSCQuery server's TCP port (nil when it is off).
    let oscQueryPort: Int?
    private var peer: OSCPeer?
    private var inbox: [OSCPeer.Message] = []

    /// Starts `latentvj live --json ARGUMENTS` (with `--seconds 900` as a backstop unless given: a
    /// test stops it long before) and waits for its `started` event; with OSC, also until the
    /// subscription's first status report arrives.
    convenience init(_ arguments: [String], environment: [String: String]) throws {
        let backstop = arguments.contains("--seconds") ? [] : ["--seconds", "900"]
        try self.init(launch: [CLI.binary] + CLI.liveAsIs(["live", "--json"] + backstop + arguments), environment: environment)
    }

    /// The same for any command line that ends up as `latentvj live --json …` (a shell that sets a limit
    /// and `exec`s it).
    /// `subscribe` false: the engine's OSC port is out of the test's reach (another network namespace).
    init(launch: [String], environment: [String: String], subscribe: Bool = true) throws {
        child = try ChildProcess(commandLine: launch, environment: environment, name: "latentvj live")
        let started = try child.waitForEvent("started", timeout: 240) { $0["event"] as? String == "started" }
        oscPort = started["osc_port"] as? Int
        oscQueryPort = started["oscquery_port"] as? Int
        guard oscPort != nil, subscribe else { return }
        peer = try OSCPeer()
        try waitFor("the engine's first status report over OSC", timeout: 60, every: 0.1, details: { self.child.failureDetails() }) {
            peer!.send(to: oscPort!, "/lvj/subscribe")
            return latest("/lvj/status/engine") != nil
        }
    }

    deinit { _ = try? child.stop(signal: SIGKILL, timeout: 30) }

    /// Every message the engine sent to the subscription so far.
    var messages: [OSCPeer.Message] {
        if let peer { inbox += peer.take() }
        return inbox
    }

    func latest(_ address: String) -> [OSCValue]? { messages.last { $0.path == address }?.arguments }

    /// Frames rendered so far, as the engine last reported them.
    var frames: Int {
        if case .number(let n)? = latest("/lvj/status/engine")?.first { return Int(n) }
        return 0
    }

    /// (accepted, rejected) OSC messages as the engine last reported them.
    var oscCounts: (accepted: Int, rejected: Int) {
        guard let v = latest("/lvj/status/control"), v.count >= 2, case .number(let a) = v[0], case .number(let r) = v[1] else { return (0, 0) }
        return (Int(a), Int(r))
    }

    /// Sends from the test's own liblo port (the subscribed one).
    func send(_ path: String, _ values: [OSCValue] = []) {
        XCTAssertTrue(peer?.send(to: oscPort!, path, values) ?? false, "sent \(path)")
    }

    /// Waits until the engine has rendered `count` more frames than it had reported when called.
    func waitForFrames(_ count: Int = 10, timeout: Double = 120) throws {
        let target = frames + count
        try waitFor("frame \(target) (\(count) more)", timeout: timeout, every: 0.05, details: { "frames: \(self.frames)\n" + self.child.failureDetails() }) {
            frames >= target
        }
    }

    /// Waits until the engine feeds back `address` with `value` (it does for every changed parameter).
    func waitForValue(_ address: String, _ value: Double, timeout: Double = 60) throws {
        try waitFor("\(address) = \(value) fed back", timeout: timeout, every: 0.02,
                    details: { "last \(address): \(String(describing: self.latest(address)))\n" + self.child.failureDetails() }) {
            if case .number(let v)? = latest(address)?.first { return abs(v - value) < 1e-6 }
            return false
        }
    }

    /// Waits for the engine's JSON event `name` whose fields satisfy `matching`; returns its fields.
    @discardableResult
    func waitForEvent(_ name: String, timeout: Double = 120, matching: @escaping ([String: Any]) -> Bool = { _ in true }) throws -> [String: Any] {
        try child.waitForEvent(name, timeout: timeout) { $0["event"] as? String == name && matching($0) }
    }

    /// Waits for the event `name` whose field `field` is `value`.
    @discardableResult
    func waitForEvent(_ name: String, _ field: String, _ value: String, timeout: Double = 120) throws -> [String: Any] {
        try waitForEvent(name, timeout: timeout) { $0[field] as? String == value }
    }

    /// SIGTERM (a clean end of the show) and the exit, bounded; the exit status and the events.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) throws -> (status: Int32, events: [[String: Any]], stderr: String) {
        peer?.stop()
        let status = try child.stop(signal: signal, timeout: 120)
        return (status, child.jsonLines, child.stderr)
    }
}

extension Array where Element == [String: Any] {
    /// The first event named `name`.
    func event(_ name: String) -> [String: Any]? { first { $0["event"] as? String == name } }
}
