import ArgumentParser
import AudioIn
import Basics
import Control
import Display
import Foundation
import Imaging
import Live
import Recording
import Synchronization
import ModelFiles
import StyleGAN
import Synthesis

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "The live engine: audio in, envelope network and decoder per frame, StyleGAN into a window with a HUD.",
        discussion: """
        Without --jack it plays a file (--audio, or the built-in demo track): through the JACK outputs out_1/out_2, \
        connected to the speakers and analysed in sync with what they play, when a JACK server runs; otherwise on an \
        internal clock, so it runs on any machine. \
        Keys: F fullscreen, H HUD, Esc quit. SIGHUP (or OSC /lvj/reload) re-reads the mapping, envelope network, model and presets; a broken file is reported and the running one stays. Without a display use --headless (the engine runs and reports its \
        frame rate). Recording, OSC and MIDI control are being built (issues 6–7).

        Examples:
          latentvj live                                   demo track, shipped envelope network, default model
          latentvj live --audio set.wav --model net.pkl --fullscreen
          latentvj live --jack --connect system:capture
          latentvj live --headless --seconds 20
        """)

    @Option(help: "Audio file to play (default: the built-in demo track): through JACK when a server runs, else on an internal clock.")
    var audio: String?

    @Flag(help: "Play the file on the internal clock even when a JACK server runs.")
    var noJack = false

    @Flag(help: "Play the file in a loop.")
    var loop = false

    @Flag(help: "Listen to the JACK inputs (latentvj:in_1/in_2) instead of a file.")
    var jack = false

    @Option(help: "With --jack: connect output ports matching this pattern to our inputs.")
    var connect: String?

    @OptionGroup var model: ModelOption

    @Option(help: "Envelope network (default: Presets/live.envelope).")
    var envelope: String?

    @Option(help: "Palette seed.")
    var paletteSeed: UInt64 = 1

    @Flag(help: "No window: run the engine and report.")
    var headless = false

    @Flag(help: "Start fullscreen.")
    var fullscreen = false

    @Option(help: "Display to open the window on.")
    var display = 0

    @Option(help: "Window size in pixels.")
    var windowSize = 720

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @Option(help: "Save a screenshot of the window (PNG) when stopping.")
    var screenshot: String?

    @Option(help: "With --screenshot: also save one every this many seconds of audio (NAME-001.png, NAME-002.png, ...).")
    var screenshotEvery: Double?

    @Flag(help: "Start with the HUD hidden (H shows it).")
    var noHud = false

    @Option(help: "UDP port of the OSC server (default 9000, or a free one if 9000 is taken; 0: any free port, printed at start).")
    var oscPort: Int?

    @Option(help: "Networks allowed to send OSC, as CIDR (repeatable; default: loopback and private networks).")
    var oscAllow: [String] = []

    @Flag(help: "No OSC server.")
    var noOsc = false

    @Option(help: "Folder of presets (default: the shipped Presets/). Saves go there too.")
    var presets: String?

    @Option(help: "Preset to start with.")
    var preset: String?

    @Option(help: "Mapping file for MIDI or custom OSC addresses (repeatable; default: Mappings/nanokontrol2.yaml). Learned bindings are saved in the first.")
    var mapping: [String] = []

    @Flag(help: "Also take MIDI from the ALSA sequencer (port latentvj:midi_in; needs /dev/snd/seq).")
    var alsaMidi = false

    @Option(help: "Record the set (frames and audio in sync) to this Matroska file; R toggles recording.")
    var record: String?

    @Flag(help: "Events as JSON lines on standard output (started, recording, reload, summary; see Docs/live-events.md). Messages for people stay on standard error.")
    var json = false

    func run() throws {
        try reportingErrors {
            MemoryPolicy.returnLargeBlocksToTheSystem()
            signal(SIGHUP, SIG_IGN)       // a reload asked for while the model loads must not end the engine
            let path = try envelope ?? ShippedFiles.locate("Presets/live.envelope")
            let network = try EnvelopeModelFile.load(path: path)
            let generator = try Generator(weights: model.load())
            let fps = network.fps
            var setup = DecoderSetup()
            setup.layout = network.layout
            setup.paletteSeeds = DecoderSetup.paletteSeeds(paletteSeed)
            let decoder = try setup.makeDecoder(generator: generator, fps: fps)
            let source = try openAudio()
            let producer = try FrameProducer(source: source, generator: generator, network: network, decoder: decoder, fps: fps,
                                             networkName: (path as NSString).lastPathComponent)
            var window: LiveWindow?
            if !headless {
                do { window = try LiveWindow(title: "LatentVJ", width: windowSize, height: windowSize, display: display, fullscreen: fullscreen) }
                catch { throw UsageError("\(error)") }
            }
            let events = LiveEvents(json: json)
            let recording = RecordingControl(base: record ?? "latentvj-set.mkv", producer: producer, width: generator.architecture.imgResolution,
                                             fps: fps, sampleRate: source.sampleRate)
            recording.onEvent = events.recording
            let control = try makeControl(producer: producer, generator: generator, source: source)
            recording.logHeader = { [audio] in
                PerformanceLog.Header(decoder: decoder, setup: setup, fps: fps, sampleRate: source.sampleRate,
                                      audio: audio.map { URL(fileURLWithPath: $0).path }, model: generator.label, centreSeconds: 8,
                                      parameters: producer.parameters.registry.parameters.map(\.name))
            }
            let store = producer.parameters
            if noHud { store.set("hud", 0) }
            if fullscreen { store.set("fullscreen", 1) }
            if record != nil { store.set("record", 1) }
            store.set("deep.palette", Double(paletteSeed)); store.set("middle.palette", Double(paletteSeed)); store.set("shallow.palette", Double(paletteSeed))
            control.modelPath = model.model
            if let jack = source as? JACKSource { control.audioHealth = { (jack.input.stats.xruns, jack.input.isConnected) } }
            control.envelopePath = path
            if let preset { control.recall(preset, morph: 0) }
            StopSignals.install()
            producer.start()
            let started = Date()
            var shots = 0
            var isFullscreen = fullscreen
            var announced = false
            let r = generator.architecture.imgResolution
            let watch = CorrelationWatch(width: r, height: r, fps: fps)
            while !producer.isFinished && !StopSignals.requested {
                let elapsed = Date().timeIntervalSince(started)
                if let seconds, elapsed >= seconds { break }
                (source as? JACKSource)?.keepAlive(now: elapsed)
                if StopSignals.takeReloadRequest() { control.reload(.all) }
                // The record toggle is a parameter (R, OSC, MIDI all set it); a failed encoder clears it.
                if (store.value("record") ?? 0 >= 0.5) != recording.isRecording { recording.toggle() }
                let recordingState = HUDState.Recording(recording.poll())   // notices a failed encoder even without a window
                if case .stopped = recordingState, store.value("record") ?? 0 >= 0.5, !recording.isRecording { store.set("record", 0) }
                recording.log?.flush()
                let snapshot = producer.snapshot
                if !announced && snapshot.frames > 0 {
                    // Frames flow and every control input listens: what a script waits for before it acts.
                    announced = true
                    events.started(oscPort: control.osc?.port, jack: (source as? JACKSource)?.input.clientName, fps: fps,
                                   model: generator.label, recording: recording.isRecording)
                }
                control.poll(now: elapsed, status: (snapshot.fps, watch.reading.value, snapshot.bpm, recording.isRecording))
                if let window {
                    var quit = false
                    for event in window.pollEvents() {
                        if event.requestsQuit { if control.learning != nil { control.learned("learn cancelled") } else { quit = true } }
                        guard case .action(let action) = event else { continue }
                        switch action {
                        case .toggleHUD: flip(store, "hud")
                        case .toggleFullscreen: flip(store, "fullscreen")
                        case .toggleRecording: flip(store, "record")
                        case .toggleFreeze: flip(store, "freeze")
                        case .preset(let slot): control.recall(slot: slot)
                        case .learn: control.arm(learn: control.lastTouched ?? store.registry.index(of: "intensity")!)
                        case .quit: break
                        }
                    }
                    if quit { break }
                    if (store.value("fullscreen") ?? 0 >= 0.5) != isFullscreen { try? window.toggleFullscreen(); isFullscreen.toggle() }
                    let showHUD = store.value("hud") ?? 1 >= 0.5
                    let fresh = producer.latest.takeNewest()
                    if let fresh { watch.shown(rgb: fresh, row: producer.latest.shownRow) }
                    let frame = fresh ?? producer.latest.shown
                    try window.present(rgb: frame, width: r, height: r,
                                       hud: showHUD ? hud(snapshot, source: source, generator: generator, correlation: watch.reading,
                                                          recording: recordingState, control: control) : nil)
                    // On the music's clock (seconds of audio analysed), so a series shows the same stretch of
                    // music on a fast machine and a slow one.
                    if let screenshot, let every = screenshotEvery, snapshot.audioSeconds >= every * Double(shots + 1) {
                        shots += 1
                        try saveScreenshot(window, to: Self.numbered(screenshot, shots))
                    }
                }
                usleep(headless ? 100_000 : 4_000)
            }
            if let screenshot, let window { try saveScreenshot(window, to: screenshot) }
            control.midi?.stop()
            control.osc?.stop()
            producer.stop()
            while !producer.isFinished && producer.thread != nil { usleep(10_000) }
            recording.finishAll()
            let s = producer.snapshot, p = producer.frameTimePercentiles()
            events.summary(frames: s.frames, seconds: Date().timeIntervalSince(started), p50: p.p50, p99: p.p99,
                           model: control.modelName == "default" ? generator.label : control.modelName)
        }
    }

    func saveScreenshot(_ window: LiveWindow, to path: String) throws {
        let shot = try window.screenshot()
        var pixels = [UInt8](repeating: 255, count: shot.width * shot.height * 4)
        for i in 0..<(shot.width * shot.height) { for c in 0..<3 { pixels[4 * i + c] = shot.rgb[3 * i + c] } }
        try PNGFile.write(Raster(width: shot.width, height: shot.height, pixels: pixels), to: path)
    }

    /// `shot.png`, 3 → `shot-003.png`.
    static func numbered(_ path: String, _ n: Int) -> String {
        let ext = (path as NSString).pathExtension
        return (path as NSString).deletingPathExtension + String(format: "-%03d.", n) + (ext.isEmpty ? "png" : ext)
    }

    /// The JACK inputs, a file through JACK when a server runs, or a file on the internal clock.
    func openAudio() throws -> AudioSource {
        if jack {
            do { return try JACKSource(connect: connect) } catch { throw UsageError("\(error)") }
        }
        let loader: JACKSource.FileLoader = { [audio] rate in
            guard let audio else { return DemoTrack.render(sampleRate: rate) }
            return try AudioFile.read(path: audio, sampleRate: rate)
        }
        let serverRuns = !noJack && JACKServer.isRunning()
        if let problem = JACKServer.lastProblem { FileHandle.standardError.write("JACK: \(problem) Playing on the internal clock.\n") }
        if serverRuns {
            do {
                let source = try JACKSource(connect: connect, playing: loader, loops: loop)
                FileHandle.standardError.write("playing through JACK (\(source.input.clientName):out_1/out_2) at \(Int(source.sampleRate)) Hz\n")
                return source
            } catch let error as FileError { throw error } catch {
                FileHandle.standardError.write("JACK is running but cannot be used (\(error)); playing on the internal clock\n")
            }
        }
        let clip = try audio.map { try AudioFile.read(path: $0) } ?? DemoTrack.render()
        return FilePlayback(clip: clip, loops: loop)
    }

    func flip(_ store: ParameterStore, _ name: String) { store.set(name, (store.value(name) ?? 0) >= 0.5 ? 0 : 1) }

    /// The OSC server and the control side (presets, palettes, feedback, learn).
    func makeControl(producer: FrameProducer, generator: Generator, source: AudioSource) throws -> EngineControl {
        var server: OSCServer?
        if !noOsc {
            let filter: NetworkFilter
            do { filter = oscAllow.isEmpty ? .privateNetworks : try NetworkFilter(cidrs: oscAllow) } catch { throw UsageError("--osc-allow: \(error)") }
            do {
                server = try OSCServer(port: oscPort ?? 9000, store: producer.parameters, filter: filter)
            } catch where oscPort == nil {
                // The default port is taken (another engine, another app): the show still starts.
                server = try OSCServer(port: 0, store: producer.parameters, filter: filter)
                FileHandle.standardError.write("OSC: port 9000 is in use; using \(server!.port) instead (choose one with --osc-port)\n")
            }
            FileHandle.standardError.write("OSC: listening on UDP port \(server!.port) (allowed: \(filter)); send /lvj/list for the namespace\n")
        }
        let folder = try presets ?? ShippedFiles.locate("Presets")
        let control = EngineControl(producer: producer, generator: generator, presets: PresetLibrary(folder: folder), osc: server,
                                    modelName: generator.untrained ? "default" : generator.label)
        control.midi = try makeMIDI(store: producer.parameters, source: source)
        return control
    }

    /// MIDI from JACK's midi_in (when the engine is a JACK client) and, if asked, the ALSA sequencer; one
    /// mapping router for both. A broken mapping file is an error at start (file, line, field).
    func makeMIDI(store: ParameterStore, source: AudioSource) throws -> MIDIControl? {
        let paths = mapping.isEmpty ? [try ShippedFiles.locate("Mappings/nanokontrol2.yaml")] : mapping
        let midi = try MIDIControl(store: store, mappingPaths: paths)
        var inputs: [String] = []
        if let jack = source as? JACKSource {
            midi.add { jack.input.readMIDI().map(\.bytes) }
            inputs.append("JACK \(jack.input.clientName):midi_in")
        }
        if alsaMidi {
            do {
                let alsa = try ALSASequencer()
                midi.add { alsa.read() }
                inputs.append("ALSA sequencer port \(alsa.port)")
            } catch {
                FileHandle.standardError.write("\(error)\n")
            }
        }
        FileHandle.standardError.write("MIDI: \(inputs.isEmpty ? "no input (start JACK, or --alsa-midi)" : inputs.joined(separator: ", ")); mapping \(midi.mappingName) (\(midi.entryCount) controls; learn saves to \((paths[0] as NSString).lastPathComponent))\n")
        midi.start()
        return midi
    }

    func hud(_ s: ProducerStats, source: AudioSource, generator: Generator, correlation: (value: Double?, history: [Double]),
             recording: HUDState.Recording, control: EngineControl) -> HUDState {
        var state = HUDState()
        state.fps = s.fps; state.frameTimeMs = s.frameTimeMs
        state.rms = min(1, s.rms * 4); state.onsets = min(1, s.onsets); state.pulse = min(1, s.pulse)
        state.chroma = (0..<12).map { s.chroma[$0] }
        state.bpm = s.bpm > 0 ? s.bpm : nil
        state.presetName = control.presetName
        state.learnPrompt = control.learnPrompt
        state.correlation = correlation.value
        state.correlationHistory = correlation.history
        state.recording = recording
        let status = source.status
        state.audioStatus = status.text; state.audioStatusIsWarning = status.warning
        state.untrainedModel = generator.untrained
        return state
    }
}

/// SIGINT and SIGTERM end the show cleanly: the main loop sees the flag, recordings are finalised.
/// SIGHUP asks for every file to be re-read (the daemon convention; `/lvj/reload` over OSC does the same).
enum StopSignals {
    static var requested: Bool { stop.load(ordering: .acquiring) }

    /// True once per SIGHUP received.
    static func takeReloadRequest() -> Bool { reload.exchange(false, ordering: .acquiringAndReleasing) }

    static func install() {
        stop.store(false, ordering: .releasing)
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { if s == SIGHUP { reload.store(true, ordering: .releasing) } else { stop.store(true, ordering: .releasing) } }
            source.resume()
            sources.append(source)
        }
    }
    static let stop = Atomic<Bool>(false), reload = Atomic<Bool>(false)
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
}
