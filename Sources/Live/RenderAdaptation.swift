import Basics
import Foundation
import StyleGAN
import Synthesis

/// `--adapt`: degrade the picture, never the timing. Measured once at start on this machine: if a
/// frame (the decoder's write and the generator) does not fit its slot, the engine first stops driving
/// the finest noise layers (they keep a still grain), then renders at a smaller size (the synthesis
/// network stopped early), the largest that fits. What it chose, and why, is an event, a HUD line and a
/// field of `bench live`.
public struct RenderAdaptation: Sendable, Equatable {
    /// The model's own resolution, and the size chosen to render at.
    public var modelResolution: Int
    public var size: Int
    /// Noise layers written every frame, out of `noiseLayers` at the chosen size.
    public var drivenNoiseLayers: Int
    public var noiseLayers: Int
    /// The frame time aimed for (ms), and what was measured: per size tried, the median ms of a frame
    /// with every noise layer driven (and, at the model's size, with the finest ones still: `stillNoiseMs`).
    public var budgetMs: Double
    public var measuredMs: [Int: Double]
    public var stillNoiseMs: Double?
    /// True when even the smallest size does not fit (it is used all the same; the engine then drops frames).
    public var overBudget: Bool

    /// Nothing was given up.
    public var isFull: Bool { size == modelResolution && drivenNoiseLayers == noiseLayers }

    /// The frame time at the chosen setting.
    public var chosenMs: Double { (size == modelResolution && drivenNoiseLayers < noiseLayers ? stillNoiseMs : measuredMs[size]) ?? 0 }

    /// The line for people: what the model costs here, and what the engine does about it.
    public var text: String {
        let full = measuredMs[modelResolution] ?? 0
        let rate = String(format: "%.0f fps", 1000 / max(full, 1e-6))
        if isFull { return String(format: "adapt: this model renders at %@ here (%.1f ms a frame, budget %.1f ms): full size, every noise layer driven", rate, full, budgetMs) }
        var line = "adapt: this model renders at \(rate) here; "
        if size == modelResolution {
            line += "the finest noise stays still (\(drivenNoiseLayers) of \(noiseLayers) noise layers driven)"
        } else {
            line += "rendering at \(size) px instead of \(modelResolution)"
        }
        line += String(format: " (%.1f ms a frame, budget %.1f ms; --render-size to choose, --no-adapt for the full model)", chosenMs, budgetMs)
        if overBudget { line += "; even so it cannot hold the frame rate here: frames will be dropped, the timing holds" }
        return line
    }

    /// The HUD's short line.
    public var hudText: String {
        size == modelResolution ? "adapt: \(drivenNoiseLayers)/\(noiseLayers) noise layers driven" : "adapt: \(size) px of \(modelResolution)"
    }

    public var json: [String: Any] {
        ["model_resolution": modelResolution, "size": size, "driven_noise_layers": drivenNoiseLayers, "noise_layers": noiseLayers,
         "budget_ms": budgetMs, "measured_ms": Dictionary(uniqueKeysWithValues: measuredMs.map { (String($0.key), $0.value) }),
         "still_noise_ms": stillNoiseMs ?? NSNull(), "over_budget": overBudget]
    }

    /// The share of a frame's slot a frame may take: the rest is the main loop's (window, HUD,
    /// correlation), the audio server's and the machine's noise.
    public static let slotShare = 0.8

    /// The decision, from measurements. `measure(size, stillFinest)` returns a frame's ms at that size
    /// (with the finest noise resolution's layers still when `stillFinest`); `finestLayers` is how many
    /// noise layers the model has at its own resolution, `noiseLayers(size)` how many it has at a size.
    public static func choose(sizes: [Int], budgetMs: Double, noiseLayers: (Int) -> Int, finestLayers: Int,
                              measure: (_ size: Int, _ stillFinest: Bool) throws -> Double) rethrows -> RenderAdaptation {
        let full = sizes[0]
        var result = RenderAdaptation(modelResolution: full, size: full, drivenNoiseLayers: noiseLayers(full), noiseLayers: noiseLayers(full),
                                      budgetMs: budgetMs, measuredMs: [:], stillNoiseMs: nil, overBudget: false)
        let fullMs = try measure(full, false)
        result.measuredMs[full] = fullMs
        if fullMs <= budgetMs { return result }
        if finestLayers > 0 && finestLayers < result.noiseLayers {
            let still = try measure(full, true)
            result.stillNoiseMs = still
            if still <= budgetMs { result.drivenNoiseLayers = result.noiseLayers - finestLayers; return result }
        }
        for size in sizes.dropFirst() {
            let ms = try measure(size, false)
            result.measuredMs[size] = ms
            result.size = size
            result.drivenNoiseLayers = noiseLayers(size); result.noiseLayers = noiseLayers(size)
            if ms <= budgetMs { return result }
        }
        result.overBudget = true
        return result
    }

    /// Measures this model on this machine: for each size tried, a generator stopped there, a decoder
    /// as the engine makes it, and a few frames (decoder write + render) after a warm-up.
    public static func measure(weights: GeneratorWeights, setup: DecoderSetup, fps: Double, budgetMs: Double,
                               frames: Int = 5) throws -> RenderAdaptation {
        let a = weights.architecture
        // One noise layer in the 4 px block, two in every block after it (conv0 and conv1).
        func noiseLayers(at size: Int) -> Int { 2 * (size.trailingZeroBitCount - 2) + 1 }
        let finest = a.imgResolution > 4 ? 2 : 1
        return try choose(sizes: a.renderSizes, budgetMs: budgetMs, noiseLayers: noiseLayers, finestLayers: finest) { size, still in
            let generator = try Generator(weights: weights.rendered(at: size))
            let decoder = try setup.makeDecoder(generator: generator, fps: fps)
            if still { decoder.drivenNoiseLayers = generator.noiseLayers.count - finest }
            let renderer = FrameRenderer(backend: generator)
            var times = [Double]()
            for k in 0..<(frames + 2) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                decoder.write(time: Double(k), ws: renderer.ws)
                renderer.render()
                if k >= 2 { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
            }
            return Statistics.percentile(times, 0.5)
        }
    }
}
