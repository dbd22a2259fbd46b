/// The OSC commands the engine answers beside its parameters, as one declarative table: the address,
/// the arguments each takes (checked here, the same way for every command), what it does and its help.
/// The OSC server dispatches through it and OSCQuery describes it; neither lists commands of its own.
public struct OSCCommand: Sendable {
    /// One argument: what it must be, and its OSC type in OSCQuery's TYPE.
    public enum Argument: Sendable, Equatable {
        /// A preset's name (a name, never a path).
        case presetName
        /// A parameter, by registry name (`deep.amplitude`) or OSC address.
        case parameter
        /// Seconds, within the range.
        case seconds(ClosedRange<Double>)
        /// One of these words.
        case choice([String])
        /// A UDP port (the sender's own when left out).
        case port
        /// Anything: a controller's button sends a value, which is ignored.
        case ignored

        var typeTag: String {
            switch self {
            case .presetName, .parameter, .choice: "s"
            case .seconds: "f"
            case .port: "i"
            case .ignored: ""
            }
        }
    }

    /// What the command does once its arguments are valid.
    public enum Action: Sendable, Equatable {
        case loadPreset, savePreset, morphPreset, learn, reload
        case recordStart, recordStop
        /// Fires the trigger parameter (a palette's reseed, addressed as `/lvj/palette/NAME/reseed`).
        case fire(parameter: Int)
        /// Answered to the sender only: the parameter list, one value, feedback on or off.
        case list, query, subscribe, unsubscribe
    }

    /// A valid argument, as the action reads it.
    public enum Value: Sendable, Equatable {
        case text(String), number(Double), parameter(Int)
        /// An optional argument left out.
        case absent
    }

    public let address: String
    public let required: [Argument]
    public let optional: [Argument]
    public let action: Action
    public let help: String

    /// Replies go to the sender's UDP address, so these mean nothing to an OSCQuery client (whose tree
    /// and LISTEN stand for them) and are left out of its namespace.
    public var answersSender: Bool { [.list, .query, .subscribe, .unsubscribe].contains(action) }

    /// OSCQuery's TYPE: the tags of every argument it can take; "N" for none.
    public var typeTags: String {
        let tags = (required + optional).map(\.typeTag).joined()
        return tags.isEmpty ? "N" : tags
    }

    /// The table for a registry: the fixed commands, and a reseed alias per palette group.
    public static func table(for registry: ParameterRegistry) -> [OSCCommand] {
        let morphSeconds = 0.0...600
        var commands = [
            OSCCommand(address: "/lvj/preset/load", required: [.presetName], optional: [], action: .loadPreset,
                       help: "Recall a preset at once (the stage parameters stay as they are)."),
            OSCCommand(address: "/lvj/preset/save", required: [.presetName], optional: [], action: .savePreset,
                       help: "Save the scene as it is now under this name (Presets/NAME.preset.yaml)."),
            OSCCommand(address: "/lvj/preset/morph", required: [.presetName], optional: [.seconds(morphSeconds)], action: .morphPreset,
                       help: "Glide to a preset over the seconds given (else morph.time), on the music's clock."),
            OSCCommand(address: "/lvj/record/start", required: [], optional: [], action: .recordStart,
                       help: "Start recording the set (video, audio and the performance log)."),
            OSCCommand(address: "/lvj/record/stop", required: [], optional: [], action: .recordStop,
                       help: "Stop recording and finish the files."),
            OSCCommand(address: "/lvj/learn", required: [.parameter], optional: [], action: .learn,
                       help: "MIDI learn: the next control moved on a MIDI controller drives this parameter."),
            OSCCommand(address: "/lvj/reload", required: [], optional: [.choice(ReloadTarget.allCases.map(\.rawValue))], action: .reload,
                       help: "Read files again while running: all (as SIGHUP), mapping, envelope, model or presets."),
            OSCCommand(address: "/lvj/list", required: [], optional: [.ignored], action: .list,
                       help: "Replies /lvj/param for every parameter, then /lvj/list/end."),
            OSCCommand(address: "/lvj/query", required: [.parameter], optional: [], action: .query,
                       help: "Replies the parameter's address and value."),
            OSCCommand(address: "/lvj/subscribe", required: [], optional: [.port], action: .subscribe,
                       help: "Send changed values and /lvj/status/* to this host and port (the sender's, when left out)."),
            OSCCommand(address: "/lvj/unsubscribe", required: [], optional: [.port], action: .unsubscribe,
                       help: "Stop sending feedback to this host and port."),
        ]
        for group in ParameterRegistry.groups {
            guard let i = registry.index(of: "\(group).reseed") else { continue }
            commands.append(OSCCommand(address: "/lvj/palette/\(group)/reseed", required: [], optional: [.ignored], action: .fire(parameter: i),
                                       help: "Draw the \(group) palette again (as \(registry[i].oscAddress))."))
        }
        return commands
    }

    /// The arguments made valid, or why they are not.
    public func parse(_ arguments: [OSCValue], registry: ParameterRegistry) -> Result<[Value], Rejection> {
        guard arguments.count >= required.count, arguments.count <= required.count + optional.count else { return .failure(.wrongArity) }
        var values: [Value] = []
        for (k, spec) in (required + optional).enumerated() {
            guard k < arguments.count else { values.append(.absent); continue }
            switch Self.check(arguments[k], as: spec, registry: registry) {
            case .success(let v): values.append(v)
            case .failure(let r): return .failure(r)
            }
        }
        return .success(values)
    }

    private static func check(_ argument: OSCValue, as spec: Argument, registry: ParameterRegistry) -> Result<Value, Rejection> {
        switch spec {
        case .presetName:
            guard let name = argument.text else { return .failure(.wrongType) }
            guard PresetName.problem(name) == nil else { return .failure(.badName) }
            return .success(.text(name))
        case .parameter:
            guard let name = argument.text else { return .failure(.wrongType) }
            guard let i = registry.index(of: name) ?? registry.index(ofOSC: name) else { return .failure(.unknownAddress) }
            return .success(.parameter(i))
        case .seconds(let range):
            guard let s = argument.number() else { return .failure(.wrongType) }
            guard s.isFinite else { return .failure(.notFinite) }
            guard range.contains(s) else { return .failure(.outOfRange) }
            return .success(.number(s))
        case .choice(let words):
            guard let word = argument.text else { return .failure(.wrongType) }
            guard words.contains(word) else { return .failure(.outOfRange) }
            return .success(.text(word))
        case .port:
            // Range-checked as a Double: converting a huge value to Int first would trap (found by fuzzing).
            guard let p = argument.number(), p.isFinite, (1...65535).contains(p) else { return .failure(.outOfRange) }
            return .success(.number(p))
        case .ignored:
            return .success(.absent)
        }
    }

    /// Why a message was ignored.
    public enum Rejection: String, CaseIterable, Sendable, Error {
        case unknownAddress = "unknown address", wrongType = "wrong type", wrongArity = "wrong number of arguments"
        case notFinite = "NaN or infinity", outOfRange = "out of range", badName = "bad preset name"
        case refusedSender = "sender not allowed", malformed = "malformed packet"
    }
}

/// What `/lvj/reload` (and SIGHUP, for `all`) re-reads from disk while the engine runs.
public enum ReloadTarget: String, CaseIterable, Equatable, Sendable {
    case all, mapping, envelope, model, presets
}
