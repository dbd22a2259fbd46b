import AudioIn
import Basics
import Control
import Features
import Foundation
import StyleGAN
import Synchronization
import Recording
import Synthesis
import Tempo

/// What the HUD needs from the frame producer, in a value with no heap storage, so publishing it
/// every frame allocates nothing.
public struct ProducerStats: Sendable {
    public var frames = 0
    public var frameTimeMs = 0.0
    public var fps = 0.0
    public var rms: Float = 0, onsets: Float = 0, pulse: Float = 0
    public var chroma = SIMD16<Float>()
    public var bpm = 0.0
    /// Seconds of audio the state has advanced by (analysed, or skipped while behind).
    public var audioSeconds = 0.0
    /// Feature rows (1/fps s of music each) the state has advanced by: the state's frame count, which
    /// keeps the target rate while rendered `frames` may fall behind it.
    public var rows = 0
    /// The beat the newest frame was drawn at (beats since the start, on the music's clock).
    public var beat = 0.0
    /// The newest frame's audio-to-frame latency (ms).
    public var latencyMs = 0.0
    /// Audio waiting to be analysed (s), times the engine skipped to the newest audio, and what it skipped.
    public var behindSeconds = 0.0
    public var skips = 0
    public var skippedSeconds = 0.0
    /// Time this producer spends handing one frame to its sinks (recorder, outputs), mean ms over the run.
    public var sinkMs = 0.0
}

/// The frame producer of the live engine (spec "Threads"): at each frame tick it drains the audio
/// source, runs the causal features, one step of the envelope network, the decoder and StyleGAN into
/// the next of three preallocated buffers. After warm-up it allocates nothing.
public final class FrameProducer: @unchecked Sendable {
    public let fps: Double
    public let latest: LatestFrame
    private let source: AudioSource
    private var extractor: CausalExtractor
    /// Audio analysed by extractors replaced after a sample-rate change (seconds).
    private var earlierSeconds = 0.0
    /// Sample-rate changes followed so far (the HUD and tests read it).
    public private(set) var sampleRateChanges = 0
    private var statistics: FeatureStatistics
    private var runner: EnvelopeRunner
    /// The envelope network's file name (changed only under `networkExchange`'s lock), layout and columns
    /// (what a replacement must match).
    private var currentNetworkName: String
    /// The network running now, or about to (a change waiting for the next frame).
    public var networkName: String { networkExchange.withLock { $0.pending?.name ?? currentNetworkName } }
    private let networkFeatures: [EnvelopeModelFile.FeatureColumn]
    private let networkLayout: DecoderLayout
    /// A replacement network prepared on the main thread; the replaced one goes back to be released there.
    private struct NetworkChange { var runner: EnvelopeRunner; var statistics: FeatureStatistics; var name: String }
    private let networkExchange = Lock<(pending: NetworkChange?, retired: NetworkChange?)>((nil, nil))
    private let decoder: ParameterFreeDecoder
    /// The render step: the decoder's ws through the generator backend (the CPU generator, or another
    /// behind the protocol) into the display's buffer.
    private let renderer: FrameRenderer
    private let audio: UnsafeMutablePointer<Float>
    private let audioCapacity: Int
    private let row: UnsafeMutablePointer<Float>
    private let z: UnsafeMutablePointer<Double>
    private let envelopes: UnsafeMutablePointer<Double>
    private let stats = Lock(ProducerStats())
    private let stopFlag = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)
    /// The beat each row is drawn at (detected or external) and the quantize boundaries.
    private let beats: RowBeats
    public var tempo: TempoControl { beats.tempo }
    /// Frames rendered, and feature rows (1/fps s of music each) the state has advanced by.
    private var frameCount = 0
    private var stateRows = 0
    private var musicalTime = 0.0
    /// The newest row's beat and musical time (what the next frame is rendered at), tempo and level.
    private var rowBeat = 0.0, rowTime = 0.0, lastBpm = 120.0, lastRms = 0.0
    /// How far behind the analysis may fall before it skips to the newest audio (seconds), and how much
    /// it keeps then (enough to refill the feature windows).
    public var maxBehindSeconds = 0.5
    public var keepAfterSkipSeconds = 0.25
    /// Skips so far, the audio they dropped (samples), and the part of a row not yet advanced by.
    private var skips = 0, skippedSamples = 0, skippedRowRemainder = 0.0
    /// When the source stopped delivering (ns), while the engine draws on silence; 0 while it delivers.
    private var silenceSince: UInt64 = 0
    /// Columns the HUD reads, looked up once rather than per frame.
    private static let tempoAt = CausalLayout.offset(of: "tempo")!, rmsAt = CausalLayout.offset(of: "rms")!
    private static let onsetAt = CausalLayout.offset(of: "onsets")!, pulseAt = CausalLayout.offset(of: "pulse")!
    private static let chromaAt = CausalLayout.offset(of: "chroma")!, phaseAt = CausalLayout.offset(of: "beat_phase")!
    /// `LayerGroup.allCases` builds a new array on every call; this one is built once.
    private static let groups = LayerGroup.allCases
    /// Frame times of every frame (ms), preallocated for `maxFrames`, for the summary's percentiles.
    private let frameTimes: UnsafeMutablePointer<Double>
    /// Audio-to-frame latency of every frame (ms), likewise.
    private let latencies: UnsafeMutablePointer<Double>
    private let maxFrames = 1 << 20
    public private(set) var thread: Thread?
    /// Where shown frames and their audio go while a set is recorded (set from the main thread).
    /// The sinks every shown frame goes to (the recorder, outputs), each with its own ring and thread;
    /// changed from the main thread, between frames.
    private let sinks = Lock<[FrameSink]>([])
    private var recording: FrameSink?
    /// Producer thread: nanoseconds spent in the sinks' `submit`, over all frames.
    private var sinkNanos: UInt64 = 0
    public func attach(_ sink: FrameSink) { sinks.withLock { $0.append(sink) } }
    public func detach(_ sink: FrameSink) { sinks.withLock { $0.removeAll { $0 === sink } } }
    /// Main thread: the recorder the set goes to (nil: none); it replaces the previous one.
    public func record(to newRecorder: LiveRecorder?) {
        if let recording { detach(recording) }
        recording = newRecorder
        if let newRecorder { attach(newRecorder) }
    }
    /// The performance log every frame's envelopes go to (set from the main thread).
    private let log = Lock<PerformanceLog?>(nil)
    public func log(to newLog: PerformanceLog?) { log.withLock { $0 = newLog } }

    /// The parameters controllers set; the producer follows them once per frame.
    public let parameters: ParameterStore
    public let binding: ParameterBinding
    private let follower: ParameterFollower
    private let neutral: UnsafeMutablePointer<Double>
    /// A group's new palette latents drawn on the main thread, waiting to be swapped in; and the
    /// replaced latents, waiting for the main thread to release them (nothing is freed here).
    public struct PaletteChange {
        public var group: Int, latents: [Float], seed: UInt64
        /// Waits for the next quantize boundary (a change made while changes are quantized).
        public var onBeat: Bool
        public init(group: Int, latents: [Float], seed: UInt64, onBeat: Bool = false) {
            self.group = group; self.latents = latents; self.seed = seed; self.onBeat = onBeat
        }
    }
    /// One pending slot and one retired slot per group (deep, middle, shallow): a preset recall changes
    /// all three palettes at once, and each must arrive.
    /// (Three named slots, not arrays: writing an array's element on the producer could copy its storage.)
    private struct PaletteSlots {
        struct Three<T> {
            var deep: T?, middle: T?, shallow: T?
            subscript(group group: Int) -> T? {
                get { group == 0 ? deep : group == 1 ? middle : shallow }
                set { if group == 0 { deep = newValue } else if group == 1 { middle = newValue } else { shallow = newValue } }
            }
            var all: [T] { [deep, middle, shallow].compactMap { $0 } }
        }
        var pending = Three<PaletteChange>()
        var retired = Three<[Float]>()
    }
    private let paletteExchange = Lock(PaletteSlots())
    /// A reloaded model (same architecture) with the palettes redrawn through its mapping network,
    /// prepared on the main thread; after the swap it goes back there to be released.
    public struct ModelChange {
        public var generator: Generator, palettes: [PaletteChange]
        public init(generator: Generator, palettes: [PaletteChange]) { self.generator = generator; self.palettes = palettes }
    }
    private let modelExchange = Lock<(pending: ModelChange?, retired: ModelChange?)>((nil, nil))

    /// The decoder must have been made for this network's layout and for `generator` (its noise layers
    /// and ws): a mismatch is an error here, never an out-of-bounds read in a frame.
    public init(source: AudioSource, generator: GeneratorBackend, network: EnvelopeModelFile, decoder: ParameterFreeDecoder, fps: Double,
                parameters: ParameterStore? = nil, networkName: String = "envelope network", tempo: TempoControl = TempoControl()) throws {
        guard network.layout == decoder.layout else {
            throw UsageError("\(networkName) drives the decoder layout \(network.layout), but the decoder was set up for \(decoder.layout)")
        }
        guard network.shape.outputs == decoder.layout.envelopeCount else {
            throw UsageError("\(networkName) has \(network.shape.outputs) outputs; its decoder layout needs \(decoder.layout.envelopeCount) envelopes")
        }
        guard decoder.numWs == generator.numWs, decoder.wDim == generator.architecture.wDim else {
            throw UsageError("the decoder writes \(decoder.numWs) ws of \(decoder.wDim) values; \(generator.label) takes \(generator.numWs) of \(generator.architecture.wDim)")
        }
        guard abs(network.fps - fps) < 1e-9 else { throw UsageError("\(networkName) runs at \(network.fps) fps, the engine at \(fps) fps") }
        let registry = ParameterBinding.registry(decoder: decoder, features: network.features)
        self.parameters = parameters ?? ParameterStore(registry: registry)
        binding = ParameterBinding(registry: self.parameters.registry, noiseResolutions: decoder.noiseResolutions, features: network.features)
        follower = ParameterFollower(store: self.parameters, alwaysOnBeat: ["synth"])
        neutral = .allocate(capacity: network.shape.outputs); neutral.initialize(repeating: 0, count: network.shape.outputs)
        self.source = source
        renderer = FrameRenderer(backend: generator)
        self.decoder = decoder
        self.fps = fps
        beats = RowBeats(tempo: tempo, registry: self.parameters.registry, fps: fps)
        extractor = try CausalExtractor(sampleRate: source.sampleRate, fps: fps)
        statistics = network.statistics
        runner = EnvelopeRunner(network: try network.network(path: "envelope network"))
        currentNetworkName = networkName
        networkFeatures = network.features
        networkLayout = network.layout
        let r = generator.architecture.imgResolution
        latest = LatestFrame(width: r, height: r, rowWidth: CausalLayout.width)
        audioCapacity = Int(source.sampleRate)            // a second of audio per tick at most
        audio = .allocate(capacity: audioCapacity)
        row = .allocate(capacity: CausalLayout.width); row.initialize(repeating: 0, count: CausalLayout.width)
        z = .allocate(capacity: CausalLayout.width); z.initialize(repeating: 0, count: CausalLayout.width)
        envelopes = .allocate(capacity: network.shape.outputs); envelopes.initialize(repeating: 0, count: network.shape.outputs)
        frameTimes = .allocate(capacity: maxFrames)
        latencies = .allocate(capacity: maxFrames)
    }

    deinit {
        stop()
        audio.deallocate(); row.deallocate(); z.deallocate(); envelopes.deallocate()
        frameTimes.deallocate(); latencies.deallocate(); neutral.deallocate()
    }

    public var snapshot: ProducerStats { stats.withLock { $0 } }

    /// Main thread: hands over a group's new palette (drawn there); it is swapped in at the next frame.
    /// Each group has its own slot, so changing several groups before the next frame changes them all.
    /// Returns what that group's slot still held (a replaced pending change, or latents retired and not
    /// yet taken), to release here: the producer must never be the one to free them.
    @discardableResult
    public func change(palette: PaletteChange) -> [[Float]] {
        precondition(Self.groups.indices.contains(palette.group), "no palette group \(palette.group)")
        return paletteExchange.withLock { e in
            var released: [[Float]] = []
            if let old = e.retired[group: palette.group] { released.append(old); e.retired[group: palette.group] = nil }
            if let old = e.pending[group: palette.group] { released.append(old.latents) }
            e.pending[group: palette.group] = palette
            return released
        }
    }

    /// Main thread: switches the envelope network (a preset made with another one) at the next frame. It
    /// must read the same features and drive the same decoder layout at the same frame rate; otherwise
    /// nothing changes and the error says why.
    public func change(network file: EnvelopeModelFile, name: String) throws {
        guard file.features == networkFeatures else { throw UsageError("\(name) reads other audio features than the running network") }
        guard file.layout == networkLayout else { throw UsageError("\(name) drives another decoder layout than the running network") }
        guard abs(file.fps - fps) < 1e-9 else { throw UsageError("\(name) runs at \(file.fps) fps, the engine at \(fps) fps") }
        let change = NetworkChange(runner: EnvelopeRunner(network: try file.network(path: name)), statistics: file.statistics, name: name)
        networkExchange.withLock { $0.pending = change }
    }

    /// Main thread: switches to a reloaded model at the next frame. It must have the running model's
    /// architecture (checked here: otherwise nothing changes and the error says why); the producer then
    /// copies its weights into the running generator and swaps in the palettes drawn through it.
    public func change(model: ModelChange) throws {
        guard model.generator.architecture == renderer.backend.architecture else {
            throw UsageError("\(model.generator.label) has another architecture than the running \(renderer.backend.label): restart with --model to switch")
        }
        guard model.palettes.allSatisfy({ $0.latents.count == decoder.palette.size * renderer.backend.architecture.wDim }) else {
            throw UsageError("the palettes drawn for \(model.generator.label) do not fit the decoder")
        }
        modelExchange.withLock { $0.pending = model }
    }

    /// Main thread: a replaced model change (the loaded generator and the old palettes), to release here.
    public func takeRetiredModel() -> Bool {
        // Moved out under the lock, released after it: freeing a whole model must not hold up the producer.
        let retired = modelExchange.withLock { e in defer { e.retired = nil }; return e.retired }
        return retired != nil
    }

    /// True from `change(model:)` until the producer has copied the weights (the main thread then must
    /// not draw palettes through the running generator, whose mapping network is being overwritten).
    public var isModelChangePending: Bool { modelExchange.withLock { $0.pending != nil } }

    /// Main thread: a replaced network, to release here.
    public func takeRetiredNetwork() -> Bool {
        let retired = networkExchange.withLock { e in defer { e.retired = nil }; return e.retired }
        return retired != nil
    }

    /// Main thread: the latents palette changes replaced, to release here rather than on the producer.
    public func takeRetiredPalettes() -> [[Float]] {
        paletteExchange.withLock { e in
            let taken = e.retired.all
            e.retired = .init()
            return taken
        }
    }

    public var paletteSize: Int { decoder.palette.size }

    /// A parameter's value as the decoder gets it now (ramped). Read it on the producer's thread, or
    /// while the producer is stopped (tests).
    public func currentValue(_ name: String) -> Double? { parameters.registry.index(of: name).map { follower[$0] } }

    /// The palette numbers the decoder draws with now (deep, middle, shallow seeds).
    /// (A fresh array: sharing the palette's own storage would make the producer's next write copy it.)
    public var paletteSeeds: [UInt64] { paletteExchange.withLock { _ in (0..<3).map { decoder.palette.seeds[$0] } } }
    public var isFinished: Bool { done.load(ordering: .acquiring) }

    public func start() {
        let t = Thread { [unowned self] in self.loop() }
        t.name = "latentvj frame producer"
        t.qualityOfService = .userInteractive
        thread = t
        t.start()
    }

    public func stop() { stopFlag.store(true, ordering: .releasing) }

    /// One tick of the engine (the loop calls this once per frame slot; tests call it directly): takes
    /// the audio that arrived, advances the whole state by it, one feature row (1/fps s of music) at a
    /// time, and renders the newest state once.
    ///
    /// Every clock the audience sees runs here on audio time: per feature row the parameter ramps and
    /// morphs, one network step, the decoder's smoothing, the beat clock and musical time advance by
    /// one row. A frame that took three slots to render is followed by one that consumes three rows, so
    /// a 4 s morph takes 4 s of music however fast the generator is, and the picture that comes out is
    /// the state of the music now. Nothing new to show (no row arrived): nothing is rendered.
    public func produceFrame() {
        let t0 = DispatchTime.now().uptimeNanoseconds
        followSampleRate()
        // Each swap runs (none may be skipped because another happened): a change to show.
        // A palette change made while changes are quantized waits for its boundary row (below).
        let quantized = beats.quantize(follower.values) != .off
        let palette = swapPendingPalette(includingOnBeat: !quantized), network = swapPendingNetwork(), model = swapPendingModel()
        var swapped = palette || network || model
        catchUpIfBehind()
        let consumedBefore = extractor.samplesConsumed
        var n = source.read(into: audio, maxFrames: audioCapacity)
        // The audio clock of this read's newest sample: each row's clock counts back from it.
        let newestClock = n > 0 ? source.clockOfNewestRead : nil
        if n == 0 { n = silenceWhileTheSourceIsGone(now: t0) } else { silenceSince = 0 }
        let ageAtRead = source.secondsSinceNewestSample
        let rate = extractor.sampleRate
        let transport = source.transport
        beats.audioClock(now: source.clockNow.map { Double($0) / rate })
        let frame = frameCount
        var rowsSeen = 0
        extractor.process(UnsafeBufferPointer(start: audio, count: n)) { _, newRow in
            for c in 0..<CausalLayout.width { row[c] = newRow[c] }
            let seconds = newestClock.map { Double($0 - (consumedBefore + n - extractor.lastRowEndSample)) / rate }
            if advanceOneRow(frame: frame, seconds: seconds, transport: transport) { swapped = true }
            rowsSeen += 1
        }
        guard rowsSeen > 0 || swapped else {
            sinks.withLock { for sink in $0 { sink.submit(audio: audio, count: n) } }   // audio with no new row still belongs to a recording
            return
        }
        frameCount += 1
        let values = follower.values
        // Freeze holds the picture: no decode, no render, the last image is shown again, while the
        // analysis, the network and the decoder's state run on underneath so unfreezing lands on the
        // music as it is now.
        let frozen = binding.isFrozen(values)
        if binding.isBlackout(values) {
            renderer.black(into: latest.drawing)
        } else if frozen {
            renderer.repaint(into: latest.drawing)
        } else {
            decoder.write(time: rowTime, beat: rowBeat, ws: renderer.ws)
            renderer.render(into: latest.drawing)
        }
        latest.drawingRow.update(from: row, count: CausalLayout.width)
        let handing = DispatchTime.now().uptimeNanoseconds
        sinks.withLock { for sink in $0 { sink.submit(frame: latest.drawing, audio: audio, count: n) } }
        sinkNanos += DispatchTime.now().uptimeNanoseconds - handing
        latest.publish()
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        // Audio-to-frame latency: the newest sample in this frame's last feature row, from entering the
        // source to the frame's publication: its age when read (the newest sample's age, plus the samples
        // after it that wait for the next row), plus the time this frame took.
        let waiting = Double(extractor.samplesConsumed - extractor.lastRowEndSample) / extractor.sampleRate
        let latency = 1000 * (ageAtRead + waiting) + ms
        if frame < maxFrames { frameTimes[frame] = ms; latencies[frame] = latency }
        beats.measured(latencyMs: latency)
        beats.publish()
        let seconds = earlierSeconds + Double(extractor.samplesConsumed + skippedSamples) / extractor.sampleRate
        let behind = Double(source.backlog) / extractor.sampleRate
        stats.withLock { s in
            s.frames = frame + 1
            s.rows = stateRows
            s.frameTimeMs = ms
            s.fps = s.fps == 0 ? fps : 0.95 * s.fps + 0.05 * (1000 / max(ms, 1000 / fps))
            s.rms = row[Self.rmsAt]; s.onsets = row[Self.onsetAt]; s.pulse = row[Self.pulseAt]
            for i in 0..<12 { s.chroma[i] = row[Self.chromaAt + i] }
            s.bpm = Double(row[Self.tempoAt])
            s.audioSeconds = seconds
            s.beat = rowBeat
            s.latencyMs = latency
            s.behindSeconds = behind
            s.skips = skips
            s.skippedSeconds = Double(skippedSamples) / extractor.sampleRate
            s.sinkMs = Double(sinkNanos) / 1e6 / Double(frame + 1)
        }
    }

    /// One feature row (1/fps s of music): beat, ramps, network, decoder state and musical time.
    /// `seconds` is the row's audio clock. True when a palette change waiting for the beat was swapped in.
    private func advanceOneRow(frame: Int, seconds: Double?, transport: TransportPosition?) -> Bool {
        stateRows += 1
        lastBpm = Double(row[Self.tempoAt]); lastRms = Double(row[Self.rmsAt])
        let (beat, boundary) = beats.advance(bpm: lastBpm, phase: Double(row[Self.phaseAt]), rms: lastRms, seconds: seconds,
                                             transport: transport, values: follower.values)
        let quantized = beats.quantize(follower.values) != .off
        // While changes are quantized, what waits for the beat is taken on the boundary row only.
        follower.advance(dt: 1 / fps, holdingForBeat: quantized && !boundary)
        let paletteOnBeat = quantized && boundary && swapPendingPalette(includingOnBeat: true)
        let values = follower.values
        statistics.apply(row, into: z)
        binding.weigh(z, values)
        runner.step(z, into: envelopes)
        binding.applyGains(values, to: decoder)
        let drive = binding.isSynthOff(values) ? UnsafePointer(neutral) : UnsafePointer(envelopes)
        decoder.step(drive)
        // Musical time: the noise loop advances with the music and stands still in silence.
        rowBeat = beat
        rowTime = musicalTime
        musicalTime += BeatClock.activity(rms: lastRms)
        let position = extractor.lastRowEndSample + skippedSamples
        log.withLock { $0?.add(frame: frame, audioPosition: position, beat: rowBeat, time: rowTime, envelopes: drive, parameters: values) }
        return paletteOnBeat
    }

    /// Behind means skip, visibly: when more than `maxBehindSeconds` of audio wait, the oldest is
    /// dropped and analysis goes on from the newest (keeping enough for the feature windows to fill).
    /// The network's state continues, and the clocks advance over the skipped audio as if it had been
    /// heard (at the last tempo and level), so ramps, beats and loops stay on the music's time.
    private func catchUpIfBehind() {
        let rate = extractor.sampleRate
        guard Double(source.backlog) > maxBehindSeconds * rate else { return }
        let dropped = source.skip(keepingNewest: Int(keepAfterSkipSeconds * rate))
        guard dropped > 0 else { return }
        skips += 1
        skippedSamples += dropped
        skippedRowRemainder += Double(dropped) / rate * fps
        while skippedRowRemainder >= 1 {
            skippedRowRemainder -= 1
            follower.advance(dt: 1 / fps)
            beats.skipRow(bpm: lastBpm, rms: lastRms)
            musicalTime += BeatClock.activity(rms: lastRms)
        }
    }

    /// A source that cannot deliver (the JACK server went away) leaves the engine on silence at the
    /// wall clock's pace: rows keep coming, so ramps and controls go on, while the music's own clocks
    /// (beats, musical time) stand still, as they do in silence.
    private func silenceWhileTheSourceIsGone(now: UInt64) -> Int {
        guard !source.deliversAudio, !source.finished else { silenceSince = 0; return 0 }
        if silenceSince == 0 { silenceSince = now; return 0 }
        let n = min(audioCapacity, Int(Double(now - silenceSince) / 1e9 * extractor.sampleRate))
        guard n > 0 else { return 0 }
        silenceSince += UInt64(Double(n) / extractor.sampleRate * 1e9)
        audio.update(repeating: 0, count: n)
        return n
    }

    /// Swaps in a network the main thread loaded; the old one goes back to it for release.
    private func swapPendingNetwork() -> Bool {
        networkExchange.withLock { e in
            guard var change = e.pending else { return false }
            e.pending = nil
            swap(&runner, &change.runner)
            swap(&statistics, &change.statistics)
            swap(&currentNetworkName, &change.name)
            e.retired = change
            return true
        }
    }

    /// Copies a reloaded model's weights into the running generator (in place, nothing allocated) and
    /// swaps in its palettes; the loaded generator and the old latents go back to the main thread.
    private func swapPendingModel() -> Bool {
        modelExchange.withLock { e in
            guard var change = e.pending else { return false }
            e.pending = nil
            try? renderer.backend.adoptWeights(of: change.generator)      // the architecture was checked in `change(model:)`
            decoder.generatorWeightsChanged()
            // Under the palette lock too: the main thread reads the seeds (`paletteSeeds`) under it.
            paletteExchange.withLock { _ in
                for i in change.palettes.indices {
                    decoder.palette.exchange(Self.groups[change.palettes[i].group], latents: &change.palettes[i].latents, seed: change.palettes[i].seed)
                }
            }
            e.retired = change
            return true
        }
    }

    /// Swaps in the palettes the main thread drew (any of the three groups); the old latents go back to
    /// it for release. (`change(palette:)` emptied each retired slot it fills, so nothing is freed here.)
    /// Changes that wait for the beat stay pending unless `includingOnBeat`.
    private func swapPendingPalette(includingOnBeat: Bool) -> Bool {
        paletteExchange.withLock { e in
            var swapped = false
            for g in 0..<3 {
                guard var change = e.pending[group: g], includingOnBeat || !change.onBeat else { continue }
                e.pending[group: g] = nil
                decoder.palette.exchange(Self.groups[change.group], latents: &change.latents, seed: change.seed)
                e.retired[group: g] = change.latents
                swapped = true
            }
            return swapped
        }
    }

    /// The JACK server came back at another rate: a new extractor for it (the one allocation a rate
    /// change costs, allowed because it is a new warm-up, not a frame). The network keeps its state.
    private func followSampleRate() {
        let rate = source.sampleRate
        guard rate > 0, rate != extractor.sampleRate, let fresh = try? CausalExtractor(sampleRate: rate, fps: fps) else { return }
        earlierSeconds += Double(extractor.samplesConsumed) / extractor.sampleRate
        extractor = fresh
        sampleRateChanges += 1
    }

    private func loop() {
        ThreadPriority.yieldToAudio()
        while !stopFlag.load(ordering: .acquiring) && !source.finished {
            produceFrame()
            // Wake when the next row of music has arrived, not on a clock of our own: a fixed period beats
            // against the audio's arrival and now and then shows two rows in one frame. At least 1 ms
            // (audio comes in blocks), at most a frame; a late frame goes straight on to the next.
            let missing = extractor.nextRowEndSample - extractor.samplesConsumed - source.backlog
            guard missing > 0 else { continue }
            usleep(UInt32(min(1 / fps, max(0.001, Double(missing) / extractor.sampleRate)) * 1e6))
        }
        done.store(true, ordering: .releasing)
    }

    /// Frame-time percentiles over everything rendered so far (ms).
    public func frameTimePercentiles() -> (p50: Double, p99: Double) { percentiles(frameTimes) }

    /// Measured audio-to-frame latency percentiles (ms), skipping the first second (warm-up).
    public func latencyPercentiles() -> (p50: Double, p99: Double) { percentiles(latencies, skip: Int(fps)) }

    private func percentiles(_ values: UnsafeMutablePointer<Double>, skip: Int = 0) -> (p50: Double, p99: Double) {
        let n = min(snapshot.frames, maxFrames)
        guard n > skip else { return (0, 0) }
        let times = (skip..<n).map { values[$0] }
        return (Statistics.percentile(times, 0.5), Statistics.percentile(times, 0.99))
    }
}
