import ArgumentParser
import Basics
import Foundation
import LinearAlgebra
import ModelFiles
import StyleGAN

struct BenchRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Milliseconds per frame of the generator, achieved GFLOP/s, and this machine's sgemm peak, in one run.",
        discussion: "Uses the untrained default model unless --model is given; ws are random, noise const. Reports where the time goes, per layer.")

    @OptionGroup var model: ModelOption

    @OptionGroup(title: "Instead of --model, a random untrained generator of a shape")
    var shape: ModelShapeOption

    @Flag(help: "Also time every render size the model allows (implied by --config and --size).")
    var allSizes = false

    @Option(help: "Frames to time (after 3 warm-up frames); big models stop after about 5 s of frames, 3 at least.")
    var frames = 60

    @Option(help: "With every size: the frame rate a size must hold to count as live (the table's last column).")
    var targetFps = 30.0

    @Option(help: "With every size: also write a contact sheet PNG (rows: random latents; columns: the full image, then each smaller render size).")
    var contactSheet: String?

    @Flag(help: "Print JSON (schema in Docs/benchmarks.md).")
    var json = false

    func run() throws {
        try reportingErrors {
            let full: GeneratorWeights
            if let a = try shape.architecture() {
                do { full = try DefaultModel.make(seed: 1, architecture: a) } catch { throw UsageError("\(error)") }
            } else {
                full = try ModelFile.load(path: model.model)
            }
            let size = model.renderSize ?? full.architecture.imgResolution
            let weights: GeneratorWeights
            do { weights = try full.rendered(at: size) } catch { throw UsageError("--render-size: \(error)") }
            let generator = try Generator(weights: weights)
            let a = generator.architecture
            let timing = Self.time(generator, frames: frames, profile: true)
            let flops = a.synthesisFLOPs()
            let total = flops.reduce(0, +)
            let achieved = total / (timing.median / 1000) / 1e9
            let peak = sgemmPeak()
            let layers = zip(timing.profiler!.names, zip(timing.profiler!.nanoseconds, flops)).map { name, v -> [String: Any] in
                let ms = Double(v.0) / 1e6 / Double(timing.count)
                return ["name": name, "ms": ms, "gflop": v.1 / 1e9, "gflops_per_second": ms > 0 ? v.1 / (ms / 1000) / 1e9 : 0]
            }
            // Every render size, largest first: what the model costs when it stops early.
            var sizes = [[String: Any]]()
            if allSizes || shape.config != nil || shape.size != nil || contactSheet != nil {
                let progress = Progress("timing every render size", total: Double(full.architecture.renderSizes.count), enabled: !json)
                let quality = try RenderSizeQuality(full: full)
                for (i, n) in full.architecture.renderSizes.enumerated() {
                    let g = n == size ? generator : try Generator(weights: full.rendered(at: n))
                    let t = n == size ? timing : Self.time(g, frames: frames, profile: false)
                    let gflop = g.architecture.synthesisFLOPs().reduce(0, +) / 1e9
                    let q = quality.compare(g)
                    sizes.append(["size": n, "ms_per_frame_median": t.median, "ms_per_frame_p99": t.p99, "fps": 1000 / t.median,
                                  "gflop_per_frame": gflop, "holds_target": 1000 / t.median >= targetFps,
                                  "psnr_db": q.psnr.isFinite ? q.psnr : NSNull(), "ssim": q.ssim])
                    progress.update(Double(i + 1))
                }
                progress.finish()
                if let contactSheet { try quality.writeContactSheet(to: contactSheet) }
            }
            let result: [String: Any] = [
                "model": generator.label, "untrained": generator.untrained, "resolution": a.imgResolution,
                "model_resolution": generator.modelResolution, "config": shape.config ?? NSNull(),
                "channel_base": a.channelBase, "channel_max": a.channelMax, "frames": timing.count,
                "ms_per_frame_median": timing.median, "ms_per_frame_p99": timing.p99, "gflop_per_frame": total / 1e9,
                "gflops_per_second": achieved, "sgemm_peak_gflops_per_second": peak, "threads": ParallelGEMM.shared.threads, "ratio_to_peak": achieved / peak,
                "layers": layers, "render_sizes": sizes, "target_fps": targetFps,
            ]
            if json {
                FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys]))
                print()
                return
            }
            let rendered = a.imgResolution == generator.modelResolution ? "\(a.imgResolution) px" : "rendered at \(a.imgResolution) px of \(generator.modelResolution)"
            print("model: \(generator.label)\(generator.untrained ? " (UNTRAINED)" : ""), \(rendered), channel_base \(a.channelBase), channel_max \(a.channelMax)")
            print(String(format: "frame time: median %.2f ms, p99 %.2f ms over %d frames (%.1f fps)", timing.median, timing.p99, timing.count, 1000 / timing.median))
            print(String(format: "work: %.2f GFLOP per frame -> %.1f GFLOP/s achieved", total / 1e9, achieved))
            print(String(format: "sgemm peak on this machine (1024³, %d threads, same run): %.1f GFLOP/s; ratio %.2f", ParallelGEMM.shared.threads, peak, achieved / peak))
            print("per layer (ms per frame, GFLOP/s):")
            for l in layers {
                print(String(format: "  %-36@ %7.3f ms  %6.1f GFLOP/s", (l["name"] as! String) as NSString, l["ms"] as! Double, l["gflops_per_second"] as! Double))
            }
            if !sizes.isEmpty {
                print(String(format: "every render size (synthesis stopped early; live at %.0f fps needs %.1f ms):", targetFps, 1000 / targetFps))
                print("  size    GFLOP   ms median   ms p99     fps   live   PSNR dB   SSIM  (against the full image downscaled to the size)")
                for row in sizes {
                    let psnr = (row["psnr_db"] as? Double).map { String(format: "%7.2f", $0) } ?? "      -"
                    print(String(format: "  %4d  %7.2f  %10.2f  %7.2f  %6.1f   %@   %@  %6.3f", row["size"] as! Int, row["gflop_per_frame"] as! Double,
                                 row["ms_per_frame_median"] as! Double, row["ms_per_frame_p99"] as! Double, row["fps"] as! Double,
                                 (row["holds_target"] as! Bool ? "yes" : "no ") as NSString, psnr as NSString, row["ssim"] as! Double))
                }
                if let contactSheet { print("contact sheet: \(contactSheet)") }
            }
        }
    }

    /// Times the render step every path uses (ws → generator → RGB) as a whole: 3 warm-up frames, then
    /// `frames`, or as many as about 5 s allow (3 at least); with `profile`, per layer too.
    static func time(_ generator: Generator, frames: Int, profile: Bool) -> (median: Double, p99: Double, count: Int, profiler: LayerProfiler?) {
        var rng = SeededRandom(seed: 5)
        let renderer = FrameRenderer(backend: generator)
        let z = (0..<generator.architecture.zDim).map { _ in Float(rng.normal()) }
        z.withUnsafeBufferPointer { generator.map(z: $0.baseAddress!, into: renderer.ws) }
        for _ in 0..<3 { renderer.render(noise: .const) }
        let profiler = profile ? LayerProfiler(generator: generator) : nil
        generator.profiler = profiler
        defer { generator.profiler = nil }
        var times = [Double]()
        let wanted = max(10, frames), started = DispatchTime.now().uptimeNanoseconds
        while times.count < wanted && (times.count < 3 || Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < 5) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            renderer.render(noise: .const)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        return (Statistics.percentile(times, 0.5), Statistics.percentile(times, 0.99), times.count, profiler)
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
