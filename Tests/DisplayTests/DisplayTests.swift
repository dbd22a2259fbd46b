import Basics
@testable import Display
import Foundation
import Imaging
import TestSupport
import XCTest

/// The HUD as pure drawing, and the SDL window for real: under Xvfb (started here when DISPLAY is unset)
/// and with SDL's offscreen driver. SDL's video state is process-global: each test opens at most one
/// window and lets it go before returning, so the next test can initialise SDL with another driver.
final class DisplayTests: TimeLimitedTestCase {
    /// Set LVJ_DISPLAY_TEST_OUTPUT=/some/folder to keep PNGs of the HUD and the screenshots for a look.
    static let outputFolder = ProcessInfo.processInfo.environment["LVJ_DISPLAY_TEST_OUTPUT"]

    // MARK: HUD drawing (no SDL)

    func testHUDDrawsPanelsAndTheUntrainedLabel() throws {
        let layout = HUD.layout(width: 640, height: 480)
        let trained = hudImage(Self.sampleState(untrained: false))
        let untrained = hudImage(Self.sampleState(untrained: true))
        keep(untrained, "hud-640x480")
        for (name, panel) in [("status", layout.status), ("features", layout.features), ("correlation", layout.correlation),
                              ("recording", layout.recording)] {
            XCTAssertGreaterThan(opaqueFraction(untrained, panel), 0.9, "the \(name) panel should be drawn")
        }
        XCTAssertEqual(opaqueFraction(trained, layout.untrainedBanner), 0, "no banner for a trained model")
        XCTAssertGreaterThan(opaqueFraction(untrained, layout.untrainedBanner), 0.9)
        XCTAssertGreaterThan(difference(trained, untrained, in: layout.untrainedBanner), 50, "the label must stand out")
        // Outside the panels (the middle of the picture) the HUD stays transparent.
        XCTAssertEqual(opaqueFraction(untrained, PixelRect(x: 200, y: 200, width: 200, height: 40)), 0)
    }

    func testCorrelationNumberAndSparklineFollowTheState() {
        let layout = HUD.layout(width: 640, height: 480)
        var state = Self.sampleState(untrained: false)
        let before = hudImage(state)
        state.correlationHistory = state.correlationHistory.map { -$0 }
        let flipped = hudImage(state)
        XCTAssertGreaterThan(difference(before, flipped, in: layout.sparkline), 1)
        state.correlation = -0.2
        let renumbered = hudImage(state)
        let number = PixelRect(x: layout.correlation.x, y: layout.correlation.y, width: layout.correlation.width,
                               height: layout.sparkline.y - layout.correlation.y)
        XCTAssertGreaterThan(difference(flipped, renumbered, in: number), 1)
        XCTAssertEqual(difference(flipped, renumbered, in: layout.sparkline), 0)
    }

    func testRecordingIndicatorIsRed() {
        let layout = HUD.layout(width: 640, height: 480)
        var state = Self.sampleState(untrained: false)
        state.recording = .off
        XCTAssertEqual(redPixels(hudImage(state), layout.recording), 0)
        state.recording = .recording(elapsedSeconds: 83)
        XCTAssertGreaterThan(redPixels(hudImage(state), layout.recording), 30)
        state.recording = .stopped(message: "recording stopped: disk full")
        let stopped = hudImage(state)
        XCTAssertEqual(redPixels(stopped, layout.recording), 0, "a stopped recording is a warning, not a red REC")
        XCTAssertGreaterThan(opaqueFraction(stopped, layout.recording), 0.9)
    }

    func testLayoutFitsCommonWindowSizesWithoutOverlap() {
        for (w, h) in [(640, 480), (800, 600), (1280, 720), (1920, 1080), (3840, 2160)] {
            let l = HUD.layout(width: w, height: h)
            let panels = [l.status, l.untrainedBanner, l.recording, l.features, l.correlation]
            for p in panels + [l.learnPrompt] {
                XCTAssertTrue(p.x >= 0 && p.y >= 0 && p.maxX <= w && p.maxY <= h, "\(p) outside \(w)×\(h)")
            }
            for i in panels.indices { for j in panels.indices where i < j {
                XCTAssertFalse(overlap(panels[i], panels[j]), "\(panels[i]) overlaps \(panels[j]) at \(w)×\(h)")
            } }
            let label = BitmapFont.width(of: "UNTRAINED DEMO MODEL", scale: 2 * l.scale)
            XCTAssertLessThanOrEqual(label, l.untrainedBanner.width, "the label fits its banner at \(w)×\(h)")
        }
        XCTAssertEqual(HUD.fontScale(width: 640, height: 480), 1)
        XCTAssertEqual(HUD.fontScale(width: 1920, height: 1080), 3)
    }

    func testLearnPromptAndLongStatusTextAreDrawn() {
        let layout = HUD.layout(width: 1280, height: 720)
        var state = Self.sampleState(untrained: false)
        state.audioStatus = "JACK server lost — drawing on silence, retrying every 2 s until it is back"
        state.audioStatusIsWarning = true
        state.learnPrompt = "MIDI learn: move a control for deep.amplitude"
        var raster = Raster(width: 1280, height: 720, fill: Color(0, 0, 0, 0))
        HUD.draw(state, into: &raster)
        keep(raster, "hud-1280x720-learn")
        XCTAssertGreaterThan(opaqueFraction(raster, layout.learnPrompt), 0.9)
        // Empty or tiny rasters must not crash (a minimised window).
        var tiny = Raster(width: 3, height: 2, fill: Color(0, 0, 0, 0))
        HUD.draw(state, into: &tiny)
    }

    func testLetterboxKeepsAspect() {
        XCTAssertEqual(LiveWindow.letterbox(frameWidth: 64, frameHeight: 64, outputWidth: 640, outputHeight: 480),
                       PixelRect(x: 80, y: 0, width: 480, height: 480))
        XCTAssertEqual(LiveWindow.letterbox(frameWidth: 256, frameHeight: 128, outputWidth: 640, outputHeight: 480),
                       PixelRect(x: 0, y: 80, width: 640, height: 320))
    }

    // MARK: the window under X (Xvfb)

    func testWindowLetterboxesTheFrame() throws {
        try Self.requireX()
        let window = try LiveWindow(title: "latentvj test", width: 640, height: 480, vsync: false)
        XCTAssertEqual(window.videoDriver, "x11")
        let frame = Self.halves(width: 64, height: 64)
        try window.present(rgb: frame, width: 64, height: 64, hud: nil)
        let shot = try window.screenshot()
        keep(shot, "x11-letterbox")
        XCTAssertEqual(shot.width, 640); XCTAssertEqual(shot.height, 480)
        try assertHalves(shot, picture: PixelRect(x: 80, y: 0, width: 480, height: 480), renderer: window.rendererName)
        // Linear scaling blurs the red/blue edge, nearest keeps it sharp; the halves stay where they are.
        window.scaling = .linear
        try window.present(rgb: frame, width: 64, height: 64, hud: nil)
        let smooth = try window.screenshot()
        try assertHalves(smooth, picture: PixelRect(x: 80, y: 0, width: 480, height: 480), renderer: window.rendererName)
        let edge = PixelRect(x: 80 + 240 - 8, y: 100, width: 16, height: 1)
        XCTAssertGreaterThan(difference(Self.raster(shot), Self.raster(smooth), in: edge), 1)
    }

    func testResizeAndFullscreenKeepThePicture() throws {
        try Self.requireX()
        let window = try LiveWindow(title: "latentvj test", width: 640, height: 480, vsync: false)
        let frame = Self.halves(width: 64, height: 64)
        try window.present(rgb: frame, width: 64, height: 64, hud: Self.sampleState(untrained: true))
        window.resize(width: 800, height: 400)
        var events: [LiveWindow.Event] = []
        _ = waitUntil(timeout: 60) {
            events += window.pollEvents()
            return window.outputSize == (800, 400) && events.contains(.resized(width: 800, height: 400))
        }
        XCTAssertTrue(events.contains(.resized(width: 800, height: 400)), "\(events)")
        try window.present(rgb: frame, width: 64, height: 64, hud: Self.sampleState(untrained: true))
        let shot = try window.screenshot()
        keep(shot, "x11-resized")
        XCTAssertEqual(shot.width, 800); XCTAssertEqual(shot.height, 400)
        try assertHalves(shot, picture: PixelRect(x: 200, y: 0, width: 400, height: 400), renderer: window.rendererName, avoidHUD: true)

        // Bare Xvfb has no window manager to honour the fullscreen request, so only "nothing breaks"
        // is checkable here; with a window manager the window covers the display.
        try window.setFullscreen(true)
        _ = window.pollEvents()
        try window.present(rgb: frame, width: 64, height: 64, hud: nil)
        let full = try window.screenshot()
        keep(full, "x11-fullscreen")
        XCTAssertTrue(window.isFullscreen)
        XCTAssertGreaterThan(full.width, 0)
        try window.toggleFullscreen()
        _ = waitUntil(timeout: 60) { _ = window.pollEvents(); return window.outputSize == (800, 400) }
        XCTAssertFalse(window.isFullscreen)
        XCTAssertTrue(window.outputSize == (800, 400), "back to the windowed size, got \(window.outputSize)")
        // A new render size recreates the texture.
        let wide = Self.halves(width: 96, height: 48)
        try window.present(rgb: wide, width: 96, height: 48, hud: nil)
        let after = try window.screenshot()
        keep(after, "x11-after-fullscreen")
        let box = LiveWindow.letterbox(frameWidth: 96, frameHeight: 48, outputWidth: after.width, outputHeight: after.height)
        try assertHalves(after, picture: box, renderer: window.rendererName)
    }

    func testHUDIsVisibleOnScreen() throws {
        try Self.requireX()
        let window = try LiveWindow(title: "latentvj test", width: 640, height: 480)   // vsync on, as in a show
        let frame = Self.halves(width: 64, height: 64)
        try window.present(rgb: frame, width: 64, height: 64, hud: nil)
        let plain = Self.raster(try window.screenshot())
        try window.present(rgb: frame, width: 64, height: 64, hud: Self.sampleState(untrained: true))
        let withHUD = Self.raster(try window.screenshot())
        keep(withHUD, "x11-hud")
        let layout = HUD.layout(width: plain.width, height: plain.height)
        XCTAssertGreaterThan(difference(plain, withHUD, in: layout.status), 20)
        XCTAssertGreaterThan(difference(plain, withHUD, in: layout.untrainedBanner), 50)
        XCTAssertGreaterThan(difference(plain, withHUD, in: layout.correlation), 20)
        XCTAssertEqual(difference(plain, withHUD, in: PixelRect(x: 300, y: 200, width: 40, height: 40)), 0, "the middle stays clear")
        // Changed values reach the screen no more often than hudRefreshInterval.
        var changed = Self.sampleState(untrained: false)
        changed.presetName = "another preset"
        window.hudRefreshInterval = 3600
        try window.present(rgb: frame, width: 64, height: 64, hud: changed)
        XCTAssertEqual(Self.raster(try window.screenshot()), withHUD, "redrawn too soon")
        window.hudRefreshInterval = 0
        try window.present(rgb: frame, width: 64, height: 64, hud: changed)
        XCTAssertGreaterThan(difference(withHUD, Self.raster(try window.screenshot()), in: layout.untrainedBanner), 50)
        // Hiding the HUD (nil) gives the plain picture back.
        try window.present(rgb: frame, width: 64, height: 64, hud: nil)
        XCTAssertEqual(Self.raster(try window.screenshot()), plain)
    }

    func testKeysMapToActions() throws {
        try Self.requireX()
        let window = try LiveWindow(title: "latentvj test", width: 320, height: 240, vsync: false)
        _ = window.pollEvents()   // the window's own expose/focus events
        for key in ["F", "H", "1", "9", "Space", "R", "L", "Q", "Escape"] {
            XCTAssertTrue(window.pushKeyPress(named: key), key)
        }
        let actions = window.pollEvents().compactMap { event -> LiveWindow.Action? in
            if case .action(let a) = event { return a } else { return nil }
        }
        XCTAssertEqual(actions, [.toggleFullscreen, .toggleHUD, .preset(1), .preset(9), .toggleFreeze, .toggleRecording, .learn, .quit])
        XCTAssertFalse(window.pushKeyPress(named: "no such key"))
    }

    func testDisplayNumberMustExist() throws {
        try Self.requireX()
        XCTAssertThrowsError(try LiveWindow(title: "t", width: 320, height: 240, display: 3)) { error in
            XCTAssertEqual(error as? DisplayError, .noSuchDisplay(requested: 3, available: 1))
            XCTAssertTrue("\(error)".contains("1 display is connected"), "\(error)")
        }
    }

    // MARK: without X

    func testHeadlessNeedsNoDisplay() throws {
        try Self.withoutDisplay {
            let window = try LiveWindow(title: "latentvj headless", width: 320, height: 240, headless: true)
            XCTAssertEqual(window.videoDriver, "offscreen")
            let frame = Self.halves(width: 64, height: 64)
            try window.present(rgb: frame, width: 64, height: 64, hud: Self.sampleState(untrained: true))
            try window.present(rgb: frame, width: 64, height: 64, hud: nil)
            let shot = try window.screenshot()
            keep(shot, "offscreen")
            XCTAssertEqual(shot.width, 320); XCTAssertEqual(shot.height, 240)
            try assertHalves(shot, picture: PixelRect(x: 40, y: 0, width: 240, height: 240), renderer: window.rendererName)
        }
    }

    /// The font has ASCII only: what the engine's messages use beyond it is drawn as a look-alike, never "?".
    func testMessagesAreDrawnWithGlyphsTheFontHas() {
        for text in ["learned: CC 1/20 → intensity", "OUT SHM 12 · RTP 3", "model: reloading m.pkl…", "it’s “fine” — 1280×720"] {
            XCTAssertTrue(BitmapFont.canDraw(HUD.printable(text)), "\(text) → \(HUD.printable(text))")
        }
        XCTAssertEqual(HUD.printable("a → b · c"), "a -> b | c")
    }

    func testNoDisplayIsAClearError() throws {
        try Self.withoutDisplay {
            XCTAssertThrowsError(try LiveWindow(title: "t", width: 320, height: 240)) { error in
                guard case .noDisplay = error as? DisplayError else { return XCTFail("\(error)") }
                XCTAssertTrue("\(error)".hasPrefix("no display (set DISPLAY, run under Xvfb, or use --headless)"), "\(error)")
            }
        }
    }

    // MARK: Xvfb

    nonisolated(unsafe) static var xvfb: Process?
    nonisolated(unsafe) static var xDisplay: String?

    /// Uses the DISPLAY we were given, or starts Xvfb on a free display number.
    override class func setUp() {
        super.setUp()
        if let d = ProcessInfo.processInfo.environment["DISPLAY"], !d.isEmpty { xDisplay = d; return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") else { return }
        for _ in 0..<5 {
            let n = Int.random(in: 200..<900)
            guard !FileManager.default.fileExists(atPath: "/tmp/.X\(n)-lock") else { continue }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
            p.arguments = [":\(n)", "-screen", "0", "1024x768x24", "-nolisten", "tcp"]
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return }
            _ = waitUntil(timeout: 30) { !p.isRunning || xServerAccepts(display: ":\(n)") }
            if p.isRunning, xServerAccepts(display: ":\(n)") {
                xvfb = p; xDisplay = ":\(n)"
                setenv("DISPLAY", ":\(n)", 1)
                return
            }
            if p.isRunning { p.terminate(); p.waitUntilExit() }
        }
    }

    override class func tearDown() {
        if let p = xvfb { p.terminate(); p.waitUntilExit(); unsetenv("DISPLAY") }   // leave no dead DISPLAY behind
        xvfb = nil
        super.tearDown()
    }

    static func requireX() throws {
        guard let d = xDisplay else { throw XCTSkip("no X display and no Xvfb (apt-get install xvfb)") }
        setenv("DISPLAY", d, 1)
    }

    /// Runs `body` with no DISPLAY or WAYLAND_DISPLAY in the environment SDL reads at init.
    static func withoutDisplay(_ body: () throws -> Void) throws {
        let saved = ["DISPLAY", "WAYLAND_DISPLAY"].map { ($0, ProcessInfo.processInfo.environment[$0]) }
        for (name, _) in saved { unsetenv(name) }
        defer { for (name, value) in saved { if let value { setenv(name, value, 1) } } }
        try body()
    }

    // MARK: fixtures and measurements

    static func sampleState(untrained: Bool) -> HUDState {
        HUDState(fps: 59.9, frameTimeMs: 12.4, rms: 0.6, onsets: 0.3, pulse: 0.8,
                 chroma: (0..<12).map { Float($0) / 11 }, bpm: 128, correlation: 0.73,
                 correlationHistory: (0..<120).map { 0.5 + 0.3 * sin(Double($0) / 9) }, presetName: "nebula",
                 recording: .recording(elapsedSeconds: 83), audioStatus: "JACK: connected", untrainedModel: untrained)
    }

    /// A frame whose left half is red and right half blue.
    static func halves(width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width { rgb[3 * (y * width + x) + (x < width / 2 ? 0 : 2)] = 255 } }
        return rgb
    }

    static func raster(_ shot: (width: Int, height: Int, rgb: [UInt8])) -> Raster {
        var pixels = [UInt8](repeating: 255, count: shot.width * shot.height * 4)
        for i in 0..<(shot.width * shot.height) { for c in 0..<3 { pixels[4 * i + c] = shot.rgb[3 * i + c] } }
        return Raster(width: shot.width, height: shot.height, pixels: pixels)
    }

    /// Red left, blue right inside `picture`, black bars outside it (sampled away from the edges, where
    /// linear filtering or rounding may blur a pixel).
    func assertHalves(_ shot: (width: Int, height: Int, rgb: [UInt8]), picture p: PixelRect, renderer: String,
                      avoidHUD: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = Self.raster(shot)
        let y0 = avoidHUD ? p.y + p.height / 3 : p.y + 4, h = avoidHUD ? p.height / 3 : p.height - 8
        let left = mean(r, PixelRect(x: p.x + 4, y: y0, width: p.width / 2 - 8, height: h))
        let right = mean(r, PixelRect(x: p.x + p.width / 2 + 4, y: y0, width: p.width / 2 - 8, height: h))
        XCTAssertTrue(left.r > 240 && left.g < 10 && left.b < 10, "left should be red, got \(left) (\(renderer))", file: file, line: line)
        XCTAssertTrue(right.b > 240 && right.r < 10 && right.g < 10, "right should be blue, got \(right) (\(renderer))", file: file, line: line)
        var bars: [PixelRect] = []
        if p.x > 2 { bars += [PixelRect(x: 0, y: y0, width: p.x - 1, height: h), PixelRect(x: p.maxX + 1, y: y0, width: shot.width - p.maxX - 1, height: h)] }
        if p.y > 2 { bars += [PixelRect(x: p.x + 4, y: 0, width: p.width - 8, height: p.y - 1)] }
        for bar in bars {
            let m = mean(r, bar)
            XCTAssertTrue(m.r + m.g + m.b < 3, "bar \(bar) should be black, got \(m)", file: file, line: line)
        }
    }

    func hudImage(_ state: HUDState) -> Raster {
        var r = Raster(width: 640, height: 480, fill: Color(0, 0, 0, 0))
        HUD.draw(state, into: &r)
        return r
    }

    func mean(_ r: Raster, _ rect: PixelRect) -> (r: Double, g: Double, b: Double) {
        var s = (0.0, 0.0, 0.0)
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX { let p = r.pixel(x, y); s.0 += Double(p.r); s.1 += Double(p.g); s.2 += Double(p.b) } }
        let n = Double(max(1, rect.width * rect.height))
        return (s.0 / n, s.1 / n, s.2 / n)
    }

    func opaqueFraction(_ r: Raster, _ rect: PixelRect) -> Double {
        var n = 0
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX where r.pixel(x, y).a > 0 { n += 1 } }
        return Double(n) / Double(max(1, rect.width * rect.height))
    }

    func redPixels(_ r: Raster, _ rect: PixelRect) -> Int {
        var n = 0
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX { let p = r.pixel(x, y); if p.r > 200 && p.g < 60 && p.b < 60 && p.a > 200 { n += 1 } } }
        return n
    }

    /// Mean absolute difference per channel (RGBA) over a region.
    func difference(_ a: Raster, _ b: Raster, in rect: PixelRect) -> Double {
        var sum = 0
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX {
            let p = a.pixel(x, y), q = b.pixel(x, y)
            sum += abs(Int(p.r) - Int(q.r)) + abs(Int(p.g) - Int(q.g)) + abs(Int(p.b) - Int(q.b)) + abs(Int(p.a) - Int(q.a))
        } }
        return Double(sum) / Double(max(1, rect.width * rect.height))
    }

    func overlap(_ a: PixelRect, _ b: PixelRect) -> Bool { a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY }

    func keep(_ shot: (width: Int, height: Int, rgb: [UInt8]), _ name: String) { keep(Self.raster(shot), name) }

    func keep(_ raster: Raster, _ name: String) {
        guard let folder = Self.outputFolder else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? PNGFile.write(raster, to: "\(folder)/\(name).png")
    }
}
