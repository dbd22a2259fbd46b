import ArgumentParser
import AudioIn
import Basics
import Display
import Foundation
import Imaging
import Live
import Recording
import StyleGAN
import Synthesis

struct BenchLive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "The live engine under load: sustained fps, frame-time percentiles, audio-to-frame latency, CPU, dropped frames.",
        discussion: """
        Runs the engine headless on the demo track, played on the internal clock or through JACK (--jack, e.g. under \
        scripts/with-jackd.sh: out_1/out_2 and analysed from what they play), with the HUD drawn and the rolling \
        correlation computed every frame as on stage, optionally recording. Audio-to-frame latency is measured per \
        frame: from the newest sample of the frame's last feature row entering the ring (the JACK callback's time, \
        or the file clock) to the frame's publication for the display.
        """)

    @Option(help: "Seconds to run.")
    var seconds = 60.0

    @Flag(help: "Play the demo track through JACK (a running server) instead of the internal clock.")
    var jack = false

    @Flag(help: "Record while measuring (to a temporary file, deleted afterwards).")
    var record = false

    @OptionGroup var model: ModelOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let source: AudioSource = jack ? try JACKSource(connect: nil, playing: { DemoTrack.render(sampleRate: $0) }, loops: true)
                : FilePlayback(clip: DemoTrack.render(), loops: true)
            let engine = try BenchEngine(model: model, source: source)
            let generator = engine.generator, fps = engine.fps, producer = engine.producer
            let r = generator.architecture.imgResolution
            let watch = CorrelationWatch(width: r, height: r, fps: fps)
            var hudRaster = Raster(width: 720, height: 720)
            var recorder: LiveRecorder?
            let recordPath = FileManager.default.temporaryDirectory.appendingPathComponent("latentvj-bench-\(getpid()).mkv").path
            if record {
                recorder = try LiveRecorder(path: recordPath, width: r, height: r, fps: fps, sampleRate: source.sampleRate)
                producer.record(to: recorder)
            }
            let cpuStart = Self.cpuSeconds()
            let started = DispatchTime.now().uptimeNanoseconds
            producer.start()
            var shown = 0
            let progress = Progress("bench live", total: seconds, enabled: !json)
            while Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < seconds {
                if let frame = producer.latest.takeNewest() {
                    watch.shown(rgb: frame, row: producer.latest.shownRow)
                    var state = HUDState()
                    let s = producer.snapshot
                    state.fps = s.fps; state.frameTimeMs = s.frameTimeMs; state.bpm = s.bpm
                    state.correlation = watch.reading.value
                    HUD.draw(state, into: &hudRaster)
                    shown += 1
                }
                usleep(2_000)
                progress.update(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            progress.finish()
            producer.stop()
            while !producer.isFinished { usleep(5_000) }
            let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let cpu = Self.cpuSeconds() - cpuStart
            recorder?.stop()
            let recorded = recorder?.frames ?? 0, recordDropped = recorder?.dropped ?? 0
            try? FileManager.default.removeItem(atPath: recordPath)
            let s = producer.snapshot, p = producer.frameTimePercentiles(), latency = producer.latencyPercentiles()
            let expected = Int(wall * fps)
            let xruns = (source as? JACKSource)?.input.stats.xruns
            let result: [String: Any] = [
                "model": generator.label, "seconds": wall, "fps_target": fps, "fps_sustained": Double(s.frames) / wall,
                "frames": s.frames, "frames_shown": shown, "dropped_frames": max(0, expected - s.frames),
                "frame_ms_p50": p.p50, "frame_ms_p99": p.p99,
                "audio_to_frame_ms_p50": latency.p50, "audio_to_frame_ms_p99": latency.p99,
                "cpu_cores_used": cpu / wall, "xruns": xruns.map { $0 as Any } ?? NSNull(),
                "source": jack ? "demo track through JACK" : "demo track (internal clock)", "recording": record,
                "recorded_frames": recorded, "recorder_dropped": recordDropped, "correlation": watch.reading.value.map { $0 as Any } ?? NSNull(),
            ]
            if json { FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])); print(); return }
            print("model: \(generator.label); source: \(result["source"]!); HUD and rolling correlation on\(record ? "; recording" : "")")
            print(String(format: "sustained %.1f fps (target %.0f) over %.0f s; dropped frames %d", Double(s.frames) / wall, fps, wall, max(0, expected - s.frames)))
            print(String(format: "frame time p50 %.1f ms, p99 %.1f ms; audio-to-frame latency p50 %.1f ms, p99 %.1f ms", p.p50, p.p99, latency.p50, latency.p99))
            print(String(format: "CPU %.2f cores%@%@", cpu / wall, xruns.map { String(format: "; xruns %d", $0) } ?? "",
                         record ? String(format: "; recorded %d frames, %d dropped by the recorder", recorded, recordDropped) : ""))
        }
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
