import AllocationCounter
import Basics
import Foundation
import Synthesis
import TestSupport
import XCTest

/// The envelope network: gradients against finite differences, forward against the PyTorch equations
/// written out independently, the runner against forward, Adam and the schedule against their definitions.
final class EnvelopeNetworkTests: TimeLimitedTestCase {
    // MARK: helpers

    func randoms(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in rng.normal() * scale }
    }

    /// loss = Σ outputs ⊙ R, so dLoss/dOutputs = R.
    func loss(_ net: EnvelopeNetwork, _ x: [Double], _ weights: [Double], batch: Int, steps: Int) -> Double {
        zip(net.forward(inputs: x, batch: batch, steps: steps).outputs, weights).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Worst disagreement between analytic and central-difference gradients, relative to their size, with
    /// an absolute floor for gradients near zero where the difference quotient's rounding dominates.
    func worstError(analytic: Double, numeric: Double) -> Double {
        abs(analytic - numeric) / max(1e-4, abs(analytic) + abs(numeric))
    }

    /// Checks `indices` of the parameter gradient (all when nil) by central differences, h = 1e-6.
    func checkParameterGradient(_ shape: EnvelopeNetworkShape, batch: Int, steps: Int, indices: [Int]? = nil, seed: UInt64,
                                file: StaticString = #filePath, line: UInt = #line) {
        let net = EnvelopeNetwork(shape: shape, seed: seed)
        // Larger-than-init weights so every nonlinearity works away from its linear region.
        net.parameters = net.parameters.map { $0 * 2 }
        let x = randoms(batch * steps * shape.inputs, seed: seed + 1)
        let weights = randoms(batch * steps * shape.outputs, seed: seed + 2)
        let analytic = net.backward(net.forward(inputs: x, batch: batch, steps: steps), outputGradient: weights)
        XCTAssertEqual(analytic.count, shape.parameterCount, file: file, line: line)
        let h = 1e-6
        var worst = 0.0, worstIndex = -1, nonzero = 0
        for i in indices ?? Array(0..<shape.parameterCount) {
            let saved = net.parameters[i]
            net.parameters[i] = saved + h
            let up = loss(net, x, weights, batch: batch, steps: steps)
            net.parameters[i] = saved - h
            let down = loss(net, x, weights, batch: batch, steps: steps)
            net.parameters[i] = saved
            let numeric = (up - down) / (2 * h)
            if abs(numeric) > 1e-3 { nonzero += 1 }
            let error = worstError(analytic: analytic[i], numeric: numeric)
            if error > worst { worst = error; worstIndex = i }
        }
        XCTAssertLessThan(worst, 1e-5, "parameter \(worstIndex): analytic \(worstIndex >= 0 ? analytic[worstIndex] : 0)", file: file, line: line)
        // A check that passes because every gradient is zero proves nothing.
        XCTAssertGreaterThan(nonzero, (indices?.count ?? shape.parameterCount) / 2, "most gradients should be clearly nonzero", file: file, line: line)
    }

    // MARK: 1–3 gradients

    func testParameterGradientMatchesFiniteDifferencesEverywhere() {
        checkParameterGradient(EnvelopeNetworkShape(inputs: 5, hidden: 4, layers: 2, outputs: 3), batch: 2, steps: 7, seed: 11)
    }

    func testInputGradientMatchesFiniteDifferences() {
        let shape = EnvelopeNetworkShape(inputs: 5, hidden: 4, layers: 2, outputs: 3)
        let (batch, steps) = (2, 7)
        let net = EnvelopeNetwork(shape: shape, seed: 5)
        net.parameters = net.parameters.map { $0 * 2 }
        var x = randoms(batch * steps * shape.inputs, seed: 6)
        let weights = randoms(batch * steps * shape.outputs, seed: 7)
        var dx = [Double](repeating: .nan, count: x.count)
        let dp = dx.withUnsafeMutableBufferPointer {
            net.backward(net.forward(inputs: x, batch: batch, steps: steps), outputGradient: weights, inputGradient: $0.baseAddress!)
        }
        // Asking for input gradients must not change the parameter gradients.
        XCTAssertEqual(dp, net.backward(net.forward(inputs: x, batch: batch, steps: steps), outputGradient: weights))
        var worst = 0.0
        for i in 0..<x.count {
            let saved = x[i]
            x[i] = saved + 1e-6
            let up = loss(net, x, weights, batch: batch, steps: steps)
            x[i] = saved - 1e-6
            let down = loss(net, x, weights, batch: batch, steps: steps)
            x[i] = saved
            worst = max(worst, worstError(analytic: dx[i], numeric: (up - down) / 2e-6))
        }
        XCTAssertLessThan(worst, 1e-5)
        // Causality: the input at the last step cannot affect earlier outputs, so with R nonzero only
        // before it, its gradient is zero.
        var early = weights
        for b in 0..<batch { for e in 0..<shape.outputs { early[(b * steps + steps - 1) * shape.outputs + e] = 0 } }
        dx.withUnsafeMutableBufferPointer {
            _ = net.backward(net.forward(inputs: x, batch: batch, steps: steps), outputGradient: early, inputGradient: $0.baseAddress!)
        }
        for b in 0..<batch { for f in 0..<shape.inputs { XCTAssertEqual(dx[(b * steps + steps - 1) * shape.inputs + f], 0) } }
    }

    func testOneLayerGRUGradient() {
        checkParameterGradient(EnvelopeNetworkShape(inputs: 3, hidden: 5, layers: 1, outputs: 2), batch: 3, steps: 6, seed: 21)
    }

    func testDefaultShapeGradientSpotCheck() {
        let shape = EnvelopeNetworkShape(inputs: 58)
        var rng = SeededRandom(seed: 99)
        let indices = (0..<200).map { _ in Int(rng.next() % UInt64(shape.parameterCount)) }
        checkParameterGradient(shape, batch: 2, steps: 5, indices: indices, seed: 31)
    }

    func testSingleStepGradient() {
        // steps = 1 takes the "no previous hidden state" paths only (no W_hh GEMM in either direction).
        checkParameterGradient(EnvelopeNetworkShape(inputs: 3, hidden: 4, layers: 2, outputs: 2), batch: 2, steps: 1, indices: nil, seed: 41)
    }

    // MARK: forward against the equations

    /// The PyTorch equations written out with scalar loops and the documented parameter order, independent
    /// of the network's offsets and BLAS calls: checks layout, gate order and both GELUs.
    func testForwardMatchesReferenceEquations() throws {
        let (f, h, l, e, steps) = (4, 3, 2, 2, 6)
        let shape = EnvelopeNetworkShape(inputs: f, hidden: h, layers: l, outputs: e)
        let p = randoms(shape.parameterCount, seed: 3, scale: 0.7)
        let net = try EnvelopeNetwork(shape: shape, parameters: p)
        let x = randoms(steps * f, seed: 4)
        let y = net.forward(inputs: x, batch: 1, steps: steps).outputs

        var cursor = 0
        func take(_ n: Int) -> [Double] { defer { cursor += n }; return Array(p[cursor..<cursor + n]) }
        func matvec(_ w: [Double], _ b: [Double], _ v: [Double]) -> [Double] {
            var out = b
            for i in 0..<b.count { for k in 0..<v.count { out[i] += w[i * v.count + k] * v[k] } }
            return out
        }
        func gelu(_ v: Double) -> Double { 0.5 * v * (1 + erf(v / 2.0.squareRoot())) }
        func sigma(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        let inW = take(h * f), inB = take(h)
        var gru = [(wih: [Double], whh: [Double], bih: [Double], bhh: [Double])]()
        for _ in 0..<l { gru.append((take(3 * h * h), take(3 * h * h), take(3 * h), take(3 * h))) }
        let outW = take(e * h), outB = take(e)
        XCTAssertEqual(cursor, shape.parameterCount)

        var state = [[Double]](repeating: [Double](repeating: 0, count: h), count: l)
        for t in 0..<steps {
            var u = matvec(inW, inB, Array(x[t * f..<(t + 1) * f])).map(gelu)
            for k in 0..<l {
                let a = matvec(gru[k].wih, gru[k].bih, u), b = matvec(gru[k].whh, gru[k].bhh, state[k])
                for j in 0..<h {
                    let r = sigma(a[j] + b[j]), z = sigma(a[h + j] + b[h + j])
                    let n = tanh(a[2 * h + j] + r * b[2 * h + j])
                    state[k][j] = (1 - z) * n + z * state[k][j]
                }
                u = state[k]
            }
            let out = matvec(outW, outB, u.map(gelu))
            for j in 0..<e { XCTAssertEqual(y[t * e + j], out[j], accuracy: 1e-12, "step \(t) output \(j)") }
        }
        XCTAssertEqual(gelu(1), 0.8413447460685429, accuracy: 1e-15)   // the exact, not tanh-approximated, GELU
    }

    func testBatchRowsAreIndependent() {
        // A sequence's outputs must not depend on which other sequences share its batch.
        let shape = EnvelopeNetworkShape(inputs: 4, hidden: 5, layers: 2, outputs: 3)
        let net = EnvelopeNetwork(shape: shape, seed: 8)
        let steps = 9
        let x = randoms(3 * steps * 4, seed: 9)
        let all = net.forward(inputs: x, batch: 3, steps: steps).outputs
        let second = net.forward(inputs: Array(x[steps * 4..<2 * steps * 4]), batch: 1, steps: steps).outputs
        for i in 0..<second.count { XCTAssertEqual(all[steps * 3 + i], second[i], accuracy: 1e-13) }
    }

    /// The network reuses a trace's buffers once nothing holds that trace: a trace still held must keep
    /// its values through later passes, of any size, and through parameter updates.
    func testTracesSurviveLaterPassesAndUpdates() {
        let shape = EnvelopeNetworkShape(inputs: 4, hidden: 5, layers: 2, outputs: 3)
        let net = EnvelopeNetwork(shape: shape, seed: 14)
        let (batch, steps) = (3, 8)
        let x1 = randoms(batch * steps * 4, seed: 15), x2 = randoms(batch * steps * 4, seed: 16)
        let dy = randoms(batch * steps * 3, seed: 17)
        let first = net.forward(inputs: x1, batch: batch, steps: steps)
        let outputs = first.outputs
        let gradient = net.backward(first, outputGradient: dy)
        let second = net.forward(inputs: x2, batch: batch, steps: steps)
        _ = net.backward(second, outputGradient: dy)
        _ = net.forward(inputs: x2 + x1, batch: 2 * batch, steps: steps)
        net.parameters = net.parameters.map { $0 * 1.5 }           // an optimizer step between forward and backward
        XCTAssertTrue(net.backward(first, outputGradient: dy) == gradient, "a held trace's gradient changed")
        XCTAssertTrue(first.outputs == outputs, "a held trace's outputs changed")
        net.parameters = net.parameters.map { $0 / 1.5 }
        // Released traces' buffers get reused (smaller than before), with the same results as fresh ones.
        for _ in 0..<3 {
            let again = net.forward(inputs: Array(x1[0..<steps * 4]), batch: 1, steps: steps)
            for i in 0..<steps * 3 { XCTAssertEqual(again.outputs[i], outputs[i], accuracy: 1e-12) }
        }
    }

    // MARK: 4–5 runner

    func testRunnerEqualsForwardAndResetRestarts() {
        let shape = EnvelopeNetworkShape(inputs: 58)
        let net = EnvelopeNetwork(shape: shape, seed: 12)
        let (batch, steps) = (2, 50)
        let x = randoms(batch * steps * shape.inputs, seed: 13)
        let expected = net.forward(inputs: x, batch: batch, steps: steps).outputs
        let runner = EnvelopeRunner(network: net)
        var y = [Double](repeating: 0, count: shape.outputs)
        func run(sequence b: Int) -> Double {
            var worst = 0.0
            for t in 0..<steps {
                x.withUnsafeBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { runner.step(xs.baseAddress! + (b * steps + t) * shape.inputs, into: $0.baseAddress!) }
                }
                for j in 0..<shape.outputs { worst = max(worst, abs(y[j] - expected[(b * steps + t) * shape.outputs + j])) }
            }
            return worst
        }
        XCTAssertLessThan(run(sequence: 0), 1e-12)
        // Without reset the state carries over and sequence 1 does not match a fresh start ...
        XCTAssertGreaterThan(run(sequence: 1), 1e-6)
        // ... with reset it does, and replaying sequence 0 gives sequence 0 again.
        runner.reset()
        XCTAssertLessThan(run(sequence: 1), 1e-12)
        runner.reset()
        XCTAssertLessThan(run(sequence: 0), 1e-12)
    }

    func testRunnerStepAllocatesNothing() {
        let shape = EnvelopeNetworkShape(inputs: 58)
        let runner = EnvelopeRunner(network: EnvelopeNetwork(shape: shape, seed: 1))
        let x = UnsafeMutablePointer<Double>.allocate(capacity: shape.inputs)
        let y = UnsafeMutablePointer<Double>.allocate(capacity: shape.outputs)
        defer { x.deallocate(); y.deallocate() }
        x.initialize(repeating: 0.3, count: shape.inputs)
        runner.step(x, into: y)
        lvj_count_allocations_begin()
        for k in 0..<1000 {
            x[k % shape.inputs] = Double(k % 7) - 3
            runner.step(x, into: y)
        }
        let count = lvj_count_allocations_end()
        XCTAssertEqual(count, 0)
        XCTAssertTrue(y[0].isFinite)
    }

    // MARK: 6–7 Adam and schedule

    func testAdamConvergesOnQuadratic() {
        let n = 20
        var rng = SeededRandom(seed: 4)
        let a = (0..<n).map { _ in 0.5 + 1.5 * rng.uniform() }
        let c = (0..<n).map { _ in 4 * rng.uniform() - 2 }
        var p = [Double](repeating: 0, count: n)
        var adam = Adam(parameterCount: n)
        let total = 3000
        for k in 0..<total {
            let g = (0..<n).map { 2 * a[$0] * (p[$0] - c[$0]) }
            adam.update(&p, gradient: g, learningRate: LearningRateSchedule.cosine(step: k, total: total, start: 0.05, end: 1e-5))
        }
        XCTAssertEqual(adam.stepCount, total)
        for i in 0..<n { XCTAssertEqual(p[i], c[i], accuracy: 1e-3, "parameter \(i)") }
    }

    func testAdamFirstStepMovesByLearningRateTimesSign() {
        let g: [Double] = [1e-3, -2e-3, 0.5, -7, 300, -1e3]
        var p = [Double](repeating: 1, count: g.count)
        var adam = Adam(parameterCount: g.count)
        adam.update(&p, gradient: g, learningRate: 0.01)
        for i in 0..<g.count { XCTAssertEqual(p[i] - 1, -0.01 * (g[i] > 0 ? 1 : -1), accuracy: 1e-7, "gradient \(g[i])") }
        XCTAssertEqual(adam.firstMoment[2], 0.1 * 0.5, accuracy: 1e-15)
        XCTAssertEqual(adam.secondMoment[3], 0.001 * 49, accuracy: 1e-15)
    }

    func testAdamResumesExactly() {
        let n = 8
        let gradients = (0..<10).map { randoms(n, seed: UInt64(100 + $0)) }
        var straight = randoms(n, seed: 1)
        var adam = Adam(parameterCount: n)
        var resumed = straight
        var checkpoint: Adam?
        for k in 0..<10 {
            adam.update(&straight, gradient: gradients[k], learningRate: 0.01 * Double(k + 1), clipNorm: 2)
            if k == 4 {
                resumed = straight
                checkpoint = Adam(restoring: adam.firstMoment, second: adam.secondMoment, stepCount: adam.stepCount)
            }
        }
        var restored = checkpoint!
        XCTAssertEqual(restored.stepCount, 5)
        for k in 5..<10 { restored.update(&resumed, gradient: gradients[k], learningRate: 0.01 * Double(k + 1), clipNorm: 2) }
        XCTAssertEqual(resumed, straight)
        XCTAssertEqual(restored.firstMoment, adam.firstMoment)
        XCTAssertEqual(restored.secondMoment, adam.secondMoment)

        // A fresh Adam (step count 0) from the same moments would bias-correct differently: the step count matters.
        var wrong = Adam(restoring: checkpoint!.firstMoment, second: checkpoint!.secondMoment, stepCount: 0)
        var other = straight
        var right = checkpoint!
        var reference = straight
        wrong.update(&other, gradient: gradients[5], learningRate: 0.01)
        right.update(&reference, gradient: gradients[5], learningRate: 0.01)
        XCTAssertNotEqual(other, reference)
    }

    func testAdamClipsByGlobalNorm() {
        // Clipping a norm-10 gradient to 1 is the same as feeding the gradient divided by 10.
        let g1: [Double] = [6, 8, 0], g2: [Double] = [0, 3, 4]   // norms 10 and 5
        var clipped = [0.5, -0.5, 1.0], scaled = clipped
        var a = Adam(parameterCount: 3), b = Adam(parameterCount: 3)
        a.update(&clipped, gradient: g1, learningRate: 0.1, clipNorm: 1)
        a.update(&clipped, gradient: g2, learningRate: 0.1, clipNorm: 1)
        b.update(&scaled, gradient: g1.map { $0 / 10 }, learningRate: 0.1)
        b.update(&scaled, gradient: g2.map { $0 / 5 }, learningRate: 0.1)
        for i in 0..<3 { XCTAssertEqual(clipped[i], scaled[i], accuracy: 1e-15) }
        // Below the limit nothing changes.
        var free = [0.5, -0.5, 1.0], limited = free
        var c = Adam(parameterCount: 3), d = Adam(parameterCount: 3)
        c.update(&free, gradient: g2, learningRate: 0.1)
        d.update(&limited, gradient: g2, learningRate: 0.1, clipNorm: 100)
        c.update(&free, gradient: g1, learningRate: 0.1)
        d.update(&limited, gradient: g1, learningRate: 0.1, clipNorm: 100)
        XCTAssertEqual(free, limited)
        XCTAssertEqual(c.secondMoment, d.secondMoment)
    }

    func testCosineSchedule() {
        let f = { (step: Int) in LearningRateSchedule.cosine(step: step, total: 100, start: 1e-2, end: 1e-4) }
        XCTAssertEqual(f(0), 1e-2, accuracy: 1e-15)
        XCTAssertEqual(f(50), (1e-2 + 1e-4) / 2, accuracy: 1e-15)
        XCTAssertEqual(f(25), 1e-4 + (1e-2 - 1e-4) * (1 + 0.5.squareRoot()) / 2, accuracy: 1e-15)
        XCTAssertEqual(f(100), 1e-4, accuracy: 1e-15)
        XCTAssertEqual(f(500), 1e-4, accuracy: 1e-15)
        for k in 1...100 { XCTAssertLessThanOrEqual(f(k), f(k - 1)) }

        let w = { (step: Int) in LearningRateSchedule.cosine(step: step, total: 110, start: 1.0, end: 0, warmup: 10) }
        XCTAssertEqual(w(0), 0.1, accuracy: 1e-15)
        XCTAssertEqual(w(4), 0.5, accuracy: 1e-15)
        XCTAssertEqual(w(9), 1.0, accuracy: 1e-15)
        XCTAssertEqual(w(10), 1.0, accuracy: 1e-15)
        XCTAssertEqual(w(60), 0.5, accuracy: 1e-15)
        XCTAssertEqual(w(110), 0, accuracy: 1e-15)
    }

    // MARK: 8–9 construction

    func testStoredParametersAreValidated() throws {
        let shape = EnvelopeNetworkShape(inputs: 58)
        XCTAssertThrowsError(try EnvelopeNetwork(shape: shape, parameters: [Double](repeating: 0, count: 10))) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("10 parameters") && message.contains("needs \(shape.parameterCount)"), message)
        }
        var p = [Double](repeating: 0.1, count: shape.parameterCount)
        p[1234] = .nan
        XCTAssertThrowsError(try EnvelopeNetwork(shape: shape, parameters: p)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("1234") && message.contains("not finite"), message)
        }
        p[1234] = .infinity
        XCTAssertThrowsError(try EnvelopeNetwork(shape: shape, parameters: p))
        p[1234] = 0.5
        XCTAssertEqual(try EnvelopeNetwork(shape: shape, parameters: p).parameters, p)
    }

    func testParameterCountAndSeededInit() {
        let shape = EnvelopeNetworkShape(inputs: 58)
        // 58·17+17 input linear, 4 × (2·51·17 + 2·51) GRU, 17·17+17 output linear.
        XCTAssertEqual(shape.parameterCount, 1003 + 4 * 1836 + 306)
        XCTAssertEqual(shape.parameterCount, 8653)
        let a = EnvelopeNetwork(shape: shape, seed: 7), b = EnvelopeNetwork(shape: shape, seed: 7), c = EnvelopeNetwork(shape: shape, seed: 8)
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertNotEqual(a.parameters, c.parameters)
        // PyTorch's bounds: ±1/√58 for the input linear, ±1/√17 for the rest; and the ranges are used.
        let inputPart = a.parameters[0..<(58 * 17 + 17)], rest = a.parameters[(58 * 17 + 17)...]
        XCTAssertLessThanOrEqual(inputPart.map(abs).max()!, 1 / 58.0.squareRoot())
        XCTAssertGreaterThan(inputPart.map(abs).max()!, 0.9 / 58.0.squareRoot())
        XCTAssertLessThanOrEqual(rest.map(abs).max()!, 1 / 17.0.squareRoot())
        XCTAssertGreaterThan(rest.map(abs).max()!, 0.9 / 17.0.squareRoot())
        let data = try! JSONEncoder().encode(shape)
        XCTAssertEqual(try! JSONDecoder().decode(EnvelopeNetworkShape.self, from: data), shape)
    }

    // MARK: 10 learning

    /// Output 0 must reproduce input 0 from three steps earlier: only possible through the GRU's memory.
    func testLearnsDelayedCopy() {
        let shape = EnvelopeNetworkShape(inputs: 2, hidden: 12, layers: 1, outputs: 1)
        let net = EnvelopeNetwork(shape: shape, seed: 2)
        let (batch, steps, delay, iterations) = (16, 24, 3, 400)
        var adam = Adam(parameterCount: shape.parameterCount)
        var rng = SeededRandom(seed: 3)
        var losses = [Double]()
        for k in 0..<iterations {
            let x = (0..<batch * steps * 2).map { _ in rng.normal() }
            let trace = net.forward(inputs: x, batch: batch, steps: steps)
            var loss = 0.0
            var dy = [Double](repeating: 0, count: batch * steps)
            for b in 0..<batch { for t in delay..<steps {   // the first `delay` steps have no target
                let i = b * steps + t
                let diff = trace.outputs[i] - x[(i - delay) * 2]
                loss += diff * diff
                dy[i] = 2 * diff
            } }
            let count = Double(batch * (steps - delay))
            losses.append(loss / count)
            let g = net.backward(trace, outputGradient: dy.map { $0 / count })
            adam.update(&net.parameters, gradient: g,
                        learningRate: LearningRateSchedule.cosine(step: k, total: iterations, start: 0.02, end: 0.001, warmup: 10), clipNorm: 1)
        }
        let first = losses[0..<5].reduce(0, +) / 5, last = losses.suffix(10).reduce(0, +) / 10
        print(String(format: "envelope network delayed-copy loss: %.4f → %.4f", first, last))
        XCTAssertLessThan(last, first / 10)
    }

    // MARK: timing (printed, not asserted)

    func testTimingForwardBackwardTrainingBatch() {
        let shape = EnvelopeNetworkShape(inputs: 58)
        let net = EnvelopeNetwork(shape: shape, seed: 1)
        let (batch, steps) = (32, 192)
        let x = randoms(batch * steps * shape.inputs, seed: 2)
        let dy = randoms(batch * steps * shape.outputs, seed: 3)
        var total = [Double](), forward = [Double]()
        for _ in 0..<6 {
            let start = DispatchTime.now().uptimeNanoseconds
            let trace = net.forward(inputs: x, batch: batch, steps: steps)
            let middle = DispatchTime.now().uptimeNanoseconds
            let g = net.backward(trace, outputGradient: dy)
            total.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            forward.append(Double(middle - start) / 1e6)
            XCTAssertTrue(g[0].isFinite)
        }
        let median = { (v: [Double]) in v.dropFirst().sorted()[2] }
        print(String(format: "envelope network forward+backward, batch 32 × 192 steps, default shape: median %.1f ms (forward %.1f ms)",
                     median(total), median(forward)))
    }
}
