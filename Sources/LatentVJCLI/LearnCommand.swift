import ArgumentParser
import AudioIn
import Basics
import Control
import Foundation
import Live
import ModelFiles
import StyleGAN
import Synthesis

struct LearnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "MIDI learn: the next control moved is bound to PARAM and saved in the mapping file.",
        discussion: """
        Standalone, it opens its own JACK client (latentvj-learn:midi_in, connected to every MIDI output or to \
        --connect), waits for a CC, note or pitch bend, and writes the binding into --mapping. With --engine PORT it \
        asks a running `latentvj live` (its OSC port) to learn instead: the engine's HUD shows the prompt and the \
        binding goes into the engine's active mapping file.
          latentvj learn deep.amplitude
          latentvj learn freeze --mapping Mappings/my-controller.yaml --connect "nanoKONTROL"
          latentvj learn intensity --engine 9000
        """)

    @Argument(help: "Parameter to bind (latentvj params lists them).")
    var parameter: String

    @Option(help: "Mapping file to save into (default: Mappings/nanokontrol2.yaml).")
    var mapping: String?

    @Option(help: "Connect MIDI output ports matching this pattern (default: all).")
    var connect: String?

    @Option(help: "Ask the engine listening for OSC on this port to learn, instead of listening here.")
    var engine: Int?

    @Option(help: "Give up after this many seconds.")
    var timeout = 30.0

    @OptionGroup var model: ModelOption

    func run() throws {
        try reportingErrors {
            if let engine {
                let client = try OSCClient(port: engine)
                guard client.send("/lvj/learn", [.text(parameter)]) else { throw UsageError("could not send to 127.0.0.1:\(engine)") }
                print("asked the engine on OSC port \(engine) to learn \(parameter): move a control now (its HUD shows the prompt)")
                return
            }
            let network = try EnvelopeModelFile.load(path: try ShippedFiles.locate("Presets/live.envelope"))
            let generator = try Generator(weights: model.load())
            let decoder = try DecoderSetup().makeDecoder(generator: generator, fps: network.fps)
            let registry = ParameterBinding.registry(decoder: decoder, features: network.features)
            guard let index = registry.index(of: parameter) else {
                throw UsageError("unknown parameter '\(parameter)' (latentvj params lists them)")
            }
            let path = try mapping ?? ShippedFiles.locate("Mappings/nanokontrol2.yaml")
            var options = JACKInput.Options()
            options.clientName = "latentvj-learn"
            let input: JACKInput
            do { input = try JACKInput(options: options) } catch { throw UsageError("MIDI learn listens on JACK: \(error)") }
            try input.connect(pattern: connect ?? ".*")
            try input.activate()
            let learn = MIDILearn(registry: registry)
            learn.arm(parameter: index)
            FileHandle.standardError.write("move a control for \(parameter) (listening on \(input.clientName):midi_in)…\n")
            let deadline = Date().addingTimeInterval(timeout)
            var lastConnect = Date()
            while Date() < deadline {
                if Date().timeIntervalSince(lastConnect) > 0.5 {      // controllers plugged in meanwhile
                    lastConnect = Date()
                    _ = try? input.connect(pattern: connect ?? ".*")
                }
                for event in input.readMIDI() {
                    guard let message = MIDIMessage(bytes: event.bytes), let entry = learn.offer(message) else { continue }
                    try MIDILearn.append(entry, registry: registry, toFile: path)
                    print("learned \(entry.control) → \(parameter); saved in \(path)")
                    return
                }
                usleep(2_000)
            }
            throw UsageError("no control moved within \(Int(timeout)) s; nothing was saved")
        }
    }
}
