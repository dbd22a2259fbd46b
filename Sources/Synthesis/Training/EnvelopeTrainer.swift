import Basics
import Features
import Foundation
import StyleGAN

/// Trains the envelope network with the self-supervised loss (thesis 4.2.2): batches of sequences go
/// through the network, the loss scores the decoder's outputs against each sequence's own features, and
/// the gradient comes back through the decoder and through time by hand.
///
/// Each sequence is scored under one of several decoder geometries (palette seeds and noise windows),
/// drawn per use, so the network learns motion that works with any palette a performer loads rather
/// than one palette's quirks.
public final class EnvelopeTrainer {
    public struct Options {
        public var steps = 1500
        public var batch = 32
        public var learningRate = 3e-3
        public var finalLearningRate = 3e-5
        public var warmup = 50
        public var clipNorm = 1.0
        public var seed: UInt64 = 1
        public var geometries = 8
        public var validateEvery = 100
        public init() {}
    }

    public struct Checkpoint: Codable {
        public var step: Int
        public var parameters: [Double]
        public var firstMoment: [Double]
        public var secondMoment: [Double]
        public var adamSteps: Int
        public var history: [Report]
        /// The batch sampler's state, so a resumed run draws the batches an uninterrupted one would.
        public var samplerState: UInt64
    }

    public struct Report: Codable {
        public var step: Int
        public var loss: Double
        public var validationCorrelation: Double?
    }

    public let network: EnvelopeNetwork
    public let options: Options
    public private(set) var step = 0
    public private(set) var history: [Report] = []
    let training: TrainingSet, validation: TrainingSet
    let geometries: [DecoderGeometry]
    var adam: Adam
    var rng: SeededRandom
    let objective: TrainingObjective

    public init(network: EnvelopeNetwork, training: TrainingSet, validation: TrainingSet, generator: Generator,
                layout: DecoderLayout, fps: Double, options: Options, objective: TrainingObjective = .selfSupervised) throws {
        self.network = network
        self.objective = objective
        self.training = training
        self.validation = validation
        self.options = options
        adam = Adam(parameterCount: network.parameters.count)
        rng = SeededRandom(seed: options.seed)
        var geos = [DecoderGeometry]()
        var draw = SeededRandom(seed: options.seed &+ 77)
        for i in 0..<max(1, options.geometries) {
            var setup = DecoderSetup()
            setup.layout = layout
            setup.paletteSeeds = DecoderSetup.paletteSeeds(UInt64(1 + i))
            setup.noiseSeed = UInt64(1 + i)
            let decoder = try setup.makeDecoder(generator: generator, fps: fps)
            let start = Int(draw.uniform() * Double(decoder.noise.periodFrames))
            geos.append(DecoderGeometry(decoder: decoder, frames: training.frames, startFrame: start))
        }
        geometries = geos
    }

    /// Continues from a checkpoint (same data and options).
    public func restore(_ c: Checkpoint) {
        network.parameters = c.parameters
        adam = Adam(restoring: c.firstMoment, second: c.secondMoment, stepCount: c.adamSteps)
        step = c.step
        history = c.history
        rng = SeededRandom(seed: c.samplerState)
    }

    public var checkpoint: Checkpoint {
        Checkpoint(step: step, parameters: network.parameters, firstMoment: adam.firstMoment, secondMoment: adam.secondMoment,
                   adamSteps: adam.stepCount, history: history, samplerState: rng.state)
    }

    /// One optimisation step on a random batch; returns the batch's mean loss.
    @discardableResult
    public func trainStep() -> Double {
        let b = min(options.batch, training.sequences.count)
        let picks = (0..<b).map { _ in Int(rng.uniform() * Double(training.sequences.count)) }
        // Supervised targets were projected on the first geometry's palette.
        let geometryPicks = (0..<b).map { _ -> Int in
            let g = Int(rng.uniform() * Double(geometries.count))
            if case .supervised = objective { return 0 }
            return g
        }
        let loss = lossAndGradient(set: training, picks: picks, geometryPicks: geometryPicks, wantGradient: true, objective: objective)
        let lr = LearningRateSchedule.cosine(step: step, total: options.steps, start: options.learningRate,
                                             end: options.finalLearningRate, warmup: options.warmup)
        adam.update(&network.parameters, gradient: loss.gradient, learningRate: lr, clipNorm: options.clipNorm)
        step += 1
        history.append(Report(step: step, loss: loss.loss, validationCorrelation: nil))
        return loss.loss
    }

    /// Mean correlation of the decoder outputs on the validation sequences (first geometry; at most `limit`).
    public func validate(limit: Int = 96) -> Double {
        guard !validation.sequences.isEmpty else { return .nan }
        let count = min(limit, validation.sequences.count)
        let stride = max(1, validation.sequences.count / count)
        let picks = (0..<count).map { ($0 * stride) % validation.sequences.count }
        var total = 0.0
        for chunk in Swift.stride(from: 0, to: picks.count, by: 32) {
            let part = Array(picks[chunk..<min(picks.count, chunk + 32)])
            // Validation always reports the correlation, whatever the training objective.
            let r = lossAndGradient(set: validation, picks: part, geometryPicks: part.map { _ in 0 }, wantGradient: false, objective: .selfSupervised)
            total += (1 - r.loss) * Double(part.count)
        }
        let correlation = total / Double(picks.count)
        if !history.isEmpty { history[history.count - 1].validationCorrelation = correlation }
        return correlation
    }

    struct BatchResult { var loss: Double; var gradient: [Double] }

    func lossAndGradient(set: TrainingSet, picks: [Int], geometryPicks: [Int], wantGradient: Bool, objective: TrainingObjective) -> BatchResult {
        let t = set.frames, f = network.shape.inputs, e = network.shape.outputs, b = picks.count
        var inputs = [Double](repeating: 0, count: b * t * f)
        for (i, s) in picks.enumerated() {
            inputs.withUnsafeMutableBufferPointer { dst in
                set.sequences[s].inputs.withUnsafeBufferPointer { (dst.baseAddress! + i * t * f).update(from: $0.baseAddress!, count: t * f) }
            }
        }
        let trace = network.forward(inputs: inputs, batch: b, steps: t)
        var dOut = [Double](repeating: 0, count: b * t * e)
        var losses = [Double](repeating: 0, count: b)
        let outputs = trace.outputs
        // The per-sequence losses are independent: spread them over the cores.
        outputs.withUnsafeBufferPointer { out in
            dOut.withUnsafeMutableBufferPointer { grad in
                losses.withUnsafeMutableBufferPointer { lossOut in
                    let outBase = out.baseAddress!, gradBase = grad.baseAddress!, lossBase = lossOut.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: b) { i in
                        let geometry = geometries[geometryPicks[i]], grad = wantGradient ? gradBase + i * t * e : nil
                        switch objective {
                        case .selfSupervised:
                            lossBase[i] = SelfSupervisedLoss.evaluate(envelopes: outBase + i * t * e, target: set.sequences[picks[i]].target,
                                                                      geometry: geometry, gradient: grad).loss
                        case .supervised(let targets, let wDim):
                            lossBase[i] = SupervisedLoss.evaluate(envelopes: outBase + i * t * e, target: targets[picks[i]],
                                                                  geometry: geometry, wDim: wDim, gradient: grad)
                        }
                    }
                }
            }
        }
        let mean = losses.reduce(0, +) / Double(b)
        guard wantGradient else { return BatchResult(loss: mean, gradient: []) }
        for i in 0..<dOut.count { dOut[i] /= Double(b) }
        return BatchResult(loss: mean, gradient: network.backward(trace, outputGradient: dOut))
    }
}
