import Foundation
import Imaging
import TestSupport
import XCTest

/// The live window under Xvfb with a real JACK dummy server: the picture follows the music and holds
/// in silence, the HUD is drawn, the window survives resizing and fullscreen toggles.
final class LiveWindowTests: CLIWorkspaceTestCase {
    /// Runs `latentvj live` on the display against a private JACK server, a screenshot every second of
    /// audio, until `count` screenshots exist; then ends it (SIGTERM) and reads them.
    func shots(_ display: XvfbDisplay, name: String, arguments: [String], count: Int = 6) throws -> [Raster] {
        let server = JACKTestServer()
        try server.start()
        defer { server.stop() }
        var env = display.environment(environment)
        for (key, value) in server.environment where key.hasPrefix("JACK_") { env[key] = value }
        let base = "\(folder!)/\(name).png"
        let engine = try RunningEngine(["--no-osc", "--window-size", "256", "--screenshot", base, "--screenshot-every", "1"] + arguments,
                                       environment: env)
        let shots = ScreenshotSeries(base: base)
        try waitFor("\(count) screenshots", timeout: 240, every: 0.1, details: { engine.child.failureDetails() }) { shots.exists(count) }
        XCTAssertEqual(try engine.stop().status, 0)
        return try (1...count).map { try Raster.load(shots.path($0)) }
    }

    func testPictureMovesWithTheMusicAndHoldsInSilence() throws {
        let display = try XvfbDisplay()
        // Silence: nothing is connected to latentvj:in_1/in_2. Music: the demo track played through
        // JACK (out_1/out_2 → system:playback) and analysed from what those ports play. Screenshots come
        // a second of audio apart, so both series cover the same stretch of music on any machine.
        let silence = try shots(display, name: "silence", arguments: ["--jack", "--no-hud"])
        let music = try shots(display, name: "music", arguments: ["--no-hud"])
        let still = (1..<silence.count).map { silence[$0].meanDifference(silence[$0 - 1]) }
        let moving = (1..<music.count).map { music[$0].meanDifference(music[$0 - 1]) }
        // Once the network has settled (the last seconds), silence leaves the picture nearly unchanged,
        // and music moves it many times more.
        XCTAssertLessThan(still.suffix(2).max()!, 2.0, "silence: \(still)")
        XCTAssertGreaterThan(moving.min()!, 4 * still.suffix(2).max()!, "music \(moving) vs silence \(still)")
    }

    func testHUDIsDrawnAndHides() throws {
        let display = try XvfbDisplay()
        let withHUD = try shots(display, name: "hud", arguments: [], count: 2).last!
        let without = try shots(display, name: "nohud", arguments: ["--no-hud"], count: 2).last!
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
        let engine = try RunningEngine(["--no-jack", "--no-osc", "--window-size", "256", "--no-hud", "--screenshot", base, "--screenshot-every", "1"],
                                       environment: display.environment(environment))
        let window = try display.window(named: "LatentVJ")
        let shots = ScreenshotSeries(base: base)
        try shots.waitFor(width: 256, height: 256)
        try display.xdotool(["windowsize", window, "500", "300"])
        try shots.waitFor(width: 500, height: 300)
        try display.xdotool(["windowfocus", window])
        try display.xdotool(["key", "--window", window, "f"])          // fullscreen on
        try shots.waitFor(width: 800, height: 800, "fullscreen fills the screen")
        try display.xdotool(["key", "--window", window, "f"])          // and off again
        try shots.waitFor(width: 500, height: 300, "back in the window")
        try display.xdotool(["windowsize", window, "320", "640"])
        try shots.waitFor(width: 320, height: 640)
        XCTAssertEqual(try engine.stop().status, 0, "the engine ended normally")
        let last = try Raster.load(base)                                 // the screenshot taken at the end
        XCTAssertEqual(last.width, 320); XCTAssertEqual(last.height, 640)
        // Aspect kept: a 320-px square picture centred between black bars above and below.
        let bar = last.count(x: 0..<320, y: 0..<150) { $0 + $1 + $2 == 0 }
        let picture = last.count(x: 0..<320, y: 170..<470) { $0 + $1 + $2 > 30 }
        XCTAssertGreaterThan(bar, 320 * 150 * 95 / 100, "black bar above the picture")
        XCTAssertGreaterThan(picture, 320 * 300 / 2, "the picture is drawn in the middle")
    }

    /// A client killed while libjack creates its metadata database leaves one that every later client
    /// hangs on forever. The engine must not: the probe gives up after 3 s and the show starts anyway.
    func testStaleJACKDatabaseDoesNotHangTheEngine() throws {
        let withJackd = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/with-jackd.sh").path
        var env = environment!
        env["LVJ"] = CLI.binary
        let r = try CLI.runProgram(withJackd, ["bash", "-c", """
            db=/dev/shm/jack_db-$(id -u); saved=$(mktemp -d)
            [ -e "$db" ] && mv "$db" "$saved/db"                   # keep a healthy database out of harm's way
            trap 'rm -rf "$db"; [ -e "$saved/db" ] && mv "$saved/db" "$db"; rm -rf "$saved"' EXIT
            mkdir -p "$db" && : > "$db/__db.001"                   # what a killed client leaves behind
            "$LVJ" live --headless --seconds 2 --no-osc
            """], environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("did not answer within 3 s") && r.stderr.contains("internal clock"), r.stderr)
        XCTAssertTrue(r.stdout.contains("fps sustained"), "the engine ran: \(r.stdout)")
    }
}

/// The numbered screenshots `--screenshot BASE --screenshot-every N` writes (BASE-001.png, ...), read as
/// they appear: a file still being written does not decode yet and is read again on the next look.
final class ScreenshotSeries {
    let base: String
    private var seen = 0

    init(base: String) { self.base = base }

    /// `shot.png`, 3 → `shot-003.png` (as the engine names them).
    func path(_ n: Int) -> String { (base as NSString).deletingPathExtension + String(format: "-%03d.png", n) }
    func exists(_ n: Int) -> Bool { FileManager.default.fileExists(atPath: path(n)) }

    /// Waits for a screenshot after the last one looked at with this size.
    func waitFor(width: Int, height: Int, _ what: String = "", timeout: Double = 120) throws {
        var sizes: [String] = []
        try TestSupport.waitFor("a \(width)×\(height) screenshot \(what)", timeout: timeout, every: 0.1, details: { "seen: \(sizes)" }) {
            while exists(seen + 1), let shot = try? Raster.load(path(seen + 1)) {
                seen += 1
                sizes.append("\(shot.width)×\(shot.height)")
                if shot.width == width && shot.height == height { return true }
            }
            return false
        }
    }
}

/// The stage keys, pressed for real (xdotool) in the window under Xvfb: space freezes, H shows the HUD,
/// L arms MIDI learn (its prompt is drawn), Esc cancels learn instead of quitting, a number key
/// recalls a preset slot. Each key is pressed once the screen shows the previous one took effect.
final class LiveKeyTests: CLIWorkspaceTestCase {
    func testStageKeys() throws {
        let display = try XvfbDisplay()
        let base = "\(folder!)/keys.png"
        let engine = try RunningEngine(["--no-jack", "--no-osc", "--window-size", "256", "--no-hud", "--screenshot", base, "--screenshot-every", "1"],
                                       environment: display.environment(environment))
        let window = try display.window(named: "LatentVJ")
        let shots = ScreenshotSeries(base: base)
        func press(_ keys: String...) throws {
            try display.xdotool(["windowfocus", window])
            for key in keys { try display.xdotool(["key", "--window", window, key]) }
        }
        let prompt = { (r: Raster) in r.count(x: 0..<r.width, y: (r.height * 2 / 5)..<(r.height * 3 / 5)) { abs($0 - 230) <= 2 && abs($1 - 230) <= 2 && abs($2 - 235) <= 2 } }
        try waitFor("the first screenshot", details: { engine.child.failureDetails() }) { shots.exists(2) }
        let first = try Raster.load(shots.path(1))
        XCTAssertLessThan(prompt(first), 5, "no learn prompt before L")
        try press("space")                                              // freeze
        // Frozen: from some screenshot on, the next ones are the same picture.
        var frozen: [Double] = []
        try waitFor("two screenshots of the frozen picture", timeout: 120, every: 0.1, details: { "differences: \(frozen)" }) {
            var n = 2
            frozen = []
            while shots.exists(n + 1), let a = try? Raster.load(shots.path(n)), let b = try? Raster.load(shots.path(n + 1)) {
                frozen.append(b.meanDifference(a)); n += 1
            }
            return frozen.contains { $0 < 0.01 }
        }
        try press("h", "l")                                             // HUD on, learn armed
        var counts: [Int] = []
        try waitFor("the learn prompt on screen", timeout: 120, every: 0.1, details: { "prompt pixels: \(counts)" }) {
            var n = 1
            counts = []
            while shots.exists(n + 1), let shot = try? Raster.load(shots.path(n)) { counts.append(prompt(shot)); n += 1 }
            return counts.contains { $0 > 40 }
        }
        try press("Escape")                                             // cancels learn, does not quit
        try engine.waitForEvent("learn_cancelled")
        XCTAssertTrue(engine.child.isRunning, "Esc during learn does not quit")
        try press("3")                                                  // preset slot 3
        try engine.waitForEvent("preset_recalled", "name", "journey")   // slot 3 of calm, default, journey, …
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
    }
}
