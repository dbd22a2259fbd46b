import ArgumentParser
import AudioIn
import Basics
import Features
import Foundation
import Recording
import StyleGAN
import Live
import Synthesis

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a music video for a song: frames driven by its audio features, encoded with its audio.",
        discussion: """
        Synthesizers (--synth): the self-supervised envelope network (gru, the default, and gru-causal), HiPPO \
        (hippo), the Randomizer (randomizer, randomizer-best), the supervised network (supervised), and the \
        interpolation groups of thesis section 3.4 (none, random, onsets, chroma, onsets+chroma).

        Examples:
          latentvj render song.flac -o song.mp4                          (untrained demo model, shipped envelope network)
          latentvj render song.wav -o song.mp4 --model net.pkl --size 512 --fps 30 --synth hippo
          latentvj optimize song.wav -o song.envelopes && latentvj render song.wav -o song.mp4 --synth hippo --envelopes song.envelopes
          latentvj render song.wav -o song.mp4 --synth randomizer --best-of 8 --save-patch song.patch.json
          latentvj render song.wav -o song.mp4 --synth randomizer --patch song.patch.json
        """)

    @Argument(help: "Audio file (with --replay: taken from the performance log).")
    var audio: String?

    @Option(help: "Re-render a live set from its performance log (FILE.performance.jsonl written by `live --record`).")
    var replay: String?

    @Option(name: .shortAndLong, help: "Output video (.mp4 or .mkv).")
    var output: String

    @OptionGroup var model: ModelOption

    @Option(help: "Output size in pixels (frames are scaled; default: the model's resolution).")
    var size: Int?

    @Option(help: "Frames per second.")
    var fps: Double = 24

    @OptionGroup var synthesizer: SynthesizerOptions

    @Option(help: "Seed of the random latents, noise and patches.")
    var seed: UInt64 = 1

    @Option(help: "Truncation ψ of the random latents.")
    var psi: Float = 1

    @Option(help: "Render only the first N seconds.")
    var seconds: Double?

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard audio != nil || replay != nil else { throw ValidationError("give an audio file (or --replay LOG)") }
        guard fps >= 1, fps <= 120 else { throw ValidationError("--fps must be between 1 and 120") }
        if let size, !(16...4096).contains(size) { throw ValidationError("--size must be between 16 and 4096") }
    }

    func run() throws {
        try reportingErrors {
            if let replay { return try renderReplay(replay) }
            let song = try SongAnalysis(path: audio!, fps: fps, seconds: seconds, quiet: quiet)
            let clip = song.clip
            let weights = try model.load()
            let generator = try Generator(weights: weights)
            if generator.untrained && !quiet { FileHandle.standardError.write("model: \(generator.label) — UNTRAINED (load your own with --model)\n") }
            let factory = SynthesizerFactory(generator: generator, song: song, offline: {
                try OfflineExtractor(fps: fps).extract(mono: clip.mono(), sampleRate: clip.sampleRate)
            }, seed: seed, psi: psi, quiet: quiet)
            let sequence = try factory.make(synthesizer.name, options: synthesizer)
            try encode(sequence, clip: clip, generator: generator)
        }
    }

    /// Frames of a synthesizer, encoded with the clip's audio.
    func encode(_ sequence: FrameSynthesizer, clip: AudioClip, generator: Generator) throws {
        let fps = (sequence as? Replay)?.header.fps ?? self.fps
        let r = generator.architecture.imgResolution
        // The audio goes in as a WAV of exactly what was analysed (any input format, any --seconds cut).
        let audioCopy = FileManager.default.temporaryDirectory.appendingPathComponent("latentvj-render-\(getpid()).wav").path
        defer { try? FileManager.default.removeItem(atPath: audioCopy) }
        try WAVWriter.write(clip, to: audioCopy, encoding: .float32)
        let writer = try VideoWriter(path: output, width: r, height: r, fps: fps, outputSize: size, audio: audioCopy)
        let renderer = FrameRenderer(backend: generator)
        let progress = Progress("rendering \(sequence.frames) frames", total: Double(sequence.frames), enabled: !quiet)
        for k in 0..<sequence.frames {
            sequence.frame(k, ws: renderer.ws)
            if (sequence as? Replay)?.blackFrames.contains(k) == true {
                renderer.black()                                // blackout was on at this frame of the set
            } else {
                renderer.render()
            }
            try writer.write(renderer.rgbBuffer)
            progress.update(Double(k + 1))
        }
        progress.finish()
        try writer.finish()
        if !quiet { FileHandle.standardError.write("wrote \(output)\n") }
    }

    /// `--replay LOG`: the logged envelopes through a decoder set up as on stage, with this --model and --size.
    func renderReplay(_ path: String) throws {
        let log = try PerformanceLog.read(path: path)
        guard let first = log.records.first else { throw FileError(path, "holds no frames") }
        let generator = try Generator(weights: model.load())
        let replay: Replay
        do { replay = try Replay(log: log, generator: generator) } catch { throw FileError(path, "does not fit \(generator.label): \(error)") }
        let source = audio ?? log.header.audio
        var clip = try source.map { try AudioFile.read(path: $0) } ?? DemoTrack.render(sampleRate: log.header.sampleRate)
        // The log's audio positions are the engine's: cut the clip to the recorded span.
        let perFrame = Int(clip.sampleRate / log.header.fps)
        let start = max(0, Int(Double(first.audio) * clip.sampleRate / log.header.sampleRate) - perFrame)
        clip = clip.slice(frames: start..<(start + perFrame * replay.frames))
        if !quiet { FileHandle.standardError.write("replaying \(replay.frames) frames of \(log.header.model) with \(generator.label)\n") }
        try encode(replay, clip: clip, generator: generator)
    }
}
