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

    /// A client killed while libjack creates its metadata database leaves one that every later client
    /// hangs on forever. The engine must not: the probe gives up after 3 s and the show starts anyway.
    func testStaleJACKDatabaseDoesNotHangTheEngine() throws {
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

    func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { if condition() { return true }; usleep(100_000) }
        return false
    }
}

/// The stage keys, pressed for real (xdotool) in the window under Xvfb: space freezes, H shows the HUD,
/// L arms MIDI learn (its prompt is drawn), Esc cancels learn instead of quitting, a number key
/// recalls a preset slot.
final class LiveKeyTests: CLIWorkspaceTestCase {
    func testStageKeys() throws {
        let display = try XvfbDisplay()
        let base = "\(folder!)/keys.png"
        let engine = Process()
        engine.executableURL = URL(fileURLWithPath: CLI.binary)
        engine.arguments = ["live", "--no-jack", "--no-osc", "--seconds", "10", "--window-size", "256", "--no-hud",
                            "--screenshot", base, "--screenshot-every", "1"]
        engine.environment = display.environment(environment)
        let err = Pipe()
        engine.standardOutput = FileHandle.nullDevice; engine.standardError = err
        try engine.run()
        var window = ""
        let deadline = Date().addingTimeInterval(15)
        while window.isEmpty && Date() < deadline {
            window = (try? display.xdotool(["search", "--name", "LatentVJ"]))?.split(separator: "\n").first.map(String.init) ?? ""
            usleep(100_000)
        }
        XCTAssertFalse(window.isEmpty, "the window appeared")
        let shown = Date()
        func at(_ seconds: Double, _ keys: String...) throws {
            let wait = seconds - Date().timeIntervalSince(shown)
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            try display.xdotool(["windowfocus", window])
            for key in keys { try display.xdotool(["key", "--window", window, key]) }
        }
        try at(1.5, "space")                 // freeze
        try at(4.6, "h", "l")                // HUD on, learn armed
        try at(7.2, "Escape")                // cancels learn, does not quit
        try at(7.6, "3")                     // preset slot 3
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        engine.waitUntilExit()
        XCTAssertEqual(engine.terminationStatus, 0, text)
        let shots = try (1...9).compactMap { n -> Raster? in
            let path = String(format: "\(folder!)/keys-%03d.png", n)
            return FileManager.default.fileExists(atPath: path) ? try Raster.load(path) : nil
        }
        XCTAssertGreaterThanOrEqual(shots.count, 8)
        // Frozen between the space and the HUD: two consecutive screenshots are the same picture.
        XCTAssertTrue((2..<4).contains { shots[$0].meanDifference(shots[$0 - 1]) < 0.01 },
                      "frozen: \((1..<5).map { shots[$0].meanDifference(shots[$0 - 1]) })")
        // Learn armed: its prompt (HUD text colour) across the middle of the window.
        let prompt = { (r: Raster) in r.count(x: 0..<r.width, y: (r.height * 2 / 5)..<(r.height * 3 / 5)) { abs($0 - 230) <= 2 && abs($1 - 230) <= 2 && abs($2 - 235) <= 2 } }
        XCTAssertGreaterThan(shots[5...6].map(prompt).max() ?? 0, 40, "the learn prompt is drawn")
        XCTAssertLessThan(prompt(shots[1]), 5, "and not before")
        XCTAssertTrue(text.contains("learn cancelled"), text)
        XCTAssertTrue(text.contains("preset journey"), "slot 3 of calm, default, journey, …: \(text)")
    }
}
