import Foundation
import TestSupport
import XCTest

/// `latentvj live` controlled over OSC by real peers: liblo's `oscsend`, and python-osc (a second,
/// independent implementation) as a subscribing tablet and as a sender of garbage. Each test acts once
/// the engine renders and listens, and waits for the engine to say a change arrived (its feedback, its
/// frame counter, its output) before it looks at the performance log.
final class OSCControlTests: EngineOSCTestCase {
    func testParameterSetOverOSCReachesTheDecoderInTheNextFrames() throws {
        let engine = try startEngine()
        try oscsend(["/lvj/intensity", "f", "2.5"])                  // liblo's own client
        _ = try python(["send", "\(port)", "/lvj/psi", "0.5"])       // python-osc
        try oscsend(["/lvj/deep/palette", "i", "42"])
        try engine.waitForValue("/lvj/intensity", 2.5)
        try engine.waitForValue("/lvj/psi", 0.5)
        try engine.waitForValue("/lvj/deep/palette", 42)
        try engine.waitForFrames(10)                                 // rendered with the new values
        _ = try finish(engine)
        let intensity = try logged("intensity"), psi = try logged("psi"), palette = try logged("deep.palette")
        let first = try XCTUnwrap(intensity.firstIndex { $0 != 1 }, "intensity changed during the set")
        // Ramped over control.smoothing (50 ms = 1.5 frames at 30 fps): there within two frames.
        XCTAssertEqual(intensity[min(first + 2, intensity.count - 1)], 2.5)
        XCTAssertEqual(intensity.last, 2.5)
        XCTAssertEqual(psi.last, 0.5)
        XCTAssertEqual(palette.last, 42, "palette numbers are logged (the seeds a replay needs)")
        XCTAssertEqual(intensity.prefix(first).allSatisfy { $0 == 1 }, true)
    }

    func testSubscribedTabletGetsChangedValuesAndStatus() throws {
        let engine = try startEngine()
        let tablet = try ChildProcess("/usr/bin/env", ["python3", peer, "listen", "\(port)", "300"], name: "python-osc tablet")
        try waitFor("the tablet to subscribe", details: { tablet.tail }) {
            if !tablet.isRunning && tablet.process.terminationStatus == 3 { throw XCTSkip("python-osc is not installed") }
            return tablet.stdout.contains("\"ready\"")
        }
        try oscsend(["/lvj/deep/amplitude", "f", "0.25"])       // another controller moves a fader…
        let statuses = ["/lvj/status/fps", "/lvj/status/correlation", "/lvj/status/bpm", "/lvj/status/recording", "/lvj/status/engine"]
        var messages: [[String: Any]] = []
        try waitFor("the fader's new value and every status report at the tablet", details: { tablet.tail }) {
            messages = tablet.jsonLines
            let addresses = Set(messages.compactMap { $0["address"] as? String })
            return addresses.contains("/lvj/deep/amplitude") && statuses.allSatisfy(addresses.contains)
        }
        try tablet.stop()
        _ = try finish(engine)
        let amplitude = messages.last { $0["address"] as? String == "/lvj/deep/amplitude" }
        XCTAssertEqual((amplitude?["args"] as? [Double])?.first, 0.25, "…and the tablet's fader follows")
        let frames = messages.last { $0["address"] as? String == "/lvj/status/engine" }?["args"] as? [Double]
        XCTAssertGreaterThan(frames?.first ?? 0, 0, "the engine reports frames rendered")
    }

    func testListDescribesEveryParameter() throws {
        let engine = try startEngine()
        let replies = try python(["list", "\(port)"])
        _ = try finish(engine)
        let params = replies.filter { $0["address"] as? String == "/lvj/param" }.compactMap { $0["args"] as? [Any] }
        let end = replies.first { $0["address"] as? String == "/lvj/list/end" }?["args"] as? [Double]
        XCTAssertEqual(Double(params.count), end?.first, "as many parameters as announced")
        let names = params.compactMap { $0.first as? String }
        for name in ["deep.amplitude", "noise.s16.sigma", "intensity", "psi", "temperature", "synth", "freeze", "record"] {
            XCTAssertTrue(names.contains(name), name)
        }
        let intensity = try XCTUnwrap(params.first { $0.first as? String == "intensity" })
        XCTAssertEqual(intensity[1] as? String, "float"); XCTAssertEqual(intensity[3] as? Double, 3); XCTAssertEqual(intensity[6] as? String, "/lvj/intensity")
    }

    /// A flood of garbage: frames keep coming and none is lost (every rendered frame is in the
    /// performance log, in order), nothing malformed reaches the decoder, a good message still works.
    func testTenThousandMalformedPacketsLeaveTheEngineRendering() throws {
        let engine = try startEngine()
        let before = engine.frames
        let sent = try python(["burst", "\(port)", "10000"])
        XCTAssertEqual(sent.first?["sent"] as? Int, 10000)
        try oscsend(["/lvj/intensity", "f", "1.5"])                 // and a good message still works afterwards
        try engine.waitForValue("/lvj/intensity", 1.5)
        // Half the burst at least is accounted for: rejected by the engine, or dropped by the kernel before
        // the engine saw it (a loaded machine cannot keep up with a flood at full speed; random noise
        // that liblo drops silently is neither).
        try waitFor("the engine to count the burst's rejections", details: { "\(engine.oscCounts), dropped by the kernel: \(udpDrops(port: self.port))" }) {
            engine.oscCounts.rejected >= 1000 && engine.oscCounts.rejected + udpDrops(port: self.port) >= 5000
        }
        try engine.waitForFrames(30)
        XCTAssertGreaterThan(engine.frames, before + 30, "frames kept coming through the flood")
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        XCTAssertTrue(end.stderr.contains("OSC: ignored"), "rejections are logged: \(end.stderr.suffix(600))")
        let seconds = try XCTUnwrap(end.events.event("summary")?["seconds"] as? Double)
        XCTAssertLessThanOrEqual(end.stderr.components(separatedBy: "OSC: ignored").count - 1, Int(seconds) + 2,
                                 "rate-limited: at most one line a second")
        XCTAssertEqual(try logged("intensity").last, 1.5)
        XCTAssertEqual(try logged("intensity").filter { !(0...3).contains($0) }.count, 0, "no garbage value ever reached the decoder")
        try assertEveryFrameLogged(summary: end.events.event("summary"))
    }

    func testPresetsSavedAndMorphedOverOSC() throws {
        let presets = "\(folder!)/presets"
        try FileManager.default.createDirectory(atPath: presets, withIntermediateDirectories: true)
        let engine = try startEngine(["--presets", presets])
        try oscsend(["/lvj/intensity", "f", "2.0"])
        try oscsend(["/lvj/deep/palette", "i", "12"])
        try engine.waitForValue("/lvj/intensity", 2)
        try engine.waitForValue("/lvj/deep/palette", 12)
        try oscsend(["/lvj/preset/save", "s", "club night"])
        try engine.waitForEvent("preset_saved", "name", "club night")
        try oscsend(["/lvj/intensity", "f", "0.5"])
        try engine.waitForValue("/lvj/intensity", 0.5)
        try engine.waitForFrames(5)                                  // 0.5 is rendered (and logged)
        try oscsend(["/lvj/preset/morph", "sf", "club night", "1.0"])
        let morph = try engine.waitForEvent("preset_recalled", "name", "club night")
        XCTAssertEqual(morph["morph_seconds"] as? Double, 1)
        try engine.waitForFrames(45)                                 // the morph takes 30 frames at 30 fps
        let stderr = try finish(engine)
        let saved = try String(contentsOfFile: "\(presets)/club night.preset.yaml", encoding: .utf8)
        XCTAssertTrue(saved.contains("intensity: 2") && saved.contains("deep.palette: 12"), saved)
        XCTAssertTrue(stderr.contains("saved preset club night") && stderr.contains("morphing to club night over 1.0 s"), stderr)
        let intensity = try logged("intensity")
        XCTAssertEqual(intensity.last, 2, "the morph arrived")
        let low = try XCTUnwrap(intensity.lastIndex(of: 0.5))
        let between = intensity[low...].filter { $0 > 0.5 && $0 < 2 }
        XCTAssertGreaterThan(between.count, 20, "it glided over about 30 frames, not a jump: \(between.count)")
    }

    func testATakenDefaultPortFallsBackToAFreeOne() throws {
        // Something else holds UDP 9000 (another engine, another app): the show starts anyway.
        let holder = try ChildProcess("/usr/bin/env", ["python3", "-c",
            "import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 9000)); print('bound', flush=True); time.sleep(600)"],
            name: "port holder")
        defer { _ = try? holder.stop(signal: SIGKILL) }
        try holder.waitForOutput("bound")
        let r = try CLI.run(["live", "--headless", "--no-jack", "--seconds", "2"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("port 9000 is in use; using"), r.stderr)
        // Asked for explicitly, a taken port is an error that says so.
        let explicit = try CLI.run(["live", "--headless", "--no-jack", "--seconds", "2", "--osc-port", "9000"], environment: environment)
        XCTAssertEqual(explicit.status, 64, explicit.stderr)
        XCTAssertTrue(explicit.stderr.contains("--osc-port"), explicit.stderr)
    }

    func testSenderOutsideTheAllowedNetworkHasNoEffect() throws {
        let engine = try startEngine(["--osc-allow", "127.0.0.1/32"])
        _ = try python(["send", "\(port)", "/lvj/intensity", "2.0", "--bind", "127.0.0.2"])   // not allowed
        _ = try python(["send", "\(port)", "/lvj/psi", "0.7"])                                  // allowed
        try oscsend(["/lvj/preset/load", "s", "../Presets/default"])                            // a path: refused
        try waitFor("the engine to count both refusals", details: { "\(engine.oscCounts)" }) { engine.oscCounts.rejected >= 2 }
        try waitFor("psi 0.7 fed back") {
            if case .number(let v)? = engine.latest("/lvj/psi")?.first { return abs(v - 0.7) < 1e-6 }
            return false
        }
        try engine.waitForFrames(5)
        let stderr = try finish(engine)
        XCTAssertEqual(try logged("intensity").last, 1)
        XCTAssertEqual(try XCTUnwrap(logged("psi").last), 0.7, accuracy: 1e-6, "OSC floats are 32-bit")
        XCTAssertFalse(stderr.contains("preset not loaded"), "a path never reaches the preset loader")
    }
}
