import AudioIn
import Foundation
import XCTest

/// `score` and `study` as a user runs them.
final class CorrelationCLITests: CLIWorkspaceTestCase {

    func demoExcerpt(seconds: Double) throws -> String {
        let wav = "\(folder!)/excerpt.wav"
        try WAVWriter.write(DemoTrack.render(sampleRate: 22_050).slice(frames: (30 * 22_050)..<Int((30 + seconds) * 22_050)), to: wav)
        return wav
    }

    /// An audio-reactive render scores higher against its own music than a frame-by-frame random one,
    /// and against other music (the demo's intro) its onset pairing drops.
    func testScoreSeesAudioReactivity() throws {
        let wav = try demoExcerpt(seconds: 8)
        let reactive = "\(folder!)/reactive.mp4", random = "\(folder!)/none.mp4"
        XCTAssertEqual(try CLI.run(["render", wav, "-o", reactive, "--synth", "onsets", "--fps", "12", "--quiet"], environment: environment).status, 0)
        XCTAssertEqual(try CLI.run(["render", wav, "-o", random, "--synth", "none", "--fps", "12", "--quiet"], environment: environment).status, 0)
        func score(_ video: String, _ extra: [String] = []) throws -> [String: Any] {
            let r = try CLI.run(["score", video, "--json", "--quiet"] + extra, environment: environment)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try JSONSerialization.jsonObject(with: r.data) as! [String: Any]
        }
        let a = try score(reactive), b = try score(random)
        let onsetsA = (a["median_per_audio_feature"] as! [String: Double])["onsets"]!
        let onsetsB = (b["median_per_audio_feature"] as! [String: Double])["onsets"]!
        XCTAssertGreaterThan(onsetsA, onsetsB + 0.1, "onset-driven video vs random frames (onsets pairing)")
        XCTAssertEqual(a["metric"] as? String, "op")
        XCTAssertEqual(a["frames"] as? Int, 97)
        let others = a["other_metrics"] as! [String: Any]
        XCTAssertNotNil(others["rv"] as? Double)
        XCTAssertTrue(others["pwcca"] is NSNull, "97 frames < 248 video features: PWCCA is unavailable, and says so")
        // Balanced variant and the dump of the matrices.
        let dump = "\(folder!)/dump"
        let balanced = try score(reactive, ["--variant", "balanced", "--dump", dump])
        XCTAssertEqual(balanced["metric"] as? String, "op_balanced")
        let audioCSV = try String(contentsOfFile: "\(dump)/audio_features.csv", encoding: .utf8).split(separator: "\n")
        let videoCSV = try String(contentsOfFile: "\(dump)/video_features.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(audioCSV.count, 98)
        XCTAssertEqual(videoCSV.count, 98)
        XCTAssertTrue(videoCSV[0].contains("directogram_15"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dump)/correlation.json"))
        // The table for people.
        let table = try CLI.run(["score", reactive, "--quiet"], environment: environment)
        XCTAssertTrue(table.stdout.contains("concatenated correlation"), table.stdout)
        XCTAssertTrue(table.stdout.contains("onsets"), table.stdout)
    }

    /// A video made by another tool: ffmpeg's test pattern with a beeping sine as its audio track.
    func testScoreWorksOnAnotherToolsVideo() throws {
        let mp4 = "\(folder!)/testsrc.mp4"
        let make = try CLI.runProgram("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6",
                                                          "-f", "lavfi", "-i", "sine=frequency=440:beep_factor=4:duration=6", "-c:v", "libx264",
                                                          "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", mp4])
        XCTAssertEqual(make.status, 0, make.stderr)
        let r = try CLI.run(["score", mp4, "--json", "--quiet"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: r.data) as! [String: Any]
        XCTAssertEqual(doc["fps"] as? Double, 25)
        XCTAssertEqual(doc["frames"] as! Int, 150, accuracy: 2)
        let value = doc["concatenated"] as! Double
        XCTAssertTrue(value >= 0 && value <= 1, "\(value)")
    }

    func testScoreErrors() throws {
        let text = "\(folder!)/notes.mp4"
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: text))
        let r = try CLI.run(["score", text], environment: environment)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("notes.mp4"), r.stderr)
        XCTAssertEqual(try CLI.run(["score", text, "--variant", "fancy"], environment: environment).status, 64)
    }

    func testStudyGroupsAndSmoothnessWriteResultsAndPlots() throws {
        let wav = try demoExcerpt(seconds: 12)
        let out = "\(folder!)/study"
        let r = try CLI.run(["study", "groups", wav, "--snippets", "1", "--seconds", "4", "--fps", "8", "-o", out, "--quiet", "--json"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: r.data) as! [String: Any]
        let medians = doc["medians"] as! [String: [String: Any]]
        XCTAssertEqual(Set(medians.keys), ["none", "random", "onsets", "chroma", "onsets+chroma"])
        for (_, m) in medians { for key in ["op", "op_balanced", "rv", "rv_adjusted", "smi", "op_onsets"] { XCTAssertNotNil(m[key], key) } }
        for plot in ["concatenated", "onsets", "chroma", "rms", "drop_strength"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/groups-\(plot).png"), plot)
        }
        let s = try CLI.run(["study", "smoothness", wav, "--snippets", "1", "--seconds", "4", "--fps", "8", "--sigmas", "0,2,8", "-o", out, "--quiet", "--json"], environment: environment)
        XCTAssertEqual(s.status, 0, s.stderr)
        let sm = try JSONSerialization.jsonObject(with: s.data) as! [String: Any]
        XCTAssertEqual((sm["op_median"] as! [Double]).count, 3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/smoothness.png"))
    }
}
