import ArgumentParser
import AudioIn
import Basics
import Correlation
import Features
import Foundation
import Imaging
import StyleGAN
import Synthesis

struct StudySynthesizers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthesizers",
        abstract: "Every synthesizer on every song, scored on the rendered video (thesis chapter 5).",
        discussion: """
        Renders each song whole with each synthesizer, extracts the video features of what was rendered, and \
        scores --windows windows of --seconds per song with orthogonal Procrustes (thesis) and its balanced \
        variant. Prints, per synthesizer, the median and quartiles of the concatenated correlation and the \
        inference time per minute of audio (the time to make the generator's inputs, rendering excluded; \
        HiPPO's includes its optimisation, randomizer-best its N draws). Writes a box plot and results.json.
        --weighting adds thesis Table 5.3: HiPPO with one feature weighted 10×, scored per feature.

        Example: latentvj study synthesizers demo.wav song.ogg -o study-synth --weighting
        """)

    @Argument(help: "Audio files.")
    var audio: [String]

    @OptionGroup var model: ModelOption

    @Option(help: "Synthesizers to compare, comma-separated.")
    var synths = "none,random,randomizer,randomizer-best,supervised,gru,gru-causal,hippo"

    @Option(help: "Seconds per scored window.")
    var seconds = 16.0

    @Option(help: "Scored windows per song.")
    var windows = 6

    @Option(help: "Only the first N seconds of each song.")
    var limit: Double?

    @Option(help: "Frames per second.")
    var fps = 24.0

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    @Option(help: "Envelope network for gru/gru-causal (default: Presets/default.envelope).")
    var envelope: String?

    @Option(help: "HiPPO: Legendre coefficients per envelope.")
    var hippoCoefficients = HiPPODefaults.coefficients

    @Option(help: "HiPPO: starting learning rate.")
    var hippoLearningRate = HiPPODefaults.learningRate

    @Option(help: "HiPPO: loss window in seconds (0: the whole song at once).")
    var hippoWindow = HiPPODefaults.window

    @Flag(help: "Also run the feature-weighting experiment of thesis Table 5.3 (HiPPO).")
    var weighting = false

    @Option(name: .shortAndLong, help: "Folder for the plot and results.json.")
    var output = "study-synthesizers"

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Flag(help: "No progress output.")
    var quiet = false

    static let weightedFeatures = ["drop_strength", "onsets", "chroma", "spectral_flatness"]

    func validate() throws {
        guard !audio.isEmpty else { throw ValidationError("give at least one audio file") }
        for s in synths.split(separator: ",") where SynthesizerName(rawValue: String(s)) == nil {
            throw ValidationError("unknown synthesizer '\(s)'; choose from \(SynthesizerName.list)")
        }
        guard seconds >= 2, windows >= 1, fps >= 4 else { throw ValidationError("need --seconds ≥ 2, --windows ≥ 1, --fps ≥ 4") }
    }

    struct Row { var op = [Double](), balanced = [Double](), inference = [Double](), perFeature = [String: [Double]]() }

    func run() throws {
        try reportingErrors {
            do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch { throw FileError(output, "cannot be created as a folder") }
            let generator = try Generator(weights: model.load())
            let names = synths.split(separator: ",").map { SynthesizerName(rawValue: String($0))! }
            let runner = StudyRunner(generator: generator, fps: fps, metrics: [.procrustes, .balancedProcrustes])
            var rows = [String: Row]()
            var weightingRows = [String: [String: [Double]]]()
            var decoderLevel = [String: [String: [Double]]]()
            for (i, path) in audio.enumerated() {
                let song = try SongAnalysis(path: path, fps: fps, seconds: limit, quiet: quiet)
                let offline = try OfflineExtractor(fps: fps).extract(mono: song.clip.mono(), sampleRate: song.clip.sampleRate)
                let frames = min(song.frames, offline.frames)
                let spans = StudyRunner.snippets(frames: frames, length: Int(seconds * fps), count: windows, seed: seed &+ UInt64(i))
                let factory = SynthesizerFactory(generator: generator, song: song, offline: { offline }, seed: seed &+ UInt64(i), psi: 1, quiet: true)
                var runs: [(String, () throws -> FrameSynthesizer)] = names.map { name in
                    (name.rawValue, {
                        var o = try SynthesizerOptions.parse([])
                        o.synth = name.rawValue; o.envelope = name == .supervised ? nil : envelope
                        o.hippoCoefficients = hippoCoefficients; o.hippoLearningRate = hippoLearningRate; o.hippoWindow = hippoWindow
                        return try factory.make(name, options: o)
                    })
                }
                if weighting {
                    runs += Self.weightedFeatures.map { feature in
                        ("hippo×10 \(feature)", {
                            let (synth, perFeature) = try weightedHiPPO(song: song, generator: generator, feature: feature)
                            for (f, v) in perFeature { decoderLevel["hippo×10 \(feature)", default: [:]][f, default: []].append(v) }
                            return synth
                        })
                    }
                }
                for (label, make) in runs {
                    let progress = Progress("\((path as NSString).lastPathComponent): \(label)", total: Double(frames), enabled: !quiet)
                    let started = DispatchTime.now().uptimeNanoseconds
                    let synth = try make()
                    let setup = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                    let rendered = runner.render(synth, frames: frames) { progress.update(Double($0)) }
                    progress.finish()
                    var row = rows[label] ?? Row()
                    row.inference.append((setup + rendered.inferenceSeconds) / (Double(frames) / fps / 60))
                    for span in spans {
                        let score = try runner.score(video: rendered.video.slice(frames: span), audio: offline.slice(frames: span))
                        row.op.append(score.concatenated[.procrustes] ?? .nan)
                        row.balanced.append(score.concatenated[.balancedProcrustes] ?? .nan)
                        if label.hasPrefix("hippo×10") {
                            let report = try AudiovisualReport(audio: offline.slice(frames: span), video: rendered.video.slice(frames: span), metric: .procrustes, pairwise: true)
                            for f in Self.weightedFeatures { weightingRows[label, default: [:]][f, default: []].append(report.median(audio: f) ?? .nan) }
                        }
                    }
                    rows[label] = row
                }
            }
            try report(rows: rows, order: names.map(\.rawValue), weighting: weightingRows, decoderLevel: decoderLevel, generator: generator)
        }
    }

    /// HiPPO with one feature block weighted 10× in the loss (thesis Table 5.3).
    /// HiPPO with one feature block weighted 10× in the loss (thesis Table 5.3), and the correlation of its
    /// decoder outputs with each weighted feature on its own (what the optimisation itself sees).
    func weightedHiPPO(song: SongAnalysis, generator: Generator, feature: String) throws -> (FrameSynthesizer, [String: Double]) {
        let setup = DecoderSetup()
        let decoder = try setup.makeDecoder(generator: generator, fps: fps)
        let optimizer = try song.optimizeHiPPO(decoder: decoder, coefficients: hippoCoefficients, steps: HiPPODefaults.steps,
                                               learningRate: hippoLearningRate, window: hippoWindow, weights: [feature: 10], seed: seed)
        let envelopes = optimizer.envelopes()
        let geometry = DecoderGeometry(decoder: decoder, frames: song.frames)
        var perFeature = [String: Double]()
        for f in Self.weightedFeatures {
            var only = Dictionary(uniqueKeysWithValues: CausalLayout.columns.map { ($0.name, 0.0) })
            only[f] = 1
            let target = song.target(weights: only)
            perFeature[f] = envelopes.withUnsafeBufferPointer { SelfSupervisedLoss.evaluate(envelopes: $0.baseAddress!, target: target, geometry: geometry).correlation }
        }
        let beats = EnvelopeSequence.beats(tempo: song.causal["tempo"], rms: song.causal["rms"], frames: song.frames, fps: fps)
        return (EnvelopeSequence(envelopes: envelopes, decoder: decoder, beats: beats, causal: false), perFeature)
    }

    func report(rows: [String: Row], order: [String], weighting: [String: [String: [Double]]], decoderLevel: [String: [String: [Double]]],
                generator: Generator) throws {
        func quartiles(_ v: [Double]) -> (Double, Double, Double) {
            (Statistics.percentile(v, 0.25), Statistics.percentile(v, 0.5), Statistics.percentile(v, 0.75))
        }
        var doc: [String: Any] = ["audio": audio, "model": generator.label, "untrained": generator.untrained, "fps": fps,
                                  "window_seconds": seconds, "windows_per_song": windows]
        var table = [[String: Any]]()
        for name in order {
            guard let r = rows[name] else { continue }
            let (q1, m, q3) = quartiles(r.op), (b1, bm, b3) = quartiles(r.balanced)
            table.append(["synthesizer": name, "op": ["q1": jsonNumber(q1), "median": jsonNumber(m), "q3": jsonNumber(q3)],
                          "op_balanced": ["q1": jsonNumber(b1), "median": jsonNumber(bm), "q3": jsonNumber(b3)],
                          "inference_seconds_per_minute": jsonNumber(median(r.inference)), "op_scores": r.op.map(jsonNumber)])
        }
        doc["synthesizers"] = table
        if !weighting.isEmpty {
            doc["weighting"] = weighting.mapValues { $0.mapValues { jsonNumber(median($0)) } }
            doc["weighting_decoder_outputs"] = decoderLevel.mapValues { $0.mapValues { jsonNumber(median($0)) } }
        }
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
        do { try data.write(to: URL(fileURLWithPath: "\(output)/results.json")) } catch { throw FileError("\(output)/results.json", "cannot be written") }
        let chart = Charts.boxPlot(title: "synthesizers: OP of rendered video, \(Int(seconds)) s windows",
                                   groups: order.compactMap { n in rows[n].map { (n, $0.op) } }, yLabel: "correlation",
                                   width: max(640, 100 + 80 * order.count))
        try PNGFile.write(chart, to: "\(output)/synthesizers.png")
        if json { FileHandle.standardOutput.write(data); print(); return }
        print("model: \(generator.label)\(generator.untrained ? " (UNTRAINED)" : ""); \(audio.count) song(s), \(windows) windows of \(Int(seconds)) s each")
        print("synthesizer        op q1   median  q3      balanced q1 median  q3      inference s/min")
        for name in order {
            guard let r = rows[name] else { continue }
            let (q1, m, q3) = quartiles(r.op), (b1, bm, b3) = quartiles(r.balanced)
            print(name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: " %.3f   %.3f   %.3f   %.3f       %.3f   %.3f   %.3f", q1, m, q3, b1, bm, b3, median(r.inference)))
        }
        if !weighting.isEmpty {
            print("HiPPO feature weighting (thesis Table 5.3): median pairwise OP per feature")
            print("weighting".padding(toLength: 30, withPad: " ", startingAt: 0) + Self.weightedFeatures.map { $0.padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
            for f in Self.weightedFeatures {
                let label = "hippo×10 \(f)"
                guard let r = weighting[label] else { continue }
                print(label.padding(toLength: 30, withPad: " ", startingAt: 0) + Self.weightedFeatures.map { String(format: "%-18.3f", median(r[$0] ?? [])) }.joined())
            }
            print("the same on the decoder outputs (what HiPPO optimises): correlation with each feature block alone")
            for f in Self.weightedFeatures {
                let label = "hippo×10 \(f)"
                guard let r = decoderLevel[label] else { continue }
                print(label.padding(toLength: 30, withPad: " ", startingAt: 0) + Self.weightedFeatures.map { String(format: "%-18.3f", median(r[$0] ?? [])) }.joined())
            }
        }
        print("box plot and results.json in \(output)/")
    }
}
