import Control
import Foundation

/// The engine's OSC address space as OSCQuery describes it (the Vidvox proposal, read by ossia score,
/// Chataigne, VDMX and Max through ossia): one JSON node per container and method, built from the
/// parameter registry (the one description OSC, MIDI, presets and the docs read too) and the OSC
/// server's command table. A node can be both a method and a container (`/lvj/record` is a toggle with
/// `start` and `stop` below it).
public struct OSCQueryNamespace: Sendable {
    public let registry: ParameterRegistry
    /// The commands beside the parameters (those that answer the sender over UDP are left out).
    public let commands: [OSCCommand]
    /// The current value of parameter `i` (the store's target, as OSC sets it).
    public let value: @Sendable (Int) -> Double
    /// The presets there are now: the choices a preset command's RANGE offers.
    public let presetNames: @Sendable () -> [String]
    /// What `?HOST_INFO` says: this server's name and the OSC port it sends to.
    public let hostName: String, oscPort: Int

    /// Every method's address, split, and what it is.
    private let entries: [(parts: [String], method: Method)]
    private enum Method { case parameter(Int), command(Int) }

    public init(registry: ParameterRegistry, commands: [OSCCommand] = [], hostName: String = "LatentVJ", oscPort: Int,
                presetNames: @escaping @Sendable () -> [String] = { [] }, value: @escaping @Sendable (Int) -> Double) {
        self.registry = registry; self.hostName = hostName; self.oscPort = oscPort; self.value = value
        self.presetNames = presetNames
        let described = commands.filter { !$0.answersSender }
        self.commands = described
        let split = { (a: String) in a.split(separator: "/").map(String.init) }
        entries = registry.parameters.indices.map { (split(registry[$0].oscAddress), Method.parameter($0)) }
            + described.indices.map { (split(described[$0].address), Method.command($0)) }
    }

    /// Every method's address: the parameters', then the commands'.
    public var addresses: [String] { entries.map { "/" + $0.parts.joined(separator: "/") } }

    /// The attributes this server describes (HOST_INFO's EXTENSIONS says which are on).
    public static let attributes = ["FULL_PATH", "CONTENTS", "TYPE", "VALUE", "RANGE", "CLIPMODE", "ACCESS", "DESCRIPTION", "UNIT"]

    public var hostInfo: [String: Any] {
        var extensions: [String: Bool] = [:]
        for a in Self.attributes where a != "FULL_PATH" && a != "CONTENTS" { extensions[a] = true }
        extensions["LISTEN"] = true
        extensions["PATH_ADDED"] = true; extensions["PATH_REMOVED"] = true
        for a in ["TAGS", "EXTENDED_TYPE", "CRITICAL", "OVERLOADS", "HTML", "PATH_CHANGED", "PATH_RENAMED"] {
            extensions[a] = false
        }
        return ["NAME": hostName, "OSC_PORT": oscPort, "OSC_TRANSPORT": "UDP", "EXTENSIONS": extensions]
    }

    /// What a request for `path` (with an optional single attribute) is answered with.
    public enum Answer {
        case json([String: Any])
        /// No node at that path.
        case notFound
        /// An attribute this server does not know.
        case unknownAttribute(String)
        /// A known attribute the node does not have (a container's VALUE, a trigger's VALUE).
        case noContent
    }

    public func answer(path: String, attribute: String?) -> Answer {
        if attribute == "HOST_INFO" { return path == "/" ? .json(hostInfo) : .notFound }
        guard let node = node(at: path) else { return .notFound }
        guard let attribute else { return .json(node) }
        guard Self.attributes.contains(attribute) else { return .unknownAttribute(attribute) }
        guard let v = node[attribute] else { return .noContent }
        return .json([attribute: v])
    }

    /// The node at `path` ("/", "/lvj", "/lvj/deep/amplitude"), with everything under it.
    public func node(at path: String) -> [String: Any]? {
        guard path.hasPrefix("/") else { return nil }
        return node(path.split(separator: "/").map(String.init))
    }

    private func node(_ parts: [String]) -> [String: Any]? {
        let exact = entries.first { $0.parts == parts }
        let below = entries.filter { $0.parts.count > parts.count && Array($0.parts.prefix(parts.count)) == parts }
        guard exact != nil || !below.isEmpty else { return nil }
        var node: [String: Any]
        switch exact?.method {
        case .parameter(let i)?: node = method(i)
        case .command(let c)?: node = command(commands[c])
        case nil: node = ["FULL_PATH": "/" + parts.joined(separator: "/"), "ACCESS": 0]
        }
        if !below.isEmpty {
            var contents: [String: Any] = [:]
            for name in Set(below.map { $0.parts[parts.count] }) { contents[name] = self.node(parts + [name]) }
            node["CONTENTS"] = contents
        }
        return node
    }

    /// A command: write-only, its arguments' types and what each may be.
    func command(_ c: OSCCommand) -> [String: Any] {
        var node: [String: Any] = ["FULL_PATH": c.address, "TYPE": c.typeTags, "ACCESS": 2, "DESCRIPTION": c.help]
        let ranges: [[String: Any]] = (c.required + c.optional).compactMap { argument in
            switch argument {
            case .presetName: c.action == .savePreset ? [:] : ["VALS": presetNames()]
            case .parameter: ["VALS": registry.parameters.map(\.name)]
            case .seconds(let r): ["MIN": r.lowerBound, "MAX": r.upperBound]
            case .choice(let words): ["VALS": words]
            case .port: ["MIN": 1, "MAX": 65535]
            case .ignored: nil
            }
        }
        if !ranges.isEmpty { node["RANGE"] = ranges }
        return node
    }

    /// The value of parameter `i` now, as its TYPE says: a float, a whole number, a choice's name;
    /// nil for a trigger, which has none. VALUE and LISTEN both read it.
    func typedValue(_ i: Int) -> OSCValue? {
        let p = registry[i], v = value(i)
        switch p.kind {
        case .trigger: return nil
        case .choice: return .text(p.describe(v.rounded()))
        case .toggle, .integer: return .int(Int32(v.rounded()))
        case .continuous: return .number(v)
        }
    }

    /// What LISTEN sends for parameter `i` now: its address and value, as an OSC datagram.
    func valueMessage(_ i: Int) -> [UInt8]? { typedValue(i).flatMap { oscDatagram(registry[i].oscAddress, [$0]) } }

    /// One parameter: its OSC type, value, range and what it does. Triggers are write-only and carry no
    /// value; choices are strings from their options (OSC takes the name or the index).
    func method(_ i: Int) -> [String: Any] {
        let p = registry[i]
        var node: [String: Any] = ["FULL_PATH": p.oscAddress, "DESCRIPTION": p.help, "ACCESS": 3]
        switch typedValue(i) {
        case nil:
            return node.merging(["TYPE": "N", "ACCESS": 2]) { _, new in new }
        case .text(let name)?:
            node["TYPE"] = "s"; node["VALUE"] = [name]; node["RANGE"] = [["VALS": p.options]]
        case .int(let n)?:
            node["TYPE"] = "i"; node["VALUE"] = [Int(n)]; node["RANGE"] = [["MIN": Int(p.minimum), "MAX": Int(p.maximum)]]
            node["CLIPMODE"] = ["both"]     // the OSC server refuses a value out of range: it never gets in
        case let other?:
            node["TYPE"] = "f"; node["VALUE"] = [other.number() ?? 0]; node["RANGE"] = [["MIN": p.minimum, "MAX": p.maximum]]
            node["CLIPMODE"] = ["both"]
        }
        if !p.unit.isEmpty { node["UNIT"] = [p.unit] }
        return node
    }
}
