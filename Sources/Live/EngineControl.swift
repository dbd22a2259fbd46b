import Basics
import Control
import Foundation
import ModelFiles
import StyleGAN
import Synchronization
import Synthesis

/// The control side of the engine, driven by the main loop: OSC commands (presets, learn), preset
/// recall and morphs, palette changes, feedback to subscribed tablets. Parameters themselves go
/// straight from the OSC and MIDI threads into the lock-free store; this class handles what takes
/// files, the mapping network or the network.
public final class EngineControl {
    public let store: ParameterStore
    public let producer: FrameProducer
    public let presets: PresetLibrary
    public let osc: OSCServer?
    /// The running model's name ("default" for the untrained demo model; after a reload, the new model's label).
    public internal(set) var modelName: String
    /// The files a reload re-reads: the model (nil: the built-in default) and the envelope network
    /// running now (a preset that brings another network changes it).
    public var modelPath: String?
    public var envelopePath: String?
    /// The audio side's health for `/lvj/status/engine`: xruns so far and whether the audio server is
    /// connected (the live command reads its JACK source; a file on the internal clock has neither).
    public var audioHealth: () -> (xruns: Int, connected: Bool) = { (0, false) }
    /// The outputs' rows for `/lvj/status/outputs` (one message each; none without outputs).
    public var outputStatus: () -> [[OSCValue]] = { [] }
    /// A model being loaded off the main thread for a reload, and its result when done.
    let modelLoad = Shared<Result<FrameProducer.ModelChange, Error>?>(nil)
    var modelLoading = false
    /// The preset recalled last (HUD), and the latest message for the HUD (errors, "saved …").
    public private(set) var presetName = "default"
    public private(set) var message: String?
    /// Set when a key or OSC asked to learn: the parameter waiting for a control to move.
    public var learnPrompt: String? { learning.map { "MIDI learn: move a control for \(store.registry[$0].name)" } }
    /// The parameter MIDI learn is armed for (the MIDI side holds the state).
    public var learning: Int? { midi?.learning }
    /// The MIDI side (mapping router, learn), when there is a MIDI input.
    public var midi: MIDIControl? {
        didSet { if let midi { osc?.mappedAddress = { [weak midi] address, values in midi?.handle(osc: address, arguments: values) ?? false } } }
    }
    let generator: Generator
    private var sentValues: [Double]
    private var touchedValues: [Double]
    /// The parameter a controller moved most recently (the L key learns for it).
    public private(set) var lastTouched: Int?
    private var lastFeedback = 0.0, lastStatus = 0.0
    private var seenPalette: [Int]
    private var seenReseed: [Int]
    /// A morph just started (its length), and when it ends: controllers get every value again then.
    private var morphSeconds: Double?, morphEnds: Double?
    private var linkFollower: LinkFollower

    public init(producer: FrameProducer, generator: Generator, presets: PresetLibrary, osc: OSCServer?, modelName: String) {
        self.producer = producer
        store = producer.parameters
        linkFollower = LinkFollower(store: producer.parameters)
        self.generator = generator
        self.presets = presets
        self.osc = osc
        self.modelName = modelName
        sentValues = (0..<producer.parameters.registry.count).map { producer.parameters.value($0) }
        touchedValues = sentValues
        seenPalette = (0..<3).map { producer.parameters.serial(producer.binding.paletteIndex(group: $0)) }
        seenReseed = (0..<3).map { producer.parameters.serial(producer.binding.reseedIndex(group: $0)) }
    }

    /// One main-loop turn: commands, palette changes, feedback. `status` feeds `/lvj/status/*`.
    public func poll(now: Double, status: (fps: Double, correlation: Double?, bpm: Double, recording: Bool)) {
        for command in osc?.takeCommands() ?? [] { perform(command) }
        if let midi {
            let (slots, learned) = midi.takePending()
            for slot in slots { recall(slot: slot) }
            for text in learned { self.learned(text) }
        }
        if let m = morphSeconds { morphEnds = now + m; morphSeconds = nil }
        if let end = morphEnds, now >= end { morphEnds = nil; midi?.refreshFeedback() }
        if !producer.isModelChangePending { followPalettes() }
        _ = producer.takeRetiredPalettes()           // released here, on the main thread
        _ = producer.takeRetiredNetwork()
        _ = producer.takeRetiredModel()
        finishModelReload()
        for event in linkFollower.poll(store: store, tempo: producer.tempo) { report(event) }
        for i in 0..<store.registry.count {
            let v = store.value(i)
            if v != touchedValues[i] { touchedValues[i] = v; if store.registry[i].kind == .continuous { lastTouched = i } }
        }
        guard let osc, osc.subscriberCount > 0 else { return }
        if now - lastFeedback >= 0.05 {              // changed values, at most 20 times a second
            lastFeedback = now
            for i in 0..<store.registry.count where store.registry[i].kind != .trigger {
                let v = store.value(i)
                if v != sentValues[i] { sentValues[i] = v; osc.broadcast(store.registry[i].oscAddress, [.number(v)]) }
            }
        }
        if now - lastStatus >= 0.5 {
            lastStatus = now
            osc.broadcast("/lvj/status/fps", [.number(status.fps)])
            osc.broadcast("/lvj/status/correlation", [.number(status.correlation ?? 0)])
            osc.broadcast("/lvj/status/bpm", [.number(status.bpm)])
            osc.broadcast("/lvj/status/recording", [.number(status.recording ? 1 : 0)])
            osc.broadcast("/lvj/status/preset", [.text(presetName)])
            // The beat: source, BPM, phase (0…1), beat (since the source's zero), running, and 1 while
            // the chosen source is silent and the detected beat stands in.
            let tempo = producer.tempo.status
            // With Link: the other peers, and the time on Link's host clock (s) the beat is for.
            osc.broadcast("/lvj/status/tempo", [.text(tempo.source.rawValue), .number(tempo.bpm), .number(tempo.phase), .number(tempo.beat),
                                                .number(tempo.running ? 1 : 0), .number(tempo.fallback ? 1 : 0),
                                                .number(Double(tempo.linkPeers)), .double(tempo.linkHostSeconds)])
            // For monitors (and `bench soak`): frames rendered at engine time `now`, xruns, audio server
            // connected; then the music's clock: skips to the newest audio, audio waiting (s), the newest
            // frame's audio-to-frame latency (ms), rows of music the state advanced by, and their seconds.
            // Then messages taken and ignored from OSC and MIDI.
            let audio = audioHealth(), s = producer.snapshot
            osc.broadcast("/lvj/status/engine", [.number(Double(s.frames)), .number(now), .number(Double(audio.xruns)),
                                                 .number(audio.connected ? 1 : 0), .number(Double(s.skips)), .number(s.behindSeconds),
                                                 .number(s.latencyMs), .number(Double(s.rows)), .number(s.audioSeconds)])
            for row in outputStatus() { osc.broadcast("/lvj/status/outputs", row) }
            osc.broadcast("/lvj/status/control", [.number(Double(osc.acceptedCount)), .number(Double(osc.totalRejected)),
                                                  .number(Double(midi?.messageCount ?? 0)), .number(Double(midi?.garbageCount ?? 0))])
        }
    }

    public func perform(_ command: OSCServer.Command) {
        switch command {
        case .loadPreset(let name): recall(name, morph: 0)
        case .morphPreset(let name, let seconds): recall(name, morph: seconds ?? store.value("morph.time") ?? 4)
        case .savePreset(let name): save(name)
        case .learn(let parameter): arm(learn: parameter)
        case .reload(let what): reload(what)
        }
    }

    /// Recalls a preset by name (OSC, number keys, program change); a bad file changes nothing.
    public func recall(_ name: String, morph: Double) {
        do {
            let preset = try presets.load(name, registry: store.registry)
            // A preset made with another envelope network brings it along (loaded and checked first: a
            // bad file changes nothing). The model is not switched live.
            if let envelope = preset.envelope, envelope != producer.networkName {
                let path = try presets.path(ofFile: envelope)
                try producer.change(network: try EnvelopeModelFile.load(path: path), name: envelope)
                envelopePath = path
            }
            preset.apply(to: store, morph: morph, onBeat: quantizing)
            midi?.refreshFeedback()
            if morph > 0 { morphSeconds = morph }
            presetName = preset.name
            let warning = preset.model.flatMap { $0 != modelName ? "made with model \($0); running \(modelName): restart with --model to switch" : nil }
            report(.presetRecalled(name: preset.name, morphSeconds: morph, warning: warning))
        } catch {
            report(.presetRefused(action: "loaded", reason: "\(error)"))
        }
    }

    public func recall(slot: Int, morph: Double = 0) {
        guard let name = presets.name(ofSlot: slot) else { return say("no preset in slot \(slot)") }
        recall(name, morph: morph)
    }

    public func save(_ name: String) {
        do {
            let path = try presets.path(of: name)
            try Preset.capture(name: name, store: store, model: modelName, envelope: producer.networkName).save(path: path)
            presetName = name
            report(.presetSaved(name: name, path: path))
        } catch {
            report(.presetRefused(action: "saved", reason: "\(error)"))
        }
    }

    public func arm(learn parameter: Int) {
        guard let midi else { return say("MIDI learn needs a MIDI input (JACK: latentvj:midi_in)") }
        midi.arm(learn: parameter)
        report(.learnArmed(parameter: store.registry[parameter].name))
    }

    /// Learn finished: `text` says what was bound (and where it was saved).
    public func learned(_ text: String?) {
        midi?.cancelLearn()
        if let text { report(.learned(text)) }
    }

    /// Learn cancelled (Esc, or a key while it waited).
    public func cancelLearn() {
        midi?.cancelLearn()
        report(.learnCancelled)
    }

    /// A controller's outcome: shown in the HUD and handed on as an event.
    public func say(_ text: String) { report(.controller(text)) }

    func report(_ event: EngineEvent) {
        message = event.text
        events.append(event)
    }

    /// Events since the last call (main thread): the engine hands them to whoever drives it.
    public func takeEvents() -> [EngineEvent] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }
    private var events: [EngineEvent] = []

    /// True while `control.quantize` is on: a preset recall, a morph's start and a palette change wait
    /// for the next boundary.
    var quantizing: Bool { (store.value("control.quantize") ?? 0) != 0 }

    /// Palette numbers changed (a preset, OSC, MIDI) or a reseed fired: draw the new latents here and
    /// hand them to the producer, which swaps them in at its next frame.
    private func followPalettes() {
        for g in 0..<3 {
            let r = producer.binding.reseedIndex(group: g)
            if store.serial(r) != seenReseed[g] {
                seenReseed[g] = store.serial(r)
                store.set(producer.binding.paletteIndex(group: g), Double(Int.random(in: 1...9999)), onBeat: quantizing)
            }
            let p = producer.binding.paletteIndex(group: g)
            guard store.serial(p) != seenPalette[g] else { continue }
            seenPalette[g] = store.serial(p)
            let seed = ParameterBinding.seed(paletteNumber: Int(store.value(p)), group: g)
            guard seed != producer.paletteSeeds[g] else { continue }
            let latents = Palette.draw(generator: generator, size: producer.paletteSize, seed: seed)
            _ = producer.change(palette: .init(group: g, latents: latents, seed: seed, onBeat: quantizing))   // anything it hands back is released here
        }
    }
}
