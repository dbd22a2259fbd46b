import ArgumentParser
import Basics
import Foundation
import LinearAlgebra
import StyleGAN

struct BenchRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Milliseconds per frame of the generator, achieved GFLOP/s, and this machine's sgemm peak, in one run.",
        discussion: "Uses the untrained default model unless --model is given; ws are random, noise const. Reports where the time goes, per layer.")

    @OptionGroup var model: ModelOption

    @Option(help: "Instead of --model, a random untrained generator of this resolution (with --channel-base and --channel-max).")
    var randomSize: Int?

    @Option(help: "channel_base of the --random-size generator.")
    var channelBase = 8192

    @Option(help: "channel_max of the --random-size generator.")
    var channelMax = 512

    @Option(help: "Frames to time (after 3 warm-up frames).")
    var frames = 60

    @Flag(help: "Print JSON (schema in Docs/benchmarks.md).")
    var json = false

    func run() throws {
        try reportingErrors {
            let weights: GeneratorWeights
            if let randomSize {
                let shape = GeneratorArchitecture(imgResolution: randomSize, channelBase: channelBase, channelMax: channelMax)
                do { weights = try DefaultModel.make(seed: 1, architecture: shape) } catch { throw UsageError("\(error)") }
            } else {
                weights = try model.load()
            }
            let generator = try Generator(weights: weights)
            let a = generator.architecture
            var rng = SeededRandom(seed: 5)
            // The render step every path uses (ws → generator → RGB), timed as a whole.
            let renderer = FrameRenderer(backend: generator)
            let z = (0..<a.zDim).map { _ in Float(rng.normal()) }
            z.withUnsafeBufferPointer { generator.map(z: $0.baseAddress!, into: renderer.ws) }
            for _ in 0..<3 { renderer.render(noise: .const) }
            let profiler = LayerProfiler(generator: generator)
            generator.profiler = profiler
            var times = [Double]()
            let count = max(10, frames)
            for _ in 0..<count {
                let t0 = DispatchTime.now().uptimeNanoseconds
                renderer.render(noise: .const)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            generator.profiler = nil
            let median = Statistics.percentile(times, 0.5), p99 = Statistics.percentile(times, 0.99)
            let flops = a.synthesisFLOPs()
            let total = flops.reduce(0, +)
            let achieved = total / (median / 1000) / 1e9
            let peak = sgemmPeak()
            let layers = zip(profiler.names, zip(profiler.nanoseconds, flops)).map { name, v -> [String: Any] in
                let ms = Double(v.0) / 1e6 / Double(count)
                return ["name": name, "ms": ms, "gflop": v.1 / 1e9, "gflops_per_second": ms > 0 ? v.1 / (ms / 1000) / 1e9 : 0]
            }
            let result: [String: Any] = [
                "model": generator.label, "untrained": generator.untrained, "resolution": a.imgResolution,
                "channel_base": a.channelBase, "channel_max": a.channelMax, "frames": count,
                "ms_per_frame_median": median, "ms_per_frame_p99": p99, "gflop_per_frame": total / 1e9,
                "gflops_per_second": achieved, "sgemm_peak_gflops_per_second": peak, "threads": ParallelGEMM.shared.threads, "ratio_to_peak": achieved / peak,
                "layers": layers,
            ]
            if json {
                FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys]))
                print()
                return
            }
            print("model: \(generator.label)\(generator.untrained ? " (UNTRAINED)" : ""), \(a.imgResolution) px, channel_base \(a.channelBase), channel_max \(a.channelMax)")
            print(String(format: "frame time: median %.2f ms, p99 %.2f ms over %d frames (%.1f fps)", median, p99, count, 1000 / median))
            print(String(format: "work: %.2f GFLOP per frame -> %.1f GFLOP/s achieved", total / 1e9, achieved))
            print(String(format: "sgemm peak on this machine (1024³, %d threads, same run): %.1f GFLOP/s; ratio %.2f", ParallelGEMM.shared.threads, peak, achieved / peak))
            print("per layer (ms per frame, GFLOP/s):")
            for l in layers {
                print(String(format: "  %-36@ %7.3f ms  %6.1f GFLOP/s", (l["name"] as! String) as NSString, l["ms"] as! Double, l["gflops_per_second"] as! Double))
            }
        }
    }

    /// Best of 5 square 1024³ sgemm calls through the same GEMM path (and threads) the generator uses.
    func sgemmPeak() -> Double {
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                ParallelGEMM.shared.multiply(m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
            } } }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
