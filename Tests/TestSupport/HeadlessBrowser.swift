import Foundation
import XCTest

/// Headless Chromium through Selenium (`Tests/CLITests/Scripts/web_surface.py`): windows as named
/// clients, JavaScript run in them, screenshots. Skips where chromium, chromium-driver or Selenium is
/// missing (scripts/setup.sh installs them).
public final class HeadlessBrowser {
    public let child: ChildProcess
    private var answered = 0

    public init(environment: [String: String]? = nil) throws {
        for tool in ["chromium", "chromedriver"] where JACKTestServer.which(tool) == nil {
            throw XCTSkip("\(tool) is not installed (scripts/setup.sh installs Debian's chromium and chromium-driver)")
        }
        let probe = try ChildProcess("/usr/bin/env", ["python3", "-c", "import selenium"], name: "python")
        try XCTSkipUnless(try probe.waitForExit(timeout: 60) == 0, "Selenium is not installed (scripts/setup.sh installs it): \(probe.stderr.suffix(200))")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLITests/Scripts/web_surface.py").path
        child = try ChildProcess("/usr/bin/env", ["python3", script], environment: environment, name: "headless Chromium", input: true)
    }

    deinit { if child.isRunning { child.write(line: #"{"op": "quit"}"#); _ = try? child.stop(timeout: 30) } }

    /// One command and its answer's value; a failed command, or Chromium's console errors, fail here.
    @discardableResult
    public func command(_ object: [String: Any], timeout: Double = 120) throws -> Any? {
        let line = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        child.write(line: line)
        let want = answered + 1
        try waitFor("Chromium answers \(object["op"] ?? "")", timeout: timeout, every: 0.02, details: { self.child.failureDetails() }) {
            self.child.jsonLines.count >= want || !self.child.isRunning
        }
        let answers = child.jsonLines
        // Chromium that never answered is missing a part (skip); one that ended mid-test is a failure.
        guard answers.count >= want else {
            if answered == 0 { throw XCTSkip("Chromium did not start: \(child.stderr.suffix(400))") }
            throw BrowserError(description: "Chromium ended mid-test: \(child.stderr.suffix(400))")
        }
        answered = want
        let answer = answers[want - 1]
        guard answer["ok"] as? Bool == true else {
            let error = answer["error"] as? String ?? "?"
            if error.hasPrefix("chromium did not start") { throw XCTSkip(error) }
            throw BrowserError(description: "Chromium: \(error) (for \(line))")
        }
        if let console = answer["console"] as? [String], !console.isEmpty { XCTFail("the page's console: \(console.joined(separator: "\n"))") }
        return answer["value"]
    }

    public func open(_ client: String, _ url: String, width: Int, height: Int) throws {
        try command(["op": "open", "client": client, "url": url, "width": width, "height": height])
    }

    public func js(_ client: String, _ script: String) throws -> Any? { try command(["op": "js", "client": client, "script": script]) }

    public func screenshot(_ client: String, to path: String) throws { try command(["op": "shot", "client": client, "path": path]) }

    /// Waits until `expression` is true in the client's page: the driver polls it (its `wait` op), with
    /// the test's deadline, scaled as every wait is.
    public func waitUntil(_ client: String, _ what: String, _ expression: String, timeout: Double = 120) throws {
        let limit = TestDeadline.seconds(timeout)
        do {
            try command(["op": "wait", "client": client, "expression": expression, "timeout": limit], timeout: limit + 30)
        } catch let e as BrowserError {
            throw TestTimeout(what: what, seconds: limit, details: "\(e)\n" + child.failureDetails())
        }
    }
}

public struct BrowserError: Error, CustomStringConvertible {
    public let description: String
}
