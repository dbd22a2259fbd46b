import Foundation

/// What the engine tells whoever drives it, as typed values: the CLI prints a line for people and, with
/// `--json`, one JSON object per event (Docs/live-events.md); tests and benchmarks switch on the cases.
/// No program ever has to read the people's text.
public enum EngineEvent: Sendable {
    /// The first frame is out and every control input listens: what a script waits for before it acts.
    case started(oscPort: Int?, oscQueryPort: Int?, jackClient: String?, fps: Double, model: String, recording: Bool)
    /// A setup fact for people (OSC port chosen, MIDI inputs, JACK fallback).
    case notice(String)
    case recording(RecordingControl.Event)
    /// The JACK server went away (the engine draws on silence and retries), or came back.
    case jackLost
    case jackBack(client: String, sampleRate: Int)
    /// A file re-read by `/lvj/reload` or SIGHUP, and what came of it.
    case reloaded(file: String, detail: String)
    case reloadRefused(file: String, reason: String)
    /// A preset recalled (at once, or morphing over `morphSeconds` of music), saved, or refused.
    case presetRecalled(name: String, morphSeconds: Double, warning: String?)
    case presetSaved(name: String, path: String)
    case presetRefused(action: String, reason: String)
    /// MIDI learn waits for a control to move for `parameter`; it bound one (`binding` says what, and
    /// where it was saved); or it was cancelled.
    case learnArmed(parameter: String)
    case learned(String)
    case learnCancelled
    /// A controller's outcome worth a line: malformed input, nothing to reload, no MIDI input.
    case controller(String)
    /// `--adapt` measured this machine at start and chose what to render (every frame fits, or what it gave up).
    case adapted(RenderAdaptation)
    /// The analysis fell too far behind and skipped to the newest audio.
    case fellBehind(skips: Int, skippedSeconds: Double)
    case screenshot(path: String)
    /// An output into the rig opened (sending frames of this size at this rate), could not open or
    /// stopped (`reason`: what to do; the show goes on, a stopped one is retried), or works again.
    case outputOpened(name: String, uri: String, width: Int, height: Int, fps: Double)
    case outputProblem(name: String, uri: String, reason: String)
    case outputRecovered(name: String)
    /// The Ableton Link session (tempo.source link): the other peers in it now, at the session's tempo;
    /// or Link could not start (the detected beat stands in).
    case linkPeers(peers: Int, bpm: Double)
    case linkProblem(reason: String)
    /// The engine is advertised over mDNS under `name` (OSCQuery and OSC), or it cannot be (`reason`).
    case mdnsAdvertised(name: String, services: [String])
    case mdnsUnavailable(reason: String)
    /// The window's close button or Esc.
    case quitRequested

    /// The line for people.
    public var text: String {
        switch self {
        case .started(let port, let query, _, let fps, _, _):
            return "live: rendering at \(Int(fps)) fps\(port.map { ", OSC on UDP \($0)" } ?? "")\(query.map { ", OSCQuery on http://localhost:\($0)/" } ?? "")"
        case .notice(let text), .controller(let text): return text
        case .recording(let event):
            switch event {
            case .started(let path, let log): return "recording to \(path)\(log.map { " (performance log \($0))" } ?? "")"
            case .failedToStart(let reason): return "recording failed: \(reason)"
            case .encoderFailed(_, let reason): return "recording stopped: \(reason); the show went on"
            case .finished(let path, let frames, let dropped, let problem):
                return "recorded \(frames) frames to \(path)\(dropped > 0 ? " (\(dropped) dropped)" : "")\(problem.map { " (\($0))" } ?? "")"
            }
        case .presetRecalled(let name, let morph, let warning):
            return (morph > 0 ? String(format: "morphing to %@ over %.1f s", name, morph) : "preset \(name)") + (warning.map { " (\($0))" } ?? "")
        case .presetSaved(let name, _): return "saved preset \(name)"
        case .presetRefused(let action, let reason): return "preset not \(action): \(reason)"
        case .learnArmed(let parameter): return "MIDI learn: move a control for \(parameter)"
        case .learned(let binding): return binding
        case .learnCancelled: return "learn cancelled"
        case .jackLost: return "JACK server lost: drawing on silence, reconnecting every 2 s"
        case .jackBack(let client, let rate): return "JACK server back: \(client) at \(rate) Hz"
        // Presets are read at each recall: a reload checks them, and the line says what it found.
        case .reloaded("presets", let detail), .reloadRefused("presets", let detail): return "presets: \(detail)"
        case .reloaded(let file, let detail): return "\(file) reloaded\(detail.isEmpty ? "" : ": \(detail)")"
        case .reloadRefused(let file, let reason): return "\(file) not reloaded, the previous one stays active: \(reason)"
        case .fellBehind(let skips, let seconds):
            return String(format: "behind the music: skipped to the newest audio (%d times, %.1f s in all); the picture degrades, the timing does not", skips, seconds)
        case .adapted(let a): return a.text
        case .screenshot(let path): return "screenshot \(path)"
        case .quitRequested: return "quit"
        case .outputOpened(let name, let uri, let w, let h, let fps): return String(format: "output %@: %@ at %dx%d, %.4g fps", name, uri, w, h, fps)
        case .outputProblem(let name, let uri, let reason): return "output \(name) (\(uri)): \(reason)"
        case .outputRecovered(let name): return "output \(name) sending again"
        case .linkPeers(0, _): return "Ableton Link: no other peer in the session; the detected beat stands in"
        case .linkPeers(let peers, let bpm): return String(format: "Ableton Link: %d peer%@ at %.2f BPM", peers, peers == 1 ? "" : "s", bpm)
        case .linkProblem(let reason): return reason
        case .mdnsAdvertised(let name, let services): return "mDNS: advertised as \"\(name)\" (\(services.joined(separator: ", ")))"
        case .mdnsUnavailable(let reason): return reason
        }
    }

    /// The event's name and fields for the JSON stream (schema: Docs/live-events.md).
    public var json: (name: String, fields: [String: Any]) {
        func nullable(_ value: Any?) -> Any { value ?? NSNull() }
        switch self {
        case .started(let port, let query, let jack, let fps, let model, let recording):
            return ("started", ["osc_port": nullable(port), "oscquery_port": nullable(query), "jack_client": nullable(jack), "fps": fps, "model": model, "recording": recording])
        case .notice(let text): return ("notice", ["text": text])
        case .controller(let text): return ("controller", ["text": text])
        case .recording(let event):
            switch event {
            case .started(let path, let log): return ("recording_started", ["path": path, "performance_log": nullable(log)])
            case .failedToStart(let reason): return ("recording_failed", ["reason": reason])
            case .encoderFailed(let path, let reason): return ("recording_stopped", ["path": path, "reason": reason])
            case .finished(let path, let frames, let dropped, let problem):
                return ("recording_finished", ["path": path, "frames": frames, "dropped": dropped, "problem": nullable(problem)])
            }
        case .presetRecalled(let name, let morph, let warning):
            return ("preset_recalled", ["name": name, "morph_seconds": morph, "warning": nullable(warning)])
        case .presetSaved(let name, let path): return ("preset_saved", ["name": name, "path": path])
        case .presetRefused(let action, let reason): return ("preset_refused", ["action": action, "reason": reason])
        case .learnArmed(let parameter): return ("learn_armed", ["parameter": parameter])
        case .learned(let binding): return ("learned", ["binding": binding])
        case .learnCancelled: return ("learn_cancelled", [:])
        case .jackLost: return ("jack_lost", [:])
        case .jackBack(let client, let rate): return ("jack_back", ["jack_client": client, "sample_rate": rate])
        case .reloaded(let file, let detail): return ("reloaded", ["file": file, "detail": detail])
        case .reloadRefused(let file, let reason): return ("reload_refused", ["file": file, "reason": reason])
        case .fellBehind(let skips, let seconds): return ("fell_behind", ["skips": skips, "skipped_seconds": seconds])
        case .adapted(let a): return ("adapted", a.json)
        case .screenshot(let path): return ("screenshot", ["path": path])
        case .quitRequested: return ("quit_requested", [:])
        case .outputOpened(let name, let uri, let w, let h, let fps):
            return ("output_opened", ["name": name, "uri": uri, "width": w, "height": h, "fps": fps])
        case .outputProblem(let name, let uri, let reason): return ("output_problem", ["name": name, "uri": uri, "reason": reason])
        case .outputRecovered(let name): return ("output_recovered", ["name": name])
        case .linkPeers(let peers, let bpm): return ("link_peers", ["peers": peers, "bpm": bpm])
        case .linkProblem(let reason): return ("link_problem", ["reason": reason])
        case .mdnsAdvertised(let name, let services): return ("mdns_advertised", ["name": name, "services": services])
        case .mdnsUnavailable(let reason): return ("mdns_unavailable", ["reason": reason])
        }
    }
}

/// The end of a show: what `Engine.stop` returns.
public struct EngineSummary: Sendable {
    public var frames: Int
    /// Feature rows the state advanced by (the music's frames, at the target rate).
    public var rows: Int
    public var seconds: Double
    public var frameTimeP50: Double, frameTimeP99: Double
    public var latencyP50: Double, latencyP99: Double
    public var skips: Int
    public var skippedSeconds: Double
    public var model: String
    /// Each output into the rig: frames taken from the producer (at the output's rate), sent, dropped.
    public struct Output: Sendable {
        public var name: String, uri: String
        public var taken: Int, sent: Int, dropped: Int, restarts: Int
        /// Submit to the transport taking the frame (ring wait, scaling, push), ms.
        public var handoffP50: Double, handoffP99: Double
        public var json: [String: Any] {
            ["name": name, "uri": uri, "taken": taken, "sent": sent, "dropped": dropped, "restarts": restarts,
             "handoff_ms": ["p50": handoffP50, "p99": handoffP99]]
        }
    }
    public var outputs: [Output] = []
    /// Time the producer spent handing each frame to the sinks (recorder, outputs), mean ms.
    public var sinkMs: Double = 0

    public var text: String {
        String(format: "%d frames in %.1f s (%.1f fps sustained, state at %.1f rows/s); frame time p50 %.1f ms, p99 %.1f ms; model: %@",
               frames, seconds, Double(frames) / max(seconds, 1e-9), Double(rows) / max(seconds, 1e-9), frameTimeP50, frameTimeP99, model)
            + outputs.map { "; output \($0.name): \($0.sent) sent, \($0.dropped) dropped" }.joined()
    }

    public var json: [String: Any] {
        ["frames": frames, "rows": rows, "seconds": seconds, "frame_time_ms": ["p50": frameTimeP50, "p99": frameTimeP99],
         "audio_to_frame_ms": ["p50": latencyP50, "p99": latencyP99], "skips": skips, "skipped_seconds": skippedSeconds, "model": model,
         "sink_ms": sinkMs,
         "outputs": outputs.map { $0.json }]
    }
}
