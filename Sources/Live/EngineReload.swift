import Basics
import Control
import Foundation
import ModelFiles
import StyleGAN
import Synthesis

/// Re-reading the engine's files while it runs (OSC `/lvj/reload`, SIGHUP): a mapping, envelope
/// network or model edited or retrained during a set comes in without a restart. Each file is read and
/// checked completely before anything running is touched, so a broken or half-written file gives a
/// clear error and the previous one stays active.
extension EngineControl {
    public func reload(_ what: OSCServer.ReloadTarget) {
        switch what {
        case .all: for one in OSCServer.ReloadTarget.allCases where one != .all { reload(one) }
        case .mapping: reloadMapping()
        case .envelope: reloadEnvelope()
        case .model: reloadModel()
        case .presets: checkPresets()
        }
    }

    private func reloadMapping() {
        guard let midi else { return say("mapping: no MIDI input, nothing to reload") }
        if let problem = midi.reload() { report(.reloadRefused(file: "mapping", reason: problem)) } else { report(.reloaded(file: "mapping", detail: "\(midi.mappingName) (\(midi.entryCount) controls)")) }
    }

    private func reloadEnvelope() {
        guard let path = envelopePath else { return say("envelope network: no file to reload") }
        let name = (path as NSString).lastPathComponent
        do {
            try producer.change(network: try EnvelopeModelFile.load(path: path), name: name)
            report(.reloaded(file: "envelope network \(name)", detail: ""))
        } catch {
            report(.reloadRefused(file: "envelope network", reason: "\(error)"))
        }
    }

    /// Loads the model off the main thread (a large checkpoint takes seconds; the window keeps
    /// presenting), draws the current palettes through its mapping network, and hands both over at the
    /// next main-loop turn (`finishModelReload`).
    private func reloadModel() {
        guard let path = modelPath else { return say("model: the built-in default model has no file to reload (start with --model FILE)") }
        guard !modelLoading else { return say("model: a reload is already under way") }
        modelLoading = true
        say("model: reloading \((path as NSString).lastPathComponent)…")
        let running = generator.architecture, runningModel = generator.modelResolution
        let seeds = producer.paletteSeeds, size = producer.paletteSize
        let result = modelLoad
        Thread.detachNewThread {
            ThreadPriority.yieldToAudio()
            let outcome = Result<FrameProducer.ModelChange, Error>(catching: {
                var weights = try GeneratorCheckpoint.load(path: path).weights
                // A model rendered smaller (--render-size, --adapt) is reloaded at the same size.
                if weights.architecture.imgResolution == runningModel && running.imgResolution < runningModel {
                    weights = try weights.rendered(at: running.imgResolution)
                }
                let fresh = try Generator(weights: weights)
                guard fresh.architecture == running else {
                    throw UsageError("\(fresh.label) has another architecture (\(fresh.architecture.imgResolution) px) than the running model (\(running.imgResolution) px): restart with --model to switch")
                }
                let palettes = seeds.enumerated().map { g, seed in
                    FrameProducer.PaletteChange(group: g, latents: Palette.draw(generator: fresh, size: size, seed: seed), seed: seed)
                }
                return FrameProducer.ModelChange(generator: fresh, palettes: palettes)
            })
            result.value.withLock { $0 = outcome }
        }
    }

    /// Main loop: a model loaded for a reload goes to the producer, or its error to the HUD.
    func finishModelReload() {
        guard modelLoading, let outcome = modelLoad.value.withLock({ r in defer { r = nil }; return r }) else { return }
        modelLoading = false
        let name = (modelPath.map { ($0 as NSString).lastPathComponent }) ?? "model"
        do {
            var change = try outcome.get()
            // A palette changed while the model loaded: draw it again through the new model (not in use yet).
            let seeds = producer.paletteSeeds
            for i in change.palettes.indices where change.palettes[i].seed != seeds[change.palettes[i].group] {
                let g = change.palettes[i].group
                change.palettes[i] = .init(group: g, latents: Palette.draw(generator: change.generator, size: producer.paletteSize, seed: seeds[g]), seed: seeds[g])
            }
            try producer.change(model: change)
            modelName = change.generator.untrained ? "default" : change.generator.label
            report(.reloaded(file: "model \(name)", detail: ""))
        } catch {
            report(.reloadRefused(file: "model", reason: "\(error)"))
        }
    }

    /// Presets are read at each recall, so there is nothing to swap: this checks every file in the
    /// folder and names the broken ones (recalling one of those changes nothing and says why).
    private func checkPresets() {
        var broken: [String] = []
        let names = presets.names
        for name in names {
            do { _ = try presets.load(name, registry: store.registry) } catch { broken.append("\(error)") }
        }
        report(broken.isEmpty ? .reloaded(file: "presets", detail: "\(names.count) checked, all good")
               : .reloadRefused(file: "presets", reason: "\(names.count - broken.count) of \(names.count) good; broken: " + broken.joined(separator: "; ")))
    }
}
