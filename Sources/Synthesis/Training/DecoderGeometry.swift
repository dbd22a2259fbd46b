import Foundation

/// What the self-supervised loss needs to know of the decoder's outputs without materialising them:
/// per group the number of ws it is copied to and the Gram matrix of its palette, per driven noise
/// resolution the pixel count and the Gram matrix and row sums of the unit noise ε over the sequence's
/// frames. The decoder's output matrix V (frames × every w value and every driven noise pixel) then
/// enters the loss only through its frames × frames Gram matrix K = V·Vᵀ, which these give exactly.
public struct DecoderGeometry {
    public let layout: DecoderLayout
    public let frames: Int
    /// Per group (deep, middle, shallow): ws that carry its latent.
    public let groupCounts: [Int]
    /// Per group: K × K palette Gram.
    public let paletteGrams: [[Double]]
    public struct NoiseScale {
        public let pixels: Int
        /// frames × frames: Σ_p ε(t,p) ε(u,p) over the resolution's maps.
        public let gram: [Double]
        /// frames: Σ_p ε(t,p).
        public let rowSums: [Double]
    }
    public let noise: [NoiseScale]

    /// - Parameters:
    ///   - startFrame: the first frame of ε (training draws several windows so no one noise take is learned).
    public init(decoder: ParameterFreeDecoder, frames: Int, startFrame: Int = 0) {
        layout = decoder.layout
        self.frames = frames
        groupCounts = LayerGroup.allCases.map { decoder.groups.ws(of: $0).count }
        paletteGrams = LayerGroup.allCases.map { decoder.palette.gram($0) }
        var scales = [NoiseScale]()
        for r in layout.drivenResolutions {
            let layers = decoder.groups.noiseResolutions.indices.filter { decoder.groups.noiseResolutions[$0] == r }
            let pixels = layers.reduce(0) { $0 + decoder.noise.layers[$1].pixels }
            var eps = [Float](repeating: 0, count: frames * pixels)
            eps.withUnsafeMutableBufferPointer { e in
                for t in 0..<frames {
                    var offset = 0
                    for l in layers {
                        decoder.noise.fill(layer: l, frame: Double(startFrame + t), into: e.baseAddress! + t * pixels + offset)
                        offset += decoder.noise.layers[l].pixels
                    }
                }
            }
            let e64 = eps.map(Double.init)
            var gram = [Double](repeating: 0, count: frames * frames)
            e64.withUnsafeBufferPointer { e in
                DoubleGEMM.multiply(m: frames, n: frames, k: pixels, e.baseAddress!, e.baseAddress!, transposeB: true, into: &gram)
            }
            let rowSums = (0..<frames).map { t in (0..<pixels).reduce(0.0) { $0 + e64[t * pixels + $1] } }
            scales.append(NoiseScale(pixels: pixels, gram: gram, rowSums: rowSums))
        }
        noise = scales
    }
}

import LinearAlgebra
