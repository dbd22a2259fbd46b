import Foundation
import Recording
import TestSupport
import XCTest

/// Frames keep coming when the audio does not (the JACK server was lost mid-set, or a recording starts
/// while it is down). Found by `bench soak`: ffmpeg, interleaving its two inputs by time, waited for audio
/// that never came, the video pipe filled, and stopping the recording hung the engine's main loop.
/// The recorder now fills such gaps with silence.
final class RecorderAudioGapTests: TimeLimitedTestCase {
    let size = 32, fps = 30.0, rate = 48_000.0

    /// Submits `frames` frames, with a frame's worth of audio where `sound(k)` says so, as fast as ffmpeg
    /// takes them: frame k waits until the recorder has written all but `ahead` of the frames before it
    /// (the producer never waits in a set; the test does, so that no machine is too slow for it and the
    /// ring never overflows by speed alone). An encoder stalled waiting for audio that never comes (the
    /// bug) stops taking frames, and the wait fails at its deadline. Then stops, on another thread, so a
    /// hang fails the test instead of stalling the suite.
    func record(frames: Int, sound: (Int) -> Bool) throws -> (path: String, recorder: LiveRecorder) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gap-\(getpid())-\(UUID().uuidString.prefix(6)).mkv").path
        let buffered = 30, ahead = 20
        let recorder = try LiveRecorder(path: path, width: size, height: size, fps: fps, sampleRate: rate, bufferedFrames: buffered)
        let frame = [UInt8](repeating: 90, count: size * size * 3)
        let audio = (0..<1600).map { Float(sin(Double($0) * 0.05)) * 0.2 }
        for k in 0..<frames {
            try waitFor("the recorder to take frame \(k - ahead) (ffmpeg waiting for audio that never comes?)", timeout: 30,
                        details: { "written \(recorder.frames), dropped \(recorder.dropped), state \(recorder.state)" }) {
                recorder.frames >= k - ahead
            }
            recorder.submit(frame: frame, audio: audio, count: sound(k) ? audio.count : 0)
        }
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread { recorder.stop(); stopped.signal() }
        XCTAssertEqual(stopped.wait(timeout: .now() + 20), .success, "stopping the recording finished")
        return (path, recorder)
    }

    /// ffprobe's duration of each stream (seconds) and the video's decoded frame count.
    func probe(_ path: String) throws -> (video: Double, audio: Double, frames: Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        p.arguments = ["-v", "error", "-count_frames", "-show_streams", "-of", "json", path]
        let out = Pipe()
        p.standardOutput = out; p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let streams = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["streams"] as? [[String: Any]] ?? []
        func stream(_ type: String) -> [String: Any]? { streams.first { $0["codec_type"] as? String == type } }
        let video = try XCTUnwrap(stream("video"), "a video stream"), audio = try XCTUnwrap(stream("audio"), "an audio stream")
        func seconds(_ s: [String: Any]) -> Double {
            (s["duration"] as? String).flatMap(Double.init) ?? ((s["tags"] as? [String: Any])?["DURATION"] as? String).map(Self.hms) ?? 0
        }
        return (seconds(video), seconds(audio), (video["nb_read_frames"] as? String).flatMap(Int.init) ?? 0)
    }

    /// "00:00:03.033000000" → 3.033 (Matroska stores stream durations as tags).
    static func hms(_ text: String) -> Double {
        text.split(separator: ":").reduce(0) { $0 * 60 + (Double($1) ?? 0) }
    }

    func testAGapInTheAudioIsFilledAndTheRecordingStops() throws {
        // 1 s with sound, 4 s without (the server lost), 1 s with sound again.
        let (path, recorder) = try record(frames: 180) { $0 < 30 || $0 >= 150 }
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(recorder.dropped, 0)
        let p = try probe(path)
        XCTAssertEqual(p.frames, recorder.frames, "every frame decodes")
        XCTAssertGreaterThanOrEqual(p.frames, 178)
        XCTAssertEqual(p.audio, p.video, accuracy: 0.3, "the sound spans the picture, the gap as silence")
    }

    func testARecordingStartedWithoutAudioStops() throws {
        // Started while the server is down: not one sample for 2 s.
        let (path, recorder) = try record(frames: 60) { _ in false }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = try probe(path)
        XCTAssertEqual(p.frames, recorder.frames)
        XCTAssertGreaterThanOrEqual(p.frames, 58)
        XCTAssertEqual(p.audio, p.video, accuracy: 0.3)
    }
}
