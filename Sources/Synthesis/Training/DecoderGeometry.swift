import Foundation
import LinearAlgebra

/// What the self-supervised loss needs to know of the decoder's outputs without materialising them:
/// per group the number of ws it is copied to and the Gram matrix of its palette; per driven noise
/// resolution the pixel count and, over the distinct noise phases the frames visit, the Gram matrix and
/// row sums of the unit noise ε. Loop noise repeats every `periodFrames`, so a whole song visits at most
/// that many distinct noise frames: the loss's cost does not grow with the song's pixels × frames.
public struct DecoderGeometry {
    public let layout: DecoderLayout
    public let frames: Int
    /// Per group (deep, middle, shallow): ws that carry its latent.
    public let groupCounts: [Int]
    /// Per group: K × K palette Gram.
    public let paletteGrams: [[Double]]
    public struct NoiseScale {
        public let pixels: Int
        /// Distinct noise frames (phases).
        public let phases: Int
        /// phases × phases: Σ_p ε(φ,p) ε(ψ,p) over the resolution's maps.
        public let gram: [Double]
        /// phases: Σ_p ε(φ,p).
        public let rowSums: [Double]
    }
    public let noise: [NoiseScale]
    /// Per frame: its noise phase index.
    public let phaseOfFrame: [Int]
    public var phases: Int { noise.first?.phases ?? 0 }

    /// - Parameter startFrame: the first frame of ε (training draws several windows so that no one
    ///   noise take is learned).
    public init(decoder: ParameterFreeDecoder, frames: Int, startFrame: Int = 0) {
        layout = decoder.layout
        self.frames = frames
        groupCounts = LayerGroup.allCases.map { decoder.groups.ws(of: $0).count }
        paletteGrams = LayerGroup.allCases.map { decoder.palette.gram($0) }
        let period = Int(decoder.noise.periodFrames.rounded())
        let periodic = Double(period) == decoder.noise.periodFrames && frames > period
        let phaseCount = periodic ? period : frames
        phaseOfFrame = (0..<frames).map { periodic ? (startFrame + $0) % period : $0 }
        let firstFrame = periodic ? 0 : startFrame
        noise = layout.drivenResolutions.map { r in
            let layers = decoder.groups.noiseResolutions.indices.filter { decoder.groups.noiseResolutions[$0] == r }
            let pixels = layers.reduce(0) { $0 + decoder.noise.layers[$1].pixels }
            var eps = [Float](repeating: 0, count: phaseCount * pixels)
            eps.withUnsafeMutableBufferPointer { e in
                for f in 0..<phaseCount {
                    var offset = 0
                    for l in layers {
                        decoder.noise.fill(layer: l, frame: Double(firstFrame + f), into: e.baseAddress! + f * pixels + offset)
                        offset += decoder.noise.layers[l].pixels
                    }
                }
            }
            let e64 = eps.map(Double.init)
            var gram = [Double](repeating: 0, count: phaseCount * phaseCount)
            e64.withUnsafeBufferPointer { e in
                DoubleGEMM.multiply(m: phaseCount, n: phaseCount, k: pixels, e.baseAddress!, e.baseAddress!, transposeB: true, into: &gram)
            }
            let rowSums = (0..<phaseCount).map { f in (0..<pixels).reduce(0.0) { $0 + e64[f * pixels + $1] } }
            return NoiseScale(pixels: pixels, phases: phaseCount, gram: gram, rowSums: rowSums)
        }
    }
}
