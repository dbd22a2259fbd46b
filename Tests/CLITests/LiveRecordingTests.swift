import Foundation
import TestSupport
import XCTest

/// `latentvj live --record`: a Matroska file with H.264 and FLAC in sync, playable after SIGKILL, and a
/// failing encoder (file size limit, missing ffmpeg) stops the recording but not the show.
final class LiveRecordingTests: CLIWorkspaceTestCase {
    func probe(_ path: String, _ entries: String, extra: [String] = []) throws -> String {
        try CLI.runProgram("/usr/bin/ffprobe", ["-v", "error"] + extra + ["-show_entries", entries, "-of", "compact", path]).stdout
    }

    func duration(_ path: String, stream: String) throws -> Double {
        let out = try CLI.runProgram("/usr/bin/ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", "packet=pts_time,duration_time",
                                                          "-of", "csv=p=0", path]).stdout
        let last = out.split(separator: "\n").last.map { $0.split(separator: ",").compactMap { Double($0) } } ?? []
        return last.reduce(0, +)
    }

    /// Video frames ffprobe decodes from a file (0 when it cannot read it).
    func decodedFrames(_ path: String) throws -> Int {
        let counted = try probe(path, "stream=nb_read_frames", extra: ["-count_frames", "-select_streams", "v:0"])
        return counted.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    func testRecordingHasVideoAndAudioInSync() throws {
        let mkv = folder + "/set.mkv"
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--record", mkv], environment: environment)
        try engine.waitForFrames(90)
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        let finished = try XCTUnwrap(end.events.event("recording_finished"), end.stderr)
        let streams = try probe(mkv, "stream=codec_type,codec_name")
        XCTAssertTrue(streams.contains("codec_name=h264|codec_type=video"), streams)
        XCTAssertTrue(streams.contains("codec_name=flac|codec_type=audio"), streams)
        XCTAssertEqual(try decodedFrames(mkv), finished["frames"] as? Int, "every frame the recorder wrote decodes")
        let video = try duration(mkv, stream: "v:0"), audio = try duration(mkv, stream: "a:0")
        let written = try XCTUnwrap(finished["frames"] as? Int)
        XCTAssertEqual(video, Double(written) / 30, accuracy: 0.1, "the video lasts as long as the frames written, at 30 fps")
        XCTAssertEqual(video, audio, accuracy: 0.25, "picture and sound stay in step")
    }

    /// Killed without warning: everything the file held before the kill still plays.
    func testRecordingSurvivesSIGKILL() throws {
        let mkv = folder + "/killed.mkv"
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--record", mkv], environment: environment)
        var before = 0
        try waitFor("the recording to hold 30 decodable frames", timeout: 180, every: 0.5, details: { engine.child.failureDetails() }) {
            before = (try? decodedFrames(mkv)) ?? 0
            return before >= 30
        }
        kill(engine.child.pid, SIGKILL)
        try engine.child.waitForExit()
        // ffmpeg sees its inputs end with the engine and finishes the file: wait for it to be gone.
        try waitFor("the orphaned ffmpeg to finish \(mkv)", timeout: 60, every: 0.1) {
            (try CLI.runProgram("/usr/bin/pgrep", ["-f", mkv])).status != 0
        }
        let decode = try CLI.runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", mkv, "-f", "null", "-"])
        XCTAssertEqual(decode.status, 0, decode.stderr)
        XCTAssertGreaterThanOrEqual(try decodedFrames(mkv), before, "what was there before the kill is playable")
    }

    /// SIGTERM (a service manager) and SIGINT (Ctrl-C): the recording is finalised, the JACK client leaves
    /// the server cleanly, the exit status is 0.
    func testStopSignalsFinaliseTheRecordingAndCloseTheJACKClient() throws {
        let server = JACKTestServer()
        try server.start()
        defer { server.stop() }
        var env = server.environment
        env["XDG_CACHE_HOME"] = environment["XDG_CACHE_HOME"]
        for (name, signal) in [("TERM", SIGTERM), ("INT", SIGINT)] {
            let mkv = "\(folder!)/\(name).mkv"
            let engine = try RunningEngine(["--headless", "--no-osc", "--record", mkv], environment: env)
            let ours = { (server.ports() ?? []).filter { $0.hasPrefix("latentvj:") } }
            let expected: Set = ["latentvj:in_1", "latentvj:in_2", "latentvj:midi_in", "latentvj:midi_out", "latentvj:out_1", "latentvj:out_2"]
            try waitFor("latentvj's \(expected.count) JACK ports", details: { "\(server.ports() ?? [])" }) { ours().count == expected.count }
            XCTAssertEqual(Set(ours()), expected)
            try waitFor("the recording to hold 15 decodable frames", timeout: 180, every: 0.5, details: { engine.child.failureDetails() }) {
                ((try? decodedFrames(mkv)) ?? 0) >= 15
            }
            let end = try engine.stop(signal: signal)
            XCTAssertEqual(end.status, 0, "SIG\(name): \(end.stderr)")
            let finished = try XCTUnwrap(end.events.event("recording_finished"), "SIG\(name): \(end.stderr)")
            XCTAssertTrue(end.stderr.contains("recorded") && end.stderr.contains("frames to"), end.stderr)
            XCTAssertEqual(ours(), [], "the client left the server")
            let decode = try CLI.runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", mkv, "-f", "null", "-"])
            XCTAssertEqual(decode.status, 0, decode.stderr)
            XCTAssertEqual(try decodedFrames(mkv), finished["frames"] as? Int, "a finalised file with every frame written")
        }
    }

    /// The encoder hits a file-size limit mid-set: the recording stops with the reason, the show goes on.
    func testAFullDiskStopsTheRecordingNotTheShow() throws {
        let mkv = folder + "/full.mkv"
        let made = try CLI.run(["model", "init"], environment: environment)
        XCTAssertEqual(made.status, 0, made.stderr)
        let engine = try RunningEngine(launch: ["/bin/bash", "-c", "ulimit -f 150; exec \"$0\" live --json --headless --no-adapt --seconds 900 --osc-port 0 --record \"$1\"",
                                                CLI.binary, mkv], environment: environment)
        try engine.child.waitForEvent("recording_stopped", timeout: 240) { $0["event"] as? String == "recording_stopped" }
        try engine.waitForFrames(30)                         // and the engine kept rendering
        let end = try engine.stop()
        XCTAssertEqual(end.status, 0, end.stderr)
        XCTAssertTrue(end.stderr.contains("recording stopped"), end.stderr)
        XCTAssertTrue(end.stderr.contains("disk full or file size limit"), end.stderr)
        XCTAssertTrue((end.events.event("recording_stopped")?["reason"] as? String)?.contains("disk full") == true, "\(end.events)")
        XCTAssertGreaterThan(try decodedFrames(mkv), 10, "what was written before the disk filled is playable")
    }

    /// Finishing a file never freezes the show: with an encoder that takes nothing, the engine keeps
    /// rendering (and answering OSC) while the recording is ended, which is bounded and says why.
    func testStoppingARecordingNeverHoldsUpTheShow() throws {
        let bin = folder + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/bash\nexec sleep 600\n".write(toFile: bin + "/ffmpeg", atomically: true, encoding: .utf8)
        chmod(bin + "/ffmpeg", 0o755)
        var env = environment!
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        let engine = try RunningEngine(["--headless", "--no-jack", "--osc-port", "0", "--record", folder + "/stuck.mkv"], environment: env)
        try engine.waitForFrames(10)
        engine.send("/lvj/record", [.number(0)])
        try engine.waitForValue("/lvj/record", 0)
        let atStop = engine.frames
        var rendered = atStop
        try waitFor("the stuck recording to be ended", timeout: 120, every: 0.05, details: { engine.child.failureDetails() }) {
            rendered = max(rendered, engine.frames)
            return engine.child.jsonLines.event("recording_finished") != nil
        }
        XCTAssertGreaterThan(rendered, atStop + 5, "frames kept coming while the file was being finished")
        let problem = engine.child.jsonLines.event("recording_finished")?["problem"] as? String
        XCTAssertTrue(problem?.contains("interrupted") == true || problem?.contains("killed") == true, "\(String(describing: problem))")
        try engine.waitForFrames(5)
        XCTAssertEqual(try engine.stop().status, 0)
    }

    func testMissingFFmpegIsAMessageNotAnEnd() throws {
        var env: [String: String] = environment
        env["PATH"] = "/nonexistent"
        let r = try CLI.run(["live", "--headless", "--seconds", "2", "--record", folder + "/none.mkv"], environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("recording failed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("ffmpeg"), r.stderr)
        XCTAssertTrue(r.stdout.contains("fps sustained"), r.stdout)
    }

    func testAPerformanceLogReplaysTheSet() throws {
        let mkv = folder + "/set.mkv", log = folder + "/set.performance.jsonl", mp4 = folder + "/replay.mp4"
        let engine = try RunningEngine(["--headless", "--osc-port", "0", "--record", mkv], environment: environment)
        try engine.waitForFrames(60)
        XCTAssertEqual(try engine.stop().status, 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines[0].contains("latentvj-performance-log"))
        let records = lines.count - 1
        XCTAssertGreaterThan(records, 50)
        let replay = try CLI.run(["render", "--replay", log, "-o", mp4, "--quiet"], environment: environment)
        XCTAssertEqual(replay.status, 0, replay.stderr)
        let counted = try probe(mp4, "stream=nb_read_frames", extra: ["-count_frames", "-select_streams", "v:0"])
        XCTAssertTrue(counted.contains("nb_read_frames=\(records)"), "one video frame per logged frame: \(counted)")
        try "not a log".write(toFile: log, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["render", "--replay", log, "-o", mp4], environment: environment)
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains(log), bad.stderr)
    }
}
