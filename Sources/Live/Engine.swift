import AudioIn
import Basics
import Control
import Display
import Foundation
import Imaging
import OSCQuery
import Outputs
import ModelFiles
import Recording
import StyleGAN
import Synthesis
import Tempo

/// The live engine as a library type, built from one `EngineConfiguration`: audio in, the frame
/// producer (features, envelope network, decoder, generator) on its thread, the window with its HUD,
/// recording, OSC and MIDI control, the rolling correlation. Whoever drives it (`latentvj live`,
/// `bench live`, the tests) calls `start`, then `tick(now:)` once per main-loop turn, which returns
/// typed events, then `stop`; `run` is that main loop, the one every driver uses.
public final class Engine {
    public let configuration: EngineConfiguration
    public let generator: Generator
    /// What `--adapt` measured and chose (nil without it).
    public let adaptation: RenderAdaptation?
    public let producer: FrameProducer
    public let source: AudioSource
    public let control: EngineControl
    public let recording: RecordingControl
    public let window: LiveWindow?
    public let watch: CorrelationWatch
    /// The outputs into the rig (`--output`), each its own sink on the producer.
    public let outputs: EngineOutputs
    /// The OSC address space over HTTP (nil: off, no OSC server, or its port could not be had).
    public let oscQuery: OSCQueryServer?
    /// The web surface's thumbnail (with the OSCQuery server only).
    public let preview: EnginePreview?
    /// The engine on the network by name (with the OSCQuery server, where an avahi daemon runs).
    public private(set) var mdns: MDNSAdvertiser?
    public let fps: Double
    /// The envelope network's path.
    public let envelopePath: String
    /// Frames the main loop took from the producer (shown in the window, or drawn over off-screen).
    public private(set) var framesShown = 0

    private var store: ParameterStore { producer.parameters }
    private var startedAt: Double?
    private var announced = false, shots = 0, isFullscreen: Bool
    private var reportedSkips = 0
    private var pending: [EngineEvent]
    /// Lines from the OSC server's thread (rate-limited malformed-input reports), taken on the main loop.
    private let fromOtherThreads = Shared<[EngineEvent]>([])
    private var offscreenHUD: Raster?
    private var lastTick = 0.0

    public init(_ configuration: EngineConfiguration) throws {
        self.configuration = configuration
        var notices: [EngineEvent] = []
        MemoryPolicy.returnLargeBlocksToTheSystem()
        let path = try configuration.envelopePath ?? ShippedFiles.locate("Presets/live.envelope")
        envelopePath = path
        let network = try EnvelopeModelFile.load(path: path)
        fps = network.fps
        var setup = DecoderSetup()
        setup.layout = network.layout
        setup.paletteSeeds = DecoderSetup.paletteSeeds(configuration.paletteSeed)
        var weights = try ModelFile.load(path: configuration.modelPath)
        if let size = configuration.renderSize {
            do { weights = try weights.rendered(at: size) } catch { throw UsageError("--render-size: \(error)") }
            adaptation = nil
        } else if configuration.adapt {
            let budget = configuration.frameBudgetMs ?? 1000 / fps * RenderAdaptation.slotShare
            let chosen = try RenderAdaptation.measure(weights: weights, setup: setup, fps: fps, budgetMs: budget)
            weights = try weights.rendered(at: chosen.size)
            adaptation = chosen
            notices.append(.adapted(chosen))
        } else {
            adaptation = nil
        }
        generator = try Generator(weights: weights)
        let decoder = try setup.makeDecoder(generator: generator, fps: fps)
        if let adaptation { decoder.drivenNoiseLayers = adaptation.drivenNoiseLayers }
        source = try Self.openAudio(configuration.audio, notices: &notices)
        let outputNames = zip(EngineOutputs.names(of: configuration.outputs), configuration.outputs).map { (name: $0, target: $1.uri) }
        let registry = ParameterBinding.registry(decoder: decoder, features: network.features, outputs: outputNames)
        producer = try FrameProducer(source: source, generator: generator, network: network, decoder: decoder, fps: fps,
                                     parameters: ParameterStore(registry: registry), networkName: (path as NSString).lastPathComponent,
                                     tempo: TempoControl(source: configuration.tempo, linkQuantum: configuration.linkQuantum))
        producer.maxBehindSeconds = configuration.maxBehindSeconds
        if let w = configuration.window {
            do { window = try LiveWindow(title: "LatentVJ", width: w.size, height: w.size, display: w.display, fullscreen: w.fullscreen) }
            catch { throw UsageError("\(error)") }
        } else {
            window = nil
        }
        isFullscreen = configuration.window?.fullscreen ?? false
        if window == nil && configuration.drawsHUDWithoutWindow { offscreenHUD = Raster(width: 720, height: 720) }
        let r = generator.architecture.imgResolution
        outputs = EngineOutputs(configuration, renderSize: r, fps: fps, producer: producer, notices: &notices)
        recording = RecordingControl(base: configuration.recordPath, producer: producer, width: r, fps: fps, sampleRate: source.sampleRate)
        watch = CorrelationWatch(width: r, height: r, fps: fps)
        let osc = try Self.openOSC(configuration.osc, store: producer.parameters, notices: &notices)
        let presets = PresetLibrary(folder: try configuration.presetsFolder ?? ShippedFiles.locate("Presets"))
        let preview = configuration.oscQuery && osc != nil ? EnginePreview(renderSize: r, engineFPS: fps) : nil
        oscQuery = try Self.openOSCQuery(configuration, osc: osc, store: producer.parameters, presets: presets, preview: preview, notices: &notices)
        self.preview = oscQuery == nil ? nil : preview
        if let sink = self.preview?.sink { producer.attach(sink) }
        mdns = Self.advertise(oscQuery: oscQuery, osc: osc, enabled: configuration.mdns, notices: &notices)
        control = EngineControl(producer: producer, generator: generator, presets: presets, osc: osc,
                                modelName: generator.untrained ? "default" : generator.label)
        control.midi = try Self.openMIDI(configuration, store: producer.parameters, source: source, tempo: producer.tempo, notices: &notices)
        pending = notices
        let inbox = fromOtherThreads
        osc?.log = { line in inbox.value.withLock { $0.append(.controller(line)) } }
        recording.onEvent = { [unowned self] in pending.append(.recording($0)) }
        recording.logHeader = { [unowned self, configuration] in
            PerformanceLog.Header(decoder: decoder, setup: setup, fps: fps, sampleRate: source.sampleRate,
                                  audio: configuration.audioPath.map { URL(fileURLWithPath: $0).path }, model: generator.label,
                                  centreSeconds: 8, parameters: store.registry.parameters.map(\.name))
        }
        if !configuration.hud { store.set("hud", 0) }
        store.set("tempo.source", Double(TempoSource.allCases.firstIndex(of: configuration.tempo) ?? 0))
        store.set("control.quantize", Double(Quantize.allCases.firstIndex(of: configuration.quantize) ?? 0))
        if isFullscreen { store.set("fullscreen", 1) }
        if configuration.recordAtStart { store.set("record", 1) }
        for group in ["deep", "middle", "shallow"] { store.set("\(group).palette", Double(configuration.paletteSeed)) }
        control.modelPath = configuration.modelPath
        control.envelopePath = path
        control.outputStatus = { [outputs] in outputs.status }
        if let jack = source as? JACKSource { control.audioHealth = { (jack.input.stats.xruns, jack.input.isConnected) } }
        if let preset = configuration.preset { control.recall(preset, morph: 0) }
    }

    /// An engine dropped without `stop` (a driver that failed half-way) still ends its threads, while
    /// everything they use is alive.
    deinit {
        control.midi?.stop()
        oscQuery?.stop()          // first: its WebSocket clients send through the OSC server
        control.osc?.stop()
        producer.stop()
        while !producer.isFinished && producer.thread != nil { usleep(10_000) }
    }

    /// The HUD's render line: fixed once the model is chosen, so made once, not every frame.
    private lazy var renderLine: (text: String, warning: Bool) = {
        let size = generator.architecture.imgResolution
        if let adaptation, !adaptation.isFull {
            return (adaptation.hudText.uppercased() + (adaptation.overBudget ? " (STILL SLOW)" : ""), true)
        }
        return (size == generator.modelResolution ? "RENDER \(size) PX" : "RENDER \(size) OF \(generator.modelResolution) PX", false)
    }()

    /// Starts the frame producer; `tick` takes it from here.
    public func start() { producer.start() }

    /// True once a finite source has played to its end and the producer has stopped.
    public var isFinished: Bool { producer.isFinished }

    /// Asks for every file to be re-read (SIGHUP, or `/lvj/reload` which the control side handles itself).
    public func reloadAll() { control.reload(.all) }

    /// One main-loop turn at engine time `now` (seconds since start): controls, recording, the window
    /// and its HUD, screenshots. Returns what happened.
    public func tick(now: Double) -> [EngineEvent] {
        if startedAt == nil { startedAt = now }
        lastTick = now
        if let jack = source as? JACKSource, let change = jack.keepAlive(now: now) { pending.append(change) }
        // The record toggle is a parameter (R, OSC, MIDI all set it); a failed encoder clears it.
        if (store.value("record") ?? 0 >= 0.5) != recording.isRecording { recording.toggle() }
        let recordingState = HUDState.Recording(recording.poll())   // notices a failed encoder even without a window
        if case .stopped = recordingState, store.value("record") ?? 0 >= 0.5, !recording.isRecording { store.set("record", 0) }
        recording.log?.flush()
        let snapshot = producer.snapshot
        if !announced && snapshot.frames > 0 {
            announced = true
            pending.append(.started(oscPort: control.osc?.port, oscQueryPort: oscQuery?.port, jackClient: (source as? JACKSource)?.input.clientName, fps: fps,
                                    model: generator.label, recording: recording.isRecording))
        }
        if snapshot.skips > reportedSkips {
            reportedSkips = snapshot.skips
            pending.append(.fellBehind(skips: snapshot.skips, skippedSeconds: snapshot.skippedSeconds))
        }
        pending += outputs.tick(now: now, store: store)
        control.poll(now: now, status: (snapshot.fps, watch.reading.value, snapshot.bpm, recording.isRecording))
        pending += control.takeEvents()
        pending += fromOtherThreads.value.withLock { e in defer { e = [] }; return e }
        present(snapshot, recording: recordingState)
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    /// The window (keys, fullscreen, the newest frame with its HUD) or, headless, the newest frame into
    /// the correlation (and the off-screen HUD when asked).
    private func present(_ snapshot: ProducerStats, recording recordingState: HUDState.Recording) {
        guard let window else {
            if let frame = producer.latest.takeNewest() {
                framesShown += 1
                watch.shown(rgb: frame, row: producer.latest.shownRow)
                if offscreenHUD != nil { HUD.draw(hud(snapshot, recording: recordingState), into: &offscreenHUD!) }
            }
            return
        }
        for event in window.pollEvents() {
            if event.requestsQuit {
                if control.learning != nil { control.cancelLearn() } else { pending.append(.quitRequested) }
            }
            guard case .action(let action) = event else { continue }
            switch action {
            case .toggleHUD: flip("hud")
            case .toggleFullscreen: flip("fullscreen")
            case .toggleRecording: flip("record")
            case .toggleFreeze: flip("freeze")
            case .tap: store.set("tempo.tap", 1)
            case .preset(let slot): control.recall(slot: slot)
            case .learn: control.arm(learn: control.lastTouched ?? store.registry.index(of: "intensity")!)
            case .quit: break
            }
        }
        pending += control.takeEvents()
        if (store.value("fullscreen") ?? 0 >= 0.5) != isFullscreen { try? window.toggleFullscreen(); isFullscreen.toggle() }
        let showHUD = store.value("hud") ?? 1 >= 0.5
        let fresh = producer.latest.takeNewest()
        if let fresh { framesShown += 1; watch.shown(rgb: fresh, row: producer.latest.shownRow) }
        let r = generator.architecture.imgResolution
        do {
            try window.present(rgb: fresh ?? producer.latest.shown, width: r, height: r,
                               hud: showHUD ? hud(snapshot, recording: recordingState) : nil)
        } catch {
            pending.append(.notice("window: \(error)"))
        }
        // On the music's clock (seconds of audio analysed), so a series shows the same stretch of music
        // on a fast machine and a slow one.
        if let path = configuration.screenshot, let every = configuration.screenshotEvery, snapshot.audioSeconds >= every * Double(shots + 1) {
            shots += 1
            saveScreenshot(to: Self.numbered(path, shots))
        }
    }

    /// The main loop every driver uses: ticks until `shouldStop` says so, the source ends, the window
    /// asks to quit or `configuration.seconds`-style limits are reached by `shouldStop`; hands each event
    /// to `onEvent`; then stops the engine and returns the summary.
    public func run(shouldStop: (Double) -> Bool, reloadRequested: () -> Bool = { false },
                    onEvent: (EngineEvent) -> Void) -> EngineSummary {
        let clock = DispatchTime.now().uptimeNanoseconds
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - clock) / 1e9 }
        start()
        var quit = false
        while !quit && !isFinished && !shouldStop(now()) {
            if reloadRequested() { reloadAll() }
            for event in tick(now: now()) {
                onEvent(event)
                if case .quitRequested = event { quit = true }
            }
            usleep(window == nil && offscreenHUD == nil ? 20_000 : 4_000)
        }
        let summary = stop(now: now())
        for event in pending { onEvent(event) }
        pending.removeAll()
        return summary
    }

    /// Ends the show: the final screenshot, controls closed, the producer stopped, every recording
    /// finished (bounded). Events from the end (recordings finished) are in the next `tick`'s place:
    /// `run` hands them on; a driver of its own calls `takeFinalEvents`.
    public func stop(now: Double) -> EngineSummary {
        if let path = configuration.screenshot, window != nil { saveScreenshot(to: path) }
        control.midi?.stop()
        oscQuery?.stop()          // first: its WebSocket clients send through the OSC server
        control.osc?.stop()
        producer.stop()
        while !producer.isFinished && producer.thread != nil { usleep(10_000) }
        outputs.stop()
        preview?.sink.stop()
        mdns = nil                // off the network with the servers
        recording.finishAll()
        let s = producer.snapshot, p = producer.frameTimePercentiles(), latency = producer.latencyPercentiles()
        return EngineSummary(frames: s.frames, rows: s.rows, seconds: now - (startedAt ?? 0), frameTimeP50: p.p50, frameTimeP99: p.p99,
                             latencyP50: latency.p50, latencyP99: latency.p99, skips: s.skips, skippedSeconds: s.skippedSeconds,
                             model: control.modelName == "default" ? generator.label : control.modelName,
                             outputs: outputs.summary, sinkMs: s.sinkMs)
    }

    /// Events that came with `stop` (recordings finished), for drivers that call `stop` themselves.
    public func takeFinalEvents() -> [EngineEvent] { defer { pending.removeAll() }; return pending }

    private func flip(_ name: String) { store.set(name, (store.value(name) ?? 0) >= 0.5 ? 0 : 1) }

    private func saveScreenshot(to path: String) {
        guard let window else { return }
        do {
            let shot = try window.screenshot()
            var pixels = [UInt8](repeating: 255, count: shot.width * shot.height * 4)
            for i in 0..<(shot.width * shot.height) { for c in 0..<3 { pixels[4 * i + c] = shot.rgb[3 * i + c] } }
            try PNGFile.write(Raster(width: shot.width, height: shot.height, pixels: pixels), to: path)
            pending.append(.screenshot(path: path))
        } catch {
            pending.append(.notice("screenshot \(path) not saved: \(error)"))
        }
    }

    /// `shot.png`, 3 → `shot-003.png`.
    public static func numbered(_ path: String, _ n: Int) -> String {
        let ext = (path as NSString).pathExtension
        return (path as NSString).deletingPathExtension + String(format: "-%03d.", n) + (ext.isEmpty ? "png" : ext)
    }

    func hud(_ s: ProducerStats, recording: HUDState.Recording) -> HUDState {
        var state = HUDState()
        state.fps = s.fps; state.frameTimeMs = s.frameTimeMs
        state.rms = min(1, s.rms * 4); state.onsets = min(1, s.onsets); state.pulse = min(1, s.pulse)
        state.chroma = (0..<12).map { s.chroma[$0] }
        let tempo = producer.tempo.status
        state.bpm = tempo.bpm > 0 ? tempo.bpm : nil
        // With Link, the other peers in the session after the source ("LINK:2").
        state.tempoSource = tempo.source == .link ? "\(tempo.source.hudName):\(tempo.linkPeers)" : tempo.source.hudName
        state.beat = tempo.beat; state.tempoFallback = tempo.fallback
        state.presetName = control.presetName
        state.learnPrompt = control.learnPrompt
        let correlation = watch.reading
        state.correlation = correlation.value
        state.correlationHistory = correlation.history
        state.recording = recording
        let status = source.status
        state.audioStatus = status.text; state.audioStatusIsWarning = status.warning
        state.untrainedModel = generator.untrained
        state.renderLine = renderLine.text; state.renderLineIsWarning = renderLine.warning
        let out = outputs.hudLine(now: lastTick)
        state.outputsLine = out.text; state.outputsLineIsWarning = out.warning
        state.latencyMs = s.latencyMs; state.behindSeconds = s.behindSeconds
        state.skips = s.skips; state.skippedSeconds = s.skippedSeconds
        return state
    }
}

extension EngineConfiguration {
    /// The audio file played, if one was named.
    var audioPath: String? { if case .file(let path, _, _, _) = audio { return path } else { return nil } }
}

extension HUDState.Recording {
    public init(_ status: RecordingControl.Status) {
        switch status {
        case .off: self = .off
        case .recording(let seconds): self = .recording(elapsedSeconds: seconds)
        case .stopped(let message): self = .stopped(message: message)
        }
    }
}
