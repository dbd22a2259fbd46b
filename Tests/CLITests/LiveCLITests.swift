import Foundation
import XCTest

/// `latentvj live` as a user starts it: headless on the demo track, and with a window under Xvfb.
final class LiveCLITests: XCTestCase {
    func testHeadlessRunReportsSustainedFrames() throws {
        let r = try CLI.run(["live", "--headless", "--seconds", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let frames = r.stdout.split(separator: " ").first.flatMap { Int($0) } ?? 0
        XCTAssertGreaterThan(frames, 10, r.stdout)
        XCTAssertTrue(r.stdout.contains("fps sustained"), r.stdout)
    }

    func testNoDisplayWithoutHeadlessIsAClearUsageError() throws {
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = nil; env["WAYLAND_DISPLAY"] = nil; env["SDL_VIDEODRIVER"] = nil
        let r = try CLI.run(["live", "--seconds", "1"], environment: env)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--headless"), r.stderr)
    }
}
