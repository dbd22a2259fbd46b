import Foundation
import XCTest

/// `latentvj live` controlled over OSC by real peers: liblo's `oscsend`, and python-osc (a second,
/// independent implementation) as a subscribing tablet and as a sender of garbage.
final class OSCControlTests: EngineOSCTestCase {
    func testParameterSetOverOSCReachesTheDecoderInTheNextFrames() throws {
        let engine = try startEngine(seconds: 5)
        try oscsend(["/lvj/intensity", "f", "2.5"])                  // liblo's own client
        _ = try python(["send", "\(port)", "/lvj/psi", "0.5"])       // python-osc
        try oscsend(["/lvj/deep/palette", "i", "42"])
        _ = finish(engine)
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
        let engine = try startEngine(seconds: 6)
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["python3", peer, "listen", "\(port)", "2.5"]
        let out = Pipe()
        listener.standardOutput = out; listener.standardError = FileHandle.nullDevice
        try listener.run()
        Thread.sleep(forTimeInterval: 0.5)
        try oscsend(["/lvj/deep/amplitude", "f", "0.25"])       // another controller moves a fader…
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        listener.waitUntilExit()
        if listener.terminationStatus == 3 { _ = finish(engine); throw XCTSkip("python-osc is not installed") }
        _ = finish(engine)
        let messages = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let amplitude = messages.first { $0["address"] as? String == "/lvj/deep/amplitude" }
        XCTAssertEqual((amplitude?["args"] as? [Double])?.first, 0.25, "…and the tablet's fader follows: \(text)")
        let addresses = Set(messages.compactMap { $0["address"] as? String })
        for status in ["/lvj/status/fps", "/lvj/status/correlation", "/lvj/status/bpm", "/lvj/status/recording"] {
            XCTAssertTrue(addresses.contains(status), "\(status) in \(addresses)")
        }
        let fps = messages.last { $0["address"] as? String == "/lvj/status/fps" }?["args"] as? [Double]
        XCTAssertGreaterThan(fps?.first ?? 0, 20)
    }

    func testListDescribesEveryParameter() throws {
        let engine = try startEngine(seconds: 4.5)
        let replies = try python(["list", "\(port)"])
        _ = finish(engine)
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

    func testTenThousandMalformedPacketsLeaveTheEngineRunningAtFullRate() throws {
        let engine = try startEngine(seconds: 7)
        let sent = try python(["burst", "\(port)", "10000"])
        XCTAssertEqual(sent.first?["sent"] as? Int, 10000)
        try oscsend(["/lvj/intensity", "f", "1.5"])                 // and a good message still works afterwards
        let stderr = finish(engine)
        XCTAssertTrue(stderr.contains("OSC: ignored"), "rejections are logged: \(stderr.suffix(600))")
        XCTAssertLessThan(stderr.components(separatedBy: "OSC: ignored").count, 12, "rate-limited: at most one line a second")
        XCTAssertEqual(try logged("intensity").last, 1.5)
        XCTAssertEqual(try logged("intensity").filter { !(0...3).contains($0) }.count, 0, "no garbage value ever reached the decoder")
        let summary = try XCTUnwrap(stderr.split(separator: "\n").last { $0.contains("fps sustained") })
        let fps = Double(summary.split(separator: "(")[1].split(separator: " ")[0]) ?? 0
        XCTAssertGreaterThan(fps, 30 * 0.85, "the frame rate held during the burst: \(summary)")
    }

    func testPresetsSavedAndMorphedOverOSC() throws {
        let presets = "\(folder!)/presets"
        try FileManager.default.createDirectory(atPath: presets, withIntermediateDirectories: true)
        let engine = try startEngine(seconds: 6, ["--presets", presets])
        try oscsend(["/lvj/intensity", "f", "2.0"])
        try oscsend(["/lvj/deep/palette", "i", "12"])
        Thread.sleep(forTimeInterval: 0.3)
        try oscsend(["/lvj/preset/save", "s", "club night"])
        Thread.sleep(forTimeInterval: 0.3)
        try oscsend(["/lvj/intensity", "f", "0.5"])
        Thread.sleep(forTimeInterval: 0.5)
        try oscsend(["/lvj/preset/morph", "sf", "club night", "1.0"])
        let stderr = finish(engine)
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
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 9000)); time.sleep(30)"]
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.5)
        let r = try CLI.run(["live", "--headless", "--no-jack", "--seconds", "2"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("port 9000 is in use; using"), r.stderr)
        // Asked for explicitly, a taken port is an error that says so.
        let explicit = try CLI.run(["live", "--headless", "--no-jack", "--seconds", "2", "--osc-port", "9000"], environment: environment)
        XCTAssertEqual(explicit.status, 64, explicit.stderr)
        XCTAssertTrue(explicit.stderr.contains("--osc-port"), explicit.stderr)
    }

    func testSenderOutsideTheAllowedNetworkHasNoEffect() throws {
        let engine = try startEngine(seconds: 4.5, ["--osc-allow", "127.0.0.1/32"])
        _ = try python(["send", "\(port)", "/lvj/intensity", "2.0", "--bind", "127.0.0.2"])   // not allowed
        _ = try python(["send", "\(port)", "/lvj/psi", "0.7"])                                  // allowed
        try oscsend(["/lvj/preset/load", "s", "../Presets/default"])                            // a path: refused
        let stderr = finish(engine)
        XCTAssertEqual(try logged("intensity").last, 1)
        XCTAssertEqual(try XCTUnwrap(logged("psi").last), 0.7, accuracy: 1e-6, "OSC floats are 32-bit")
        XCTAssertFalse(stderr.contains("preset not loaded"), "a path never reaches the preset loader")
    }
}
