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
}
