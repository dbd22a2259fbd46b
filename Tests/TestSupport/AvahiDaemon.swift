import Foundation
import XCTest

/// The avahi daemon (on the system D-Bus) for the mDNS test: the one running, or one started here and
/// stopped at the end (as root, where Debian's avahi-daemon and dbus are installed). Skips otherwise.
public final class AvahiDaemon {
    private var startedBus: pid_t?
    private var startedAvahi = false

    public init() throws {
        guard let avahi = ["/usr/sbin/avahi-daemon"].first(where: FileManager.default.isExecutableFile),
              JACKTestServer.which("avahi-browse") != nil else {
            throw XCTSkip("avahi-daemon or avahi-browse is not installed (scripts/setup.sh installs avahi-daemon and avahi-utils)")
        }
        if try Self.run(avahi, ["-c"]) == 0 { return }                 // one runs already
        guard getuid() == 0, let dbus = JACKTestServer.which("dbus-daemon") else {
            throw XCTSkip("no avahi daemon runs, and starting one needs root and dbus")
        }
        if !FileManager.default.fileExists(atPath: "/run/dbus/system_bus_socket") {
            try FileManager.default.createDirectory(atPath: "/run/dbus", withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: "/run/dbus/pid")      // left by a bus that is gone
            XCTAssertEqual(try Self.daemonize(dbus, ["--system", "--fork"]), 0, "dbus-daemon starts")
            startedBus = (try? String(contentsOfFile: "/run/dbus/pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        XCTAssertEqual(try Self.daemonize(avahi, ["-D", "--no-drop-root", "--no-rlimits"]), 0, "avahi-daemon starts")
        startedAvahi = true
        try waitFor("avahi-daemon running", timeout: 60, every: 0.1) { try Self.run(avahi, ["-c"]) == 0 }
    }

    /// Stops what this started.
    public func stop() {
        if startedAvahi { _ = try? Self.run("/usr/sbin/avahi-daemon", ["-k"]); startedAvahi = false }
        if let pid = startedBus {
            kill(pid, SIGTERM); startedBus = nil
            for f in ["/run/dbus/system_bus_socket", "/run/dbus/pid"] { try? FileManager.default.removeItem(atPath: f) }
        }
    }

    deinit { stop() }

    /// The services of `type` avahi-browse resolves now: name and port.
    public func browse(_ type: String) throws -> [(name: String, port: Int)] {
        let b = try ChildProcess(JACKTestServer.which("avahi-browse")!, ["-rpt", type], name: "avahi-browse")
        XCTAssertEqual(try b.waitForExit(timeout: 60), 0, b.stderr)
        // "=;lo;IPv4;NAME;TYPE;local;HOST;ADDRESS;PORT;TXT": resolved entries only.
        var found: [(name: String, port: Int)] = []
        for line in b.stdout.split(separator: "\n") {
            let f: [String] = line.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            if f.count >= 9, f[0] == "=" { found.append((Self.unescape(f[3]), Int(f[8]) ?? 0)) }
        }
        return found
    }

    /// avahi-browse -p writes some characters of names as \DDD (decimal).
    static func unescape(_ s: String) -> String {
        var out = "", chars = Array(s), i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 3 < chars.count, let code = Int(String(chars[(i + 1)...(i + 3)])), let u = UnicodeScalar(code) {
                out.unicodeScalars.append(u); i += 4
            } else { out.append(chars[i]); i += 1 }
        }
        return out
    }

    /// A daemon that forks into the background: spawned with its output to /dev/null and waited for with
    /// waitpid (Foundation's Process notices an exit only when every copy of a descriptor it hands the
    /// child is closed, and a daemon keeps them); the exit status of the part that returns.
    private static func daemonize(_ path: String, _ arguments: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { throw XCTSkip("\(path) could not be started") }
        var status: Int32 = 0
        var waited: pid_t = 0
        try waitFor("\((path as NSString).lastPathComponent) goes into the background", timeout: 60, every: 0.05) {
            waited = waitpid(pid, &status, WNOHANG); return waited == pid
        }
        return (status >> 8) & 0xff
    }

    private static func run(_ path: String, _ arguments: [String]) throws -> Int32 {
        let p = try ChildProcess(path, arguments, name: (path as NSString).lastPathComponent)
        return try p.waitForExit(timeout: 60)
    }
}
