import Control
import Foundation

/// The engine's OSC address space as OSCQuery describes it (the Vidvox proposal, read by ossia score,
/// Chataigne, VDMX and Max through ossia): one JSON node per container and method, built from the
/// parameter registry, the one description OSC, MIDI, presets and the docs read too.
public struct OSCQueryNamespace: Sendable {
    public let registry: ParameterRegistry
    /// The current value of parameter `i` (the store's target, as OSC sets it).
    public let value: @Sendable (Int) -> Double
    /// What `?HOST_INFO` says: this server's name and the OSC port it sends to.
    public let hostName: String, oscPort: Int

    public init(registry: ParameterRegistry, hostName: String = "LatentVJ", oscPort: Int, value: @escaping @Sendable (Int) -> Double) {
        self.registry = registry; self.hostName = hostName; self.oscPort = oscPort; self.value = value
    }

    /// The attributes this server describes (HOST_INFO's EXTENSIONS says which are on).
    public static let attributes = ["FULL_PATH", "CONTENTS", "TYPE", "VALUE", "RANGE", "CLIPMODE", "ACCESS", "DESCRIPTION", "UNIT"]

    public var hostInfo: [String: Any] {
        var extensions: [String: Bool] = [:]
        for a in Self.attributes where a != "FULL_PATH" && a != "CONTENTS" { extensions[a] = true }
        extensions["LISTEN"] = true
        for a in ["TAGS", "EXTENDED_TYPE", "CRITICAL", "OVERLOADS", "HTML", "PATH_CHANGED", "PATH_RENAMED", "PATH_ADDED", "PATH_REMOVED"] {
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
        let parts = path.split(separator: "/").map(String.init)
        guard path.hasPrefix("/") else { return nil }
        if let i = registry.index(ofOSC: path), parts.count >= 2 { return method(i) }
        // A container: every parameter whose address lies below it.
        let below = registry.parameters.indices.filter { i in
            let p = registry[i].oscAddress.split(separator: "/").map(String.init)
            return p.count > parts.count && Array(p.prefix(parts.count)) == parts
        }
        guard !below.isEmpty else { return nil }
        return container(parts, below)
    }

    private func container(_ parts: [String], _ below: [Int]) -> [String: Any] {
        var children: [String: [Int]] = [:]
        for i in below { children[registry[i].oscAddress.split(separator: "/").map(String.init)[parts.count], default: []].append(i) }
        var contents: [String: Any] = [:]
        for (name, indices) in children {
            let path = parts + [name]
            if indices.count == 1, registry[indices[0]].oscAddress.split(separator: "/").count == path.count {
                contents[name] = method(indices[0])
            } else {
                contents[name] = container(path, indices)
            }
        }
        return ["FULL_PATH": "/" + parts.joined(separator: "/"), "ACCESS": 0, "CONTENTS": contents]
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
