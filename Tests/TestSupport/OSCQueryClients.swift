import Foundation
import XCTest

/// The OSCQuery tests' clients, not ours: curl for HTTP, and a `websockets` + python-osc program for
/// LISTEN (Tests/CLITests/Scripts/oscquery_listen.py).
public enum OSCQueryClients {
    /// GET (or what `extra` says) with curl: the status and the body.
    public static func curl(_ url: String, _ extra: [String] = []) throws -> (status: Int, body: String) {
        guard let curl = JACKTestServer.which("curl") else { throw XCTSkip("curl is not installed (scripts/setup.sh installs it)") }
        let child = try ChildProcess(curl, ["-s", "-w", "\n%{http_code}"] + extra + [url], name: "curl")
        XCTAssertEqual(try child.waitForExit(timeout: 60), 0, child.stderr)
        let lines = child.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// A LISTEN client on `port` for `paths`, ending after `count` values; lines written to it are sent as commands.
    public static func listen(port: Int, count: Int, paths: [String], environment: [String: String]? = nil) throws -> ChildProcess {
        let probe = try ChildProcess("/usr/bin/env", ["python3", "-c", "import websockets, pythonosc"], name: "python")
        try XCTSkipUnless(try probe.waitForExit(timeout: 60) == 0, "websockets or python-osc is not installed (scripts/setup.sh installs them): \(probe.stderr.suffix(200))")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLITests/Scripts/oscquery_listen.py").path
        return try ChildProcess("/usr/bin/env", ["python3", script, String(port), String(count)] + paths, environment: environment, name: "LISTEN client", input: true)
    }

    /// The values a LISTEN client printed so far: address and arguments.
    public static func values(_ listener: ChildProcess) -> [(address: String, args: [Any])] {
        listener.jsonLines.filter { $0["event"] as? String == "value" }.map { ($0["address"] as? String ?? "", $0["args"] as? [Any] ?? []) }
    }

    /// What a WebSocket upgrade request to `port` (extra header lines added) is answered with: the status
    /// line, then "close CODE REASON" when the server closes the socket at once with a close frame,
    /// "closed" without one, or "open" when it sends nothing for two seconds (a stream waiting for LISTEN:
    /// a refusal comes at once, so two seconds of silence after the 101 is an open stream).
    public static func upgradeStatus(port: Int, headers: [String] = []) throws -> String {
        let request = (["GET / HTTP/1.1", "Host: 127.0.0.1", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="] + headers).joined(separator: "\\r\\n") + "\\r\\n\\r\\n"
        let child = try ChildProcess("/usr/bin/env", ["python3", "-c", """
            import socket
            s = socket.create_connection(("127.0.0.1", \(port)), timeout=30); s.sendall(b"\(request)")
            data = b""
            while b"\\r\\n\\r\\n" not in data:
                more = s.recv(4096)
                if not more: break
                data += more
            head, rest = data.split(b"\\r\\n\\r\\n", 1)
            print(head.split(b"\\r\\n")[0].decode())
            s.settimeout(2)
            try:
                def more():
                    b = s.recv(4096)
                    if not b: raise EOFError
                    return b
                while len(rest) < 2: rest += more()
                n = rest[1] & 127
                while len(rest) < 2 + n: rest += more()
                if rest[0] & 15 == 8: print("close", int.from_bytes(rest[2:4], "big"), rest[4:2 + n].decode())
            except socket.timeout:
                print("open")
            except EOFError:
                print("closed")
            """], name: "upgrade")
        XCTAssertEqual(try child.waitForExit(timeout: 60), 0, child.stderr)
        return child.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
