import ArgumentParser
import AudioIn
import Basics
import Features
import Foundation
import LinearAlgebra

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance (numbers and ratios; nothing passes or fails).",
        subcommands: [BenchFeatures.self, BenchRender.self, BenchCorrelation.self, BenchSynthesis.self, BenchLive.self, BenchControl.self, BenchSoak.self])
}

struct BenchFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Seconds of audio analysed per second, offline and causal, single-threaded.",
        discussion: "Without AUDIO the built-in demo track is used. Each extractor runs --repeat times; the median run is reported.")

    @Argument(help: "Audio file (default: the built-in demo track).")
    var audio: String?

    @Option(help: "Feature frames per second for the offline set (the causal set runs at --live-fps).")
    var fps: Double = 24

    @Option(help: "Frame rate of the causal set.")
    var liveFps: Double = 30

    @Option(help: "Runs per extractor.")
    var `repeat` = 3

    @Flag(help: "Print JSON (keys in Docs/benchmarks.md).")
    var json = false

    func run() throws {
        try reportingErrors {
            BLAS.setThreads(1)
            let clip = try audio.map { try AudioFile.read(path: $0) } ?? DemoTrack.render()
            let mono = clip.mono()
            let runs = max(1, self.repeat)
            func timeIt(_ body: () throws -> Void) rethrows -> Double {
                var times = [Double]()
                for _ in 0..<runs {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    try body()
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                }
                return times.sorted()[times.count / 2]
            }
            let offline = try timeIt { _ = try OfflineExtractor(fps: fps).extract(mono: mono, sampleRate: clip.sampleRate) }
            let causal = try timeIt { _ = try CausalExtractor.extractAll(mono: mono, sampleRate: clip.sampleRate, fps: liveFps) }
            let duration = clip.duration
            let result: [String: Any] = [
                "audio": audio ?? "built-in demo track",
                "audio_seconds": duration,
                "sample_rate": clip.sampleRate,
                "offline": ["fps": fps, "seconds": offline, "realtime_factor": duration / offline],
                "causal": ["fps": liveFps, "seconds": causal, "realtime_factor": duration / causal,
                           "per_frame_microseconds": causal / (duration * liveFps) * 1e6],
                "threads": 1,
            ]
            if json {
                let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
                FileHandle.standardOutput.write(data)
                print()
            } else {
                print(String(format: "audio: %@ (%.1f s at %d Hz), 1 thread, median of %d runs", audio ?? "built-in demo track",
                             duration, Int(clip.sampleRate), runs))
                print(String(format: "offline (%g fps): %7.3f s  -> %7.1f x real time", fps, offline, duration / offline))
                print(String(format: "causal  (%g fps): %7.3f s  -> %7.1f x real time  (%.1f us per frame)", liveFps, causal,
                             duration / causal, causal / (duration * liveFps) * 1e6))
            }
        }
    }
}
