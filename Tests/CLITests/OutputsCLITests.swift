import Control
import Foundation
import TestSupport
import XCTest

/// `latentvj live --output …` against real receivers: what each receives is what the engine rendered,
/// frame by frame, compared by mean colour with the recording of the same run; several outputs run at
/// once beside a recording without dropping a frame; a missing runtime or device leaves the show running.
final class OutputsCLITests: CLIWorkspaceTestCase {
    typealias Colour = (Double, Double, Double)

    typealias Receiver = GStreamerReceiver

    /// The recording's frames, decoded, as mean colours.
    func recordingMeans(_ mkv: String, size: Int) throws -> [Colour] {
        let raw = folder + "/recording.rgb"
        let decode = try CLI.runProgram("/usr/bin/ffmpeg", ["-v", "error", "-y", "-i", mkv, "-f", "rawvideo", "-pix_fmt", "rgb24", raw])
        XCTAssertEqual(decode.status, 0, decode.stderr)
        return GStreamerReceiver.means(file: raw, frameBytes: size * size * 3, channels: 3)
    }

    static func distance(_ a: Colour, _ b: Colour) -> Double { max(abs(a.0 - b.0), abs(a.1 - b.1), abs(a.2 - b.2)) }

    /// Matches each received frame to a frame of the recording, in order (the recording also holds frames
    /// repeated for ticks the renderer missed, which no output was sent): the monotone alignment with the
    /// least total colour distance. Returns the recording's frame matched to each received frame.
    static func align(_ received: [Colour], to recording: [Colour]) -> [Int] {
        let m = received.count, n = recording.count
        guard m > 0, n >= m else { return [] }
        var cost = [[Double]](repeating: [Double](repeating: .infinity, count: n), count: m)
        var from = [[Int]](repeating: [Int](repeating: -1, count: n), count: m)
        for j in 0..<n { cost[0][j] = distance(received[0], recording[j]) }
        for i in 1..<m {
            var best = Double.infinity, bestAt = -1
            for j in 1..<n {
                if cost[i - 1][j - 1] < best { best = cost[i - 1][j - 1]; bestAt = j - 1 }
                cost[i][j] = best + distance(received[i], recording[j]); from[i][j] = bestAt
            }
        }
        var j = (0..<n).min { cost[m - 1][$0] < cost[m - 1][$1] }!
        var matched = [Int](repeating: 0, count: m)
        for i in stride(from: m - 1, through: 0, by: -1) { matched[i] = j; j = from[i][j] }
        return matched
    }

    static func shifted(_ v: [Colour], by d: Colour) -> [Colour] { v.map { ($0.0 - d.0, $0.1 - d.1, $0.2 - d.2) } }

    /// Each received frame's colour distance to its match in the recording, less the constant bias of the
    /// two paths: the recorder's YUV 4:2:0 conversion shifts a saturated picture's mean by a level or
    /// three, the same for every frame. Red and blue barely move in the default look, so their bias is
    /// the difference of medians; green moves, and its bias is the one (in quarter levels, ±6) whose
    /// alignment costs least. What is compared is how the picture moves.
    static func matchDistances(_ received: [Colour], _ recording: [Colour]) -> [Double] {
        func median(_ v: [Double]) -> Double { percentile(v, 0.5) }
        let red = median(received.map(\.0)) - median(recording.map(\.0)), blue = median(received.map(\.2)) - median(recording.map(\.2))
        var best: (cost: Double, distances: [Double]) = (.infinity, [])
        for step in -24...24 {
            let corrected = shifted(received, by: (red, Double(step) / 4, blue))
            let matched = align(corrected, to: recording)
            let distances = zip(corrected, matched).map { distance($0, recording[$1]) }
            let cost = distances.reduce(0, +)
            if cost < best.cost { best = (cost, distances) }
        }
        return best.distances
    }

    static func percentile(_ v: [Double], _ p: Double) -> Double {
        let s = v.sorted()
        return s.isEmpty ? .infinity : s[min(s.count - 1, Int(Double(s.count - 1) * p))]
    }

    /// Received frames match the recording frame by frame; the match means something because the
    /// picture changes more between frames a second apart than a received frame differs from its match.
    func assertMatches(_ receivedFrames: [Colour], _ recordingFrames: [Colour], tolerance: Double, _ what: String) {
        XCTAssertGreaterThanOrEqual(receivedFrames.count, 20, "\(what): frames received")
        // The recording's stretch that the receiver saw: from its first frame to its last.
        let received = receivedFrames, recording = recordingFrames
        let d = Self.matchDistances(received, recording)
        let median = Self.percentile(d, 0.5), p95 = Self.percentile(d, 0.95)
        let change = Self.percentile((0..<max(0, recording.count - 30)).map { Self.distance(recording[$0], recording[$0 + 30]) }, 0.5)
        print("\(what): \(received.count) frames, aligned to \(recording.count) recorded; distance median \(median), p95 \(p95); picture change a second apart \(change)")
        XCTAssertLessThanOrEqual(p95, tolerance, "\(what): 95 % of received frames within \(tolerance) levels of their recorded frame (median \(median))")
        XCTAssertGreaterThan(change, 3 * median, "\(what): the picture changes (median \(change) levels a second apart) far more than a received frame differs from its match (\(median))")
    }

    func statusRow(_ engine: RunningEngine, _ name: String) -> [OSCValue]? {
        engine.messages.last { $0.path == "/lvj/status/outputs" && $0.arguments.first == .text(name) }?.arguments
    }

    func sent(_ row: [OSCValue]?) -> Int { if let row, row.count > 4, case .number(let n) = row[4] { return Int(n) }; return -1 }

    func testSeveralOutputsBesideTheWindowAndARecordingCarryWhatWasRendered() throws {
        let mkv = folder + "/set.mkv", socket = folder + "/out.shm"
        let rtpPort = Int.random(in: 20_000...30_000), srtPort = Int.random(in: 30_001...40_000)
        let rtp = try Receiver(for: "rtp://127.0.0.1:\(rtpPort)", width: 96, height: 96, file: folder + "/rtp.rgb")
        // Beside the live window (under Xvfb) and a recording, as on stage.
        let display = try XvfbDisplay()
        let engine = try RunningEngine(["--window-size", "360", "--osc-port", "0", "--record", mkv, "--output-size", "64x64",
                                        "--output", "shm:\(socket)", "--output", "rtp://127.0.0.1:\(rtpPort)?size=96x96", "--output", "srt://:\(srtPort)?fps=15"],
                                       environment: display.environment(environment))
        // Each at its own size and rate: --output-size for shm, rtp's own size, srt's own rate.
        for (name, side, fps) in [("shm", 64, 30.0), ("rtp", 96, 30), ("srt", 64, 15)] {
            let opened = try engine.waitForEvent("output_opened", "name", name)
            XCTAssertEqual(opened["width"] as? Int, side, name); XCTAssertEqual(opened["height"] as? Int, side, name)
            XCTAssertEqual(opened["fps"] as? Double, fps, name)
        }
        let shm = try Receiver(for: "shm:\(socket)", width: 64, height: 64, file: folder + "/shm.rgbx")
        let srt = try Receiver(for: "srt://:\(srtPort)", width: 64, height: 64, file: folder + "/srt.rgb")
        try waitFor("every receiver gets 40 frames", timeout: 240, every: 0.1,
                    details: { "shm \(shm.count), rtp \(rtp.count), srt \(srt.count)\n" + engine.child.failureDetails() }) {
            shm.count >= 40 && rtp.count >= 40 && srt.count >= 40
        }
        // output.shm off: that output takes no frames while the others go on; on again, it sends again.
        engine.send("/lvj/output/shm", [.number(0)])
        try waitFor("/lvj/status/outputs says shm is off", timeout: 60, every: 0.05, details: { engine.child.failureDetails() }) {
            statusRow(engine, "shm")?[2] == .number(0)
        }
        let offAt = sent(statusRow(engine, "shm")), rtpAt = rtp.count, shmAt = shm.count
        try engine.waitForFrames(20)
        try waitFor("the newest status report", timeout: 30, every: 0.05) { sent(statusRow(engine, "rtp")) > 0 && rtp.count > rtpAt }
        XCTAssertEqual(sent(statusRow(engine, "shm")), offAt, "a switched-off output sends nothing")
        engine.send("/lvj/output/shm", [.number(1)])
        try waitFor("shm sends again", timeout: 60, every: 0.05, details: { engine.child.failureDetails() }) { sent(statusRow(engine, "shm")) > offAt }
        try waitFor("the shm receiver gets frames again", timeout: 60, every: 0.05) { shm.count > shmAt + 5 }
        // The shm receiver killed mid-set: the other outputs go on, and a new receiver picks up.
        let shmFrames = shm.means(channels: 4)
        shm.kill()
        let rtpBefore = rtp.count, srtBefore = srt.count
        let shm2 = try Receiver(for: "shm:\(socket)", width: 64, height: 64, file: folder + "/shm2.rgbx")
        try waitFor("a new shm receiver picks up while the others go on", timeout: 120, every: 0.1,
                    details: { "shm2 \(shm2.count), rtp \(rtp.count), srt \(srt.count)\n" + engine.child.failureDetails() }) {
            shm2.count >= 20 && rtp.count > rtpBefore + 20 && srt.count > srtBefore + 20
        }
        // The receivers end first: every frame they hold was sent while the recording ran (the outputs go
        // on while the recording is finished, and those frames have no recorded match).
        for r in [shm2, rtp, srt] { r.kill() }
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        let summary = try XCTUnwrap(end.events.event("summary"), end.stderr)
        let outputs = try XCTUnwrap(summary["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.map { $0["name"] as? String }, ["shm", "rtp", "srt"])
        // An output that falls behind drops a frame rather than hold up the show (a loaded machine does
        // that now and then): every frame taken is either sent or counted as dropped, and most were sent.
        for o in outputs {
            let taken = try XCTUnwrap(o["taken"] as? Int), sent = try XCTUnwrap(o["sent"] as? Int), dropped = try XCTUnwrap(o["dropped"] as? Int)
            XCTAssertEqual(sent + dropped, taken, "every frame taken is sent or counted as dropped: \(o)")
            XCTAssertGreaterThan(sent, dropped, "\(o)")
        }
        XCTAssertEqual(try XCTUnwrap(end.events.event("recording_finished"))["dropped"] as? Int, 0, "nor by the recorder")
        let recording = try recordingMeans(mkv, size: 128)
        // Raw RGBx through shared memory: only the recorder's encoding and the scaling differ.
        assertMatches(shmFrames, recording, tolerance: 2.5, "shm")
        assertMatches(shm2.means(channels: 4), recording, tolerance: 2.5, "shm, the second receiver")
        // Two H.264 encodings (the stream's and the recording's).
        assertMatches(rtp.means(channels: 3), recording, tolerance: 4, "rtp")
        assertMatches(srt.means(channels: 3), recording, tolerance: 4, "srt")
    }

    /// `bench live --output`: what each output costs the producer, and after the run its end-to-end
    /// latency through the same output to a receiver on this machine (or why it cannot be measured).
    func testBenchLiveReportsEachOutputsLatencyToAReceiverHere() throws {
        let socket: String = folder + "/bench.shm"
        let r = try CLI.run(["bench", "live", "--seconds", "3", "--output", "shm:" + socket, "--output", "gst:fakesink sync=false",
                             "--latency-seconds", "1", "--json"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        let outputs = try XCTUnwrap(json["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.map { $0["name"] as? String }, ["shm", "gst"])
        XCTAssertGreaterThan(outputs[0]["sent"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(json["sink_ms_per_frame"] as? Double ?? 0, 0, "the producer's hand-off is timed")
        let endToEnd = try XCTUnwrap(json["outputs_end_to_end"] as? [[String: Any]])
        XCTAssertEqual(endToEnd.map { $0["name"] as? String }, ["shm", "gst"])
        let shm = endToEnd[0]
        XCTAssertEqual(shm["sent"] as? Int, 30, "one second of probe frames at 30 fps after the warm-up")
        XCTAssertGreaterThanOrEqual(shm["identified"] as? Int ?? 0, 24, "\(shm)")
        let ms = try XCTUnwrap(shm["end_to_end_ms"] as? [String: Double])
        XCTAssertGreaterThan(ms["p50"] ?? 0, 0); XCTAssertLessThanOrEqual(ms["p50"] ?? .infinity, ms["p99"] ?? 0)
        XCTAssertTrue((endToEnd[1]["reason"] as? String ?? "").contains("not known"), "\(endToEnd[1])")
    }

    /// NDI through its own runtime and receiver (the ndi-python wheel), both in a private network
    /// namespace with loopback only, so discovery never leaves it.
    func testNDIReachesAReceiverInAPrivateNetwork() throws {
        let probe = try CLI.runProgram("/usr/bin/env", ["python3", "-c", "import NDIlib, os; print(os.path.dirname(NDIlib.__file__))"])
        try XCTSkipUnless(probe.status == 0, "ndi-python is not installed (scripts/setup.sh installs it from PyPI): \(probe.stderr.suffix(300))")
        let runtime = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let namespace = try NetworkNamespace("ndi")
        let mkv = folder + "/ndi.mkv"
        let engine = try RunningEngine(launch: namespace.exec([CLI.binary] + CLI.liveAsIs(["live", "--json", "--seconds", "900", "--headless", "--no-osc",
                                               "--record", mkv, "--output", "ndi:LatentVJ Test", "--ndi-runtime", runtime])),
                                       environment: environment)
        try engine.waitForEvent("output_opened", "name", "ndi")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/ndi_receive.py").path
        let receiver = try ChildProcess(commandLine: namespace.exec(["python3", script, "LatentVJ Test", "60", "120"]), environment: environment, name: "ndi receiver")
        XCTAssertEqual(try receiver.waitForExit(timeout: 240), 0, receiver.tail)
        let frames = receiver.jsonLines.filter { $0["event"] as? String == "frame" }
        XCTAssertTrue(frames.allSatisfy { $0["width"] as? Int == 128 && $0["height"] as? Int == 128 }, "frames of the render size")
        let received: [Colour] = frames.compactMap { f in (f["mean"] as? [Double]).map { ($0[0], $0[1], $0[2]) } }
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        let ndi = try XCTUnwrap((end.events.event("summary")?["outputs"] as? [[String: Any]])?.first)
        XCTAssertGreaterThanOrEqual(ndi["sent"] as? Int ?? 0, 60)
        // NDI's own codec (SpeedHQ) and the recording's H.264.
        assertMatches(received, try recordingMeans(mkv, size: 128), tolerance: 3, "ndi")
    }

    /// Outputs that cannot open (no NDI runtime, no v4l2loopback device) say what to do; the show plays on.
    func testOutputsThatCannotOpenSayWhyAndTheShowGoesOn() throws {
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--output", "ndi:Nowhere", "--ndi-runtime", folder + "/missing/libndi.so.6",
                                        "--output", "v4l2:/dev/video97"], environment: environment)
        let ndi = try engine.waitForEvent("output_problem", "name", "ndi")
        XCTAssertTrue((ndi["reason"] as? String ?? "").contains("NDI_RUNTIME_DIR_V6"), "\(ndi)")
        let v4l2 = try engine.waitForEvent("output_problem", "name", "v4l2")
        XCTAssertTrue((v4l2["reason"] as? String ?? "").contains("modprobe v4l2loopback video_nr=97"), "\(v4l2)")
        try engine.waitForFrames(10)
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        XCTAssertEqual((end.events.event("summary")?["outputs"] as? [[String: Any]])?.count, 0, "no output opened")
        // A malformed --output is a usage error before anything starts.
        let bad = try CLI.run(CLI.liveAsIs(["live", "--headless", "--seconds", "1", "--output", "hdmi:1"]), environment: environment)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("unknown kind of output"), bad.stderr)
    }
}
