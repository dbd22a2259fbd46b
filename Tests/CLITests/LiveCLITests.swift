import Foundation
import TestSupport
import XCTest

/// `latentvj live` as a user starts it: headless on the demo track, and with a window under Xvfb.
final class LiveCLITests: TimeLimitedTestCase {
    func testHeadlessRunReportsSustainedFrames() throws {
        let r = try CLI.run(["live", "--headless", "--seconds", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let frames = r.stdout.split(separator: " ").first.flatMap { Int($0) } ?? 0
        XCTAssertGreaterThan(frames, 10, r.stdout)
        XCTAssertTrue(r.stdout.contains("fps sustained"), r.stdout)
    }

    func testABrokenMappingFileStopsTheStartWithFileLineAndField() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(getpid()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "name: mine\ncontrols:\n  - midi: {cc: 300}\n    param: intensity\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.run(["live", "--headless", "--no-jack", "--no-osc", "--seconds", "1", "--mapping", path])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("broken-\(getpid()).yaml:3: cc:"), r.stderr)
    }

    func testNoDisplayWithoutHeadlessIsAClearUsageError() throws {
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = nil; env["WAYLAND_DISPLAY"] = nil; env["SDL_VIDEODRIVER"] = nil
        let r = try CLI.run(["live", "--seconds", "1"], environment: env)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--headless"), r.stderr)
    }
}
