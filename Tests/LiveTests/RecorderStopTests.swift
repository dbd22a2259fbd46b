import Basics
import Foundation
import Recording
import TestSupport
import XCTest

/// Stopping a recording is bounded and never waits on an encoder that waits for us. ffmpeg interleaves
/// its inputs by time: it can block reading the audio pipe while the recorder holds video it cannot
/// write. Reproduced here deterministically with an encoder that reads all of its audio first (a shell
/// wrapper around the real ffmpeg), and one that reads nothing at all.
final class RecorderStopTests: TimeLimitedTestCase {
    let size = 32, fps = 30.0, rate = 48_000.0
    var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("recstop-\(getpid())-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// An `ffmpeg` on a path of its own: a bash script that opens the audio pipe (the second `-i`) itself,
    /// then runs `body` with `$fifo` and the original arguments in `$@`.
    func encoder(_ body: String) throws -> ExternalTool {
        let dir = "\(folder!)/bin"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            #!/bin/bash
            inputs=0; fifo=""; prev=""
            for a in "$@"; do [ "$prev" = "-i" ] && { inputs=$((inputs+1)); [ $inputs = 2 ] && fifo="$a"; }; prev="$a"; done
            exec 3<"$fifo"
            \(body)
            """.write(toFile: "\(dir)/ffmpeg", atomically: true, encoding: .utf8)
        chmod("\(dir)/ffmpeg", 0o755)
        return ExternalTool("ffmpeg", searchPath: dir)
    }

    /// Submits `frames` frames (each with 90 % of its audio: the sound lags the picture a little, as it
    /// does when ffmpeg repeats frames), then stops on another thread; fails if the stop never returns.
    func recordAndStop(_ recorder: LiveRecorder, frames: Int, timeout: Double) throws {
        let frame = [UInt8](repeating: 120, count: size * size * 3)
        let audio = (0..<1440).map { Float(sin(Double($0) * 0.05)) * 0.2 }
        var submitted = 0
        // The ring holds 48 frames: hand over as fast as the recorder takes them, no clock involved.
        try waitFor("\(frames) frames handed to the recorder", timeout: 60, every: 0.001) {
            if recorder.submit(frame: frame, audio: audio, count: audio.count) { submitted += 1 }
            return submitted >= frames
        }
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread { recorder.stop(timeout: timeout); stopped.signal() }
        // The bound is the recorder's (a few times `timeout`); this wait only turns a hang into a failure.
        XCTAssertEqual(stopped.wait(timeout: .now() + TestDeadline.seconds(120)), .success, "stop() returned")
    }

    func probe(_ path: String) throws -> [String: Any] {
        let r = try ChildProcess("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-of", "json", path])
        XCTAssertEqual(try r.waitForExit(), 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func testAStopWhileTheEncoderWaitsForAudioEndsTheAudioAndFinishesTheFile() throws {
        // Reads every sample of audio first (until EOF on the pipe), only then the video.
        let tool = try encoder("""
            cat <&3 > "$fifo.audio"; exec 3<&-
            args=(); for a in "$@"; do [ "$a" = "$fifo" ] && a="$fifo.audio"; args+=("$a"); done
            exec /usr/bin/ffmpeg "${args[@]}"
            """)
        let path = "\(folder!)/audio-first.mkv"
        let recorder = try LiveRecorder(path: path, width: size, height: size, fps: fps, sampleRate: rate, ffmpeg: tool)
        try recordAndStop(recorder, frames: 90, timeout: 5)
        XCTAssertNil(recorder.stopProblem, "ffmpeg finished by itself")
        XCTAssertEqual(recorder.state, .recording, "no failure recorded")
        XCTAssertEqual(recorder.frames, 90)
        XCTAssertEqual(recorder.dropped, 0)
        let streams = try XCTUnwrap(try probe(path)["streams"] as? [[String: Any]])
        let video = try XCTUnwrap(streams.first { $0["codec_type"] as? String == "video" })
        XCTAssertEqual(video["nb_read_frames"] as? String, "90", "every frame is in the file")
        let audio = try XCTUnwrap(streams.first { $0["codec_type"] as? String == "audio" })
        let samples = (audio["duration_ts"] as? Int) ?? Int((((audio["tags"] as? [String: Any])?["DURATION"] as? String).map(RecorderAudioGapTests.hms) ?? 0) * rate)
        XCTAssertEqual(Double(samples) / rate, 3.0, accuracy: 0.1, "the sound was padded to the picture's 3 s")
    }

    func testAnEncoderThatTakesNothingIsEndedAndTheStopStillReturns() throws {
        let tool = try encoder("exec sleep 600")
        let recorder = try LiveRecorder(path: "\(folder!)/stuck.mkv", width: size, height: size, fps: fps, sampleRate: rate, ffmpeg: tool)
        try recordAndStop(recorder, frames: 60, timeout: 1)
        let problem = try XCTUnwrap(recorder.stopProblem, "the stop says it had to end ffmpeg")
        XCTAssertTrue(problem.contains("dropped") && problem.contains("interrupted"), problem)
        XCTAssertGreaterThan(recorder.dropped, 0, "what ffmpeg never took is counted")
    }
}
