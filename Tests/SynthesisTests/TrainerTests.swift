import Basics
import Features
import Foundation
import StyleGAN
import Synthesis
import TestSupport
import XCTest

/// The training side of the synthesizers: the supervised loss (value against the decoder's outputs
/// written out directly, gradient against finite differences), feature statistics, the training set's
/// cutting and z-scoring, and the envelope trainer (descent, checkpoints, the supervised objective).
final class TrainerTests: TimeLimitedTestCase {
    let g = SynthesisFixtures.generator32
    var wDim: Int { g.architecture.wDim }

    // MARK: supervised loss

    /// The decoder's per-frame quantities written out: per group the softmax mix of the palette (frames × wDim),
    /// per driven resolution the noise mean and sigma.
    func decoded(_ envelopes: [Double], frames t: Int, decoder d: ParameterFreeDecoder) -> (latents: [[Double]], mean: [[Double]], sigma: [[Double]]) {
        let p = d.layout.paletteSize, e = d.layout.envelopeCount
        var latents = [[Double]](repeating: [Double](repeating: 0, count: t * wDim), count: 3)
        for grp in 0..<3 {
            for i in 0..<t {
                let logits = (0..<p).map { envelopes[i * e + grp * p + $0] }
                let top = logits.max()!
                let ex = logits.map { exp($0 - top) }, sum = ex.reduce(0, +)
                for k in 0..<p { for j in 0..<wDim { latents[grp][i * wDim + j] += ex[k] / sum * Double(d.palette.latents[grp][k * wDim + j]) } }
            }
        }
        let nj = d.layout.drivenResolutions.count
        var mean = [[Double]](repeating: [Double](repeating: 0, count: t), count: nj), sigma = mean
        for j in 0..<nj {
            let (me, se) = d.layout.noiseEnvelopes(j)
            for i in 0..<t { mean[j][i] = NoiseEnvelope.mean(envelopes[i * e + me]); sigma[j][i] = NoiseEnvelope.sigma(envelopes[i * e + se]) }
        }
        return (latents, mean, sigma)
    }

    /// The supervised loss by its definition: per group, ws copies × the MSE of the time-centred latents;
    /// per resolution, the MSE of the noise mean and sigma.
    func directLoss(_ envelopes: [Double], latents y: [[Float]], noiseMean: [[Double]], noiseSigma: [[Double]], frames t: Int,
                    decoder d: ParameterFreeDecoder) -> Double {
        let out = decoded(envelopes, frames: t, decoder: d)
        var loss = 0.0
        for grp in 0..<3 {
            let c = Double(d.groups.ws(of: LayerGroup.allCases[grp]).count)
            var diff = (0..<(t * wDim)).map { out.latents[grp][$0] - Double(y[grp][$0]) }
            for j in 0..<wDim {
                let m = (0..<t).reduce(0.0) { $0 + diff[$1 * wDim + j] } / Double(t)
                for i in 0..<t { diff[i * wDim + j] -= m }
            }
            loss += c * diff.reduce(0) { $0 + $1 * $1 } / Double(t * wDim)
        }
        for j in 0..<noiseMean.count {
            for i in 0..<t {
                let dm = out.mean[j][i] - noiseMean[j][i], ds = out.sigma[j][i] - noiseSigma[j][i]
                loss += (dm * dm + ds * ds) / Double(t)
            }
        }
        return loss
    }

    func supervisedLoss(_ envelopes: [Double], target: SupervisedTarget, geometry: DecoderGeometry, gradient: inout [Double]) -> Double {
        envelopes.withUnsafeBufferPointer { e in
            gradient.withUnsafeMutableBufferPointer {
                SupervisedLoss.evaluate(envelopes: e.baseAddress!, target: target, geometry: geometry, wDim: wDim, gradient: $0.baseAddress!)
            }
        }
    }

    func supervisedLoss(_ envelopes: [Double], target: SupervisedTarget, geometry: DecoderGeometry) -> Double {
        envelopes.withUnsafeBufferPointer { SupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: target, geometry: geometry, wDim: wDim, gradient: nil) }
    }

    func randomTarget(frames t: Int, decoder d: ParameterFreeDecoder, seed: UInt64)
        -> (target: SupervisedTarget, latents: [[Float]], mean: [[Double]], sigma: [[Double]]) {
        var rng = SeededRandom(seed: seed)
        let latents = (0..<3).map { _ in (0..<(t * wDim)).map { _ in Float(rng.normal()) } }
        let nj = d.layout.drivenResolutions.count
        let mean = (0..<nj).map { _ in (0..<t).map { _ in 2 * rng.uniform() - 1 } }
        let sigma = (0..<nj).map { _ in (0..<t).map { _ in 2 * rng.uniform() } }
        let target = SupervisedTarget(latents: latents, palette: d.palette.latents, wDim: wDim, noiseMean: mean, noiseSigma: sigma)
        return (target, latents, mean, sigma)
    }

    func testSupervisedLossEqualsItsDefinitionOnTheDecodersOutputs() {
        let t = 20
        let d = SynthesisFixtures.decoder()
        let geometry = DecoderGeometry(decoder: d, frames: t)
        let r = randomTarget(frames: t, decoder: d, seed: 3)
        XCTAssertEqual(r.target.frames, t)
        for seed in [UInt64(4), 5] {
            let env = SynthesisFixtures.randomMatrix(t, 17, seed: seed)
            let expected = directLoss(env, latents: r.latents, noiseMean: r.mean, noiseSigma: r.sigma, frames: t, decoder: d)
            XCTAssertEqual(supervisedLoss(env, target: r.target, geometry: geometry), expected, accuracy: 1e-9 * expected)
        }
    }

    func testSupervisedGradientMatchesFiniteDifferences() {
        let t = 16
        let d = SynthesisFixtures.decoder()
        let geometry = DecoderGeometry(decoder: d, frames: t)
        let target = randomTarget(frames: t, decoder: d, seed: 8).target
        var env = SynthesisFixtures.randomMatrix(t, 17, seed: 9)
        var analytic = [Double](repeating: .nan, count: env.count)
        let value = supervisedLoss(env, target: target, geometry: geometry, gradient: &analytic)
        XCTAssertEqual(value, supervisedLoss(env, target: target, geometry: geometry), "the gradient does not change the value")
        let scale = analytic.map(abs).max()!
        XCTAssertGreaterThan(scale, 1e-6)
        let h = 1e-6
        var worst = 0.0, worstIndex = -1
        for i in 0..<env.count {
            let saved = env[i]
            env[i] = saved + h
            let up = supervisedLoss(env, target: target, geometry: geometry)
            env[i] = saved - h
            let down = supervisedLoss(env, target: target, geometry: geometry)
            env[i] = saved
            let numeric = (up - down) / (2 * h)
            let error = abs(numeric - analytic[i]) / max(1e-3 * scale, abs(numeric) + abs(analytic[i]))
            if error > worst { worst = error; worstIndex = i }
        }
        XCTAssertLessThan(worst, 1e-5, "envelope \(worstIndex % 17) at frame \(worstIndex / 17)")
        // Every kind of envelope gets a gradient (latent weights and both noise statistics).
        for e in 0..<17 { XCTAssertGreaterThan((0..<t).map { abs(analytic[$0 * 17 + e]) }.max()!, 1e-8, "envelope \(e)") }
    }

    func testSupervisedLossVanishesWhenTheDecoderReproducesTheTarget() {
        let t = 24
        let d = SynthesisFixtures.decoder()
        let geometry = DecoderGeometry(decoder: d, frames: t)
        let env = SynthesisFixtures.randomMatrix(t, 17, seed: 21)
        let out = decoded(env, frames: t, decoder: d)
        // Target latents: the softmax mix of the palette, shifted by a constant per group (residuals ignore it).
        let latents = (0..<3).map { grp in out.latents[grp].enumerated().map { Float($0.element + (grp == 1 ? 0.7 : 0)) } }
        let target = SupervisedTarget(latents: latents, palette: d.palette.latents, wDim: wDim, noiseMean: out.mean, noiseSigma: out.sigma)
        var gradient = [Double](repeating: 0, count: env.count)
        let atTarget = supervisedLoss(env, target: target, geometry: geometry, gradient: &gradient)
        XCTAssertLessThan(abs(atTarget), 1e-10)
        XCTAssertLessThan(gradient.map(abs).max()!, 1e-6, "a minimum: the gradient vanishes")
        // Any other envelopes, latent or noise, cost something.
        for (seed, range) in [(UInt64(22), 0..<9), (23, 9..<17)] {
            var other = env
            let noise = SynthesisFixtures.randomMatrix(t, 17, seed: seed, scale: 0.5)
            for i in 0..<t { for e in range { other[i * 17 + e] += noise[i * 17 + e] } }
            XCTAssertGreaterThan(supervisedLoss(other, target: target, geometry: geometry), 0.01, "perturbing envelopes \(range)")
        }
    }

    // MARK: feature statistics

    func testFeatureStatisticsZScoreEveryColumnOverAllSongs() {
        let width = 4
        var rng = SeededRandom(seed: 1)
        // Column 2 is constant across every song (silence); the others have different scales and offsets.
        let songs = [30, 45].map { frames in
            (0..<(frames * width)).map { i -> Float in
                let c = i % width
                return c == 2 ? 0.25 : Float(rng.normal() * Double(c + 1) * 3 + Double(c) * 10)
            }
        }
        let stats = FeatureStatistics(rows: songs, width: width)
        XCTAssertEqual(stats.mean.count, width)
        let z = songs.flatMap { stats.apply($0) }
        XCTAssertTrue(z.allSatisfy(\.isFinite), "a constant column does not divide by zero")
        let n = Double(z.count / width)
        for c in 0..<width {
            let column = stride(from: c, to: z.count, by: width).map { z[$0] }
            let mean = column.reduce(0, +) / n
            let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 1e-9, "column \(c)")
            if c == 2 {
                XCTAssertLessThan(column.map(abs).max()!, 1e-3, "the constant column stays near zero")
                XCTAssertGreaterThan(stats.std[c], 0)
            } else {
                XCTAssertEqual(std, 1, accuracy: 1e-9, "column \(c)")
            }
        }
        // The row-at-a-time path (live) agrees with the whole-array path.
        var out = [Double](repeating: 0, count: width)
        songs[1].withUnsafeBufferPointer { row in out.withUnsafeMutableBufferPointer { stats.apply(row.baseAddress! + 7 * width, into: $0.baseAddress!) } }
        XCTAssertEqual(out, Array(stats.apply(songs[1])[(7 * width)..<(8 * width)]))
    }

    // MARK: training set

    func song(_ name: String, frames: Int, seed: UInt64) -> TrainingSet.Song {
        TrainingSet.Song(name: name, rows: structuredRows(frames: frames, seed: seed))
    }

    /// Rows of a plausible causal feature set: three slow sources mixed into every column, plus noise.
    func structuredRows(frames: Int, seed: UInt64) -> [Float] {
        let width = CausalLayout.width
        var rng = SeededRandom(seed: seed)
        let frequencies = (0..<3).map { _ in 0.02 + 0.1 * rng.uniform() }, phases = (0..<3).map { _ in 6.28 * rng.uniform() }
        var mix = SeededRandom(seed: 99)   // the same mixing in every song: the relation a network can learn
        let weights = (0..<(3 * width)).map { _ in mix.normal() }
        return (0..<(frames * width)).map { i in
            let t = Double(i / width), c = i % width
            var v = 0.3 * rng.normal()
            for s in 0..<3 { v += weights[s * width + c] * sin(2 * Double.pi * frequencies[s] * t + phases[s]) }
            return Float(v)
        }
    }

    func testTrainingSetCutsEverySongAtEveryOffset() {
        let width = CausalLayout.width
        let songs = [song("a", frames: 100, seed: 1), song("b", frames: 50, seed: 2), song("c", frames: 15, seed: 3)]
        let stats = FeatureStatistics(rows: songs.map(\.rows), width: width)
        let set = TrainingSet(songs: songs, statistics: stats, frames: 20, offsets: [0, 5, 13])
        XCTAssertEqual(set.frames, 20)
        let starts = set.sequences.map { [$0.song, $0.start] }
        // Song a (100 frames): 0…80 by 20; 5…65; 13…73. Song b (50): 0, 20; 5, 25; 13. Song c is too short.
        XCTAssertEqual(starts, [[0, 0], [0, 20], [0, 40], [0, 60], [0, 80], [0, 5], [0, 25], [0, 45], [0, 65], [0, 13], [0, 33], [0, 53], [0, 73],
                                [1, 0], [1, 20], [1, 5], [1, 25], [1, 13]])
        for s in set.sequences {
            let z = stats.apply(songs[s.song].rows)
            XCTAssertEqual(s.inputs, Array(z[(s.start * width)..<((s.start + 20) * width)]), "song \(s.song) start \(s.start)")
            XCTAssertEqual(s.target.frames, 20)
            // The target is the slice's own features, centred per column.
            let chroma = s.target.blocks.first { $0.name == "chroma" }!
            let c0 = CausalLayout.offset(of: "chroma")!
            let column = (0..<20).map { s.inputs[$0 * width + c0] }
            let mean = column.reduce(0, +) / 20
            let norm = chroma.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-12)
            let chromaColumns = (0..<20).map { chroma.values[$0 * 12] }
            let scale = chromaColumns[0] / (column[0] - mean)
            for i in 0..<20 { XCTAssertEqual(chromaColumns[i], (column[i] - mean) * scale, accuracy: 1e-12) }
        }
        // Weights reach the targets.
        let weighted = TrainingSet(songs: songs, statistics: stats, frames: 20, offsets: [0], weights: ["chroma": 10])
        XCTAssertTrue(weighted.sequences[0].target.weighted)
        XCTAssertEqual(weighted.sequences[0].target.blocks.first { $0.name == "chroma" }?.weight, 10)
        XCTAssertFalse(set.sequences[0].target.weighted)
    }

    // MARK: envelope trainer

    let trainerFrames = 48

    func sets(weights: [String: Double] = [:]) -> (training: TrainingSet, validation: TrainingSet) {
        let train = (1...3).map { song("t\($0)", frames: 160, seed: UInt64($0)) }
        let valid = [song("v", frames: 100, seed: 10)]
        let stats = FeatureStatistics(rows: train.map(\.rows), width: CausalLayout.width)
        return (TrainingSet(songs: train, statistics: stats, frames: trainerFrames, offsets: [0, 12, 24]),
                TrainingSet(songs: valid, statistics: stats, frames: trainerFrames, offsets: [0]))
    }

    func trainer(steps: Int = 60, objective: TrainingObjective = .selfSupervised, data: (training: TrainingSet, validation: TrainingSet)? = nil) throws -> EnvelopeTrainer {
        let (training, validation) = data ?? sets()
        let network = EnvelopeNetwork(shape: EnvelopeNetworkShape(inputs: CausalLayout.width, hidden: 8, layers: 1, outputs: 17), seed: 3)
        var options = EnvelopeTrainer.Options()
        options.steps = steps; options.batch = 4; options.learningRate = 1e-2; options.finalLearningRate = 1e-3
        options.warmup = 5; options.geometries = 2; options.seed = 5
        return try EnvelopeTrainer(network: network, training: training, validation: validation, generator: g, layout: .standard,
                                   fps: 24, options: options, objective: objective)
    }

    func testTrainingLowersTheSelfSupervisedLoss() throws {
        let data = sets()
        XCTAssertEqual(data.training.sequences.count, 3 * (3 + 3 + 2))
        let trainer = try trainer(data: data)
        let before = trainer.validate()
        let losses = (0..<60).map { _ in trainer.trainStep() }
        let after = trainer.validate()
        XCTAssertEqual(trainer.step, 60)
        XCTAssertEqual(trainer.history.map(\.step), Array(1...60))
        XCTAssertEqual(trainer.history.map(\.loss), losses)
        XCTAssertEqual(trainer.history.last?.validationCorrelation, after, "validation is recorded on the latest report")
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        XCTAssertLessThan(last, 0.7 * first, "loss \(first) → \(last)")
        XCTAssertGreaterThan(after, before + 0.1, "validation correlation \(before) → \(after)")
        XCTAssertTrue(losses.allSatisfy { $0 > 0 && $0 < 1 })
    }

    func testValidationIsTheMeanCorrelationOfTheValidationSequences() throws {
        let data = sets()
        let trainer = try trainer(data: data)
        for _ in 0..<3 { trainer.trainStep() }
        let reported = trainer.validate()
        // The first geometry, rebuilt: palette seeds 1, noise seed 1, and the noise window the trainer draws
        // from its options' seed + 77 over the 20 s (480-frame) loop.
        var setup = DecoderSetup()
        setup.paletteSeeds = DecoderSetup.paletteSeeds(1); setup.noiseSeed = 1
        let decoder = try setup.makeDecoder(generator: g, fps: 24)
        var draw = SeededRandom(seed: 5 &+ 77)
        let geometry = DecoderGeometry(decoder: decoder, frames: trainerFrames, startFrame: Int(draw.uniform() * 480))
        XCTAssertEqual(data.validation.sequences.count, 2)
        var total = 0.0
        for s in data.validation.sequences {
            let env = trainer.network.envelopes(inputs: s.inputs, frames: trainerFrames)
            total += env.withUnsafeBufferPointer { SelfSupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: s.target, geometry: geometry).correlation }
        }
        XCTAssertEqual(reported, total / 2, accuracy: 1e-9)
        XCTAssertGreaterThan(reported, 0)
        XCTAssertLessThan(reported, 1)
    }

    func testResumingFromACheckpointRepeatsTheRunExactly() throws {
        let data = sets()
        let n = 6, m = 6
        // A run checkpointed at step n, restored into a fresh trainer (through JSON, as `train --resume`), then m more steps.
        let first = try trainer(data: data)
        for _ in 0..<n { first.trainStep() }
        let json = try JSONEncoder().encode(first.checkpoint)
        let checkpoint = try JSONDecoder().decode(EnvelopeTrainer.Checkpoint.self, from: json)
        XCTAssertEqual(checkpoint.step, n)
        XCTAssertEqual(checkpoint.parameters, first.network.parameters, "JSON keeps every bit of the weights")
        let resumed = try trainer(data: data)
        XCTAssertNotEqual(resumed.network.parameters, checkpoint.parameters)
        resumed.restore(checkpoint)
        XCTAssertEqual(resumed.step, n)
        XCTAssertEqual(resumed.history.map(\.loss), first.history.map(\.loss))
        // Everything the checkpoint holds is installed: weights, both Adam moments and Adam's step count.
        let installed = resumed.checkpoint
        XCTAssertEqual(installed.parameters, first.network.parameters)
        XCTAssertEqual(installed.firstMoment, first.checkpoint.firstMoment)
        XCTAssertEqual(installed.secondMoment, first.checkpoint.secondMoment)
        XCTAssertEqual(installed.adamSteps, n)
        XCTAssertGreaterThan(installed.secondMoment.max()!, 0)
        for _ in 0..<m { resumed.trainStep() }

        // The reference: the same run, never stopped: resuming draws the batches it would have drawn.
        let reference = try trainer(data: data)
        for _ in 0..<(n + m) { reference.trainStep() }
        XCTAssertEqual(resumed.step, n + m)
        XCTAssertEqual(resumed.network.parameters, reference.network.parameters, "weights, Adam moments and step all resume")
        XCTAssertEqual(resumed.history.map(\.loss), reference.history.map(\.loss))
        XCTAssertEqual(resumed.checkpoint.firstMoment, reference.checkpoint.firstMoment)
        XCTAssertEqual(resumed.checkpoint.secondMoment, reference.checkpoint.secondMoment)
        XCTAssertEqual(resumed.checkpoint.adamSteps, n + m)
        // The comparison is sensitive to the optimiser state: resuming with fresh Adam moments ends elsewhere.
        var amnesiac = checkpoint
        amnesiac.firstMoment = amnesiac.firstMoment.map { _ in 0 }; amnesiac.secondMoment = amnesiac.secondMoment.map { _ in 0 }; amnesiac.adamSteps = 0
        let forgetful = try trainer(data: data)
        forgetful.restore(amnesiac)
        for _ in 0..<m { forgetful.trainStep() }
        XCTAssertNotEqual(forgetful.network.parameters, resumed.network.parameters)
    }

    func testSupervisedObjectiveLowersItsLoss() throws {
        let data = sets()
        // The targets were projected on the first geometry's palette (palette seeds 1).
        var setup = DecoderSetup()
        setup.paletteSeeds = DecoderSetup.paletteSeeds(1)
        let decoder = try setup.makeDecoder(generator: g, fps: 24)
        // Targets that follow the inputs: the latent weights and the noise mean are linear in three feature columns.
        let t = trainerFrames, width = CausalLayout.width
        let targets = data.training.sequences.map { s -> SupervisedTarget in
            var env = [Double](repeating: 0, count: t * 17)
            for i in 0..<t {
                for e in 0..<9 { env[i * 17 + e] = s.inputs[i * width + (e % 3) * 7] * (e < 3 ? 1 : 0.5) }
                for j in 0..<4 { env[i * 17 + 9 + 2 * j] = 0.5 * s.inputs[i * width + j] }
            }
            let out = decoded(env, frames: t, decoder: decoder)
            return SupervisedTarget(latents: out.latents.map { $0.map(Float.init) }, palette: decoder.palette.latents, wDim: wDim,
                                    noiseMean: out.mean, noiseSigma: out.sigma)
        }
        let trainer = try trainer(objective: .supervised(targets: targets, wDim: wDim), data: data)
        let losses = (0..<60).map { _ in trainer.trainStep() }
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        XCTAssertLessThan(last, 0.5 * first, "supervised loss \(first) → \(last)")
        XCTAssertTrue(losses.allSatisfy { $0.isFinite && $0 >= 0 })
        // Validation still reports a correlation (in 0…1), not the MSE.
        let v = trainer.validate()
        XCTAssertGreaterThan(v, 0); XCTAssertLessThan(v, 1)
    }
}
