import AudioIn
import Control
import Features
import Foundation
import Live
import ModelFiles
import StyleGAN
import Synthesis

/// One entry per parser that reads outside input (issue 8): each takes arbitrary bytes and must return
/// (an error is fine), never crash, hang or leak. libFuzzer drives them through `latentvj-fuzz`; the
/// regression tests replay the seed corpus and every crash ever found through the same functions.
public enum FuzzTargets {
    public static let all = ["wav", "pickle", "safetensors", "osc", "oscdatagram", "midi", "mapping", "preset", "envelope", "patch"]

    /// Runs one input through the named target.
    public static func run(_ target: String, _ bytes: UnsafeRawBufferPointer) {
        let data = Data(bytes)
        switch target {
        case "wav": _ = try? WAVReader.decode(data, path: "fuzz.wav")
        case "pickle": viaFile(data, ".pkl") { _ = try? StyleGANPickle.loadGenerator(path: $0) }
        case "safetensors": viaFile(data, ".safetensors") { _ = try? SafeTensorsFile.load(path: $0) }
        case "osc": osc(data)
        // The bytes of a WebSocket frame from the web surface: liblo reads them as one OSC message.
        case "oscdatagram": server.handleDatagram(bytes, host: "127.0.0.1"); _ = server.takeCommands()
        case "midi": midi(data)
        case "mapping": _ = try? Mapping.load(yaml: String(decoding: data, as: UTF8.self), name: "fuzz.yaml", registry: registry)
        case "preset": viaFile(data, ".preset.yaml") { _ = try? Preset.load(path: $0, registry: registry) }
        case "envelope": viaFile(data, ".envelope") { _ = try? EnvelopeModelFile.load(path: $0) }
        case "patch": _ = try? Patch.decode(data, path: "fuzz.patch.json")
        default: preconditionFailure("unknown fuzz target \(target); known: \(all.joined(separator: ", "))")
        }
    }

    /// Seeds that are made rather than found in the repository: OSC and MIDI inputs in the harness's own
    /// layout, a Randomizer patch, a safetensors model (the rest comes from shipped files, see scripts/fuzz.sh).
    public static func madeSeeds(_ target: String) throws -> [Data] {
        func bytes(_ parts: [[UInt8]]) -> Data { Data(parts.flatMap { $0 }) }
        func text(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
        func f32(_ v: Float) -> [UInt8] { withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }
        switch target {
        case "osc":
            return [bytes([[0], text("/lvj/intensity"), text("f"), f32(1.5)]),
                    bytes([[1], text("/lvj/deep/palette"), text("i"), [0, 0, 0, 12]]),
                    bytes([[0], text("/lvj/preset/morph"), text("sf"), text("calm"), f32(4)]),
                    bytes([[0], text("/lvj/synth"), text("s"), text("none")]),
                    bytes([[2], text("/lvj/freeze"), text("T")]),
                    bytes([[0], text("/lvj/subscribe"), text("i"), [0, 0, 35, 41]]),
                    bytes([[0], text("/lvj/palette/middle/reseed"), text("")])]
        case "oscdatagram":
            let messages: [(String, [OSCValue])] = [("/lvj/intensity", [.number(1.5)]), ("/lvj/preset/morph", [.text("calm"), .number(4)]),
                                                    ("/lvj/learn", [.text("psi")]), ("/lvj/deep/palette", [.int(12)]), ("/lvj/record/start", [])]
            return messages.compactMap { oscDatagram($0.0, $0.1).map { Data($0) } }
        case "midi":
            return [Data([3, 0xB0, 0, 100, 3, 0xB1, 1, 64, 3, 0xB1, 33, 5]), Data([3, 0x90, 60, 100, 3, 0x80, 60, 0, 2, 0xC0, 4]),
                    Data([3, 0xE0, 0, 64, 3, 0xB0, 16, 3, 3, 0xB0, 16, 125, 1, 0xF8])]
        case "patch":
            let clip = DemoTrack.render(sampleRate: 22_050)
            let mono = Array(clip.mono().prefix(22_050 * 4))
            let features = try OfflineExtractor(fps: 24).extract(mono: mono, sampleRate: clip.sampleRate)
            return try (1...3).map { try Patch.draw(seed: UInt64($0), features: features).jsonData() }
        case "safetensors":
            let a = GeneratorArchitecture(zDim: 8, wDim: 8, imgResolution: 8, channelBase: 16, channelMax: 8, mappingLayers: 1)
            let path = scratch + "-seed.safetensors"
            try SafeTensorsFile.write(try DefaultModel.make(seed: 1, architecture: a), to: path, dtype: .float16)
            return [try Data(contentsOf: URL(fileURLWithPath: path))]
        default:
            return []
        }
    }

    // MARK: Shared state (built once per process)

    static let registry = ParameterRegistry.live(noiseResolutions: [4, 8, 16, 32], featureGroups: ["onsets", "rms", "chroma"])

    /// Loaders that take a path get the input through one scratch file per process.
    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("latentvj-fuzz-\(getpid())").path
    static func viaFile(_ data: Data, _ suffix: String, _ body: (String) -> Void) {
        let path = scratch + suffix
        FileManager.default.createFile(atPath: path, contents: data)
        body(path)
    }

    /// The OSC server, listening on a free loopback port, receiving messages as liblo would hand them
    /// over: the input is an address, a type-tag string and the argument bytes, then a sender byte.
    static let server: OSCServer = {
        let s = try! OSCServer(port: 0, store: ParameterStore(registry: registry), filter: try! NetworkFilter(cidrs: ["127.0.0.0/8", "192.168.0.0/16"]))
        s.log = { _ in }
        return s
    }()
    static let hosts = ["127.0.0.1", "192.168.1.20", "8.8.8.8", "::1", "::ffff:127.0.0.1", "not an address", ""]

    static func osc(_ data: Data) {
        var reader = Reader(data)
        let host = hosts[Int(reader.byte() % UInt8(hosts.count))]
        let path = reader.string()
        let tags = reader.string()
        var arguments: [OSCValue] = []
        for tag in tags.unicodeScalars.prefix(16) {
            switch tag {
            case "f": arguments.append(.number(Double(Float(bitPattern: reader.u32()))))
            case "d": arguments.append(.number(Double(bitPattern: reader.u64())))
            case "i": arguments.append(.number(Double(Int32(bitPattern: reader.u32()))))
            case "h": arguments.append(.number(Double(Int64(bitPattern: reader.u64()))))
            case "T": arguments.append(.bool(true))
            case "F": arguments.append(.bool(false))
            case "s", "S": arguments.append(.text(reader.string()))
            default: arguments.append(.other(Character(tag)))
            }
        }
        server.handleParsed(path: path, arguments: arguments, host: host)
        _ = server.takeCommands()
    }

    /// MIDI byte streams into the control thread's handler, with a mapping that has every kind of entry.
    static let midiControl: MIDIControl = {
        let path = scratch + "-mapping.yaml"
        try! """
        name: fuzz
        controls:
          - midi: {cc: 0}
            param: intensity
          - midi: {channel: 2, cc14: 1}
            param: psi
            curve: exponential
          - midi: {cc: 16}
            param: temperature
            mode: relative
          - midi: {note: 60}
            param: freeze
          - midi: {note: 61}
            param: deep.reseed
          - midi: {note: 62}
            param: blackout
            mode: momentary
          - midi: {pitchbend: true}
            param: smoothing
            invert: true
          - midi: {program: any}
            param: preset
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try! MIDIControl(store: ParameterStore(registry: registry), mappingPath: path)
    }()

    static func midi(_ data: Data) {
        var reader = Reader(data)
        while !reader.atEnd {
            let length = Int(reader.byte() % 4)           // 0…3 bytes: garbage lengths too
            midiControl.handle(bytes: (0..<length).map { _ in reader.byte() })
        }
        _ = midiControl.takePending()
    }

    /// Reads fields off the input; past the end it yields zeros, so every input is a valid walk.
    struct Reader {
        let data: Data
        var offset = 0
        init(_ data: Data) { self.data = data }
        var atEnd: Bool { offset >= data.count }
        mutating func byte() -> UInt8 { defer { offset += 1 }; return offset < data.count ? data[data.startIndex + offset] : 0 }
        mutating func u32() -> UInt32 { (0..<4).reduce(0) { v, _ in v << 8 | UInt32(byte()) } }
        mutating func u64() -> UInt64 { (0..<8).reduce(0) { v, _ in v << 8 | UInt64(byte()) } }
        mutating func string() -> String {
            var bytes: [UInt8] = []
            while !atEnd { let b = byte(); if b == 0 { break }; bytes.append(b) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
