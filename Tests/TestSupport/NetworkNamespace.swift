import Foundation
import XCTest

/// A private network namespace with loopback only, for peers that discover each other by broadcast or
/// multicast (NDI, Ableton Link): their discovery traffic never leaves it. Deleted when released.
public final class NetworkNamespace {
    public let name: String
    private let ip: String

    /// Skips the test where namespaces cannot be made (no iproute2, no privilege). `multicast`: loopback
    /// carries multicast too (a route for 224.0.0.0/4), which Link's discovery needs.
    public init(_ prefix: String, multicast: Bool = false) throws {
        guard let ip = JACKTestServer.which("ip") else { throw XCTSkip("ip (iproute2) is not installed") }
        self.ip = ip
        name = "lvj-\(prefix)-\(getpid())"
        let made = try Self.run(ip, ["netns", "add", name])
        try XCTSkipUnless(made.status == 0, "cannot make a network namespace here: \(made.stderr)")
        var setup = [["link", "set", "lo", "up"]]
        if multicast { setup += [["link", "set", "lo", "multicast", "on"], ["route", "add", "224.0.0.0/4", "dev", "lo"]] }
        for step in setup {
            let r = try Self.run(ip, ["netns", "exec", name, ip] + step)
            XCTAssertEqual(r.status, 0, "ip \(step.joined(separator: " ")): \(r.stderr)")
        }
    }

    deinit { _ = try? Self.run(ip, ["netns", "del", name]) }

    /// The command line that runs `command` inside the namespace.
    public func exec(_ command: [String]) -> [String] { [ip, "netns", "exec", name] + command }
}

extension NetworkNamespace {
    /// Runs `ip` to its end (a few milliseconds), with its status and error output.
    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let child = try ChildProcess(path, arguments, name: "ip")
        let status = try child.waitForExit(timeout: 60)
        return (status, child.stderr)
    }
}
