import ArgumentParser
import Basics
import Correlation
import Features
import Foundation
import VideoFeatures

struct BenchCorrelation: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correlation",
        abstract: "Cost of one update of the live rolling correlation (causal audio features against video features).",
        discussion: "Rows have the real layouts (every causal audio feature, every per-frame video feature); values are random, which does not change the cost.")

    @Option(help: "Window in seconds.")
    var window = 8.0

    @Option(help: "Frames per second.")
    var fps = 30.0

    @Option(help: "Updates to time.")
    var updates = 50

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let audioBlocks = CausalLayout.layout.blocks, videoBlocks = VideoLayout.layout.blocks
            let frames = Int(window * fps)
            let rolling = RollingCorrelator(window: frames, audioBlocks: audioBlocks, videoBlocks: videoBlocks)
            var rng = SeededRandom(seed: 1)
            let audio = (0..<(rolling.audioWidth)).map { _ in Float(rng.uniform()) }
            var video = (0..<(rolling.videoWidth)).map { _ in Float(rng.uniform()) }
            for _ in 0..<frames {
                for i in video.indices { video[i] = Float(rng.uniform()) }
                audio.withUnsafeBufferPointer { a in video.withUnsafeBufferPointer { v in rolling.push(audio: a.baseAddress!, video: v.baseAddress!) } }
            }
            var pushTimes = [Double](), updateTimes = [Double]()
            for _ in 0..<max(5, updates) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                audio.withUnsafeBufferPointer { a in video.withUnsafeBufferPointer { v in rolling.push(audio: a.baseAddress!, video: v.baseAddress!) } }
                let t1 = DispatchTime.now().uptimeNanoseconds
                _ = try rolling.update()
                let t2 = DispatchTime.now().uptimeNanoseconds
                pushTimes.append(Double(t1 - t0) / 1e3); updateTimes.append(Double(t2 - t1) / 1e6)
            }
            pushTimes.sort(); updateTimes.sort()
            let p99 = { (v: [Double]) in Statistics.percentile(v, 0.99) }
            let result: [String: Any] = ["window_seconds": window, "fps": fps, "frames": frames, "audio_columns": rolling.audioWidth,
                                         "video_columns": rolling.videoWidth, "update_ms_median": updateTimes[updateTimes.count / 2],
                                         "update_ms_p99": p99(updateTimes), "push_us_median": pushTimes[pushTimes.count / 2],
                                         "frame_budget_ms": 1000 / fps]
            if json { FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])); print(); return }
            print(String(format: "window %.0f s at %.0f fps = %d frames; %d audio columns × %d video columns", window, fps, frames, rolling.audioWidth, rolling.videoWidth))
            print(String(format: "update (worker): median %.2f ms, p99 %.2f ms  (a frame lasts %.1f ms)", updateTimes[updateTimes.count / 2], p99(updateTimes), 1000 / fps))
            print(String(format: "push (frame loop): median %.1f us", pushTimes[pushTimes.count / 2]))
        }
    }
}
