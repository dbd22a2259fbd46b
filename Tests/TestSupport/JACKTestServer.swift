import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real JACK server for one test: `jackd -n NAME -d dummy -r 48000 -p 256`, under a name of its own so
/// it cannot collide with a server someone else runs on the machine, plus JACK's example clients
/// started against it. Everything it starts, it stops.
public final class JACKTestServer {
    public let name: String
    public let logPath: String
    private var server: Process?
    private var clients: [Process] = []
    private static var serial = 0

    public init() {
        Self.serial += 1
        name = "lvj-test-\(getpid())-\(Self.serial)"
        logPath = NSTemporaryDirectory() + "\(name).log"
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Full path of a program on PATH, or nil.
    public static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public struct NotInstalled: Error, CustomStringConvertible {
        public let tool: String
        public var description: String { "\(tool) is not installed: these tests need a real JACK server (Debian: apt-get install jackd2)" }
    }

    /// Starts the server and waits until `jack_lsp` answers (10 s at most).
    public func start(rate: Int = 48000, period: Int = 256) throws {
        guard let jackd = Self.which("jackd") else { throw NotInstalled(tool: "jackd") }
        guard Self.which("jack_lsp") != nil else { throw NotInstalled(tool: "jack_lsp") }
        server = try launch(jackd, ["-n", name, "-d", "dummy", "-r", "\(rate)", "-p", "\(period)"])
        let ready = waitUntil(timeout: 10) { self.ports() != nil }
        guard ready else { throw StartFailed(log: log) }
    }

    public struct StartFailed: Error, CustomStringConvertible {
        public let log: String
        public var description: String { "jackd did not answer within 10 s; its output:\n\(log)" }
    }

    /// Stops the example clients, then the server (SIGTERM lets it say goodbye to clients; SIGKILL is a crash).
    public func stop(signal: Int32 = SIGTERM) {
        for client in clients { end(client, signal: SIGTERM) }
        clients = []
        if let server { end(server, signal: signal) }
        server = nil
    }

    /// Starts one of JACK's example clients (jack_metro, jack_midiseq) against this server.
    @discardableResult
    public func startClient(_ tool: String, _ arguments: [String]) throws -> Process {
        guard let path = Self.which(tool) else { throw NotInstalled(tool: tool) }
        let p = try launch(path, arguments)
        clients.append(p)
        return p
    }

    /// Port names as `jack_lsp` lists them, or nil when the server does not answer.
    public func ports() -> [String]? { lsp([]) }

    /// `jack_lsp -c`: each port followed by its connections (indented by three spaces).
    public func connections() -> [String]? { lsp(["-c"]) }

    /// Runs one of JACK's tools against this server (jack_bufsize, jack_connect, ...); its exit status.
    @discardableResult
    public func tool(_ name: String, _ arguments: [String]) throws -> Int32 {
        guard let path = Self.which(name) else { throw NotInstalled(tool: name) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    private func lsp(_ arguments: [String]) -> [String]? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.which("jack_lsp") ?? "/usr/bin/jack_lsp")
        p.arguments = arguments
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The environment a program needs to reach this server.
    public var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["JACK_DEFAULT_SERVER"] = name
        env["JACK_NO_AUDIO_RESERVATION"] = "1"
        return env
    }

    private func launch(_ path: String, _ arguments: [String]) throws -> Process {
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.environment = environment
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = log
        p.standardError = log
        try p.run()
        return p
    }

    private func end(_ p: Process, signal: Int32) {
        guard p.isRunning else { return }
        kill(p.processIdentifier, signal)
        if !waitUntil(timeout: 5, { !p.isRunning }) { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }
}

/// A test case with its own JACK server (started in `setUp`, stopped in `tearDown`) and a scratch
/// folder: the MIDI, tempo and feedback suites.
open class JACKServerTestCase: TimeLimitedTestCase {
    public var server: JACKTestServer!
    public var folder: String!

    override open func setUpWithError() throws {
        server = JACKTestServer()
        try server.start()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(type(of: self))-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override open func tearDown() {
        server?.stop(); server = nil
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
        folder = nil
    }
}
