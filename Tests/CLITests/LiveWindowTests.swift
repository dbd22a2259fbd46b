import Foundation
import Imaging
import XCTest

/// The live window under Xvfb with a real JACK dummy server: the picture follows the music and holds
/// in silence, the HUD is drawn, the window survives resizing and fullscreen toggles.
final class LiveWindowTests: CLIWorkspaceTestCase {
    /// `scripts/with-jackd.sh`: a private `jackd -d dummy -r 48000 -p 256` around the command.
    var withJackd: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/with-jackd.sh").path
    }

    /// Runs `latentvj live` for `seconds` on the display with a JACK server, a screenshot every second.
    func shots(_ display: XvfbDisplay, name: String, arguments: [String], seconds: Int = 6) throws -> [Raster] {
        let base = "\(folder!)/\(name).png"
        let r = try CLI.runProgram(withJackd, [CLI.binary, "live", "--seconds", "\(Double(seconds) + 0.5)", "--window-size", "256",
                                               "--screenshot", base, "--screenshot-every", "1"] + arguments,
                                   environment: display.environment(environment))
        XCTAssertEqual(r.status, 0, r.stderr)
        return try (1...seconds).map { try Raster.load(String(format: "\(folder!)/\(name)-%03d.png", $0)) }
    }

    func testPictureMovesWithTheMusicAndHoldsInSilence() throws {
        let display = try XvfbDisplay()
        // Silence: nothing is connected to latentvj:in_1/in_2. Music: the demo track played through
        // JACK (out_1/out_2 → system:playback) and analysed from what those ports play.
        let silence = try shots(display, name: "silence", arguments: ["--jack", "--no-hud"])
        let music = try shots(display, name: "music", arguments: ["--no-hud"])
        let still = (1..<silence.count).map { silence[$0].meanDifference(silence[$0 - 1]) }
        let moving = (1..<music.count).map { music[$0].meanDifference(music[$0 - 1]) }
        // Once the network has settled (the last seconds), silence leaves the picture nearly unchanged.
        XCTAssertLessThan(still.suffix(2).max()!, 2.0, "silence: \(still)")
        XCTAssertGreaterThan(moving.min()!, 4.0, "music: \(moving)")
        XCTAssertGreaterThan(moving.suffix(2).min()!, 4 * still.suffix(2).max()!, "music \(moving) vs silence \(still)")
    }

    func testHUDIsDrawnAndHides() throws {
        let display = try XvfbDisplay()
        let withHUD = try shots(display, name: "hud", arguments: [], seconds: 2).last!
        let without = try shots(display, name: "nohud", arguments: ["--no-hud"], seconds: 2).last!
        // The HUD's text (230,230,235) and the amber "untrained demo model" banner over the picture.
        let text = { (r: Int, g: Int, b: Int) in abs(r - 230) <= 2 && abs(g - 230) <= 2 && abs(b - 235) <= 2 }
        let amber = { (r: Int, g: Int, b: Int) in r > 235 && (150...190).contains(g) && b < 30 }
        let all = (0..<withHUD.width, 0..<withHUD.height)
        XCTAssertGreaterThan(withHUD.count(x: all.0, y: all.1, where: text), 100)
        XCTAssertGreaterThan(withHUD.count(x: all.0, y: all.1, where: amber), 100)
        XCTAssertLessThan(without.count(x: all.0, y: all.1, where: text), 20)
        XCTAssertLessThan(without.count(x: all.0, y: all.1, where: amber), 20)
    }

    func testWindowSurvivesResizeAndFullscreenToggles() throws {
        let display = try XvfbDisplay(width: 800, height: 800)
        let base = "\(folder!)/win.png"
        let engine = Process()
        engine.executableURL = URL(fileURLWithPath: CLI.binary)
        engine.arguments = ["live", "--seconds", "10", "--window-size", "256", "--no-hud", "--screenshot", base, "--screenshot-every", "1"]
        engine.environment = display.environment(environment)
        engine.standardOutput = FileHandle.nullDevice; engine.standardError = FileHandle.nullDevice
        try engine.run()
        var window = ""
        XCTAssertTrue(waitFor(10) { window = (try? display.xdotool(["search", "--name", "LatentVJ"]))?.split(separator: "\n").first.map(String.init) ?? ""; return !window.isEmpty })
        try display.xdotool(["windowsize", window, "500", "300"])
        Thread.sleep(forTimeInterval: 2)
        try display.xdotool(["windowfocus", window])
        try display.xdotool(["key", "--window", window, "f"])          // fullscreen on
        Thread.sleep(forTimeInterval: 2)
        try display.xdotool(["key", "--window", window, "f"])          // and off again
        Thread.sleep(forTimeInterval: 2)
        try display.xdotool(["windowsize", window, "320", "640"])
        engine.waitUntilExit()
        XCTAssertEqual(engine.terminationStatus, 0, "the engine ended normally")
        let sizes = try (1...9).compactMap { n -> (Int, Int)? in
            let path = String(format: "\(folder!)/win-%03d.png", n)
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let r = try Raster.load(path); return (r.width, r.height)
        }
        XCTAssertTrue(sizes.contains { $0 == (500, 300) }, "\(sizes)")
        XCTAssertTrue(sizes.contains { $0 == (800, 800) }, "fullscreen fills the screen: \(sizes)")
        let last = try Raster.load(base)
        XCTAssertEqual(last.width, 320); XCTAssertEqual(last.height, 640)
        // Aspect kept: a 320-px square picture centred between black bars above and below.
        let bar = last.count(x: 0..<320, y: 0..<150) { $0 + $1 + $2 == 0 }
        let picture = last.count(x: 0..<320, y: 170..<470) { $0 + $1 + $2 > 30 }
        XCTAssertGreaterThan(bar, 320 * 150 * 95 / 100, "black bar above the picture")
        XCTAssertGreaterThan(picture, 320 * 300 / 2, "the picture is drawn in the middle")
    }

    func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { if condition() { return true }; usleep(100_000) }
        return false
    }
}
