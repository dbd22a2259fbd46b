import Foundation
import StyleGAN

/// The performer's gains on the decoder: what the knobs move.
public struct DecoderGains: Equatable, Sendable {
    /// Per group (deep, middle, shallow): scales the motion around the group's home latent.
    public var amplitude: [Double] = [1, 1, 1]
    /// Per distinct noise resolution, ascending (4, 8, 16, …): scales that scale's noise.
    public var noiseSigma: [Double]
    /// Global reactivity: scales all latent motion and the noise envelopes' departure from neutral.
    public var intensity: Double = 1
    /// Truncation ψ towards the generator's average w.
    public var psi: Double = 1
    /// Softmax temperature of the latent weights (lower: one palette latent dominates).
    public var temperature: Double = 1
    /// One-pole smoothing of the envelopes, in seconds (0: off).
    public var smoothing: Double = 0
    /// Residual mode: motion is centred and re-added to the group's home latent (thesis Table 5.2).
    public var residual = true
    /// Home latent loops through the palette every this many bars (0: a fixed home, the palette mean).
    public var loopBars: Double = 0

    public init(noiseResolutionCount: Int) { noiseSigma = [Double](repeating: 1, count: noiseResolutionCount) }
}

/// The parameter-free decoder (thesis 4.2.1): envelopes in, ws and noise maps out. Per group, a softmax
/// over K envelopes weighs the group's K palette latents; per driven noise resolution, two envelopes
/// give the mean and standard deviation of temporally smooth unit noise. Offline rendering and the live
/// frame loop both use this class; `decode` allocates nothing.
public final class ParameterFreeDecoder {
    public let layout: DecoderLayout
    public let groups: LayerGroups
    public let palette: Palette
    public let noise: NoiseBank
    public let fps: Double
    public var gains: DecoderGains

    /// Where residual motion is measured from.
    public enum Centre {
        /// A running mean of the latent weights over this many seconds (live: the future is unknown).
        case running(seconds: Double)
        /// Fixed mean weights, 3·K values (offline: the whole sequence's mean, see `meanWeights`).
        case fixed([Double])
    }
    public var centre: Centre { didSet { centreStarted = false; installFixedCentre() } }

    private let generator: Generator
    /// The ws it writes: numWs × wDim, as the generator it was made for takes them.
    public let wDim: Int
    public var numWs: Int { groups.numWs }
    private let distinctResolutions: [Int]
    /// Per noise layer: index into the driven resolutions (or −1) and into `gains.noiseSigma`.
    private let drivenIndex: [Int], sigmaIndex: [Int]
    private let wAverage: UnsafeMutablePointer<Float>
    private let smoothed: UnsafeMutablePointer<Double>
    private let weights: UnsafeMutablePointer<Double>
    private let centreWeights: UnsafeMutablePointer<Double>
    private let w: UnsafeMutablePointer<Float>
    private var started = false, centreStarted = false
    /// Noise layers (in the generator's order, coarse first) whose maps are written every frame; the ones
    /// after them keep the map of their first frame (a still grain: `--adapt`'s first economy).
    public var drivenNoiseLayers: Int
    private let noiseWritten: UnsafeMutablePointer<Bool>

    public init(generator: Generator, layout: DecoderLayout = .standard, palette: Palette, noise: NoiseBank, fps: Double,
                centre: Centre = .running(seconds: 8)) throws {
        let resolutions = generator.noiseLayers.map(\.resolution)
        // A model rendered smaller (`--render-size`) lacks the layers above its size: their envelopes drive
        // nothing while it renders there. Any other missing resolution is a decoder made for another model.
        let stopped = generator.architecture.imgResolution, model = generator.modelResolution
        let missing = layout.drivenResolutions.filter { !resolutions.contains($0) && !($0 > stopped && $0 <= model) }
        guard missing.isEmpty else {
            throw DecoderError("the decoder drives noise at \(missing.map(String.init).joined(separator: ", ")) px, which \(generator.label) does not have")
        }
        guard palette.size == layout.paletteSize, palette.wDim == generator.architecture.wDim else {
            throw DecoderError("the palette has \(palette.size) latents of \(palette.wDim) values; the decoder needs \(layout.paletteSize) of \(generator.architecture.wDim)")
        }
        guard noise.layers.count == resolutions.count else { throw DecoderError("the noise bank has \(noise.layers.count) layers; the model has \(resolutions.count)") }
        self.generator = generator
        self.layout = layout
        self.palette = palette
        self.noise = noise
        self.fps = fps
        self.centre = centre
        groups = LayerGroups(numWs: generator.numWs, noiseResolutions: resolutions)
        wDim = generator.architecture.wDim
        let distinct = Array(Set(resolutions)).sorted()
        distinctResolutions = distinct
        drivenIndex = resolutions.map { layout.drivenResolutions.firstIndex(of: $0) ?? -1 }
        sigmaIndex = resolutions.map { distinct.firstIndex(of: $0)! }
        gains = DecoderGains(noiseResolutionCount: distinct.count)
        let average = UnsafeMutablePointer<Float>.allocate(capacity: generator.architecture.wDim)
        average.initialize(from: generator.wAverageValues, count: generator.architecture.wDim)
        wAverage = average
        let e = layout.envelopeCount
        smoothed = .allocate(capacity: e); smoothed.initialize(repeating: 0, count: e)
        weights = .allocate(capacity: 3 * layout.paletteSize); weights.initialize(repeating: 0, count: 3 * layout.paletteSize)
        centreWeights = .allocate(capacity: 3 * layout.paletteSize); centreWeights.initialize(repeating: 0, count: 3 * layout.paletteSize)
        w = .allocate(capacity: wDim)
        drivenNoiseLayers = resolutions.count
        noiseWritten = .allocate(capacity: max(1, resolutions.count)); noiseWritten.initialize(repeating: false, count: max(1, resolutions.count))
        installFixedCentre()
    }

    deinit { wAverage.deallocate(); smoothed.deallocate(); weights.deallocate(); centreWeights.deallocate(); w.deallocate(); noiseWritten.deallocate() }

    /// The generator took over another model's weights: truncation now centres on its w average.
    public func generatorWeightsChanged() { generator.copyWAverage(into: wAverage) }

    /// Distinct noise resolutions, ascending: the index space of `gains.noiseSigma`.
    public var noiseResolutions: [Int] { distinctResolutions }

    /// Forgets smoothing and running-mean state (a new song, a cut).
    public func reset() { started = false; centreStarted = false; installFixedCentre() }

    private func installFixedCentre() {
        guard case .fixed(let m) = centre else { return }
        precondition(m.count == 3 * layout.paletteSize)
        for i in 0..<m.count { centreWeights[i] = m[i] }
        centreStarted = true
    }

    /// Decodes one frame: `step` with these envelopes, then `write`. Offline, where every frame is
    /// rendered, this is the whole decoder.
    /// - Parameters:
    ///   - time: frames of musical time: the frame index offline; live, a count that stands still in
    ///     silence (see `BeatClock.activity`). Sets the noise phase.
    ///   - beat: beats since the start (drives the home loop when `gains.loopBars` > 0).
    public func decode(_ envelopes: UnsafePointer<Double>, time: Double, beat: Double = 0, ws: UnsafeMutablePointer<Float>) {
        step(envelopes)
        write(time: time, beat: beat, ws: ws)
    }

    /// Advances the decoder's state by one frame of audio (1/fps s): the envelope smoothing, the
    /// softmax weights and the running centre. Live, this runs once per feature row, on the music's
    /// clock, whether or not that row's picture is rendered: a late frame shows the state of the music
    /// now, and the smoothing's time constants are seconds of music, not of rendering.
    public func step(_ envelopes: UnsafePointer<Double>) {
        let e = layout.envelopeCount, k = layout.paletteSize
        if gains.smoothing > 0 && started {
            let beta = 1 - exp(-1 / (gains.smoothing * fps))
            for i in 0..<e { smoothed[i] += beta * (envelopes[i] - smoothed[i]) }
        } else {
            for i in 0..<e { smoothed[i] = envelopes[i] }
        }
        started = true

        // Latent weights: a softmax per group.
        let temperature = max(gains.temperature, 1e-3)
        for g in 0..<3 { Self.softmax(smoothed + g * k, count: k, temperature: temperature, into: weights + g * k) }
        if case .running(let seconds) = centre {
            if centreStarted {
                let alpha = 1 - exp(-1 / (max(seconds, 1 / fps) * fps))
                for i in 0..<(3 * k) { centreWeights[i] += alpha * (weights[i] - centreWeights[i]) }
            } else {
                for i in 0..<(3 * k) { centreWeights[i] = weights[i] }
                centreStarted = true
            }
        }
    }

    /// Writes the current state as a picture's inputs: numWs × wDim ws, and the generator's custom
    /// noise maps at musical time `time` (frames) and `beat`.
    public func write(time: Double, beat: Double = 0, ws: UnsafeMutablePointer<Float>) {
        let psi = Float(gains.psi)
        for group in LayerGroup.allCases {
            writeLatent(group, beat: beat)
            for j in 0..<wDim { w[j] = wAverage[j] + psi * (w[j] - wAverage[j]) }
            for l in groups.ws(of: group) { (ws + l * wDim).update(from: w, count: wDim) }
        }
        writeNoise(time: time)
    }

    /// w = home + amplitude · intensity · Σ_k (weight_k − centre_k) · palette_k
    private func writeLatent(_ group: LayerGroup, beat: Double) {
        let k = layout.paletteSize, g = group.index
        let latents = palette.latents[g]
        latents.withUnsafeBufferPointer { p in
            writeHome(group, beat: beat, palette: p.baseAddress!)
            let gain = gains.amplitude[g] * gains.intensity
            for i in 0..<k {
                let c = Float(gain * (weights[g * k + i] - centreWeights[g * k + i]))
                let row = p.baseAddress! + i * wDim
                for j in 0..<wDim { w[j] += c * row[j] }
            }
        }
    }

    /// The group's home: without residual mode, the centre weights' mix (so the output is exactly
    /// the softmax mix); in residual mode the palette mean, or a closed loop through the palette.
    private func writeHome(_ group: LayerGroup, beat: Double, palette p: UnsafePointer<Float>) {
        let k = layout.paletteSize, g = group.index
        w.update(repeating: 0, count: wDim)
        if !gains.residual {
            for i in 0..<k { let c = Float(centreWeights[g * k + i]); for j in 0..<wDim { w[j] += c * p[i * wDim + j] } }
        } else if gains.loopBars > 0 {
            ClosedSpline.evaluate(points: p, count: k, dims: wDim, phase: beat / (4 * gains.loopBars), into: w)
        } else {
            let c = Float(1) / Float(k)
            for i in 0..<k { for j in 0..<wDim { w[j] += c * p[i * wDim + j] } }
        }
    }

    private func writeNoise(time: Double) {
        let intensity = gains.intensity
        for (i, layer) in noise.layers.enumerated() {
            if i >= drivenNoiseLayers && noiseWritten[i] { continue }
            noiseWritten[i] = true
            let map = generator.noiseMap(layer: i)
            noise.fill(layer: i, frame: time, into: map)
            let scale = gains.noiseSigma[sigmaIndex[i]]
            var mean = 0.0, sigma = 1.0
            if drivenIndex[i] >= 0 {
                let (me, se) = layout.noiseEnvelopes(drivenIndex[i])
                mean = intensity * NoiseEnvelope.mean(smoothed[me])
                sigma = 1 + intensity * (NoiseEnvelope.sigma(smoothed[se]) - 1)
            }
            let a = Float(scale * sigma), b = Float(scale * mean)
            for p in 0..<layer.pixels { map[p] = b + a * map[p] }
        }
    }

    @inline(__always)
    static func softmax(_ x: UnsafePointer<Double>, count: Int, temperature: Double, into out: UnsafeMutablePointer<Double>) {
        var top = -Double.infinity
        for i in 0..<count { top = max(top, x[i] / temperature) }
        var sum = 0.0
        for i in 0..<count { out[i] = exp(x[i] / temperature - top); sum += out[i] }
        for i in 0..<count { out[i] /= sum }
    }

    /// The mean softmax weights of a whole envelope sequence (frames × E): the offline residual centre.
    public static func meanWeights(_ envelopes: [Double], frames: Int, layout: DecoderLayout, temperature: Double = 1) -> [Double] {
        let k = layout.paletteSize, e = layout.envelopeCount
        var mean = [Double](repeating: 0, count: 3 * k), s = [Double](repeating: 0, count: k)
        envelopes.withUnsafeBufferPointer { env in
            for t in 0..<frames {
                for g in 0..<3 {
                    s.withUnsafeMutableBufferPointer { softmax(env.baseAddress! + t * e + g * k, count: k, temperature: temperature, into: $0.baseAddress!) }
                    for i in 0..<k { mean[g * k + i] += s[i] / Double(max(frames, 1)) }
                }
            }
        }
        return mean
    }
}

public struct DecoderError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
