import Basics
import Foundation
import LinearAlgebra

/// The StyleGAN2 generator of stylegan2-ada-pytorch ('skip' architecture) on the CPU.
///
/// Every buffer is allocated in `init`; `map` into a caller's buffer and `synthesize` allocate nothing,
/// so both can run in the live frame loop. Images are float32 CHW in roughly [-1, 1].
public final class Generator {
    public let architecture: GeneratorArchitecture
    public let label: String
    public let untrained: Bool
    /// The model's own resolution: more than `architecture.imgResolution` when it renders smaller
    /// (`--render-size`; the architecture is then that of the blocks that run).
    public let modelResolution: Int
    /// 4, 8, …, R, kept so that the frame loop never builds the array again.
    let resolutions: [Int]

    let mapping: [DenseLayer]
    let embed: DenseLayer?
    let wAverage: FloatBuffer
    let constInput: FloatBuffer
    let convs: [SynthesisLayer]      // in execution order: b4.conv1, b8.conv0, b8.conv1, …
    let toRGBs: [ToRGBLayer]         // one per block
    // Scratch, sized for the largest layer.
    let mappingA: FloatBuffer, mappingB: FloatBuffer
    let columns: FloatBuffer         // im2col of the input of a conv1 / GEMM output of a conv0
    let grid: FloatBuffer            // (2h+1)² planes of a transposed convolution
    let filterTemp: FloatBuffer
    let scaledInput: FloatBuffer
    let imageA: FloatBuffer, imageB: FloatBuffer

    public init(weights: GeneratorWeights) throws {
        try weights.validate(source: weights.label)
        let a = weights.architecture, t = weights.tensors
        for (name, tensor) in t where name.hasSuffix("resample_filter") {
            guard zip(tensor.values, Resampling.standardFilter).allSatisfy({ abs($0 - $1) < 1e-6 }) else {
                throw ArchitectureError(message: "\(weights.label): \(name) is not StyleGAN2's [1,3,3,1] filter")
            }
        }
        architecture = a; label = weights.label; untrained = weights.untrained
        modelResolution = weights.modelResolution
        resolutions = a.blockResolutions
        numWs = a.numWs
        imageCount = a.imgChannels * a.imgResolution * a.imgResolution
        mapping = (0..<a.mappingLayers).map {
            DenseLayer(weight: t["mapping.fc\($0).weight"]!, bias: t["mapping.fc\($0).bias"]!, lrMultiplier: a.mappingLrMultiplier, leakyReLU: true)
        }
        embed = a.cDim > 0 ? DenseLayer(weight: t["mapping.embed.weight"]!, bias: t["mapping.embed.bias"]!, lrMultiplier: 1, leakyReLU: false) : nil
        wAverage = FloatBuffer(t["mapping.w_avg"]!.values)
        constInput = FloatBuffer(t["synthesis.b4.const"]!.values)
        var convs = [SynthesisLayer](), toRGBs = [ToRGBLayer]()
        var wIndex = 0
        for r in a.blockResolutions {
            let b = "synthesis.b\(r)", c = a.channels(at: r)
            if r > 4 {
                convs.append(SynthesisLayer(name: "\(b).conv0", tensors: t, inChannels: a.channels(at: r / 2), outChannels: c,
                                            resolution: r, up: true, wIndex: wIndex, convClamp: a.convClamp))
                wIndex += 1
            }
            convs.append(SynthesisLayer(name: "\(b).conv1", tensors: t, inChannels: c, outChannels: c, resolution: r, up: false,
                                        wIndex: wIndex, convClamp: a.convClamp))
            wIndex += 1
            // ToRGB shares its w index with the next block's conv0.
            toRGBs.append(ToRGBLayer(name: "\(b).torgb", tensors: t, inChannels: c, outChannels: a.imgChannels, resolution: r,
                                     wIndex: wIndex, convClamp: a.convClamp))
        }
        self.convs = convs; self.toRGBs = toRGBs
        let widest = max(a.zDim + a.embedFeatures, a.wDim, a.mappingLayerFeatures, a.cDim)
        mappingA = FloatBuffer(count: widest); mappingB = FloatBuffer(count: widest)
        var columnSize = 0, gridSize = 0, tempSize = 0, scaledSize = 0
        for l in convs {
            let r = l.resolution
            if l.up {
                let h = r / 2
                columnSize = max(columnSize, l.outChannels * 9 * h * h)
                gridSize = max(gridSize, l.outChannels * (r + 1) * (r + 1))
                tempSize = max(tempSize, l.outChannels * (r + 1) * r)
                scaledSize = max(scaledSize, l.inChannels * h * h)
            } else {
                columnSize = max(columnSize, l.inChannels * 9 * r * r)
            }
        }
        let R = a.imgResolution
        tempSize = max(tempSize, a.imgChannels * R * R)
        columns = FloatBuffer(count: columnSize); grid = FloatBuffer(count: gridSize)
        filterTemp = FloatBuffer(count: tempSize); scaledInput = FloatBuffer(count: scaledSize)
        imageA = FloatBuffer(count: a.imgChannels * R * R); imageB = FloatBuffer(count: a.imgChannels * R * R)
        passes = SynthesisPasses(generator: self)
    }

    public let numWs: Int
    public let imageCount: Int
    /// Large GEMMs go to our own worker threads (see ParallelGEMM for why not OpenBLAS's).
    let gemm = ParallelGEMM.shared
    /// The element-wise passes, split over the same worker threads.
    private(set) var passes: SynthesisPasses!

    /// The conv layers that take noise, in order, with their resolutions (for the decoder's noise maps).
    public var noiseLayers: [(name: String, resolution: Int)] { convs.map { ($0.name, $0.resolution) } }

    /// The buffer (resolution²) that `NoiseMode.custom` reads for conv layer `layer`.
    public func noiseMap(layer: Int) -> UnsafeMutablePointer<Float> { convs[layer].noiseCustom.pointer }

    /// Takes over the trained values of `other`, a generator of the same architecture (a reloaded or
    /// retrained model, swapped in live between frames). Copies in place: nothing is allocated, the
    /// scratch and noise-map buffers others hold pointers to stay where they are.
    public func adoptWeights(of other: Generator) throws {
        guard other.architecture == architecture else {
            throw ArchitectureError(message: "\(other.label) has another architecture (\(other.architecture.imgResolution) px, \(other.numWs) ws) than the running \(label) (\(architecture.imgResolution) px, \(numWs) ws)")
        }
        for i in mapping.indices { mapping[i].copyParameters(from: other.mapping[i]) }
        if let embed, let theirs = other.embed { embed.copyParameters(from: theirs) }
        wAverage.copy(from: other.wAverage)
        constInput.copy(from: other.constInput)
        for i in convs.indices { convs[i].copyParameters(from: other.convs[i]) }
        for i in toRGBs.indices { toRGBs[i].copyParameters(from: other.toRGBs[i]) }
    }

    /// Writes the stored w average (wDim values) into `destination`: allocation-free.
    public func copyWAverage(into destination: UnsafeMutablePointer<Float>) { destination.update(from: wAverage.pointer, count: architecture.wDim) }

    /// The stored w average (the centre of truncation).
    public var wAverageValues: [Float] { Array(UnsafeBufferPointer(start: wAverage.pointer, count: architecture.wDim)) }

    // MARK: Mapping

    /// z (and a one-hot or soft class vector c for conditional models) → ws, numWs × wDim, with
    /// truncation ψ applied to the first `cutoff` ws (all when nil). Allocation-free.
    public func map(z: UnsafePointer<Float>, c: UnsafePointer<Float>? = nil, psi: Float = 1, cutoff: Int? = nil,
                    into ws: UnsafeMutablePointer<Float>) {
        let a = architecture
        var width = a.zDim
        for i in 0..<a.zDim { mappingA[i] = z[i] }
        normalizeSecondMoment(mappingA.pointer, count: a.zDim)
        if let embed {
            if let c { embed.forward(c, into: mappingB.pointer) } else { for i in 0..<embed.outputs { mappingB[i] = 0 } }
            normalizeSecondMoment(mappingB.pointer, count: embed.outputs)
            for i in 0..<embed.outputs { mappingA[a.zDim + i] = mappingB[i] }
            width += embed.outputs
        }
        var src = mappingA, dst = mappingB
        for layer in mapping {
            layer.forward(src.pointer, into: dst.pointer)
            swap(&src, &dst)
        }
        _ = width
        let truncated = min(cutoff ?? numWs, numWs)
        for k in 0..<numWs {
            let row = ws + k * a.wDim
            for j in 0..<a.wDim {
                let w = src[j]
                row[j] = (psi != 1 && k < truncated) ? wAverage[j] + psi * (w - wAverage[j]) : w
            }
        }
    }

    /// Convenience for tools and tests (allocates).
    public func map(z: [Float], c: [Float]? = nil, psi: Float = 1, cutoff: Int? = nil) -> [Float] {
        precondition(z.count == architecture.zDim)
        var ws = [Float](repeating: 0, count: numWs * architecture.wDim)
        z.withUnsafeBufferPointer { zp in
            ws.withUnsafeMutableBufferPointer { wp in
                if let c { c.withUnsafeBufferPointer { map(z: zp.baseAddress!, c: $0.baseAddress!, psi: psi, cutoff: cutoff, into: wp.baseAddress!) } }
                else { map(z: zp.baseAddress!, psi: psi, cutoff: cutoff, into: wp.baseAddress!) }
            }
        }
        return ws
    }

    // MARK: Synthesis

    /// When set, `synthesize` adds the nanoseconds spent in each stage to it (for `bench render`).
    public var profiler: LayerProfiler?

    @inline(__always)
    private func lap(_ stage: Int, since start: inout UInt64) {
        guard let profiler else { return }
        let now = LayerProfiler.now()
        profiler.nanoseconds[stage] += now - start
        start = now
    }

    /// ws (numWs × wDim) → image (imgChannels × R × R, CHW). Allocation-free.
    public func synthesize(ws: UnsafePointer<Float>, noise: NoiseMode, into image: UnsafeMutablePointer<Float>) {
        let a = architecture, wDim = a.wDim
        var x: UnsafePointer<Float> = UnsafePointer(constInput.pointer)
        var img: UnsafeMutablePointer<Float>? = nil
        var layerIndex = 0
        var clock = profiler != nil ? LayerProfiler.now() : 0
        for blockIndex in 0..<resolutions.count {
            let r = resolutions[blockIndex]
            // conv0 (up-sampling) in every block after the first, then conv1.
            for _ in 0..<(r > 4 ? 2 : 1) {
                x = run(convs[layerIndex], input: x, ws: ws, noise: noise)
                lap(layerIndex, since: &clock)
                layerIndex += 1
            }
            // The image path: up-sample the running image, add this block's ToRGB.
            let rgb = toRGBs[blockIndex]
            rgb.forward(x, w: ws + rgb.wIndex * wDim, gemm: gemm)
            let n = a.imgChannels * r * r
            let target = blockIndex == resolutions.count - 1 ? image : (blockIndex % 2 == 0 ? imageA.pointer : imageB.pointer)
            if let previous = img {
                Resampling.upsample(previous, channels: a.imgChannels, h: r / 2, temp: filterTemp.pointer, out: target)
                for i in 0..<n { target[i] += rgb.output[i] }
            } else {
                target.update(from: rgb.output.pointer, count: n)
            }
            img = target
            lap(convs.count + blockIndex, since: &clock)
        }
    }

    /// One modulated conv layer: styles and demodulation from its w, the convolution, then noise, bias,
    /// activation and clamp. Returns its output.
    private func run(_ l: SynthesisLayer, input x: UnsafePointer<Float>, ws: UnsafePointer<Float>, noise: NoiseMode) -> UnsafePointer<Float> {
        l.modulate(ws + l.wIndex * architecture.wDim)
        if l.up { upsamplingConvolution(l, input: x) } else { convolution(l, input: x) }
        passes.start(.finish, layer: l, input: x, noise: noise)
        return UnsafePointer(l.output.pointer)
    }

    /// 3×3 convolution, padding 1: im2col with the styles folded in, then one GEMM.
    private func convolution(_ l: SynthesisLayer, input x: UnsafePointer<Float>) {
        passes.start(.im2col, layer: l, input: x, noise: .none)
        let n = l.resolution * l.resolution
        gemm.multiply(m: l.outChannels, n: n, k: l.inChannels * 9, a: l.weight.pointer, lda: l.inChannels * 9,
                      b: columns.pointer, ldb: n, c: l.output.pointer, ldc: n)
    }

    /// im2col of input channels `channels`, each scaled by its style.
    func im2col(_ l: SynthesisLayer, input x: UnsafePointer<Float>, channels: Range<Int>) {
        let r = l.resolution, n = r * r
        let cols = columns.pointer
        for i in channels {
            let s = l.styles[i], plane = x + i * n
            for ky in 0..<3 { for kx in 0..<3 {
                let row = cols + (i * 9 + ky * 3 + kx) * n
                let dy = ky - 1, dx = kx - 1
                for y in 0..<r {
                    let sy = y + dy, dst = row + y * r
                    guard sy >= 0 && sy < r else { for xx in 0..<r { dst[xx] = 0 }; continue }
                    let src = plane + sy * r
                    let x0 = max(0, -dx), x1 = min(r, r - dx)
                    for xx in 0..<x0 { dst[xx] = 0 }
                    for xx in x0..<x1 { dst[xx] = src[xx + dx] * s }
                    for xx in x1..<r { dst[xx] = 0 }
                }
            } }
        }
    }

    /// Stride-2 transposed 3×3 convolution (one GEMM, then a scatter onto the (2h+1)² grid), then the FIR.
    private func upsamplingConvolution(_ l: SynthesisLayer, input x: UnsafePointer<Float>) {
        let h = l.resolution / 2, hw = h * h
        let xs = scaledInput.pointer
        for i in 0..<l.inChannels {
            let s = l.styles[i], src = x + i * hw, dst = xs + i * hw
            for p in 0..<hw { dst[p] = src[p] * s }
        }
        gemm.multiply(m: l.outChannels * 9, n: hw, k: l.inChannels, a: l.weight.pointer, lda: l.inChannels,
                      b: xs, ldb: hw, c: columns.pointer, ldc: hw)
        passes.start(.scatterAndFilter, layer: l, input: x, noise: .none)
    }

    /// Scatter of the GEMM's taps ([out·9][h²] in `columns`) onto the grid, then the FIR, for output
    /// channels `channels`.
    func scatterAndFilter(_ l: SynthesisLayer, channels: Range<Int>) {
        guard !channels.isEmpty else { return }
        let h = l.resolution / 2, hw = h * h, g = 2 * h + 1
        let taps = columns.pointer, gridPointer = grid.pointer
        (gridPointer + channels.lowerBound * g * g).update(repeating: 0, count: channels.count * g * g)
        for o in channels {
            let plane = gridPointer + o * g * g
            for ky in 0..<3 { for kx in 0..<3 {
                let t = taps + (o * 9 + ky * 3 + kx) * hw
                for y in 0..<h {
                    let dst = plane + (2 * y + ky) * g + kx, src = t + y * h
                    for xx in 0..<h { dst[2 * xx] += src[xx] }
                }
            } }
        }
        Resampling.filterTransposedGrid(gridPointer + channels.lowerBound * g * g, channels: channels.count, h: h,
                                        temp: filterTemp.pointer + channels.lowerBound * g * (2 * h),
                                        out: l.output.pointer + channels.lowerBound * (2 * h) * (2 * h))
    }

    /// Convenience: ws → image array (allocates).
    public func synthesize(ws: [Float], noise: NoiseMode = .const) -> [Float] {
        precondition(ws.count == numWs * architecture.wDim)
        var image = [Float](repeating: 0, count: imageCount)
        ws.withUnsafeBufferPointer { w in image.withUnsafeMutableBufferPointer { synthesize(ws: w.baseAddress!, noise: noise, into: $0.baseAddress!) } }
        return image
    }
}

/// Time per stage of the synthesis network: one slot per conv layer, then one per block's ToRGB and
/// image up-sampling.
public final class LayerProfiler {
    public let names: [String]
    public var nanoseconds: [UInt64]

    public init(generator: Generator) {
        names = generator.convs.map(\.name) + generator.architecture.blockResolutions.map { "synthesis.b\($0).torgb+upsample" }
        nanoseconds = [UInt64](repeating: 0, count: names.count)
    }

    public func reset() { for i in nanoseconds.indices { nanoseconds[i] = 0 } }

    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}

extension GeneratorArchitecture {
    /// Floating-point operations of one synthesis pass (multiply-adds × 2; up-sampling convs counted at
    /// their input resolution, as the spec's figures are), per stage in LayerProfiler order.
    public func synthesisFLOPs() -> [Double] {
        var convs = [Double](), rgbs = [Double]()
        for r in blockResolutions {
            let c = Double(channels(at: r)), rr = Double(r * r)
            if r > 4 { convs.append(2 * c * 9 * Double(channels(at: r / 2)) * rr / 4) }
            convs.append(2 * c * 9 * c * rr)
            rgbs.append(2 * Double(imgChannels) * c * rr)
        }
        return convs + rgbs
    }
}

/// The generator's element-wise passes as work for the worker threads: which pass, on which layer,
/// is set before each run (one object, reused every frame).
final class SynthesisPasses: ParallelWork {
    enum Kind { case im2col, scatterAndFilter, finish }
    unowned let generator: Generator
    var kind = Kind.finish
    unowned(unsafe) var layer: SynthesisLayer
    var input: UnsafePointer<Float>?
    var noise = NoiseMode.none

    init(generator: Generator) {
        self.generator = generator
        layer = generator.convs[0]
    }

    func start(_ kind: Kind, layer: SynthesisLayer, input: UnsafePointer<Float>, noise: NoiseMode) {
        self.kind = kind; self.layer = layer; self.input = input; self.noise = noise
        generator.gemm.run(self)
    }

    func work(part: Int) {
        let pool = generator.gemm
        switch kind {
        case .im2col: generator.im2col(layer, input: input!, channels: pool.range(part, of: layer.inChannels))
        case .scatterAndFilter: generator.scatterAndFilter(layer, channels: pool.range(part, of: layer.outChannels))
        case .finish: layer.finish(noise: noise, channels: pool.range(part, of: layer.outChannels))
        }
    }
}
