import ArgumentParser
import AudioIn
import Basics
import Features
import Foundation
import LinearAlgebra
import ModelFiles
import StyleGAN
import Synthesis

struct BenchSynthesis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthesis",
        abstract: "Per-frame cost of the envelope network plus decoder, HiPPO's optimisation time, one training step.",
        discussion: """
        The per-frame figure is what the live engine pays before StyleGAN: a GRU step on a z-scored causal row and a \
        decoder pass (ws and every noise map) for the model. HiPPO runs --steps steps on AUDIO (default: the demo \
        track) and is also scaled to a 3-minute song (its cost is linear in frames). A training step is one batch \
        of 32 eight-second sequences, forward, loss, backward and Adam.
        """)

    @Argument(help: "Audio file for HiPPO (default: the built-in demo track).")
    var audio: String?

    @OptionGroup var model: ModelOption

    @Option(help: "Envelope network (default: Presets/default.envelope).")
    var envelope: String?

    @Option(help: "HiPPO steps.")
    var steps = 512

    @Option(help: "Frames to time for the per-frame figure.")
    var frames = 2000

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let generator = try Generator(weights: model.load())
            let fps = 24.0
            let path = try envelope ?? ShippedFiles.locate("Presets/default.envelope")
            let file = try EnvelopeModelFile.load(path: path)
            let runner = EnvelopeRunner(network: try file.network(path: path))
            let decoder = try DecoderSetup().makeDecoder(generator: generator, fps: fps)
            // Per frame: z-score a row, GRU step, decode.
            var rng = SeededRandom(seed: 1)
            let rows = (0..<(64 * CausalLayout.width)).map { _ in Float(rng.normal()) }
            let z = UnsafeMutablePointer<Double>.allocate(capacity: CausalLayout.width)
            let env = UnsafeMutablePointer<Double>.allocate(capacity: file.shape.outputs)
            let ws = UnsafeMutablePointer<Float>.allocate(capacity: generator.numWs * generator.architecture.wDim)
            defer { z.deallocate(); env.deallocate(); ws.deallocate() }
            var gruTimes = [Double](), decodeTimes = [Double]()
            rows.withUnsafeBufferPointer { r in
                for k in 0..<max(frames, 10) {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    file.statistics.apply(r.baseAddress! + (k % 64) * CausalLayout.width, into: z)
                    runner.step(z, into: env)
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    decoder.decode(env, time: Double(k), beat: Double(k) / 12, ws: ws)
                    let t2 = DispatchTime.now().uptimeNanoseconds
                    gruTimes.append(Double(t1 - t0) / 1e6); decodeTimes.append(Double(t2 - t1) / 1e6)
                }
            }
            let p99 = { (v: [Double]) in Statistics.percentile(v, 0.99) }, p50 = { (v: [Double]) in Statistics.percentile(v, 0.5) }

            // HiPPO on a song.
            let clip = try audio.map { try AudioFile.read(path: $0) } ?? DemoTrack.render()
            let song = try SongAnalysis(clip: clip, fps: fps, label: audio ?? "demo track", quiet: true)
            let h0 = DispatchTime.now().uptimeNanoseconds
            let optimizer = HiPPOOptimizer(target: song.target(), geometry: DecoderGeometry(decoder: decoder, frames: song.frames), coefficients: 128, seed: 1)
            optimizer.optimize(steps: steps)
            let hippo = Double(DispatchTime.now().uptimeNanoseconds - h0) / 1e9
            let perThreeMinutes = hippo * (180 * fps) / Double(song.frames)

            // One training step on the song's own sequences.
            let songs = [TrainingSet.Song(name: "bench", rows: song.rows)]
            let stats = FeatureStatistics(rows: songs.map(\.rows), width: CausalLayout.width)
            let set = TrainingSet(songs: songs, statistics: stats, frames: 192, offsets: [0, 24, 48, 72])
            var options = EnvelopeTrainer.Options(); options.geometries = 2
            let trainer = try EnvelopeTrainer(network: try file.network(path: path), training: set, validation: set, generator: generator,
                                              layout: file.layout, fps: fps, options: options)
            trainer.trainStep()
            let s0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<10 { trainer.trainStep() }
            let step = Double(DispatchTime.now().uptimeNanoseconds - s0) / 1e9 / 10

            let result: [String: Any] = [
                "model": generator.label, "envelope_network": path,
                "per_frame_ms": ["gru_median": p50(gruTimes), "gru_p99": p99(gruTimes),
                                 "decoder_median": p50(decodeTimes), "decoder_p99": p99(decodeTimes),
                                 "total_median": p50(gruTimes) + p50(decodeTimes)],
                "hippo": ["audio_seconds": clip.duration, "steps": steps, "seconds": hippo, "seconds_for_3_minutes": perThreeMinutes],
                "training_step_seconds": step, "threads": ProcessInfo.processInfo.activeProcessorCount,
            ]
            if json { FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])); print(); return }
            print("model: \(generator.label); envelope network: \(path)")
            print(String(format: "per frame: GRU step %.3f ms (p99 %.3f), decoder %.3f ms (p99 %.3f), together %.3f ms",
                         p50(gruTimes), p99(gruTimes), p50(decodeTimes), p99(decodeTimes), p50(gruTimes) + p50(decodeTimes)))
            print(String(format: "HiPPO: %d steps on %.0f s of audio in %.1f s  (%.1f s for a 3-minute song)", steps, clip.duration, hippo, perThreeMinutes))
            print(String(format: "training: %.3f s per step (batch 32 × 8 s)", step))
        }
    }
}
