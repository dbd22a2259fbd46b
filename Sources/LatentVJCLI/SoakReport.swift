import Basics
import Foundation

/// A soak's figures against the issue's goals, as text or JSON.
struct SoakReport {
    let result: SoakResult
    let minutes: Double

    /// fps over 1 s windows of the engine's own clock (its status reports), after the first 5 s.
    var fpsWindows: [Double] {
        let reports = result.reports.filter { $0.seconds >= 5 }.sorted { $0.seconds < $1.seconds }
        var windows: [Double] = []
        var i = 0
        while i < reports.count {
            guard let j = reports[(i + 1)...].firstIndex(where: { $0.seconds - reports[i].seconds >= 1 }) else { break }
            windows.append(Double(reports[j].frames - reports[i].frames) / (reports[j].seconds - reports[i].seconds))
            i = j
        }
        return windows
    }

    var fpsP1: Double? { fpsWindows.isEmpty ? nil : Statistics.percentile(fpsWindows, 0.01) }
    var fpsP50: Double? { fpsWindows.isEmpty ? nil : Statistics.percentile(fpsWindows, 0.5) }
    var frames: Int { result.summaryFrames ?? result.reports.last?.frames ?? 0 }
    var dropped: Int { result.summarySeconds.map { max(0, Int(($0 * result.fps).rounded()) - frames) } ?? 0 }
    var rssGrowth: Double? {
        guard let s = result.start, let e = result.end, s.rssKB > 0 else { return nil }
        return Double(e.rssKB - s.rssKB) / Double(s.rssKB)
    }
    var xruns: Int { result.reports.map(\.xruns).max() ?? 0 }

    struct Goal { let name: String; let met: Bool; let timing: Bool }

    var goals: [Goal] {
        let s = result.start, e = result.end
        return [
            Goal(name: "no crash", met: !result.crashed && !result.exit.hung && !result.exit.bySignal && result.exit.status == 0, timing: false),
            Goal(name: "RSS growth ≤ 5 %", met: (rssGrowth ?? 1) <= 0.05, timing: true),
            Goal(name: "no descriptor leak", met: s != nil && e != nil && e!.descriptors <= s!.descriptors, timing: false),
            Goal(name: "no thread leak", met: s != nil && e != nil && e!.threads <= s!.threads, timing: false),
            Goal(name: "every recording playable", met: !result.recordings.isEmpty && result.recordings.allSatisfy(\.playable)
                    && result.recordingProblems.isEmpty, timing: false),
            Goal(name: "JACK back after every restart", met: result.reconnectSeconds.count == result.jackRestarts
                    && (result.reports.last?.audioConnected ?? false), timing: false),
            // A frozen render thread under a living main loop: frames stop rising while reports go on; a frozen main loop: reports stop.
            Goal(name: "rendering never stalled", met: (fpsWindows.min() ?? 0) > 0 && result.lastReportAge < 5, timing: false),
            Goal(name: "fps p1 ≥ 24", met: (fpsP1 ?? 0) >= 24, timing: true),
        ]
    }

    /// The exit code's verdict: everything but timing.
    var passed: Bool { goals.filter { !$0.timing }.allSatisfy(\.met) }

    func text(folder: String?) -> String {
        let r = result
        var lines: [String] = []
        lines.append(String(format: "soak: %.1f min, %d parameters stormed; %d JACK restarts (engine back after %@ s)", r.seconds / 60, r.parameters,
                            r.jackRestarts, r.reconnectSeconds.map { String(format: "%.1f", $0) }.joined(separator: ", ")))
        lines.append(String(format: "load: %d valid + %d malformed OSC (engine took %d, ignored %d); %d MIDI + %d garbage (engine read %d, ignored %d); %d recalls, %d morphs, %d reloads",
                            r.counts.oscValid, r.counts.oscMalformed, r.engineControl.oscAccepted, r.engineControl.oscRejected,
                            r.counts.midiMessages, r.counts.midiGarbage, r.engineControl.midi, r.engineControl.midiGarbage,
                            r.counts.presetRecalls, r.counts.presetMorphs, r.counts.reloads))
        lines.append(String(format: "frames %d, dropped %d; fps p1 %.1f, p50 %.1f; xruns %d", frames, dropped, fpsP1 ?? 0, fpsP50 ?? 0, xruns))
        if let s = r.start, let e = r.end {
            lines.append(String(format: "RSS %.1f → %.1f MB (%+.1f %%); threads %d → %d; descriptors %d → %d", Double(s.rssKB) / 1024, Double(e.rssKB) / 1024,
                                100 * (rssGrowth ?? 0), s.threads, e.threads, s.descriptors, e.descriptors))
        }
        for rec in r.recordings {
            lines.append(String(format: "  %@ %@: %d frames recorded, %@ decode, %.1f s%@", rec.playable ? "✓" : "✗", (rec.path as NSString).lastPathComponent,
                                rec.recordedFrames, rec.probedFrames.map(String.init) ?? "none", rec.seconds ?? 0, rec.problem.map { " — \($0)" } ?? ""))
        }
        lines.append("goals: " + goals.map { "\($0.met ? "✓" : "✗") \($0.name)" }.joined(separator: "  "))
        for problem in r.recordingProblems { lines.append("  ✗ \(problem)") }
        if r.crashed || r.exit.hung { lines.append("the engine \(r.exit.hung ? "hung" : "died"); its last lines:\n\(r.logTail)") }
        if let folder { lines.append("recordings and logs: \(folder)") }
        return lines.joined(separator: "\n")
    }

    func json() throws -> Data {
        let r = result
        let sample = { (s: SoakRig.Sample?) -> Any in s.map { ["seconds": $0.seconds, "rss_kb": $0.rssKB, "threads": $0.threads, "descriptors": $0.descriptors] } ?? NSNull() }
        let object: [String: Any] = [
            "minutes": minutes, "seconds": r.seconds, "parameters_stormed": r.parameters,
            "frames": frames, "dropped_frames": dropped, "fps_p1": fpsP1 ?? NSNull(), "fps_p50": fpsP50 ?? NSNull(), "xruns": xruns,
            "skips": result.reports.last?.skips ?? 0, "state_rows": result.reports.last?.rows ?? 0,
            "start": sample(r.start), "end": sample(r.end), "rss_growth": rssGrowth ?? NSNull(),
            "samples": r.samples.map { sample($0) },
            "jack_restarts": r.jackRestarts, "reconnect_seconds": r.reconnectSeconds,
            "load": ["osc_valid": r.counts.oscValid, "osc_malformed": r.counts.oscMalformed, "midi_messages": r.counts.midiMessages,
                     "midi_garbage": r.counts.midiGarbage, "preset_recalls": r.counts.presetRecalls, "preset_morphs": r.counts.presetMorphs, "reloads": r.counts.reloads],
            "engine_counters": ["osc_accepted": r.engineControl.oscAccepted, "osc_rejected": r.engineControl.oscRejected,
                                "midi_messages": r.engineControl.midi, "midi_garbage": r.engineControl.midiGarbage],
            "recording_problems": r.recordingProblems,
            "recordings": r.recordings.map { ["path": $0.path, "recorded_frames": $0.recordedFrames, "decoded_frames": $0.probedFrames ?? NSNull(),
                                              "seconds": $0.seconds ?? NSNull(), "streams": $0.streams, "playable": $0.playable,
                                              "problem": $0.problem ?? NSNull()] as [String: Any] },
            "engine_exit": ["status": Int(r.exit.status), "by_signal": r.exit.bySignal, "hung": r.exit.hung, "crashed": r.crashed],
            "goals": Dictionary(uniqueKeysWithValues: goals.map { ($0.name, $0.met) }),
            "passed": passed,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
