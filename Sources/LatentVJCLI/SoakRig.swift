import AudioIn
import Basics
import Foundation

/// The processes a soak runs: a private JACK dummy server (its own name, so it never meets a server
/// the machine already has) and the live engine as a child process, the way a VJ starts it, with what
/// `/proc` says about the engine's memory, threads and descriptors.
final class SoakRig {
    let folder: String
    let serverName = "lvj-soak-\(getpid())"
    let rate: Int, period: Int
    private var server: Process?
    private(set) var engine: Process?
    var engineLog: String { "\(folder)/engine.log" }
    /// The engine's `--json` events (one JSON object a line).
    var engineEvents: String { "\(folder)/engine-events.jsonl" }
    private(set) var oscPort = 0
    /// The engine's JACK client name (`latentvj`, or a variant if that was taken).
    private(set) var clientName = "latentvj"

    init(folder: String, rate: Int = 48_000, period: Int = 256) {
        self.folder = folder; self.rate = rate; self.period = period
        // A folder used before (--output): this run's logs only, or an old line would be read as new.
        for log in ["\(folder)/engine.log", "\(folder)/engine-events.jsonl", "\(folder)/jackd.log"] { try? FileManager.default.removeItem(atPath: log) }
    }

    deinit {
        if let engine, engine.isRunning { kill(engine.processIdentifier, SIGKILL) }
        stopServer()
    }

    // MARK: JACK server

    func startServer() throws {
        let jackd = try ExternalTool("jackd").require(for: "the soak's JACK dummy server (Debian: apt-get install jackd2)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: jackd)
        p.arguments = ["-n", serverName, "-d", "dummy", "-r", "\(rate)", "-p", "\(period)"]
        var environment = ProcessInfo.processInfo.environment
        environment["JACK_NO_AUDIO_RESERVATION"] = "1"
        p.environment = environment
        let log = try appending("\(folder)/jackd.log")
        p.standardOutput = log; p.standardError = log
        try p.run()
        server = p
        for _ in 0..<100 {
            if JACKServer.socketExists(serverName: serverName) && JACKServer.isRunning(serverName: serverName) { return }
            guard p.isRunning else { break }
            usleep(100_000)
        }
        throw UsageError("the JACK dummy server did not start (see \(folder)/jackd.log)")
    }

    /// Stops the server as a crash or a closed laptop lid would look to the engine: it goes away.
    func stopServer() {
        guard let p = server else { return }
        server = nil
        guard p.isRunning else { return }
        p.terminate()
        if !wait(p, seconds: 5) { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
    }

    // MARK: Engine

    /// Starts `latentvj live ARGS` against the server and waits for its `started` event (first frame out,
    /// OSC listening).
    func startEngine(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        p.arguments = ["live", "--osc-port", "0", "--json"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["JACK_DEFAULT_SERVER"] = serverName
        p.environment = environment
        p.standardOutput = try appending(engineEvents); p.standardError = try appending(engineLog)
        try p.run()
        engine = p
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let started = events().first(where: { $0["event"] as? String == "started" }), let port = started["osc_port"] as? Int {
                oscPort = port
                clientName = started["jack_client"] as? String ?? clientName
                return
            }
            guard p.isRunning else { break }
            usleep(100_000)
        }
        throw UsageError("the engine did not start; its log:\n" + logTail())
    }

    /// The engine's events so far.
    func events() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: engineEvents, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    var engineAlive: Bool { engine?.isRunning ?? false }

    /// SIGTERM (the clean end of a set), then waits; a hung engine is killed and says so.
    func stopEngine(seconds: Double = 30) -> (status: Int32, bySignal: Bool, hung: Bool) {
        guard let p = engine else { return (0, false, false) }
        if p.isRunning { p.terminate() }
        let ended = wait(p, seconds: seconds)
        if !ended {
            saveStacks(of: p.processIdentifier)
            kill(p.processIdentifier, SIGKILL); p.waitUntilExit()
        }
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal, !ended)
    }

    /// A hung engine's threads, where gdb is installed (`hang-stacks.txt`): what a bug report needs.
    private func saveStacks(of pid: Int32) {
        guard let r = try? ExternalTool("gdb").run(["-p", "\(pid)", "-batch", "-ex", "thread apply all bt 25"], purpose: "a hung engine's stacks") else { return }
        FileManager.default.createFile(atPath: "\(folder)/hang-stacks.txt", contents: r.stdout)
    }

    func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: engineLog, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: /proc

    struct Sample: Codable {
        var seconds: Double
        var rssKB: Int
        var threads: Int
        var descriptors: Int
    }

    /// The engine's resident memory, threads and open descriptors now.
    func sample(at seconds: Double) -> Sample? {
        guard let pid = engine?.processIdentifier, engineAlive,
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let rss = Self.number(after: "VmRSS:", in: status), let threads = Self.number(after: "Threads:", in: status),
              let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return nil }
        return Sample(seconds: seconds, rssKB: rss, threads: threads, descriptors: fds.count)
    }

    /// The integer after `label` in `text` (first occurrence).
    static func number(after label: String, in text: String) -> Int? {
        guard let range = text.range(of: label) else { return nil }
        let digits = text[range.upperBound...].drop { $0 == " " || $0 == "\t" }.prefix { $0.isNumber }
        return Int(digits)
    }

    private func appending(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw FileError(path, "cannot be written") }
        handle.seekToEndOfFile()
        return handle
    }

    private func wait(_ p: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        return !p.isRunning
    }
}
