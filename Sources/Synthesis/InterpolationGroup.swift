import Basics
import Features
import Foundation
import StyleGAN

/// The interpolation groups of thesis section 3.4: baselines and simple audio-reactive sequences used
/// by `latentvj render --synth` and the validation study.
public enum InterpolationGroup: String, CaseIterable, Sendable {
    /// Every frame an independent random latent and random noise.
    case none
    /// Random latents and noise, smoothed over time with a Gaussian.
    case random
    /// Latents bounce between two random latents with the onset strength; noise std scaled by onsets
    /// mapped to [0.5, 1.5].
    case onsets
    /// Latents and noise are chroma-weighted averages of 12 random latents / noise maps.
    case chroma
    /// The average of `onsets` and `chroma`.
    case onsetsChroma = "onsets+chroma"
}

/// Produces one frame's ws and noise maps for an interpolation group, driven by offline features.
public final class InterpolationSequence {
    public let group: InterpolationGroup
    public let frames: Int
    let generator: Generator
    let wDim: Int, numWs: Int
    let onsets: [Float]
    let chroma: [Float]             // frames × 12, L1 per frame
    let anchors: [[Float]]          // mapped w of random z: 2 for onsets, 12 for chroma
    var latentWalk: SmoothRandomSequence
    var noiseWalks: [SmoothRandomSequence]
    let noiseAnchors: [[[Float]]]   // [layer][12][r²]
    let scratchW: UnsafeMutablePointer<Float>
    let scratchNoise: UnsafeMutablePointer<Float>
    let scratchZ: UnsafeMutablePointer<Float>

    /// - Parameters:
    ///   - sigma: smoothing of the random walks in frames (the `random` group's σ; the others use it
    ///     for their smoothed noise).
    public init(group: InterpolationGroup, features: FeatureSet, generator: Generator, seed: UInt64,
                sigma: Double? = nil, psi: Float = 1) {
        self.group = group
        self.generator = generator
        frames = features.frames
        wDim = generator.architecture.wDim
        numWs = generator.numWs
        onsets = features["onsets"].map { Statistics.minMaxNormalized($0.values) } ?? [Float](repeating: 0, count: features.frames)
        var c = features["chroma"]?.values ?? [Float](repeating: 1, count: features.frames * 12)
        for k in 0..<features.frames {
            let total = (0..<12).reduce(Float(0)) { $0 + max(0, c[k * 12 + $1]) }
            for i in 0..<12 { c[k * 12 + i] = total > 1e-9 ? max(0, c[k * 12 + i]) / total : 1 / 12 }
        }
        chroma = c
        let smoothing = sigma ?? features.fps   // one second
        var rng = SeededRandom(seed: seed)
        let zDim = generator.architecture.zDim, width = generator.architecture.wDim
        var anchorList = [[Float]]()
        for _ in 0..<12 {
            let z = (0..<zDim).map { _ in Float(rng.normal()) }
            anchorList.append(Array(generator.map(z: z, psi: psi).prefix(width)))
        }
        anchors = anchorList
        latentWalk = SmoothRandomSequence(dims: zDim, sigma: group == .none ? 0 : smoothing, seed: seed &+ 1)
        noiseWalks = generator.noiseLayers.enumerated().map { i, layer in
            SmoothRandomSequence(dims: layer.resolution * layer.resolution, sigma: group == .none ? 0 : smoothing, seed: seed &+ 100 &+ UInt64(i))
        }
        var noiseList = [[[Float]]]()
        for layer in generator.noiseLayers {
            var maps = [[Float]]()
            for _ in 0..<12 { maps.append((0..<(layer.resolution * layer.resolution)).map { _ in Float(rng.normal()) }) }
            noiseList.append(maps)
        }
        noiseAnchors = noiseList
        scratchW = .allocate(capacity: generator.numWs * wDim)
        scratchZ = .allocate(capacity: zDim)
        let largest = generator.noiseLayers.map { $0.resolution * $0.resolution }.max() ?? 1
        scratchNoise = .allocate(capacity: largest)
        self.psi = psi
    }
    let psi: Float

    deinit { scratchW.deallocate(); scratchNoise.deallocate(); scratchZ.deallocate() }

    /// Writes frame k's ws (numWs × wDim) and fills the generator's custom noise maps.
    public func frame(_ k: Int, ws: UnsafeMutablePointer<Float>) {
        switch group {
        case .none, .random:
            latentWalk.value(at: k, into: scratchZ)
            generator.map(z: scratchZ, psi: psi, into: ws)
            for (i, layer) in generator.noiseLayers.enumerated() {
                noiseWalks[i].value(at: k, into: generator.noiseMap(layer: i))
                _ = layer
            }
        case .onsets:
            onsetLatent(k, into: ws)
            onsetNoise(k)
        case .chroma:
            chromaLatent(k, into: ws)
            chromaNoise(k, into: nil)
        case .onsetsChroma:
            onsetLatent(k, into: ws)
            chromaLatent(k, into: scratchW)
            for i in 0..<(numWs * wDim) { ws[i] = 0.5 * (ws[i] + scratchW[i]) }
            onsetNoise(k)
            // Average with the chroma noise layer by layer.
            for (i, layer) in generator.noiseLayers.enumerated() {
                let n = layer.resolution * layer.resolution
                chromaNoise(k, layer: i, into: scratchNoise)
                let map = generator.noiseMap(layer: i)
                for p in 0..<n { map[p] = 0.5 * (map[p] + scratchNoise[p]) }
            }
        }
    }

    private func broadcast(_ w: UnsafePointer<Float>, into ws: UnsafeMutablePointer<Float>) {
        for l in 1..<numWs { (ws + l * wDim).update(from: w, count: wDim) }
    }

    private func onsetLatent(_ k: Int, into ws: UnsafeMutablePointer<Float>) {
        let o = onsets[min(k, onsets.count - 1)]
        for j in 0..<wDim { ws[j] = anchors[0][j] + o * (anchors[1][j] - anchors[0][j]) }
        broadcast(ws, into: ws)
    }

    private func onsetNoise(_ k: Int) {
        let scale = 0.5 + onsets[min(k, onsets.count - 1)]
        for (i, layer) in generator.noiseLayers.enumerated() {
            let map = generator.noiseMap(layer: i)
            noiseWalks[i].value(at: k, into: map)
            for p in 0..<(layer.resolution * layer.resolution) { map[p] *= scale }
        }
    }

    private func chromaLatent(_ k: Int, into ws: UnsafeMutablePointer<Float>) {
        let weights = chroma[(min(k, frames - 1) * 12)...]
        ws.update(repeating: 0, count: wDim)
        for (c, anchor) in anchors.enumerated() {
            let g = weights[weights.startIndex + c]
            for j in 0..<wDim { ws[j] += g * anchor[j] }
        }
        broadcast(ws, into: ws)
    }

    private func chromaNoise(_ k: Int, into: UnsafeMutablePointer<Float>?) {
        for i in 0..<generator.noiseLayers.count { chromaNoise(k, layer: i, into: generator.noiseMap(layer: i)) }
    }

    /// A chroma-weighted average of 12 noise maps, rescaled to unit variance (a plain average of
    /// independent maps shrinks their spread, which would make the noise fade whenever harmony is broad).
    private func chromaNoise(_ k: Int, layer i: Int, into map: UnsafeMutablePointer<Float>) {
        let n = generator.noiseLayers[i].resolution * generator.noiseLayers[i].resolution
        let base = min(k, frames - 1) * 12
        map.update(repeating: 0, count: n)
        var sumSquares: Float = 0
        for c in 0..<12 {
            let g = chroma[base + c]
            sumSquares += g * g
            let anchor = noiseAnchors[i][c]
            for p in 0..<n { map[p] += g * anchor[p] }
        }
        let norm = 1 / max(sumSquares, 1e-12).squareRoot()
        for p in 0..<n { map[p] *= norm }
    }
}
