import Tempo

/// Every parameter of the live engine, in a fixed order (indices are stable for a given model and
/// envelope network): the one list OSC, MIDI mappings, presets, the performance log and the docs use.
public struct ParameterRegistry: Sendable {
    public let parameters: [Parameter]
    private let indexByName: [String: Int]

    public init(_ parameters: [Parameter]) {
        self.parameters = parameters
        var index = [String: Int]()
        for (i, p) in parameters.enumerated() {
            precondition(index[p.name] == nil, "parameter \(p.name) is defined twice")
            index[p.name] = i
        }
        indexByName = index
    }

    public var count: Int { parameters.count }
    public subscript(_ i: Int) -> Parameter { parameters[i] }
    public func index(of name: String) -> Int? { indexByName[name] }
    public func index(ofOSC address: String) -> Int? {
        guard address.hasPrefix("/lvj/") else { return nil }
        return indexByName[address.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false).joined(separator: ".")]
    }

    /// Names of the three layer groups, in decoder order.
    public static let groups = ["deep", "middle", "shallow"]
    /// Envelope sources the performer can switch between.
    public static let synthesizers = ["gru", "none"]

    /// The engine's parameters for a model with these distinct noise resolutions and an envelope
    /// network reading these feature groups, sending to these outputs (their names and what they are).
    public static func live(noiseResolutions: [Int], featureGroups: [String], outputs: [(name: String, target: String)] = []) -> ParameterRegistry {
        var p: [Parameter] = []
        for g in groups {
            p.append(Parameter("\(g).amplitude", .continuous, range: 0...3, default: 1,
                               "Motion of the \(g) layers (\(groupRole(g))) around their home latent."))
        }
        for g in groups {
            p.append(Parameter("\(g).palette", .integer, range: 1...9999, default: 1,
                               "Palette number of the \(g) layers: which latents the envelopes mix (each number is a different set)."))
        }
        for g in groups {
            p.append(Parameter("\(g).reseed", .trigger, default: 0, "Moves the \(g) layers to a new random palette number."))
        }
        for r in noiseResolutions {
            p.append(Parameter("noise.s\(r).sigma", .continuous, range: 0...3, default: 1,
                               "Strength of the \(r)×\(r) px noise (\(r <= 8 ? "coarse shapes" : r <= 32 ? "texture" : "fine grain"))."))
        }
        for f in featureGroups {
            p.append(Parameter("weight.\(f)", .continuous, range: 0...2, default: 1,
                               "How much the \(f) feature feeds the envelope network (0 ignores it, 2 doubles it)."))
        }
        p += [
            Parameter("intensity", .continuous, range: 0...3, default: 1, "Global reactivity: scales all latent motion and the noise envelopes."),
            Parameter("psi", .continuous, range: 0...1.5, default: 1, "Truncation ψ: below 1 pulls every frame towards the model's average picture."),
            Parameter("temperature", .continuous, range: 0.05...5, default: 1, "Softmax temperature of the palette mix: low lets one latent dominate, high blends."),
            Parameter("smoothing", .continuous, range: 0...2, default: 0, unit: "s", "Smoothing of the envelopes (0: as fast as the music)."),
            Parameter("loop.bars", .integer, range: 0...64, default: 0, unit: "bars", "Home latent loops through the palette every this many bars (0: fixed home)."),
            Parameter("residual", .toggle, default: 1, "Residual mode: motion is centred and added to a home latent."),
            Parameter("synth", .choice(synthesizers), default: 0, "What drives the decoder: gru (the envelope network) or none (the home picture, still)."),
            Parameter("freeze", .toggle, default: 0, role: .stage, "Holds the current picture; analysis goes on underneath."),
            Parameter("blackout", .toggle, default: 0, role: .stage, "Black screen (and recording)."),
            Parameter("hud", .toggle, default: 1, role: .stage, "Shows the HUD over the picture."),
            Parameter("fullscreen", .toggle, default: 0, role: .stage, "Fullscreen window."),
            Parameter("record", .toggle, default: 0, role: .transport, "Records the set (frames, audio and the performance log)."),
            Parameter("morph.time", .continuous, range: 0...60, default: 4, unit: "s", "Default time of a preset morph."),
            Parameter("control.smoothing", .continuous, range: 0...2, default: 0.05, unit: "s",
                      "Ramp time for controller moves on continuous parameters (no zipper steps)."),
            Parameter("control.quantize", .choice(Quantize.names), default: 0, role: .stage,
                      "Changes on the beat: preset recall, morph start, palette change and synth switch wait for the next beat, bar, 2 or 4 bars."),
            Parameter("tempo.source", .choice(TempoSource.names), default: 0, role: .stage,
                      "Where the beat comes from: detect (the audio), midi-clock, jack (transport), link (Ableton Link), tap."),
            Parameter("tempo.bpm", .continuous, range: 20...300, default: 120, unit: "BPM", role: .stage,
                      "Proposes this tempo to the Ableton Link session when set (link source); the session's tempo is in /lvj/status/tempo."),
            Parameter("tempo.tap", .trigger, default: 0, role: .stage, "Tap tempo: one tap per beat (the tap source)."),
            Parameter("tempo.offset", .continuous, range: -500...500, default: 0, unit: "ms", role: .stage,
                      "Lookahead on top of the measured latency: positive for a projector or output that shows the picture late (changes are made that much earlier), negative if the picture leads the sound."),
        ]
        for o in outputs {
            p.append(Parameter("output.\(o.name)", .toggle, default: 1, role: .stage, "Sends the picture to the output \(o.target) (0: that output takes no frames)."))
        }
        return ParameterRegistry(p)
    }

    static func groupRole(_ g: String) -> String {
        switch g {
        case "deep": "overall composition"
        case "middle": "shapes and objects"
        default: "colour and texture"
        }
    }

    /// The reference page (`latentvj params --markdown`).
    public func markdown(title: String) -> String {
        var out = "# \(title)\n\n"
        out += "Generated by `latentvj params --markdown`. Every parameter is reachable over OSC at its address "
        out += "(dots become slashes) and from MIDI through a mapping file. Its role says where it travels: presets store "
        out += "the scene; the stage (what the VJ does to the output right now) and the transport (recording) stay out.\n\n"
        out += "| name | OSC address | type | range | default | role | what it does |\n|---|---|---|---|---|---|---|\n"
        for p in parameters {
            let range: String
            switch p.kind {
            case .toggle: range = "0 / 1"
            case .trigger: range = "any"
            case .choice(let o): range = o.joined(separator: ", ")
            default: range = "\(Parameter.short(p.minimum))–\(Parameter.short(p.maximum))\(p.unit.isEmpty ? "" : " " + p.unit)"
            }
            out += "| `\(p.name)` | `\(p.oscAddress)` | \(p.typeName.hasPrefix("choice") ? "choice" : p.typeName) | \(range) | \(p.describe(p.defaultValue)) | \(p.role.rawValue) | \(p.help) |\n"
        }
        return out
    }
}
