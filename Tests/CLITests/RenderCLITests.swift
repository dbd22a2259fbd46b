import AudioIn
import Foundation
import XCTest

/// `render`, `frame`, `model` and `convert` as a user runs them, checked with ffprobe and by reading outputs.
final class RenderCLITests: CLIWorkspaceTestCase {

    func testRenderProducesAPlayableVideoWithAudio() throws {
        let wav = "\(folder!)/demo.wav", mp4 = "\(folder!)/demo.mp4"
        try WAVWriter.write(DemoTrack.render(sampleRate: 44_100), to: wav)
        let r = try CLI.run(["render", wav, "-o", mp4, "--seconds", "3", "--fps", "12", "--synth", "onsets+chroma", "--quiet"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let info = try CLI.probe(mp4)
        let streams = info["streams"] as? [[String: Any]] ?? []
        let video = streams.first { $0["codec_type"] as? String == "video" }
        let audio = streams.first { $0["codec_type"] as? String == "audio" }
        XCTAssertEqual(video?["codec_name"] as? String, "h264")
        XCTAssertEqual(video?["width"] as? Int, 128)
        XCTAssertEqual(audio?["codec_name"] as? String, "aac")
        let duration = Double((info["format"] as? [String: Any])?["duration"] as? String ?? "0") ?? 0
        XCTAssertEqual(duration, 3, accuracy: 0.2)
        XCTAssertEqual(Int(video?["nb_frames"] as? String ?? "0"), 37, "1 + 3 s × 12 fps frames")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder!)/cache/latentvj/default-128-seed1.safetensors"), "the default model was cached")
    }

    func testRenderScalesAndRejectsBadArguments() throws {
        let wav = "\(folder!)/a.wav", mp4 = "\(folder!)/a.mp4"
        try WAVWriter.write(DemoTrack.render(sampleRate: 22_050).slice(frames: 0..<22_050), to: wav)
        let r = try CLI.run(["render", wav, "-o", mp4, "--size", "256", "--fps", "8", "--synth", "random", "--quiet"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let video = (try CLI.probe(mp4)["streams"] as? [[String: Any]])?.first { $0["codec_type"] as? String == "video" }
        XCTAssertEqual(video?["width"] as? Int, 256)
        XCTAssertEqual(try CLI.run(["render", wav, "-o", mp4, "--synth", "bogus"], environment: environment).status, 64)
        let missing = try CLI.run(["render", wav, "-o", mp4, "--model", "\(folder!)/none.pkl"], environment: environment)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("none.pkl: does not exist"), missing.stderr)
    }

    func testFrameWritesPNGAndRawFloats() throws {
        let png = "\(folder!)/f.png", raw = "\(folder!)/f.f32"
        let r = try CLI.run(["frame", "--seed", "3", "-o", png, "--raw", raw], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("UNTRAINED"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: raw)).count, 3 * 128 * 128 * 4)
        let video = (try CLI.probe(png)["streams"] as? [[String: Any]])?.first
        XCTAssertEqual(video?["width"] as? Int, 128)
        // Another seed, another picture; the same seed, the same bytes.
        let raw2 = "\(folder!)/g.f32", raw3 = "\(folder!)/h.f32"
        XCTAssertEqual(try CLI.run(["frame", "--seed", "4", "--raw", raw2], environment: environment).status, 0)
        XCTAssertEqual(try CLI.run(["frame", "--seed", "3", "--raw", raw3], environment: environment).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: raw)), try Data(contentsOf: URL(fileURLWithPath: raw2)))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: raw)), try Data(contentsOf: URL(fileURLWithPath: raw3)))
        // A z file of the wrong size is refused with the sizes in the message.
        let z = "\(folder!)/z.f32"
        try Data(count: 12).write(to: URL(fileURLWithPath: z))
        let bad = try CLI.run(["frame", "--z", z, "-o", png], environment: environment)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("z_dim = 512"), bad.stderr)
    }

    /// `--render-size` in every command that paints: the synthesis network stops early, the picture is
    /// at that size, the knobs of the layers that do not run are gone, and a size the model does not
    /// allow is refused with the ones it does.
    func testRenderSizeWorksInEveryCommand() throws {
        let raw = "\(folder!)/small.f32", full = "\(folder!)/full.f32"
        XCTAssertEqual(try CLI.run(["frame", "--seed", "3", "--raw", raw, "--render-size", "32"], environment: environment).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: raw)).count, 3 * 32 * 32 * 4)
        XCTAssertEqual(try CLI.run(["frame", "--seed", "3", "--raw", full], environment: environment).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: raw)).prefix(64), try Data(contentsOf: URL(fileURLWithPath: full)).prefix(64))

        let wav = "\(folder!)/a.wav", mp4 = "\(folder!)/a.mp4"
        try WAVWriter.write(DemoTrack.render(sampleRate: 22_050).slice(frames: 0..<22_050), to: wav)
        let r = try CLI.run(["render", wav, "-o", mp4, "--fps", "8", "--synth", "random", "--quiet", "--render-size", "64"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let video = (try CLI.probe(mp4)["streams"] as? [[String: Any]])?.first { $0["codec_type"] as? String == "video" }
        XCTAssertEqual(video?["width"] as? Int, 64)

        let params = try CLI.run(["params", "--json", "--render-size", "32"], environment: environment)
        XCTAssertEqual(params.status, 0, params.stderr)
        XCTAssertTrue(params.stdout.contains("noise.s32.sigma"))
        XCTAssertFalse(params.stdout.contains("noise.s64.sigma"), "knobs of the blocks that do not run are hidden")
        XCTAssertTrue(try CLI.run(["params", "--json"], environment: environment).stdout.contains("noise.s64.sigma"))

        let live = try CLI.run(["live", "--headless", "--no-jack", "--no-osc", "--seconds", "1", "--json", "--render-size", "32"], environment: environment)
        XCTAssertEqual(live.status, 0, live.stderr)
        XCTAssertTrue(live.stdout.contains("\"started\""), live.stdout)
        XCTAssertTrue(live.stdout.contains("at 32 px of 128"), "the model is named with its render size: \(live.stdout)")

        let bench = try CLI.run(["bench", "render", "--size", "32", "--channel-base", "256", "--channel-max", "32", "--frames", "10", "--json"], environment: environment)
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: bench.data) as? [String: Any])
        let sizes = try XCTUnwrap(report["render_sizes"] as? [[String: Any]])
        XCTAssertEqual(sizes.compactMap { $0["size"] as? Int }, [32, 16], "--size times every render size")
        XCTAssertLessThan(sizes[1]["gflop_per_frame"] as! Double, sizes[0]["gflop_per_frame"] as! Double)

        let bad = try CLI.run(["frame", "--seed", "3", "--raw", raw, "--render-size", "24"], environment: environment)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("16, 32, 64, 128"), bad.stderr)
    }

    /// `live` adapts by default: with a budget no frame can meet, it says what it measured and renders
    /// at the smallest size (the budget makes the outcome the same on every machine).
    func testLiveAdaptsToABudgetAndSaysSo() throws {
        let r = try CLI.run(["live", "--headless", "--no-jack", "--no-osc", "--seconds", "1", "--json", "--frame-budget", "0.000001"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let events = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let adapted = try XCTUnwrap(events.first { $0["event"] as? String == "adapted" }, r.stdout)
        XCTAssertEqual(adapted["size"] as? Int, 16)
        XCTAssertEqual(adapted["model_resolution"] as? Int, 128)
        XCTAssertEqual(adapted["over_budget"] as? Bool, true)
        XCTAssertTrue(r.stderr.contains("adapt: this model renders at"), r.stderr)
    }
}
