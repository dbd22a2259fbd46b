import Basics
import ArgumentParser
import Control
import Foundation
import Live
import ModelFiles
import StyleGAN
import Synthesis

struct ParamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "params",
        abstract: "The live engine's parameters: name, OSC address, type, range, default, what each does.",
        discussion: """
        The registry depends on the model (its noise scales) and the envelope network (its feature groups).
          latentvj params                      a table
          latentvj params --json               the same as JSON
          latentvj params --markdown Docs/parameters.md   the reference page
        """)

    @OptionGroup var model: ModelOption

    @Option(help: "Envelope network (default: Presets/live.envelope).")
    var envelope: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Write the Markdown reference page to this file.")
    var markdown: String?

    func run() throws {
        try reportingErrors {
            let network = try EnvelopeModelFile.load(path: try envelope ?? ShippedFiles.locate("Presets/live.envelope"))
            let generator = try Generator(weights: model.load())
            let decoder = try DecoderSetup().makeDecoder(generator: generator, fps: network.fps)
            let registry = ParameterBinding.registry(decoder: decoder, features: network.features)
            if let markdown {
                try registry.markdown(title: "Parameters").write(toFile: markdown, atomically: true, encoding: .utf8)
                FileHandle.standardError.write("wrote \(markdown) (\(registry.count) parameters)\n")
                return
            }
            if json {
                let rows: [[String: Any]] = registry.parameters.map { p in
                    ["name": p.name, "osc": p.oscAddress, "type": p.typeName, "role": p.role.rawValue, "min": p.minimum, "max": p.maximum,
                     "default": p.defaultValue, "unit": p.unit, "help": p.help, "options": p.options]
                }
                FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: ["parameters": rows], options: [.prettyPrinted, .sortedKeys]))
                print()
                return
            }
            let width = registry.parameters.map(\.name.count).max() ?? 10
            for p in registry.parameters {
                let range = p.kind == .trigger ? "action" : p.options.isEmpty ? "\(Parameter.short(p.minimum))…\(Parameter.short(p.maximum))" : p.options.joined(separator: "|")
                print(p.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                      + p.typeName.prefix(7).padding(toLength: 9, withPad: " ", startingAt: 0)
                      + range.padding(toLength: 14, withPad: " ", startingAt: 0)
                      + "default \(p.describe(p.defaultValue))".padding(toLength: 14, withPad: " ", startingAt: 0) + p.help)
            }
        }
    }
}
