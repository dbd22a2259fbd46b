import Foundation
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

    func testRecordingHasVideoAndAudioInSync() throws {
        let mkv = folder + "/set.mkv"
        let r = try CLI.run(["live", "--headless", "--seconds", "4", "--record", mkv], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let streams = try probe(mkv, "stream=codec_type,codec_name")
        XCTAssertTrue(streams.contains("codec_name=h264|codec_type=video"), streams)
        XCTAssertTrue(streams.contains("codec_name=flac|codec_type=audio"), streams)
        let video = try duration(mkv, stream: "v:0"), audio = try duration(mkv, stream: "a:0")
        XCTAssertEqual(video, 4, accuracy: 1, "about the seconds that were recorded")
        XCTAssertEqual(video, audio, accuracy: 0.25, "picture and sound stay in step")
    }

    func testRecordingSurvivesSIGKILL() throws {
        let mkv = folder + "/killed.mkv"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["live", "--headless", "--seconds", "60", "--record", mkv]
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 5)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        Thread.sleep(forTimeInterval: 1)
        let decode = try CLI.runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", mkv, "-f", "null", "-"])
        XCTAssertEqual(decode.status, 0, decode.stderr)
        XCTAssertGreaterThan(try duration(mkv, stream: "v:0"), 2, "the seconds before the kill are playable")
    }

    /// SIGTERM (a service manager) and SIGINT (Ctrl-C): the recording is finalised, the JACK client leaves
    /// the server cleanly, the exit status is 0.
    func testStopSignalsFinaliseTheRecordingAndCloseTheJACKClient() throws {
        let withJackd = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/with-jackd.sh").path
        for signal in ["TERM", "INT"] {
            let mkv = "\(folder!)/\(signal).mkv"
            var env = environment!
            env["LVJ"] = CLI.binary
            let r = try CLI.runProgram(withJackd, ["bash", "-c", """
                "$LVJ" live --headless --no-osc --seconds 60 --record "\(mkv)" 2> "\(folder!)/\(signal).err" &
                engine=$!
                sleep 4
                jack_lsp | grep -c '^latentvj:' > "\(folder!)/\(signal).ports-before"
                kill -\(signal) $engine
                wait $engine; status=$?
                jack_lsp | grep -c '^latentvj:' > "\(folder!)/\(signal).ports-after" || true
                exit $status
                """], environment: env)
            let err = (try? String(contentsOfFile: "\(folder!)/\(signal).err", encoding: .utf8)) ?? ""
            XCTAssertEqual(r.status, 0, "SIG\(signal): \(r.stderr) \(err)")
            XCTAssertTrue(err.contains("recorded") && err.contains("frames to"), err)
            let before = try String(contentsOfFile: "\(folder!)/\(signal).ports-before", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let after = try String(contentsOfFile: "\(folder!)/\(signal).ports-after", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(before, "5", "in_1, in_2, midi_in, out_1, out_2 while running")
            XCTAssertEqual(after, "0", "the client left the server")
            let decode = try CLI.runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", mkv, "-f", "null", "-"])
            XCTAssertEqual(decode.status, 0, decode.stderr)
            XCTAssertGreaterThan(try duration(mkv, stream: "v:0"), 1.5, "a finalised, playable recording")
        }
    }

    func testAFullDiskStopsTheRecordingNotTheShow() throws {
        let mkv = folder + "/full.mkv"
        let r = try CLI.runProgram("/bin/bash", ["-c", "\"$0\" model init > /dev/null && ulimit -f 150; exec \"$0\" live --headless --seconds 6 --record \"$1\"", CLI.binary, mkv], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("recording stopped"), r.stderr)
        XCTAssertTrue(r.stderr.contains("disk full or file size limit"), r.stderr)
        let frames = Int(r.stdout.split(separator: " ").first ?? "") ?? 0
        XCTAssertGreaterThan(frames, 100, "the engine kept rendering: \(r.stdout)")
        let counted = try probe(mkv, "stream=nb_read_frames", extra: ["-count_frames", "-select_streams", "v:0"])
        let decoded = counted.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        XCTAssertGreaterThan(decoded, 10, "what was written before the disk filled is playable")
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
        let r = try CLI.run(["live", "--headless", "--seconds", "3", "--record", mkv], environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines[0].contains("latentvj-performance-log"))
        let records = lines.count - 1
        XCTAssertGreaterThan(records, 40)
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
