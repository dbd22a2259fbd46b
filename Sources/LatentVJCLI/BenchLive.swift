import ArgumentParser
import Basics
import Foundation
import Live
import Outputs

struct BenchLive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "The live engine under load: sustained fps, frame-time percentiles, audio-to-frame latency, CPU, dropped frames.",
        discussion: """
        Runs the same engine and main loop as `latentvj live`, headless, on the demo track played on the internal clock or \
        through JACK (--jack, e.g. under scripts/with-jackd.sh: out_1/out_2 and analysed from what they play), with the HUD \
        drawn off-screen and the rolling correlation computed every frame as on stage, OSC listening, optionally recording. \
        Audio-to-frame latency is measured per frame: from the newest sample of the frame's last feature row entering the \
        ring (the JACK callback's time, or the file clock) to the frame's publication for the display. The state (ramps, \
        beats, loops, the network) runs at the target rate on the music's clock whatever the rendered frame rate: \
        "state rows/s" shows it.
        """)

    @Option(help: "Seconds to run.")
    var seconds = 60.0

    @Flag(help: "Play the demo track through JACK (a running server) instead of the internal clock.")
    var jack = false

    @Flag(help: "Record while measuring (to a temporary file, deleted afterwards).")
    var record = false

    @OptionGroup var model: ModelOption

    @OptionGroup var output: OutputOptions

    @Flag(help: "Watch the web surface's live preview all along, as a client would: its cost to the producer is in sink_ms_per_frame (alone, without --record or --output).")
    var preview = false

    @Flag(help: "Measure this machine at start as `live` does, and run what it chooses (printed).")
    var adapt = false

    @Option(help: "With --adapt: the frame time (ms) a frame must fit (default: 80 % of a frame's slot).")
    var frameBudget: Double?

    @Option(help: "With --output: seconds of probe frames sent through each output to a receiver on this machine, for its end-to-end latency (0: not measured).")
    var latencySeconds = 3.0

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            var c = EngineConfiguration()
            c.audio = .file(path: nil, loops: true, throughJACK: jack, connect: nil)
            c.modelPath = model.model
            c.renderSize = model.renderSize
            c.adapt = adapt
            c.frameBudgetMs = frameBudget
            c.window = nil
            c.drawsHUDWithoutWindow = true
            c.osc = .init(port: 0)
            let recordPath = FileManager.default.temporaryDirectory.appendingPathComponent("latentvj-bench-\(getpid()).mkv").path
            c.recordPath = recordPath
            c.recordAtStart = record
            try output.apply(to: &c)
            let engine = try Engine(c)
            if preview {
                guard let p = engine.preview else { throw UsageError("--preview: the web surface's server did not open (see the notices above)") }
                p.watchers(changedBy: 1)
            }
            defer { try? FileManager.default.removeItem(atPath: recordPath); try? FileManager.default.removeItem(atPath: (recordPath as NSString).deletingPathExtension + ".performance.jsonl") }
            let cpuStart = Self.cpuSeconds()
            let progress = Progress("bench live", total: seconds, enabled: !json)
            var recorded = 0, recordDropped = 0
            let s = engine.run(shouldStop: { t in progress.update(t); return t >= seconds }) { event in
                if case .recording(.finished(_, let frames, let dropped, _)) = event { recorded = frames; recordDropped = dropped }
            }
            progress.finish()
            let cpu = Self.cpuSeconds() - cpuStart
            let endToEnd = latencySeconds > 0 ? Self.endToEnd(engine.outputs.sinks, seconds: latencySeconds, showProgress: !json) : []
            let fps = engine.fps, wall = s.seconds
            let expected = Int(wall * fps)
            let xruns = (engine.source as? JACKSource)?.input.stats.xruns
            let result: [String: Any] = [
                "model": engine.generator.label, "seconds": wall, "fps_target": fps, "fps_sustained": Double(s.frames) / wall,
                "state_rows_per_second": Double(s.rows) / wall, "frames": s.frames, "frames_shown": engine.framesShown,
                "dropped_frames": max(0, expected - s.frames), "skips": s.skips, "skipped_seconds": s.skippedSeconds,
                "frame_ms_p50": s.frameTimeP50, "frame_ms_p99": s.frameTimeP99,
                "audio_to_frame_ms_p50": s.latencyP50, "audio_to_frame_ms_p99": s.latencyP99,
                "cpu_cores_used": cpu / wall, "xruns": xruns.map { $0 as Any } ?? NSNull(),
                "source": jack ? "demo track through JACK" : "demo track (internal clock)", "recording": record,
                "recorded_frames": recorded, "recorder_dropped": recordDropped,
                "correlation": engine.watch.reading.value.map { $0 as Any } ?? NSNull(),
                "render_size": engine.generator.architecture.imgResolution, "model_resolution": engine.generator.modelResolution,
                "adaptation": engine.adaptation.map { $0.json as Any } ?? NSNull(),
                // What handing a frame to the recorder and the outputs costs the producer (its share of the frame time).
                "sink_ms_per_frame": s.sinkMs,
                "outputs": s.outputs.map(\.json),
                // Probe frames through each output to a receiver on this machine, after the run (Docs/outputs.md).
                "outputs_end_to_end": endToEnd.map(\.json),
                // The web surface's thumbnail, while watched (--preview).
                "preview": previewJSON(engine),
            ]
            if json { FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])); print(); return }
            if let a = engine.adaptation { print(a.text) }
            print("model: \(engine.generator.label); source: \(result["source"]!); the live engine's loop, HUD and rolling correlation on\(record ? "; recording" : "")")
            print(String(format: "sustained %.1f fps (target %.0f) over %.0f s; dropped frames %d; state %.1f rows/s; skips %d (%.1f s)",
                         Double(s.frames) / wall, fps, wall, max(0, expected - s.frames), Double(s.rows) / wall, s.skips, s.skippedSeconds))
            print(String(format: "frame time p50 %.1f ms, p99 %.1f ms; audio-to-frame latency p50 %.1f ms, p99 %.1f ms", s.frameTimeP50, s.frameTimeP99, s.latencyP50, s.latencyP99))
            print(String(format: "CPU %.2f cores%@%@", cpu / wall, xruns.map { String(format: "; xruns %d", $0) } ?? "",
                         record ? String(format: "; recorded %d frames, %d dropped by the recorder", recorded, recordDropped) : ""))
            if record || !s.outputs.isEmpty || preview {
                print(String(format: "handing a frame to the recorder, outputs and preview: %.3f ms on the producer", s.sinkMs)
                      + s.outputs.map { String(format: "; output %@: %d sent, %d dropped, hand-off p50 %.2f ms, p99 %.2f ms", $0.name, $0.sent, $0.dropped, $0.handoffP50, $0.handoffP99) }.joined())
            }
            for e in endToEnd { print(e.text) }
            if preview, let p = engine.preview {
                let c = p.sink.counters, h = p.sink.handoffPercentiles()
                print(String(format: "web preview (%dx%d at %.0f fps): %d frames made, %d dropped, hand-off p50 %.2f ms, p99 %.2f ms",
                             p.width, p.height, EnginePreview.fps, c.sent, c.dropped, h.p50, h.p99))
            }
        }
    }

    func previewJSON(_ engine: Engine) -> Any {
        guard preview, let p = engine.preview else { return NSNull() }
        let c = p.sink.counters, h = p.sink.handoffPercentiles()
        return ["width": p.width, "height": p.height, "fps": EnginePreview.fps, "sent": c.sent, "dropped": c.dropped,
                "handoff_ms": ["p50": h.p50, "p99": h.p99]] as [String: Any]
    }

    /// One output's end-to-end latency to a receiver here, or why it has none.
    struct EndToEnd {
        let name: String, uri: String
        let result: Result<OutputLatencyProbe.Result, Error>
        var json: [String: Any] {
            switch result {
            case .success(let r): return r.json.merging(["name": name]) { a, _ in a }
            case .failure(let e): return ["name": name, "uri": uri, "reason": (e as? OutputError)?.reason ?? "\(e)"]
            }
        }
        var text: String {
            switch result {
            case .success(let r):
                return String(format: "output %@ end to end (probe frames to a receiver on this machine): p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d of %d frames known on arrival",
                              name, r.p50, r.p99, r.max, r.identified, r.sent)
            case .failure(let e): return "output \(name) end to end: not measured, \((e as? OutputError)?.reason ?? "\(e)")"
            }
        }
    }

    /// After the run (the engine's outputs are closed): each output's format again, with probe frames.
    static func endToEnd(_ sinks: [OutputSink], seconds: Double, showProgress: Bool) -> [EndToEnd] {
        sinks.map { sink in
            let progress = Progress("end to end \(sink.name)", total: 1, enabled: showProgress)
            defer { progress.finish() }
            return EndToEnd(name: sink.name, uri: sink.target.uri, result: Result {
                try OutputLatencyProbe.measure(sink.target, format: sink.format, seconds: seconds) { progress.update($0) }
            })
        }
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
