import Foundation
import StyleGAN

/// A Python value to pickle by hand, opcode by opcode: what the checkpoint tests use to make files that
/// stylegan2-ada-pytorch could have written (in the modern protocol-4 style of the fixture, or the older
/// protocol-3 style with GLOBAL, BINPUT, DICT/LIST/TUPLE, LONG1…), and files that it could not.
indirect enum Py {
    case none, bool(Bool), int(Int), float(Double), str(String)
    /// A Python 2 str (SHORT_BINSTRING).
    case bstr(String)
    case bytes([UInt8])
    case tuple([Py]), list([Py]), dict([(String, Py)])
    case global(String, String)
    case reduce(Py, [Py])
    case newobj(Py, [Py])
    /// collections.OrderedDict() filled by SETITEMS.
    case ordered([(String, Py)])
    /// dnnlib.util.EasyDict via NEWOBJ, filled by SETITEMS.
    case easy([(String, Py)])
    /// numpy.float64 as pickled by numpy (scalar(dtype('f8'), bytes)).
    case numpyF8(Double)
    /// builtins.set([...]) via REDUCE.
    case builtinSet([Py])
    /// EMPTY_SET + ADDITEMS.
    case emptySet([Py])
    case frozenSet([Py])
    /// Opcodes written as they are.
    case raw([UInt8])
}

struct PickleWriter {
    enum Style { case modern, legacy }
    let style: Style
    private(set) var bytes: [UInt8]
    private var memoCount = 0
    private var memoOf: [String: Int] = [:]

    init(style: Style = .modern) {
        self.style = style
        bytes = [0x80, style == .modern ? 4 : 3]
    }

    static func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    static func pickle(_ value: Py, style: Style = .modern) -> [UInt8] {
        var w = PickleWriter(style: style)
        w.write(value)
        w.bytes.append(UInt8(ascii: "."))
        return w.bytes
    }

    private mutating func memoize() {
        let i = memoCount
        memoCount += 1
        switch style {
        case .modern: bytes.append(0x94)
        case .legacy:
            if i % 7 == 3 { bytes += [UInt8(ascii: "p")] + Array("\(i)\n".utf8) }
            else if i < 256 { bytes += [UInt8(ascii: "q"), UInt8(i)] }
            else { bytes += [UInt8(ascii: "r")] + Self.le(i, 4) }
        }
    }

    private mutating func get(_ i: Int) {
        if style == .legacy, i % 5 == 2 { bytes += [UInt8(ascii: "g")] + Array("\(i)\n".utf8) }
        else if i < 256 { bytes += [UInt8(ascii: "h"), UInt8(i)] }
        else { bytes += [UInt8(ascii: "j")] + Self.le(i, 4) }
    }

    /// Strings and globals are memoized once and fetched again later, as Python's pickler does.
    private mutating func cached(_ key: String, _ emit: (inout PickleWriter) -> Void) {
        if let i = memoOf[key] { return get(i) }
        emit(&self)
        memoOf[key] = memoCount
        memoize()
    }

    private mutating func op(_ c: Character) { bytes.append(c.asciiValue!) }

    private mutating func int(_ v: Int) {
        if (0..<256).contains(v) { bytes += [0x4B, UInt8(v)] }
        else if style == .legacy, v > 0 { bytes += [0x8A, 8] + Self.le(v, 8) }
        else if (0..<65536).contains(v) { bytes += [0x4D] + Self.le(v, 2) }
        else { bytes += [0x4A] + Self.le(v, 4) }
    }

    mutating func write(_ value: Py) {
        switch value {
        case .none: op("N")
        case .bool(let b): bytes.append(b ? 0x88 : 0x89)
        case .int(let v): int(v)
        case .float(let d): bytes += [0x47] + Self.le(Int(bitPattern: UInt(d.bitPattern)), 8).reversed()
        case .str(let s):
            cached("s:" + s) { w in
                let u = Array(s.utf8)
                if w.style == .modern, u.count < 256 { w.bytes += [0x8C, UInt8(u.count)] + u } else { w.bytes += [0x58] + Self.le(u.count, 4) + u }
            }
        case .bstr(let s):
            let u = Array(s.utf8)
            bytes += [0x55, UInt8(u.count)] + u
        case .bytes(let b):
            if b.count < 256 { bytes += [0x43, UInt8(b.count)] + b } else { bytes += [0x42] + Self.le(b.count, 4) + b }
            memoize()
        case .tuple(let items):
            if items.isEmpty { op(")"); return }
            if style == .modern, items.count <= 3 {
                items.forEach { write($0) }
                bytes.append(UInt8(0x84 + items.count))
            } else {
                op("("); items.forEach { write($0) }; op("t")
            }
            memoize()
        case .list(let items):
            if style == .modern {
                op("]"); memoize()
                if !items.isEmpty { op("("); items.forEach { write($0) }; op("e") }
            } else {
                op("("); op("l"); memoize()
                for item in items { write(item); op("a") }
            }
        case .dict(let pairs):
            if style == .modern {
                op("}"); memoize()
                setItems(pairs)
            } else {
                op("(")
                for (k, v) in pairs { write(.bstr(k)); write(v) }
                op("d"); memoize()
            }
        case .global(let m, let n):
            cached("g:\(m).\(n)") { w in
                if w.style == .modern { w.write(.str(m)); w.write(.str(n)); w.bytes.append(0x93) }
                else { w.bytes += [UInt8(ascii: "c")] + Array("\(m)\n\(n)\n".utf8) }
            }
        case .reduce(let f, let args):
            write(f); write(.tuple(args)); op("R"); memoize()
        case .newobj(let cls, let args):
            write(cls); write(.tuple(args)); bytes.append(0x81); memoize()
        case .ordered(let pairs):
            write(.reduce(.global("collections", "OrderedDict"), []))
            setItems(pairs)
        case .easy(let pairs):
            write(.newobj(.global("dnnlib.util", "EasyDict"), []))
            setItems(pairs)
        case .numpyF8(let d):
            let module = style == .modern ? "numpy._core.multiarray" : "numpy.core.multiarray"
            write(.global(module, "scalar"))
            write(.reduce(.global("numpy", "dtype"), [.str("f8"), .bool(false), .bool(true)]))
            write(.tuple([.int(3), .str("<"), .none, .none, .none, .int(-1), .int(-1), .int(0)]))
            op("b")
            write(.bytes(Self.le(Int(bitPattern: UInt(d.bitPattern)), 8)))
            bytes.append(0x86); memoize()
            op("R"); memoize()
        case .builtinSet(let items):
            write(.reduce(.global("builtins", "set"), [.list(items)]))
        case .emptySet(let items):
            bytes.append(0x8F); memoize()
            if !items.isEmpty { op("("); items.forEach { write($0) }; bytes.append(0x90) }
        case .frozenSet(let items):
            op("("); items.forEach { write($0) }; bytes.append(0x91); memoize()
        case .raw(let b): bytes += b
        }
    }

    private mutating func setItems(_ pairs: [(String, Py)]) {
        if pairs.count == 1 || (style == .legacy && pairs.count == 2) {
            for (k, v) in pairs { write(.str(k)); write(v); op("s") }
        } else if !pairs.isEmpty {
            op("(")
            for (k, v) in pairs { write(.str(k)); write(v) }
            op("u")
        }
    }
}

/// Builds stylegan2-ada-pytorch network snapshots from weights.
enum SnapshotWriter {
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// A legacy torch.save stream of one storage, as `torch.storage._load_from_bytes` receives it.
    /// `storageType` is a name in module torch ("FloatStorage", "cuda.HalfStorage", …).
    static func torchStream(_ values: [Float], storageType: String = "FloatStorage") -> [UInt8] {
        let parts = storageType.split(separator: ".").map(String.init)
        let module = (["torch"] + parts.dropLast()).joined(separator: "."), name = parts.last!
        var out = [UInt8]()
        out += [0x80, 0x02, 0x8A, 10] + magic + [0x2E]
        out += [0x80, 0x02, 0x4D] + PickleWriter.le(1001, 2) + [0x2E]
        out += PickleWriter.pickle(.dict([("protocol_version", .int(1001)), ("little_endian", .bool(true)),
                                          ("type_sizes", .dict([("short", .int(2)), ("int", .int(4)), ("long", .int(4))]))]), style: .legacy)
        func unicode(_ s: String) -> [UInt8] { [UInt8(ascii: "X")] + PickleWriter.le(s.utf8.count, 4) + Array(s.utf8) }
        let key = "94475758342944"
        out += [0x80, 0x02, UInt8(ascii: "(")] + unicode("storage") + Array("c\(module)\n\(name)\n".utf8) + unicode(key)
            + unicode("cpu") + [UInt8(ascii: "J")] + PickleWriter.le(values.count, 4) + Array("NtQ.".utf8)
        out += [0x80, 0x02, UInt8(ascii: "]")] + unicode(key) + Array("a.".utf8)
        out += PickleWriter.le(values.count, 8)
        for v in values {
            if name == "HalfStorage" { out += PickleWriter.le(Int(Float16(v).bitPattern), 2) }
            else { out += PickleWriter.le(Int(v.bitPattern), 4) }
        }
        return out
    }

    static func isBuffer(_ name: String) -> Bool {
        name.hasSuffix(".w_avg") || name.hasSuffix(".noise_const") || name.hasSuffix(".resample_filter")
    }

    struct Options {
        var style: PickleWriter.Style = .modern
        /// Legacy style: half storages, 2-D tensors stored transposed behind 3 padding elements.
        var storageType = "FloatStorage"
        var strided = false
        var classNames: [String: String] = [:]
        var extraTensors: [String: Tensor] = [:]
        var omit: Set<String> = []
    }

    static func tensor(_ t: Tensor, name: String, options: Options) -> Py {
        var values = t.values, offset = 0
        var stride = [Int](repeating: 1, count: t.shape.count)
        for d in stride.indices.dropLast().reversed() { stride[d] = stride[d + 1] * t.shape[d + 1] }
        if options.strided, t.shape.count == 2 {
            // Storage holds the transpose, after 3 unrelated elements: element (i, j) at 3 + i + j·rows.
            let (rows, cols) = (t.shape[0], t.shape[1])
            values = [7, 8, 9] + (0..<(rows * cols)).map { k in t.values[(k % rows) * cols + k / rows] }
            offset = 3
            stride = [1, rows]
        }
        let storage = Py.reduce(.global("torch.storage", "_load_from_bytes"), [.bytes(torchStream(values, storageType: options.storageType))])
        let rebuilt = Py.reduce(.global("torch._utils", "_rebuild_tensor_v2"),
                                [storage, .int(offset), .tuple(t.shape.map { .int($0) }), .tuple(stride.map { .int($0) }), .bool(false), .ordered([])])
        if isBuffer(name) { return rebuilt }
        return .reduce(.global("torch._utils", "_rebuild_parameter"), [rebuilt, .bool(true), .ordered([])])
    }

    static func initKwargs(_ a: GeneratorArchitecture, style: PickleWriter.Style) -> Py {
        let lr = Double(a.mappingLrMultiplier)
        let mapping: [(String, Py)] = [("num_layers", .int(a.mappingLayers)), ("lr_multiplier", style == .legacy ? .numpyF8(lr) : .float(lr))]
        var synthesis: [(String, Py)] = [("channel_base", .int(a.channelBase)), ("channel_max", .int(a.channelMax)), ("num_fp16_res", .int(0))]
        synthesis.append(("conv_clamp", a.convClamp.map { .float(Double($0)) } ?? .none))
        let kwargs: [(String, Py)] = [
            ("z_dim", .int(a.zDim)), ("c_dim", .int(a.cDim)), ("w_dim", .int(a.wDim)), ("img_resolution", .int(a.imgResolution)),
            ("img_channels", .int(a.imgChannels)),
            ("mapping_kwargs", style == .legacy ? .easy(mapping) : .dict(mapping)),
            ("synthesis_kwargs", style == .legacy ? .easy(synthesis) : .dict(synthesis)),
        ]
        return style == .legacy ? .easy(kwargs) : .dict(kwargs)
    }

    /// A whole snapshot: {'G': None, 'G_ema': Generator, 'augment_pipe': None, 'training_set_kwargs': …}.
    static func snapshot(_ weights: GeneratorWeights, options: Options = Options()) -> [UInt8] {
        var all = weights.tensors.filter { !options.omit.contains($0.key) }
        for (k, v) in options.extraTensors { all[k] = v }
        // Module tree from the dotted names, in expectedTensors() order (then extras).
        let order = weights.architecture.expectedTensors().map(\.name) + options.extraTensors.keys.sorted()
        var children: [String: [String]] = [:], leaves: [String: [String]] = [:]
        func addModule(_ path: String) {
            guard !path.isEmpty else { return }
            let parent = path.split(separator: ".").dropLast().joined(separator: ".")
            addModule(parent)
            if !(children[parent] ?? []).contains(path) { children[parent, default: []].append(path) }
        }
        for name in order where all[name] != nil {
            let module = name.split(separator: ".").dropLast().joined(separator: ".")
            addModule(module)
            leaves[module, default: []].append(name)
        }
        for extra in options.classNames.keys { addModule(extra) }

        func defaultClass(_ path: String) -> String {
            switch path {
            case "": return "Generator"
            case "mapping": return "MappingNetwork"
            case "synthesis": return "SynthesisNetwork"
            default:
                if path.hasPrefix("synthesis.b"), path.split(separator: ".").count == 2 { return "SynthesisBlock" }
                if path.hasSuffix("torgb") { return "ToRGBLayer" }
                if path.hasSuffix("affine") || path.hasPrefix("mapping.") { return "FullyConnectedLayer" }
                return "SynthesisLayer"
            }
        }
        func module(_ path: String) -> Py {
            let local = { (name: String) in String(name.dropFirst(path.isEmpty ? 0 : path.count + 1)) }
            let names = leaves[path] ?? []
            let params = names.filter { !isBuffer($0) }.map { (local($0), tensor(all[$0]!, name: $0, options: options)) }
            let buffers = names.filter(isBuffer).map { (local($0), tensor(all[$0]!, name: $0, options: options)) }
            let subs = (children[path] ?? []).map { (local($0), module($0)) }
            var state: [(String, Py)] = [
                ("training", .bool(false)),
                ("_parameters", options.style == .legacy ? .ordered(params) : .dict(params)),
                ("_buffers", options.style == .legacy ? .ordered(buffers) : .dict(buffers)),
                ("_non_persistent_buffers_set", options.style == .legacy ? .builtinSet([]) : .emptySet([])),
                ("_forward_hooks", .ordered([])),
                ("_modules", options.style == .legacy ? .ordered(subs) : .dict(subs)),
            ]
            if options.style == .legacy {
                state.append(("act_gain", .numpyF8(1.4142135623730951)))
                state.append(("frozen", .frozenSet([.str("a"), .int(1)])))
                state.append(("tags", .emptySet([.str("x"), .str("y")])))
            }
            state.append(("_init_args", .tuple([])))
            state.append(("_init_kwargs", path.isEmpty ? initKwargs(weights.architecture, style: options.style) : .dict([])))
            let meta: [(String, Py)] = [
                ("type", .str("class")), ("version", .int(6)),
                // Never run: if a reader executed it, the test would notice the file.
                ("module_src", .str("import os\nos.system('touch /tmp/latentvj-pickle-executed')\n")),
                ("class_name", .str(options.classNames[path] ?? defaultClass(path))), ("state", .dict(state)),
            ]
            return .reduce(.global("torch_utils.persistence", "_reconstruct_persistent_obj"), [.dict(meta)])
        }
        let top: [(String, Py)] = [
            ("G", .none), ("G_ema", module("")), ("augment_pipe", .none),
            ("training_set_kwargs", .easy([("path", .str("data.zip")), ("use_labels", .bool(false)), ("max_size", .int(70000))])),
        ]
        return PickleWriter.pickle(.dict(top), style: options.style)
    }
}
