import AudioIn
import Basics
import Control
import Foundation

/// The load a soak puts on a running engine, as a busy stage would and worse: a storm of OSC (valid
/// values for every parameter the engine lists, and malformed packets of every kind), bursts from a
/// MIDI controller on JACK, preset recalls and morphs. It talks from one OSC port, subscribed to the
/// engine's status, which is how the soak watches the engine's frames, xruns and control counters.
final class SoakLoad {
    struct Counts: Codable {
        var oscValid = 0, oscMalformed = 0, midiMessages = 0, midiGarbage = 0, presetRecalls = 0, presetMorphs = 0, reloads = 0
    }
    /// One `/lvj/status/engine` report: frames rendered by engine time `seconds`; `arrived` on the monotonic clock.
    /// Then the music's clock: skips to the newest audio and rows of music the state advanced by.
    struct EngineReport { var frames: Int; var seconds: Double; var xruns: Int; var audioConnected: Bool; var arrived: Double; var skips = 0; var rows = 0 }

    let peer: OSCPeer
    let port: Int
    private(set) var counts = Counts()
    private(set) var reports: [EngineReport] = []
    /// The engine's own counters: OSC messages taken and ignored, MIDI messages and garbage.
    private(set) var engineControl: (oscAccepted: Int, oscRejected: Int, midi: Int, midiGarbage: Int) = (0, 0, 0, 0)
    private var parameters: [(address: String, minimum: Double, maximum: Double, kind: String)] = []
    private let presets: [String]
    private var random = SeededRandom(seed: 20_261_125)

    /// Parameters the storm leaves alone: the soak's own record cycles, and switches that would make
    /// the engine's work lighter (freeze, blackout, synth off) and flatter its frame rate.
    static let untouched: Set<String> = ["record", "freeze", "blackout", "synth", "hud", "fullscreen"]

    init(enginePort: Int, presets: [String]) throws {
        peer = try OSCPeer()
        port = enginePort
        self.presets = presets
    }

    /// Asks the engine for its parameters (`/lvj/list`) and subscribes to its status.
    func connect() throws {
        peer.send(to: port, "/lvj/list")
        let deadline = Date().addingTimeInterval(10)
        var ended = false
        while !ended && Date() < deadline {
            usleep(20_000)
            for m in peer.take() {
                if m.path == "/lvj/list/end" { ended = true }
                guard m.path == "/lvj/param", m.arguments.count == 7, let name = m.arguments[0].text, let type = m.arguments[1].text,
                      let low = m.arguments[2].number(), let high = m.arguments[3].number(), let address = m.arguments[6].text,
                      !Self.untouched.contains(name), !type.hasPrefix("choice") else { continue }
                parameters.append((address, low, high, type))
            }
        }
        guard ended, !parameters.isEmpty else { throw UsageError("the engine did not answer /lvj/list on port \(port)") }
        peer.send(to: port, "/lvj/subscribe")
    }

    var parameterCount: Int { parameters.count }

    /// `count` messages, about one in five malformed.
    func oscStorm(_ count: Int) {
        for _ in 0..<count {
            if random.uniform() < 0.2 { malformed() } else { valid() }
        }
    }

    private func valid() {
        let p = parameters[Int(random.uniform() * Double(parameters.count)) % parameters.count]
        if p.kind == "trigger" {
            // Reseeds redraw a palette on the main loop: a few a second, not hundreds.
            guard random.uniform() < 0.05 else { return valid() }
            peer.send(to: port, p.address); counts.oscValid += 1; return
        }
        var value = p.minimum + random.uniform() * (p.maximum - p.minimum)
        if p.kind != "float" { value = value.rounded() }
        if p.address.hasSuffix("/palette") { value = Double(1 + Int(random.uniform() * 50)) }   // a handful of palettes, as a set has
        peer.send(to: port, p.address, [.number(value)])
        counts.oscValid += 1
    }

    private func malformed() {
        counts.oscMalformed += 1
        let p = parameters[Int(random.uniform() * Double(parameters.count)) % parameters.count]
        switch Int(random.uniform() * 8) {
        case 0: peer.sendRaw(to: port, (0..<(1 + Int(random.uniform() * 64))).map { _ in UInt8.random(in: 0...255, using: &random) })
        case 1: peer.send(to: port, p.address, [.text("loud")])
        case 2: peer.send(to: port, p.address, [.number(p.maximum * 10 + 1)])
        case 3: peer.send(to: port, p.address, [.number(.nan)])
        case 4: peer.send(to: port, "/lvj/no/such/thing", [.number(1)])
        case 5: peer.send(to: port, p.address, [.number(p.minimum), .number(p.maximum)])
        case 6: peer.send(to: port, "/lvj/preset/load", [.text("../../etc/passwd")])
        default:
            // A well-formed address and type tag with the float missing: a truncated packet.
            peer.sendRaw(to: port, Array("/lvj/intensity\0\0,f\0\0".utf8))
        }
    }

    /// A burst from a controller: faders and knobs swept (the shipped nanoKONTROL2 mapping's CCs), a
    /// program change now and then, and bytes no controller should send.
    func midiBurst(_ output: JACKMIDIOutput, messages: Int = 120) {
        var batch: [[UInt8]] = []
        for k in 0..<messages {
            let cc = UInt8([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23][k % 16])
            batch.append([0xB0, cc, UInt8(random.uniform() * 127)])
        }
        if random.uniform() < 0.3 { batch.append([0xC0, UInt8(random.uniform() * 6)]) }
        let good = batch.count
        batch += [[0xF8], [0x90, 0x80, 0x10], [0x45, 0x12, 0x01], [0xB0, 0, 0xFF], [0xF0, 0x7E, 0xF7]]
        let sent = output.send(batch)
        counts.midiMessages += min(sent, good)
        counts.midiGarbage += max(0, sent - good)
    }

    func recallPreset(morph: Double?) {
        guard !presets.isEmpty else { return }
        let name = presets[Int(random.uniform() * Double(presets.count)) % presets.count]
        if let morph { peer.send(to: port, "/lvj/preset/morph", [.text(name), .number(morph)]); counts.presetMorphs += 1 }
        else { peer.send(to: port, "/lvj/preset/load", [.text(name)]); counts.presetRecalls += 1 }
    }

    /// Every file read again (`/lvj/reload`): mapping, envelope network, model, presets.
    func reload() { peer.send(to: port, "/lvj/reload"); counts.reloads += 1 }

    func record(_ on: Bool) { peer.send(to: port, on ? "/lvj/record/start" : "/lvj/record/stop") }

    /// Takes what the engine reported since the last call.
    func collect() {
        for m in peer.take() {
            let n = m.arguments.compactMap { $0.number() }
            switch m.path {
            case "/lvj/status/engine" where n.count >= 4:
                reports.append(EngineReport(frames: Int(n[0]), seconds: n[1], xruns: Int(n[2]), audioConnected: n[3] >= 0.5, arrived: m.received,
                                            skips: n.count > 4 ? Int(n[4]) : 0, rows: n.count > 7 ? Int(n[7]) : 0))
            case "/lvj/status/control" where n.count == 4:
                engineControl = (Int(n[0]), Int(n[1]), Int(n[2]), Int(n[3]))
            default: break
            }
        }
    }
}
