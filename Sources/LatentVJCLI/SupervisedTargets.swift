import AudioIn
import Basics
import Correlation
import Features
import Foundation
import StyleGAN
import Synthesis

/// Targets for the supervised objective (thesis 4.2.2): the thesis lacked hand-made videos and proposed
/// curating Randomizer outputs by correlation instead. Per training file, several patches are drawn, the
/// one whose outputs correlate best with the file's features is kept, and its latents and noise
/// statistics become the targets of that file's sequences.
enum SupervisedTargets {
    static let patchesPerFile = 4

    static func objective(files: [String], songs: [TrainingSet.Song], set: TrainingSet, generator: Generator,
                          fps: Double, quiet: Bool) throws -> TrainingObjective {
        let wDim = generator.architecture.wDim
        let groups = LayerGroups(numWs: generator.numWs, noiseResolutions: generator.noiseLayers.map(\.resolution))
        let layout = DecoderLayout.standard
        let palette = Palette(generator: generator, size: layout.paletteSize, seeds: DecoderSetup.paletteSeeds(1))
        let progress = Progress("curating Randomizer patches", total: Double(files.count * patchesPerFile), enabled: !quiet)
        var perSong = [Outputs]()
        for (i, path) in files.enumerated() {
            let clip = try AudioFile.read(path: path)
            let offline = try OfflineExtractor(fps: fps).extract(mono: clip.mono(), sampleRate: clip.sampleRate)
            let causal = CausalExtractor.makeSet(rows: songs[i].rows, sampleRate: clip.sampleRate, fps: fps)
            var best: (score: Double, outputs: Outputs)?
            for p in 0..<patchesPerFile {
                let patch = Patch.draw(seed: UInt64(1000 * i + p + 1), features: offline)
                let outputs = try Outputs(patch: patch, features: offline, generator: generator, groups: groups, layout: layout)
                let score = try outputs.score(against: causal)
                if best == nil || score > best!.score { best = (score, outputs) }
                progress.update(Double(i * patchesPerFile + p + 1), detail: String(format: "best %.3f", best!.score))
            }
            perSong.append(best!.outputs)
        }
        progress.finish()
        let targets = set.sequences.map { sequence -> SupervisedTarget in
            let o = perSong[sequence.song]
            let range = sequence.start..<min(sequence.start + set.frames, o.frames)
            func slice(_ v: [Float], _ dims: Int) -> [Float] {
                var out = Array(v[(range.lowerBound * dims)..<(range.upperBound * dims)])
                while out.count < set.frames * dims { out += out.suffix(dims) }   // pad a short tail with its last frame
                return out
            }
            func sliceD(_ v: [Double]) -> [Double] { slice(v.map(Float.init), 1).map(Double.init) }
            return SupervisedTarget(latents: o.latents.map { slice($0, wDim) }, palette: palette.latents, wDim: wDim,
                                    noiseMean: o.noiseMean.map(sliceD), noiseSigma: o.noiseSigma.map(sliceD))
        }
        return .supervised(targets: targets, wDim: wDim)
    }

    /// A patch's outputs in decoder terms: one latent per group per frame, noise mean and std per driven resolution.
    struct Outputs {
        var frames: Int
        var latents: [[Float]]           // per group: frames × wDim
        var noiseMean: [[Double]], noiseSigma: [[Double]]

        init(patch: Patch, features: FeatureSet, generator: Generator, groups: LayerGroups, layout: DecoderLayout) throws {
            let randomizer = try Randomizer(patch: patch, features: features, generator: generator)
            let wDim = generator.architecture.wDim
            frames = randomizer.frames
            latents = [[Float]](repeating: [], count: 3)
            noiseMean = [[Double]](repeating: [], count: layout.drivenResolutions.count)
            noiseSigma = noiseMean
            var ws = [Float](repeating: 0, count: generator.numWs * wDim)
            for k in 0..<frames {
                ws.withUnsafeMutableBufferPointer { randomizer.frame(k, ws: $0.baseAddress!) }
                for g in LayerGroup.allCases {
                    let l = groups.ws(of: g).lowerBound
                    latents[g.index] += ws[(l * wDim)..<((l + 1) * wDim)]
                }
                for (j, r) in layout.drivenResolutions.enumerated() {
                    var sum = 0.0, squares = 0.0, count = 0.0
                    for (i, layer) in generator.noiseLayers.enumerated() where layer.resolution == r {
                        let map = generator.noiseMap(layer: i)
                        for p in 0..<(r * r) { let v = Double(map[p]); sum += v; squares += v * v }
                        count += Double(r * r)
                    }
                    let mean = sum / max(count, 1)
                    noiseMean[j].append(mean)
                    noiseSigma[j].append(max(squares / max(count, 1) - mean * mean, 0).squareRoot())
                }
            }
        }

        /// Balanced OP correlation with a feature set (the proxy for a rendered video's score).
        func score(against causal: FeatureSet) throws -> Double {
            let t = min(frames, causal.frames)
            return try MatrixCorrelation.balancedProcrustes.compute(FeatureMatrix(causal, frames: t), matrix(frames: t))
        }

        /// Latents and noise statistics side by side, for scoring.
        func matrix(frames t: Int) -> FeatureMatrix {
            let wDim = latents[0].count / max(frames, 1)
            let cols = 3 * wDim + 2 * noiseMean.count
            var values = [Double](repeating: 0, count: t * cols)
            for i in 0..<t {
                for g in 0..<3 { for j in 0..<wDim { values[i * cols + g * wDim + j] = Double(latents[g][i * wDim + j]) } }
                for j in 0..<noiseMean.count {
                    values[i * cols + 3 * wDim + 2 * j] = noiseMean[j][i]
                    values[i * cols + 3 * wDim + 2 * j + 1] = noiseSigma[j][i]
                }
            }
            return FeatureMatrix(rows: t, cols: cols, values: values)
        }
    }
}
