import Display
import Foundation
import Live

/// What `latentvj live` tells: a line for people on standard error, always; with `--json`, also one
/// JSON object a line on standard output for scripts and tests (schema: Docs/live-events.md), so no
/// program has to read the people's text.
struct LiveEvents {
    let json: Bool

    func emit(_ event: String, _ fields: [String: Any]) {
        guard json else { return }
        var object = fields
        object["event"] = event
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    private func nullable(_ value: Any?) -> Any { value ?? NSNull() }

    func say(_ text: String) { FileHandle.standardError.write(text + "\n") }

    /// The first frame is out and every control input listens.
    func started(oscPort: Int?, jack: String?, fps: Double, model: String, recording: Bool) {
        say("live: rendering at \(Int(fps)) fps\(oscPort.map { ", OSC on UDP \($0)" } ?? "")")
        emit("started", ["osc_port": nullable(oscPort), "jack_client": nullable(jack), "fps": fps,
                         "model": model, "recording": recording])
    }

    func recording(_ event: RecordingControl.Event) {
        switch event {
        case .started(let path, let log):
            say("recording to \(path)\(log.map { " (performance log \($0))" } ?? "")")
            emit("recording_started", ["path": path, "performance_log": nullable(log)])
        case .failedToStart(let reason):
            say("recording failed: \(reason)")
            emit("recording_failed", ["reason": reason])
        case .encoderFailed(let path, let reason):
            say("recording stopped: \(reason); the show went on")
            emit("recording_stopped", ["path": path, "reason": reason])
        case .finished(let path, let frames, let dropped, let problem):
            say("recorded \(frames) frames to \(path)\(dropped > 0 ? " (\(dropped) dropped)" : "")\(problem.map { " (\($0))" } ?? "")")
            emit("recording_finished", ["path": path, "frames": frames, "dropped": dropped, "problem": nullable(problem)])
        }
    }

    /// The end of the show. Without --json the summary line goes to standard output, as it always has.
    func summary(frames: Int, seconds: Double, p50: Double, p99: Double, model: String) {
        let line = String(format: "%d frames in %.1f s (%.1f fps sustained); frame time p50 %.1f ms, p99 %.1f ms; model: %@",
                          frames, seconds, Double(frames) / max(seconds, 1e-9), p50, p99, model)
        if json { say(line) } else { print(line) }
        emit("summary", ["frames": frames, "seconds": seconds, "frame_time_ms": ["p50": p50, "p99": p99], "model": model])
    }
}

extension HUDState.Recording {
    init(_ status: RecordingControl.Status) {
        switch status {
        case .off: self = .off
        case .recording(let seconds): self = .recording(elapsedSeconds: seconds)
        case .stopped(let message): self = .stopped(message: message)
        }
    }
}
