import COpenBLAS
import Foundation
import Basics

/// The sizes of the envelope network: F z-scored audio features in, E envelopes out, an L-layer GRU of
/// H units in between. The thesis uses F = 58, H = 17, L = 4, E = 17.
public struct EnvelopeNetworkShape: Codable, Equatable, Sendable {
    public var inputs: Int
    public var hidden: Int
    public var layers: Int
    public var outputs: Int

    public init(inputs: Int, hidden: Int = 17, layers: Int = 4, outputs: Int = 17) {
        self.inputs = inputs
        self.hidden = hidden
        self.layers = layers
        self.outputs = outputs
    }

    public var parameterCount: Int { outputBias + outputs }

    // Offsets into the flat parameter array. The order is PyTorch's state_dict order for
    // Linear → GRU → Linear, every matrix row-major as (out, in), so a PyTorch checkpoint maps 1:1:
    //   input.weight  H×F, input.bias  H,
    //   for each layer l: weight_ih_l  3H×H, weight_hh_l  3H×H, bias_ih_l  3H, bias_hh_l  3H
    //                     (rows in gate order r, z, n),
    //   output.weight E×H, output.bias E.
    var inputWeight: Int { 0 }
    var inputBias: Int { hidden * inputs }
    var layerStride: Int { 6 * hidden * hidden + 6 * hidden }
    func weightIH(_ l: Int) -> Int { inputBias + hidden + l * layerStride }
    func weightHH(_ l: Int) -> Int { weightIH(l) + 3 * hidden * hidden }
    func biasIH(_ l: Int) -> Int { weightHH(l) + 3 * hidden * hidden }
    func biasHH(_ l: Int) -> Int { biasIH(l) + 3 * hidden }
    var outputWeight: Int { weightIH(layers) }
    var outputBias: Int { outputWeight + outputs * hidden }
}

/// Why a parameter array cannot become an envelope network.
public struct EnvelopeNetworkError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The thesis's envelope generator: Linear(F→H) + GELU → GRU (L layers, H units) → GELU → Linear(H→E).
/// Training runs `forward` then `backward` on whole batches; live use goes through `EnvelopeRunner`.
/// Not thread-safe: one forward or backward at a time per network (they reuse its scratch buffers).
public final class EnvelopeNetwork {
    public let shape: EnvelopeNetworkShape
    /// All weights and biases, in the order documented on `EnvelopeNetworkShape`'s offsets.
    public var parameters: [Double]

    /// PyTorch's default init, so training starts where the thesis's did: linears uniform(±1/√fan_in)
    /// for weight and bias, every GRU tensor uniform(±1/√H).
    public init(shape: EnvelopeNetworkShape, seed: UInt64) {
        precondition(shape.inputs > 0 && shape.hidden > 0 && shape.layers > 0 && shape.outputs > 0, "empty envelope network shape \(shape)")
        self.shape = shape
        var rng = SeededRandom(seed: seed)
        var p = [Double](repeating: 0, count: shape.parameterCount)
        func fill(_ range: Range<Int>, bound: Double) {
            for i in range { p[i] = (2 * rng.uniform() - 1) * bound }
        }
        let h = shape.hidden
        fill(0..<shape.weightIH(0), bound: 1 / Double(shape.inputs).squareRoot())
        fill(shape.weightIH(0)..<shape.outputWeight, bound: 1 / Double(h).squareRoot())
        fill(shape.outputWeight..<shape.parameterCount, bound: 1 / Double(h).squareRoot())
        parameters = p
    }

    /// A network from stored parameters (a checkpoint); refuses anything that could not have been trained.
    public init(shape: EnvelopeNetworkShape, parameters: [Double]) throws {
        guard shape.inputs > 0, shape.hidden > 0, shape.layers > 0, shape.outputs > 0 else {
            throw EnvelopeNetworkError("envelope network shape has a size that is not positive: inputs \(shape.inputs), hidden \(shape.hidden), layers \(shape.layers), outputs \(shape.outputs)")
        }
        guard parameters.count == shape.parameterCount else {
            throw EnvelopeNetworkError("envelope network has \(parameters.count) parameters, but its shape (inputs \(shape.inputs), hidden \(shape.hidden), layers \(shape.layers), outputs \(shape.outputs)) needs \(shape.parameterCount)")
        }
        if let bad = parameters.firstIndex(where: { !$0.isFinite }) {
            throw EnvelopeNetworkError("envelope network parameter \(bad) of \(parameters.count) is not finite (\(parameters[bad]))")
        }
        self.shape = shape
        self.parameters = parameters
    }

    /// What the backward pass needs from one forward pass. Everything is stored time-major (row t·B + b)
    /// so each GRU step works on one contiguous B-row block; only `outputs` is batch-major.
    public final class Trace {
        public let batch: Int
        public let steps: Int
        /// batch × steps × E, row-major.
        public var outputs: [Double]

        let shape: EnvelopeNetworkShape
        let rows: Int
        /// A copy of the parameters the forward pass used, so backward matches it even if the caller
        /// has updated `network.parameters` in between.
        let params: UnsafeMutablePointer<Double>
        let x: UnsafeMutablePointer<Double>      // rows × F
        let a0: UnsafeMutablePointer<Double>     // rows × H, input linear before GELU
        let u0: UnsafeMutablePointer<Double>     // rows × H, GELU(a0): layer 0's input
        let hs: UnsafeMutablePointer<Double>     // L × rows × H, each layer's hidden states
        let gates: UnsafeMutablePointer<Double>  // L × rows × 3H, r, z, n after their nonlinearities
        let hn: UnsafeMutablePointer<Double>     // L × rows × H, W_hn h + b_hn (what r multiplied)
        let top: UnsafeMutablePointer<Double>    // rows × H, GELU(last layer's h)
        let y: UnsafeMutablePointer<Double>      // rows × E, outputs before the batch-major copy
        let gh: UnsafeMutablePointer<Double>     // B × 3H scratch for one step's hidden projection
        /// Owns all of the above.
        fileprivate let storage: EnvelopeScratch

        static func size(_ s: EnvelopeNetworkShape, batch: Int, steps: Int) -> Int {
            let n = batch * steps, h = s.hidden
            return s.parameterCount + n * (s.inputs + 3 * h + 5 * h * s.layers + s.outputs) + batch * 3 * h
        }

        fileprivate init(shape: EnvelopeNetworkShape, batch: Int, steps: Int, parameters: [Double], storage: EnvelopeScratch) {
            self.shape = shape
            self.batch = batch
            self.steps = steps
            self.storage = storage
            rows = batch * steps
            let n = rows, h = shape.hidden, l = shape.layers
            outputs = [Double](repeating: 0, count: n * shape.outputs)
            let carve = storage.carver()
            let copy = carve(parameters.count)
            parameters.withUnsafeBufferPointer { copy.update(from: $0.baseAddress!, count: $0.count) }
            params = copy
            x = carve(n * shape.inputs)
            a0 = carve(n * h)
            u0 = carve(n * h)
            hs = carve(l * n * h)
            gates = carve(l * n * 3 * h)
            hn = carve(l * n * h)
            top = carve(n * h)
            y = carve(n * shape.outputs)
            gh = carve(batch * 3 * h)
        }
    }

    /// Reused buffers. A forward pass writes ~20 MB at the training size; fresh allocations that large
    /// come from mmap, and faulting their pages in cost a quarter of the time of a pass. So the network
    /// keeps the last trace's storage and reuses it once no Trace holds it any more, and keeps one
    /// backward scratch block. This makes a network unsafe to use from two threads at once.
    private var traceStorage: EnvelopeScratch?
    private var backwardStorage: EnvelopeScratch?

    private func storageForTrace(_ size: Int) -> EnvelopeScratch {
        if isKnownUniquelyReferenced(&traceStorage), let s = traceStorage, s.capacity >= size { return s }
        let s = EnvelopeScratch(capacity: size)
        traceStorage = s
        return s
    }

    /// inputs: batch × steps × F row-major (z-scored). Every sequence starts from a zero hidden state.
    public func forward(inputs: [Double], batch: Int, steps: Int) -> Trace {
        let s = shape
        precondition(batch > 0 && steps > 0, "forward needs at least one sequence of one step")
        precondition(inputs.count == batch * steps * s.inputs, "forward: \(inputs.count) inputs, expected \(batch)×\(steps)×\(s.inputs)")
        precondition(parameters.count == s.parameterCount, "parameters were resized to \(parameters.count), expected \(s.parameterCount)")
        let tr = Trace(shape: s, batch: batch, steps: steps, parameters: parameters,
                       storage: storageForTrace(Trace.size(s, batch: batch, steps: steps)))
        let f = s.inputs, h = s.hidden, g = 3 * h, e = s.outputs, n = tr.rows, p = UnsafePointer(tr.params)
        inputs.withUnsafeBufferPointer { src in
            for b in 0..<batch { for t in 0..<steps {
                (tr.x + (t * batch + b) * f).update(from: src.baseAddress! + (b * steps + t) * f, count: f)
            } }
        }
        // Input linear + GELU, for all rows at once.
        fillRows(tr.a0, rows: n, with: p + s.inputBias, width: h)
        gemm(false, true, n, h, f, tr.x, f, p + s.inputWeight, f, 1, tr.a0, h)
        for i in 0..<n * h { tr.u0[i] = EnvelopeMath.gelu(tr.a0[i]) }

        for l in 0..<s.layers {
            let u = l == 0 ? UnsafePointer(tr.u0) : UnsafePointer(tr.hs + (l - 1) * n * h)
            let gates = tr.gates + l * n * g, hn = tr.hn + l * n * h, hout = tr.hs + l * n * h
            let whh = p + s.weightHH(l), bhh = p + s.biasHH(l)
            // Input projections of every step in one GEMM; the loop below overwrites them with r, z, n.
            fillRows(gates, rows: n, with: p + s.biasIH(l), width: g)
            gemm(false, true, n, g, h, u, h, p + s.weightIH(l), h, 1, gates, g)
            for t in 0..<steps {
                fillRows(tr.gh, rows: batch, with: bhh, width: g)
                if t > 0 { gemm(false, true, batch, g, h, hout + (t - 1) * batch * h, h, whh, h, 1, tr.gh, g) }
                for b in 0..<batch {
                    let row = t * batch + b
                    let gi = gates + row * g, ghb = tr.gh + b * g, hnr = hn + row * h, hr = hout + row * h
                    let prev: UnsafeMutablePointer<Double>? = t > 0 ? hout + (row - batch) * h : nil
                    for j in 0..<h {
                        let r = EnvelopeMath.sigmoid(gi[j] + ghb[j])
                        let z = EnvelopeMath.sigmoid(gi[h + j] + ghb[h + j])
                        let nn = tanh(gi[2 * h + j] + r * ghb[2 * h + j])
                        hr[j] = (1 - z) * nn + z * (prev?[j] ?? 0)
                        gi[j] = r; gi[h + j] = z; gi[2 * h + j] = nn
                        hnr[j] = ghb[2 * h + j]
                    }
                }
            }
        }

        let last = tr.hs + (s.layers - 1) * n * h
        for i in 0..<n * h { tr.top[i] = EnvelopeMath.gelu(last[i]) }
        let y = tr.y
        fillRows(y, rows: n, with: p + s.outputBias, width: e)
        gemm(false, true, n, e, h, tr.top, h, p + s.outputWeight, h, 1, y, e)
        tr.outputs.withUnsafeMutableBufferPointer { out in
            for b in 0..<batch { for t in 0..<steps {
                (out.baseAddress! + (b * steps + t) * e).update(from: y + (t * batch + b) * e, count: e)
            } }
        }
        return tr
    }

    /// Backpropagation through time over the whole trace. outputGradient: dLoss/dOutputs, batch × steps × E.
    /// Returns dLoss/dParameters in the layout of `parameters`. When `inputGradient` is given, dLoss/dInputs
    /// (batch × steps × F) is written there, overwriting it.
    public func backward(_ trace: Trace, outputGradient: [Double], inputGradient: UnsafeMutablePointer<Double>? = nil) -> [Double] {
        let s = trace.shape, tr = trace
        let batch = tr.batch, steps = tr.steps, n = tr.rows
        let f = s.inputs, h = s.hidden, g = 3 * h, e = s.outputs, p = UnsafePointer(tr.params)
        precondition(s == shape, "backward: the trace comes from a network of another shape")
        precondition(outputGradient.count == n * e, "backward: \(outputGradient.count) output gradients, expected \(batch)×\(steps)×\(e)")

        // Scratch: dY, dGI / dGH (into the input / hidden pre-activations), the carried dh of one step, dX,
        // dH (gradient into the current layer's outputs) and dU (into its inputs).
        let size = n * (e + 2 * h + 2 * g + f) + batch * h
        if (backwardStorage?.capacity ?? 0) < size { backwardStorage = EnvelopeScratch(capacity: size) }
        let carve = backwardStorage!.carver()
        let dy = carve(n * e), dGI = carve(n * g), dGH = carve(n * g), carry = carve(batch * h), dx = carve(n * f)
        var dH = carve(n * h), dU = carve(n * h)

        var gradient = [Double](repeating: 0, count: s.parameterCount)
        gradient.withUnsafeMutableBufferPointer { gbuf in
            let gp = gbuf.baseAddress!
            outputGradient.withUnsafeBufferPointer { src in
                for b in 0..<batch { for t in 0..<steps {
                    (dy + (t * batch + b) * e).update(from: src.baseAddress! + (b * steps + t) * e, count: e)
                } }
            }
            // Output linear, then back through the top GELU.
            gemm(true, false, e, h, n, dy, e, tr.top, h, 1, gp + s.outputWeight, h)
            columnSums(dy, rows: n, width: e, into: gp + s.outputBias)
            gemm(false, false, n, h, e, dy, e, p + s.outputWeight, h, 0, dH, h)
            let last = tr.hs + (s.layers - 1) * n * h
            for i in 0..<n * h { dH[i] *= EnvelopeMath.geluDerivative(last[i]) }

            for l in stride(from: s.layers - 1, through: 0, by: -1) {
                let u = l == 0 ? UnsafePointer(tr.u0) : UnsafePointer(tr.hs + (l - 1) * n * h)
                let gates = tr.gates + l * n * g, hn = tr.hn + l * n * h, hout = tr.hs + l * n * h
                carry.update(repeating: 0, count: batch * h)
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    for b in 0..<batch {
                        let row = t * batch + b
                        let gr = gates + row * g, hnr = hn + row * h, dhr = dH + row * h, cb = carry + b * h
                        let dgi = dGI + row * g, dgh = dGH + row * g
                        let prev: UnsafeMutablePointer<Double>? = t > 0 ? hout + (row - batch) * h : nil
                        for j in 0..<h {
                            let r = gr[j], z = gr[h + j], nn = gr[2 * h + j]
                            let dh = dhr[j] + cb[j]
                            let dn = dh * (1 - z) * (1 - nn * nn)              // through tanh
                            let dz = dh * ((prev?[j] ?? 0) - nn) * z * (1 - z)   // through σ
                            let dr = dn * hnr[j] * r * (1 - r)
                            dgi[j] = dr; dgi[h + j] = dz; dgi[2 * h + j] = dn
                            dgh[j] = dr; dgh[h + j] = dz; dgh[2 * h + j] = dn * r
                            cb[j] = dh * z                                        // h' = … + z ⊙ h
                        }
                    }
                    // The rest of dLoss/dh_{t−1} flows through the hidden projection.
                    if t > 0 { gemm(false, false, batch, h, g, dGH + t * batch * g, g, p + s.weightHH(l), h, 1, carry, h) }
                }
                // Weight gradients for all steps at once; step 0 saw h = 0, so W_hh only gets steps ≥ 1.
                gemm(true, false, g, h, n, dGI, g, u, h, 1, gp + s.weightIH(l), h)
                if steps > 1 { gemm(true, false, g, h, n - batch, dGH + batch * g, g, hout, h, 1, gp + s.weightHH(l), h) }
                columnSums(dGI, rows: n, width: g, into: gp + s.biasIH(l))
                columnSums(dGH, rows: n, width: g, into: gp + s.biasHH(l))
                gemm(false, false, n, h, g, dGI, g, p + s.weightIH(l), h, 0, dU, h)
                swap(&dH, &dU)   // the gradient into this layer's input is the one into the layer below's output
            }

            // dH now holds dLoss/d(u0); back through the input GELU and linear.
            for i in 0..<n * h { dH[i] *= EnvelopeMath.geluDerivative(tr.a0[i]) }
            gemm(true, false, h, f, n, dH, h, tr.x, f, 1, gp + s.inputWeight, f)
            columnSums(dH, rows: n, width: h, into: gp + s.inputBias)
            if let dInputs = inputGradient {
                gemm(false, false, n, f, h, dH, h, p + s.inputWeight, f, 0, dx, f)
                for b in 0..<batch { for t in 0..<steps {
                    (dInputs + (b * steps + t) * f).update(from: dx + (t * batch + b) * f, count: f)
                } }
            }
        }
        return gradient
    }
}

/// The scalar functions shared by the batched passes and the runner, so both compute the same numbers.
enum EnvelopeMath {
    /// Exact GELU, 0.5·x·(1 + erf(x/√2)), as PyTorch's nn.GELU() default.
    @inline(__always) static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x * 0.7071067811865476)) }
    /// d/dx GELU = Φ(x) + x·φ(x).
    @inline(__always) static func geluDerivative(_ x: Double) -> Double {
        0.5 * (1 + erf(x * 0.7071067811865476)) + x * exp(-0.5 * x * x) * 0.3989422804014327
    }
    @inline(__always) static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
}

/// One block of doubles handed out in consecutive pieces (`carver`), freed as a whole.
private final class EnvelopeScratch {
    let capacity: Int
    let base: UnsafeMutablePointer<Double>

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        base.initialize(repeating: 0, count: capacity)
    }

    deinit { base.deallocate() }

    /// A function returning the next `count` doubles on each call.
    func carver() -> (Int) -> UnsafeMutablePointer<Double> {
        var next = 0
        return { [base, capacity] count in
            precondition(next + count <= capacity, "scratch block overrun")
            defer { next += count }
            return base + next
        }
    }
}

/// C = op(A)·op(B) + beta·C, row-major doubles.
@inline(__always)
private func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                  _ b: UnsafePointer<Double>, _ ldb: Int, _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// Every row of `dst` (rows × width) set to `bias`: the GEMMs then add onto it with beta = 1.
private func fillRows(_ dst: UnsafeMutablePointer<Double>, rows: Int, with bias: UnsafePointer<Double>, width: Int) {
    for r in 0..<rows { (dst + r * width).update(from: bias, count: width) }
}

/// dst[j] += Σ_rows src[row, j]: bias gradients.
private func columnSums(_ src: UnsafeMutablePointer<Double>, rows: Int, width: Int, into dst: UnsafeMutablePointer<Double>) {
    for r in 0..<rows {
        let row = src + r * width
        for j in 0..<width { dst[j] += row[j] }
    }
}
