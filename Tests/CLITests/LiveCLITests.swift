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

    func testWindowUnderXvfbShowsThePictureAndTheHUD() throws {
        guard let xvfb = ["/usr/bin/Xvfb"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return XCTFail("Xvfb is missing: install the xvfb package (scripts/setup.sh does)")
        }
        let display = ":\(200 + Int(getpid() % 500))"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: xvfb)
        server.arguments = [display, "-screen", "0", "800x800x24"]
        server.standardOutput = FileHandle.nullDevice; server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        Thread.sleep(forTimeInterval: 1)
        let shot = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: shot) }
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = display
        let r = try CLI.run(["live", "--seconds", "3", "--window-size", "400", "--screenshot", shot], environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG was written")
        XCTAssertGreaterThan(png.count, 2000, "a picture with a HUD, not a blank window")
    }

    func testNoDisplayWithoutHeadlessIsAClearUsageError() throws {
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = nil; env["WAYLAND_DISPLAY"] = nil; env["SDL_VIDEODRIVER"] = nil
        let r = try CLI.run(["live", "--seconds", "1"], environment: env)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--headless"), r.stderr)
    }
}
