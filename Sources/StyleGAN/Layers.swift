import Foundation
import LinearAlgebra

/// A fully connected layer with its equalised-learning-rate gains folded into the stored weights once.
final class DenseLayer {
    let inputs: Int, outputs: Int
    let weight: FloatBuffer     // outputs × inputs, already × lr_mul / sqrt(inputs)
    let bias: FloatBuffer       // already × lr_mul
    let leakyReLU: Bool

    init(weight w: Tensor, bias b: Tensor, lrMultiplier: Float, leakyReLU: Bool) {
        outputs = w.shape[0]; inputs = w.shape[1]
        let gain = lrMultiplier / Float(inputs).squareRoot()
        weight = FloatBuffer(w.values.map { $0 * gain })
        bias = FloatBuffer(b.values.map { $0 * lrMultiplier })
        self.leakyReLU = leakyReLU
    }

    /// Takes over another model's trained values (same shape; see `Generator.adoptWeights`).
    func copyParameters(from other: DenseLayer) { weight.copy(from: other.weight); bias.copy(from: other.bias) }

    @inline(__always)
    func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        ParallelGEMM.shared.multiplyVector(m: outputs, n: inputs, a: weight.pointer, x: x, y: y)
        let sqrt2 = Float(2).squareRoot()
        for o in 0..<outputs {
            let v = y[o] + bias[o]
            y[o] = leakyReLU ? (v < 0 ? 0.2 * v : v) * sqrt2 : v
        }
    }
}

/// Scales every element so that the mean square is 1 (StyleGAN's normalize_2nd_moment, eps 1e-8).
@inline(__always)
func normalizeSecondMoment(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var sum: Float = 0
    for i in 0..<count { sum += x[i] * x[i] }
    let scale = 1 / (sum / Float(count) + 1e-8).squareRoot()
    for i in 0..<count { x[i] *= scale }
}

/// Where a layer's noise comes from for one frame.
public enum NoiseMode: String, Sendable, CaseIterable {
    /// The `noise_const` buffers stored in the checkpoint (deterministic).
    case const
    /// No noise at all.
    case none
    /// The per-layer maps the caller wrote into `Generator.noiseMap(layer:)` (the decoder's noise).
    case custom
}

/// A modulated 3×3 convolution layer (conv0 with ×2 up-sampling, or conv1), with its noise, bias,
/// leaky ReLU and clamp. Modulation scales the input channels, demodulation the output channels, so the
/// stored weights are never rebuilt per frame.
final class SynthesisLayer {
    let name: String
    let inChannels: Int, outChannels: Int
    let resolution: Int          // output resolution
    let up: Bool
    let wIndex: Int
    let affine: DenseLayer
    /// conv1: [out][in·9] as stored. conv0: transposed to [out·9][in] for the transposed-conv GEMM.
    let weight: FloatBuffer
    /// Σ over the 3×3 taps of W², [out][in]: demodulation becomes one matrix-vector product per frame.
    let weightSquares: FloatBuffer
    let bias: FloatBuffer
    private(set) var noiseStrength: Float
    let noiseConst: FloatBuffer
    let noiseCustom: FloatBuffer
    let convClamp: Float?

    let styles: FloatBuffer, stylesSquared: FloatBuffer, demod: FloatBuffer
    let output: FloatBuffer

    init(name: String, tensors t: [String: Tensor], inChannels: Int, outChannels: Int, resolution: Int, up: Bool,
         wIndex: Int, convClamp: Float?) {
        self.name = name; self.inChannels = inChannels; self.outChannels = outChannels
        self.resolution = resolution; self.up = up; self.wIndex = wIndex; self.convClamp = convClamp
        affine = DenseLayer(weight: t["\(name).affine.weight"]!, bias: t["\(name).affine.bias"]!, lrMultiplier: 1, leakyReLU: false)
        let w = t["\(name).weight"]!.values
        var squares = [Float](repeating: 0, count: outChannels * inChannels)
        for o in 0..<outChannels { for i in 0..<inChannels {
            var s: Float = 0
            for k in 0..<9 { let v = w[(o * inChannels + i) * 9 + k]; s += v * v }
            squares[o * inChannels + i] = s
        } }
        weightSquares = FloatBuffer(squares)
        if up {
            var transposed = [Float](repeating: 0, count: w.count)
            for o in 0..<outChannels { for i in 0..<inChannels { for k in 0..<9 {
                transposed[(o * 9 + k) * inChannels + i] = w[(o * inChannels + i) * 9 + k]
            } } }
            weight = FloatBuffer(transposed)
        } else {
            weight = FloatBuffer(w)
        }
        bias = FloatBuffer(t["\(name).bias"]!.values)
        noiseStrength = t["\(name).noise_strength"]!.values[0]
        noiseConst = FloatBuffer(t["\(name).noise_const"]!.values)
        noiseCustom = FloatBuffer(count: resolution * resolution)
        styles = FloatBuffer(count: inChannels); stylesSquared = FloatBuffer(count: inChannels)
        demod = FloatBuffer(count: outChannels)
        output = FloatBuffer(count: outChannels * resolution * resolution)
    }

    func copyParameters(from other: SynthesisLayer) {
        affine.copyParameters(from: other.affine)
        weight.copy(from: other.weight); weightSquares.copy(from: other.weightSquares); bias.copy(from: other.bias)
        noiseConst.copy(from: other.noiseConst)
        noiseStrength = other.noiseStrength
    }

    /// Styles from w, and the demodulation coefficients d[o] = 1/sqrt(Σ_i Σ_k (W[o,i,k] s_i)² + 1e-8).
    @inline(__always)
    func modulate(_ w: UnsafePointer<Float>) {
        affine.forward(w, into: styles.pointer)
        for i in 0..<inChannels { stylesSquared[i] = styles[i] * styles[i] }
        ParallelGEMM.shared.multiplyVector(m: outChannels, n: inChannels, a: weightSquares.pointer, x: stylesSquared.pointer, y: demod.pointer)
        for o in 0..<outChannels { demod[o] = 1 / (demod[o] + 1e-8).squareRoot() }
    }

    /// Demodulation, noise, bias, leaky ReLU × √2 and clamp, in one pass over the conv output.
    @inline(__always)
    func finish(noise mode: NoiseMode, channels: Range<Int>) {
        let n = resolution * resolution
        let noise: UnsafePointer<Float>? = mode == .none ? nil : UnsafePointer(mode == .const ? noiseConst.pointer : noiseCustom.pointer)
        let gain = Float(2).squareRoot()
        let limit = convClamp ?? .infinity
        for o in channels {
            let row = output.pointer + o * n
            let d = demod[o], b = bias[o]
            if let noise {
                for p in 0..<n { row[p] = row[p] * d + noiseStrength * noise[p] }
                for p in 0..<n { var v = row[p] + b; v = (v < 0 ? 0.2 * v : v) * gain; row[p] = min(max(v, -limit), limit) }
            } else {
                for p in 0..<n { var v = row[p] * d + b; v = (v < 0 ? 0.2 * v : v) * gain; row[p] = min(max(v, -limit), limit) }
            }
        }
    }
}

/// ToRGB: a modulated 1×1 convolution without demodulation, bias, clamp.
final class ToRGBLayer {
    let inChannels: Int, outChannels: Int, resolution: Int, wIndex: Int
    let affine: DenseLayer
    let weight: FloatBuffer          // [out][in]
    let bias: FloatBuffer
    let modulated: FloatBuffer       // weight × styles, rebuilt per frame (out × in is tiny)
    let styles: FloatBuffer
    let output: FloatBuffer
    let convClamp: Float?

    init(name: String, tensors t: [String: Tensor], inChannels: Int, outChannels: Int, resolution: Int, wIndex: Int, convClamp: Float?) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.resolution = resolution
        self.wIndex = wIndex; self.convClamp = convClamp
        affine = DenseLayer(weight: t["\(name).affine.weight"]!, bias: t["\(name).affine.bias"]!, lrMultiplier: 1, leakyReLU: false)
        weight = FloatBuffer(t["\(name).weight"]!.values)
        bias = FloatBuffer(t["\(name).bias"]!.values)
        modulated = FloatBuffer(count: outChannels * inChannels)
        styles = FloatBuffer(count: inChannels)
        output = FloatBuffer(count: outChannels * resolution * resolution)
    }

    func copyParameters(from other: ToRGBLayer) {
        affine.copyParameters(from: other.affine); weight.copy(from: other.weight); bias.copy(from: other.bias)
    }

    func forward(_ x: UnsafePointer<Float>, w: UnsafePointer<Float>, gemm: ParallelGEMM) {
        affine.forward(w, into: styles.pointer)
        let weightGain = 1 / Float(inChannels).squareRoot()
        for o in 0..<outChannels { for i in 0..<inChannels {
            modulated[o * inChannels + i] = weight[o * inChannels + i] * (styles[i] * weightGain)
        } }
        let n = resolution * resolution
        gemm.multiply(m: outChannels, n: n, k: inChannels, a: modulated.pointer, lda: inChannels, b: x, ldb: n,
                      c: output.pointer, ldc: n)
        let limit = convClamp ?? .infinity
        for o in 0..<outChannels {
            let row = output.pointer + o * n, b = bias[o]
            for p in 0..<n { row[p] = min(max(row[p] + b, -limit), limit) }
        }
    }
}
