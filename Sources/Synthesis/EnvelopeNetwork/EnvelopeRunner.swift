import Foundation

/// The envelope network live: one step per video frame, the GRU's hidden state kept between calls.
/// It takes a copy of the parameters at init (later changes to `network.parameters` are not seen) and
/// preallocates every buffer, so `step` allocates nothing and is safe on the frame thread.
/// Plain loops, not BLAS: at batch 1 a matrix-vector product of this size is faster done inline, and
/// OpenBLAS is not promised to be allocation-free.
public final class EnvelopeRunner {
    public let shape: EnvelopeNetworkShape
    private let params: UnsafeMutablePointer<Double>
    private let hidden: UnsafeMutablePointer<Double>   // L × H, one state per layer
    private let u: UnsafeMutablePointer<Double>        // H, the current layer's input
    private let gi: UnsafeMutablePointer<Double>       // 3H, input projection
    private let gh: UnsafeMutablePointer<Double>       // 3H, hidden projection

    public init(network: EnvelopeNetwork) {
        shape = network.shape
        precondition(network.parameters.count == shape.parameterCount, "network parameters were resized to \(network.parameters.count), expected \(shape.parameterCount)")
        let h = shape.hidden
        let copy = UnsafeMutablePointer<Double>.allocate(capacity: shape.parameterCount)
        network.parameters.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: $0.count) }
        params = copy
        hidden = .allocate(capacity: shape.layers * h)
        hidden.initialize(repeating: 0, count: shape.layers * h)
        u = .allocate(capacity: h)
        u.initialize(repeating: 0, count: h)
        gi = .allocate(capacity: 3 * h)
        gi.initialize(repeating: 0, count: 3 * h)
        gh = .allocate(capacity: 3 * h)
        gh.initialize(repeating: 0, count: 3 * h)
    }

    deinit {
        params.deallocate(); hidden.deallocate(); u.deallocate(); gi.deallocate(); gh.deallocate()
    }

    /// Back to the zero hidden state every training sequence started from.
    public func reset() {
        hidden.update(repeating: 0, count: shape.layers * shape.hidden)
    }

    /// x: F z-scored features of this frame; y: receives the E envelopes.
    public func step(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        let s = shape, h = s.hidden, p = UnsafePointer(params)
        // The equations of `EnvelopeNetwork.forward`; only the summation order inside the dot products
        // differs (BLAS blocks them), so the two agree to rounding, not bit for bit.
        affine(p + s.inputWeight, p + s.inputBias, x, rows: h, columns: s.inputs, into: u)
        for j in 0..<h { u[j] = EnvelopeMath.gelu(u[j]) }
        for l in 0..<s.layers {
            let state = hidden + l * h
            affine(p + s.weightIH(l), p + s.biasIH(l), u, rows: 3 * h, columns: h, into: gi)
            affine(p + s.weightHH(l), p + s.biasHH(l), state, rows: 3 * h, columns: h, into: gh)
            for j in 0..<h {
                let r = EnvelopeMath.sigmoid(gi[j] + gh[j])
                let z = EnvelopeMath.sigmoid(gi[h + j] + gh[h + j])
                let n = tanh(gi[2 * h + j] + r * gh[2 * h + j])
                state[j] = (1 - z) * n + z * state[j]
                u[j] = state[j]
            }
        }
        for j in 0..<h { u[j] = EnvelopeMath.gelu(u[j]) }
        affine(p + s.outputWeight, p + s.outputBias, u, rows: s.outputs, columns: h, into: y)
    }

    /// out = W·v + b for a row-major rows × columns W.
    @inline(__always)
    private func affine(_ w: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ v: UnsafePointer<Double>,
                        rows: Int, columns: Int, into out: UnsafeMutablePointer<Double>) {
        for i in 0..<rows {
            let wr = w + i * columns
            var sum = 0.0
            for k in 0..<columns { sum += wr[k] * v[k] }
            out[i] = b[i] + sum
        }
    }
}
