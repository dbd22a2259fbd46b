import AudioIn
import Foundation
import XCTest

/// `training-audio`, `train`, `optimize`, `render --synth …` and `study synthesizers` as a user runs them,
/// on short inputs with the default (untrained) model.
final class SynthesizerCLITests: CLIWorkspaceTestCase {
    /// The demo track's groove, cut to a few seconds.
    func shortClip(seconds: Double = 8, name: String = "short.wav") throws -> String {
        let path = "\(folder!)/\(name)"
        let clip = DemoTrack.render(sampleRate: 22_050)
        try WAVWriter.write(clip.slice(frames: (24 * 22_050)..<Int((24 + seconds) * 22_050)), to: path)
        return path
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func videoFrames(_ path: String) throws -> Int {
        let streams = try CLI.probe(path)["streams"] as? [[String: Any]] ?? []
        return Int(streams.first { $0["codec_type"] as? String == "video" }?["nb_frames"] as? String ?? "0") ?? 0
    }

    func testTrainingAudioThenTrainAndResume() throws {
        let music = "\(folder!)/music"
        let a = try CLI.run(["training-audio", "-o", music, "--count", "3", "--bars", "8"], environment: environment)
        XCTAssertEqual(a.status, 0, a.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: music).sorted()
        XCTAssertEqual(files.count, 3, "\(files)")
        for (i, name) in files.enumerated() {
            XCTAssertTrue(name.hasPrefix(String(format: "train-%03d-", i + 1)) && name.hasSuffix("bpm.wav"), name)
            let clip = try WAVReader.read(path: "\(music)/\(name)")
            XCTAssertEqual(clip.sampleRate, 22_050)
            // Eight bars of the tempo in the name.
            let bpm = Double(name.split(separator: "-").last!.dropLast("bpm.wav".count))!
            XCTAssertEqual(clip.duration, 8 * 4 * 60 / bpm, accuracy: 0.01, name)
        }
        XCTAssertEqual(try CLI.run(["training-audio", "-o", music, "--bars", "2"], environment: environment).status, 64)

        let net = "\(folder!)/x.envelope", checkpoint = net + ".checkpoint"
        let t = try CLI.run(["train", music, "-o", net, "--steps", "20", "--validate-every", "10", "--batch", "4", "--quiet"], environment: environment)
        XCTAssertEqual(t.status, 0, t.stderr)
        let file = try json(net)
        XCTAssertEqual(file["format"] as? String, "latentvj-envelope-network")
        XCTAssertEqual(file["objective"] as? String, "self-supervised")
        let training = file["training"] as! [String: Any]
        XCTAssertEqual(training["steps"] as? Int, 20)
        XCTAssertEqual((training["trainingFiles"] as? [String])?.count, 2, "80/20 split of 3 files")
        XCTAssertEqual((training["validationFiles"] as? [String])?.count, 1)
        let correlation = training["validationCorrelation"] as? Double ?? .nan
        XCTAssertTrue((0..<1).contains(correlation), "\(correlation)")
        // The default shape (thesis): 58 features → 17 hidden × 4 GRU layers → 17 envelopes.
        let shape = file["shape"] as! [String: Any]
        XCTAssertEqual(shape["inputs"] as? Int, 58); XCTAssertEqual(shape["hidden"] as? Int, 17)
        XCTAssertEqual(shape["layers"] as? Int, 4); XCTAssertEqual(shape["outputs"] as? Int, 17)
        let (f, h, l, e) = (58, 17, 4, 17)
        XCTAssertEqual((file["parameters"] as? [Any])?.count, h * f + h + l * (6 * h * h + 6 * h) + e * h + e)
        let c1 = try json(checkpoint)
        XCTAssertEqual(c1["step"] as? Int, 20)
        XCTAssertEqual((c1["history"] as? [Any])?.count, 20)

        let r = try CLI.run(["train", music, "-o", net, "--steps", "30", "--validate-every", "10", "--batch", "4", "--resume"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("resuming at step 20"), r.stderr)
        let c2 = try json(checkpoint)
        XCTAssertEqual(c2["step"] as? Int, 30)
        XCTAssertEqual((c2["history"] as? [Any])?.count, 30, "the resumed history continues the first")
        func losses(_ c: [String: Any]) -> [Double] { (c["history"] as? [[String: Any]] ?? []).compactMap { $0["loss"] as? Double } }
        XCTAssertEqual(Array(losses(c2).prefix(20)), losses(c1))
        XCTAssertEqual(c1["parameters"] as? [Double], file["parameters"] as? [Double], "the file holds the checkpoint's weights")
        XCTAssertEqual(((try json(net))["training"] as! [String: Any])["steps"] as? Int, 30)
        XCTAssertNotEqual(c2["parameters"] as? [Double], c1["parameters"] as? [Double])

        // The trained file drives a render.
        let wav = "\(music)/\(files[0])", mp4 = "\(folder!)/trained.mp4"
        let v = try CLI.run(["render", wav, "-o", mp4, "--synth", "gru", "--envelope", net, "--seconds", "2", "--quiet"], environment: environment)
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertEqual(try videoFrames(mp4), 48, "2 s at 24 fps, one frame per causal feature row")
        // At another frame rate than it was trained at, it is refused with the fix.
        let fps = try CLI.run(["render", wav, "-o", mp4, "--synth", "gru", "--envelope", net, "--seconds", "2", "--fps", "12.5", "--quiet"], environment: environment)
        XCTAssertEqual(fps.status, 2)
        XCTAssertTrue(fps.stderr.contains("x.envelope") && fps.stderr.contains("--fps 24"), fps.stderr)
    }

    func testTrainRefusals() throws {
        let music = "\(folder!)/one"
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        _ = try shortClip(name: "one/a.wav")
        let one = try CLI.run(["train", music, "-o", "\(folder!)/y.envelope", "--quiet"], environment: environment)
        XCTAssertEqual(one.status, 2)
        XCTAssertTrue(one.stderr.contains("holds 1 audio file") && one.stderr.contains("at least 2"), one.stderr)
        let missing = try CLI.run(["train", "\(folder!)/nowhere", "-o", "\(folder!)/y.envelope"], environment: environment)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("nowhere: is not a folder"), missing.stderr)
        XCTAssertEqual(try CLI.run(["train", music, "-o", "\(folder!)/y.envelope", "--steps", "0"], environment: environment).status, 64)
        // --resume without a checkpoint names the checkpoint file.
        _ = try shortClip(name: "one/b.wav")
        let resume = try CLI.run(["train", music, "-o", "\(folder!)/y.envelope", "--resume", "--steps", "1", "--quiet"], environment: environment)
        XCTAssertEqual(resume.status, 2)
        XCTAssertTrue(resume.stderr.contains("y.envelope.checkpoint: no such file"), resume.stderr)
    }

    func testOptimizeThenRenderHiPPO() throws {
        let wav = try shortClip(seconds: 8)
        let envelopes = "\(folder!)/d.envelopes"
        let o = try CLI.run(["optimize", wav, "-o", envelopes, "--steps", "20", "--fps", "12", "--coefficients", "32", "--quiet"], environment: environment)
        XCTAssertEqual(o.status, 0, o.stderr)
        let file = try json(envelopes)
        XCTAssertEqual(file["format"] as? String, "latentvj-envelopes")
        XCTAssertEqual(file["frames"] as? Int, 96, "8 s at 12 fps")
        XCTAssertEqual(file["basisCount"] as? Int, 32)
        XCTAssertEqual((file["coefficients"] as? [Any])?.count, 32 * 17)
        XCTAssertEqual(file["audio"] as? String, "short.wav")
        let correlation = file["correlation"] as? Double ?? .nan
        XCTAssertTrue((0..<1).contains(correlation), "\(correlation)")

        // The whole file renders with its envelopes.
        let mp4 = "\(folder!)/h.mp4"
        let r = try CLI.run(["render", wav, "-o", mp4, "--fps", "12", "--synth", "hippo", "--envelopes", envelopes, "--quiet"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try videoFrames(mp4), 96)
        // A cut of it does not fit the envelopes (optimize has no --seconds): refused, naming the file and the frames.
        let cut = try CLI.run(["render", wav, "-o", mp4, "--fps", "12", "--seconds", "6", "--synth", "hippo", "--envelopes", envelopes, "--quiet"], environment: environment)
        XCTAssertEqual(cut.status, 2)
        XCTAssertTrue(cut.stderr.contains("d.envelopes") && cut.stderr.contains("96 frames") && cut.stderr.contains("72 frames"), cut.stderr)
        // Another frame rate: refused with the fix.
        let rate = try CLI.run(["render", wav, "-o", mp4, "--synth", "hippo", "--envelopes", envelopes, "--quiet"], environment: environment)
        XCTAssertEqual(rate.status, 2)
        XCTAssertTrue(rate.stderr.contains("d.envelopes") && rate.stderr.contains("--fps 12"), rate.stderr)
        // Garbage instead of envelopes.
        let garbage = "\(folder!)/garbage.envelopes"
        try Data("not envelopes".utf8).write(to: URL(fileURLWithPath: garbage))
        let g = try CLI.run(["render", wav, "-o", mp4, "--fps", "12", "--synth", "hippo", "--envelopes", garbage, "--quiet"], environment: environment)
        XCTAssertEqual(g.status, 2)
        XCTAssertTrue(g.stderr.contains("garbage.envelopes: is not a valid envelopes file"), g.stderr)
        // Usage errors.
        XCTAssertEqual(try CLI.run(["optimize", wav, "-o", envelopes, "--coefficients", "2"], environment: environment).status, 64)
        let weight = try CLI.run(["optimize", wav, "-o", envelopes, "--weight", "loudness=3"], environment: environment)
        XCTAssertEqual(weight.status, 64)
        XCTAssertTrue(weight.stderr.contains("unknown feature 'loudness'"), weight.stderr)
    }

    func testRenderEnvelopeNetworkFiles() throws {
        let wav = try shortClip(seconds: 3)
        let mp4 = "\(folder!)/g.mp4"
        // The shipped network fits the features this build computes, offline and causal.
        for synth in ["gru", "gru-causal"] {
            let r = try CLI.run(["render", wav, "-o", mp4, "--synth", synth, "--seconds", "2", "--fps", "24", "--quiet"], environment: environment)
            XCTAssertEqual(r.status, 0, "\(synth): \(r.stderr)")
            XCTAssertEqual(try videoFrames(mp4), 48, synth)
        }
        let garbage = "\(folder!)/garbage.envelope"
        try Data((0..<200).map { UInt8($0) }).write(to: URL(fileURLWithPath: garbage))
        let g = try CLI.run(["render", wav, "-o", mp4, "--synth", "gru", "--envelope", garbage, "--quiet"], environment: environment)
        XCTAssertEqual(g.status, 2)
        XCTAssertTrue(g.stderr.contains("garbage.envelope: is not a valid envelope network"), g.stderr)
        let missing = try CLI.run(["render", wav, "-o", mp4, "--synth", "gru", "--envelope", "\(folder!)/none.envelope", "--quiet"], environment: environment)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("none.envelope: no such file"), missing.stderr)
        XCTAssertEqual(try CLI.run(["render", wav, "-o", mp4, "--synth", "bogus"], environment: environment).status, 64)
    }

    func testRandomizerPatchSavesAndReplays() throws {
        let wav = try shortClip(seconds: 5)
        let patch = "\(folder!)/p.json", a = "\(folder!)/a.mp4", b = "\(folder!)/b.mp4"
        let save = try CLI.run(["render", wav, "-o", a, "--synth", "randomizer", "--seconds", "4", "--fps", "12", "--save-patch", patch, "--quiet"], environment: environment)
        XCTAssertEqual(save.status, 0, save.stderr)
        let doc = try json(patch)
        XCTAssertNotNil(doc["version"])
        let replay = try CLI.run(["render", wav, "-o", b, "--synth", "randomizer", "--seconds", "4", "--fps", "12", "--patch", patch, "--quiet"], environment: environment)
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(try videoFrames(b), 49, "offline features: 1 + 4 s × 12 fps frames")
        // Replaying the saved patch renders the same pictures as drawing it.
        let frameA = try CLI.runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", a, "-frames:v", "12", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        let frameB = try CLI.runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", b, "-frames:v", "12", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        XCTAssertEqual(frameA.data.count, 12 * 128 * 128 * 3)
        XCTAssertEqual(frameA.data, frameB.data)
        // A patch file that is not JSON is refused, naming it.
        try Data("{ nope".utf8).write(to: URL(fileURLWithPath: patch))
        let bad = try CLI.run(["render", wav, "-o", b, "--synth", "randomizer", "--seconds", "4", "--patch", patch, "--quiet"], environment: environment)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("p.json"), bad.stderr)
    }

    func testStudySynthesizersWritesOneRowPerSynthesizer() throws {
        let wav = try shortClip(seconds: 6)
        let out = "\(folder!)/study"
        let r = try CLI.run(["study", "synthesizers", wav, "--synths", "none,gru", "--windows", "1", "--seconds", "4",
                             "-o", out, "--quiet", "--json"], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try json("\(out)/results.json")
        let rows = doc["synthesizers"] as? [[String: Any]] ?? []
        XCTAssertEqual(rows.compactMap { $0["synthesizer"] as? String }, ["none", "gru"])
        for row in rows {
            let op = row["op"] as? [String: Any]
            let median = op?["median"] as? Double ?? .nan
            XCTAssertTrue((0...1).contains(median), "\(row)")
            XCTAssertEqual((row["op_scores"] as? [Any])?.count, 1)
            XCTAssertGreaterThan(row["inference_seconds_per_minute"] as? Double ?? 0, 0)
        }
        XCTAssertEqual(try JSONSerialization.jsonObject(with: r.data) as? NSDictionary, doc as NSDictionary, "--json prints the same document")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/synthesizers.png"))
        XCTAssertEqual(try CLI.run(["study", "synthesizers", wav, "--synths", "none,warp"], environment: environment).status, 64)
    }
}
