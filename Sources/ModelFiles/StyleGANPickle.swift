import Basics
import Foundation

/// Loads the generator ('G_ema') of a stylegan2-ada-pytorch network snapshot (`network-snapshot-*.pkl`)
/// with our own pickle reader: no Python, no torch, and nothing in the file is ever run (the network
/// source code the pickle embeds is ignored).
///
/// Each network is `torch_utils.persistence._reconstruct_persistent_obj(meta)`, meta holding the
/// class name and the module's `__dict__` ('state': `_parameters`, `_buffers`, `_modules`,
/// `_init_args`, `_init_kwargs`); the architecture comes from the init arguments, the tensors from
/// the parameters and buffers, named like PyTorch's state_dict.
public enum StyleGANPickle {
    public static func loadGenerator(path: String) throws -> GeneratorWeights {
        try load(path: path).weights
    }

    static func load(path: String) throws -> LoadedCheckpoint {
        let data = try CheckpointBytes.read(path: path)
        switch try CheckpointBytes.identify(data, path: path) {
        case .styleGAN2Pickle: return try load(data, path: path)
        case .safetensors:
            throw FileError(path, "is a safetensors file, not a stylegan2-ada-pytorch pickle (it is already converted: load it as it is)")
        }
    }

    static let globals = PickleGlobals(allowed: [
        "collections.OrderedDict", "builtins.set", "dnnlib.util.EasyDict",
        "numpy.dtype", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
        "torch.storage._load_from_bytes", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch_utils.persistence._reconstruct_persistent_obj",
    ]) { module, name in
        guard module == "dnnlib.tflib" || module.hasPrefix("dnnlib.tflib.") else { return nil }
        return "is a TensorFlow StyleGAN pickle (it refers to '\(printable(module + "." + name))'); convert it with stylegan2-ada-pytorch's legacy.py first"
    }

    static func load(_ data: Data, path: String) throws -> LoadedCheckpoint {
        let top = try PickleMachine.run(data, path: path, globals: globals).value
        guard let entries = top.pairs else {
            throw FileError(path, "is a Python pickle of \(top.kindDescription), not a stylegan2-ada-pytorch network snapshot (a dict with 'G_ema')")
        }
        guard let gEma = top["G_ema"] else {
            let keys = entries.prefix(8).map { $0.key.string.map { "'\(printable($0, limit: 40))'" } ?? $0.key.kindDescription }.joined(separator: ", ")
            throw FileError(path, "is a Python pickle without a 'G_ema' network (its keys: \(keys.isEmpty ? "none" : keys)); expected a stylegan2-ada-pytorch network snapshot")
        }
        var reader = SnapshotReader(path: path)
        let modules = try reader.modules(of: gEma)
        let architecture = try reader.architecture(from: modules[0].state)
        do { try architecture.validate() } catch let error as ArchitectureError {
            throw FileError(path, "holds a generator this implementation cannot run: \(error.message)")
        }
        let (tensors, dtypes) = try reader.tensors(of: modules, expected: architecture.expectedTensors())
        let weights = GeneratorWeights(architecture: architecture, tensors: tensors, label: URL(fileURLWithPath: path).lastPathComponent)
        do { try weights.validate(source: "G_ema") } catch let error as ArchitectureError {
            throw FileError(path, error.message)
        }
        return LoadedCheckpoint(weights: weights, format: .styleGAN2Pickle,
                                storedDType: dtypes.count == 1 ? dtypes.first!.rawValue : "mixed")
    }
}

/// One network module of the snapshot: its dotted name ("" for G_ema itself, "synthesis.b8.conv0", …).
struct SnapshotModule {
    var name: String
    var className: String
    var state: PickleValue
}

/// Walks G_ema's persistent objects; every problem is a FileError naming the file and the module or tensor.
struct SnapshotReader {
    let path: String
    /// Decoded storages by their position in the file: a storage shared by several tensors is read once.
    private var storages: [Int: TorchStorage] = [:]

    init(path: String) { self.path = path }

    private func fail(_ problem: String) -> FileError { FileError(path, problem) }

    static let maxModuleDepth = 16

    /// G_ema and all its submodules, parents first.
    func modules(of network: PickleValue) throws -> [SnapshotModule] {
        var out = [SnapshotModule]()
        try collect(network, name: "", depth: 0, into: &out)
        try refuseOtherGenerators(out)
        guard out[0].className == "Generator" else {
            throw fail("has a 'G_ema' of class '\(printable(out[0].className))', not a stylegan2-ada-pytorch Generator")
        }
        return out
    }

    private func collect(_ value: PickleValue, name: String, depth: Int, into out: inout [SnapshotModule]) throws {
        let label = name.isEmpty ? "G_ema" : "G_ema module '\(printable(name))'"
        guard depth <= Self.maxModuleDepth else { throw fail("nests network modules more than \(Self.maxModuleDepth) deep at \(label)") }
        guard let args = value.callArguments(of: "torch_utils.persistence._reconstruct_persistent_obj"),
              let meta = args.first, meta.pairs != nil else {
            throw fail("has a \(label) that is \(value.kindDescription), not a stylegan2-ada-pytorch persistent network object")
        }
        // meta['module_src'] is the network's Python source: deliberately never looked at.
        guard let className = meta["class_name"]?.string, let state = meta["state"], state.pairs != nil else {
            throw fail("has a \(label) without a class name and state")
        }
        out.append(SnapshotModule(name: name, className: className, state: state))
        guard let children = state["_modules"] else { return }
        guard let pairs = children.pairs else { throw fail("has a \(label) whose _modules is \(children.kindDescription), not a dict") }
        for (key, child) in pairs where !child.isNone {
            guard let childName = key.string else { throw fail("has a \(label) with a submodule named by \(key.kindDescription)") }
            try collect(child, name: name.isEmpty ? childName : "\(name).\(childName)", depth: depth + 1, into: &out)
        }
    }

    /// StyleGAN3 pickles have the same outer form; their synthesis network starts from a SynthesisInput.
    func refuseOtherGenerators(_ modules: [SnapshotModule]) throws {
        if modules.contains(where: { $0.className == "SynthesisInput" || $0.name == "synthesis.input" }) {
            throw fail("is a StyleGAN3 checkpoint; only StyleGAN2 (stylegan2-ada-pytorch) is supported")
        }
    }

    // MARK: Architecture

    /// Generator(z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs={}, synthesis_kwargs={}).
    static let generatorParameters = ["z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs", "synthesis_kwargs"]

    func architecture(from state: PickleValue) throws -> GeneratorArchitecture {
        guard let kwargs = state["_init_kwargs"], kwargs.pairs != nil else {
            throw fail("has a G_ema that does not record its init arguments (_init_kwargs), so its architecture is unknown")
        }
        let positional = state["_init_args"]?.items ?? []
        func argument(_ name: String) -> PickleValue? {
            if let v = kwargs[name] { return v }
            if let i = Self.generatorParameters.firstIndex(of: name), i < positional.count { return positional[i] }
            return nil
        }
        func int(_ value: PickleValue?, _ name: String, default d: Int? = nil) throws -> Int {
            guard let value else {
                if let d { return d }
                throw fail("has a G_ema without the init argument '\(name)'")
            }
            guard let i = value.int else { throw fail("has a G_ema whose init argument '\(name)' is \(value.kindDescription), not an integer") }
            return i
        }
        func options(_ name: String) throws -> PickleValue {
            guard let v = argument(name), !v.isNone else { return .dict([]) }
            guard v.pairs != nil else { throw fail("has a G_ema whose init argument '\(name)' is \(v.kindDescription), not a dict") }
            return v
        }
        let mapping = try options("mapping_kwargs")
        let synthesis = try options("synthesis_kwargs")

        var lrMultiplier = 0.01
        if let v = mapping["lr_multiplier"] {
            guard let d = v.number else { throw fail("has a mapping_kwargs.lr_multiplier that is \(v.kindDescription), not a number") }
            lrMultiplier = d
        }
        var convClamp: Float?
        if let v = synthesis["conv_clamp"], !v.isNone {
            guard let d = v.number else { throw fail("has a synthesis_kwargs.conv_clamp that is \(v.kindDescription), not a number") }
            convClamp = Float(d)
        }
        var style = "skip"
        if let v = synthesis["architecture"] {
            guard let s = v.string else { throw fail("has a synthesis_kwargs.architecture that is \(v.kindDescription), not a string") }
            style = printable(s, limit: 40)
        }
        return GeneratorArchitecture(
            zDim: try int(argument("z_dim"), "z_dim"), wDim: try int(argument("w_dim"), "w_dim"),
            cDim: try int(argument("c_dim"), "c_dim"), imgResolution: try int(argument("img_resolution"), "img_resolution"),
            imgChannels: try int(argument("img_channels"), "img_channels"),
            channelBase: try int(synthesis["channel_base"], "synthesis_kwargs.channel_base", default: 32768),
            channelMax: try int(synthesis["channel_max"], "synthesis_kwargs.channel_max", default: 512),
            mappingLayers: try int(mapping["num_layers"], "mapping_kwargs.num_layers", default: 8),
            mappingLrMultiplier: Float(lrMultiplier), convClamp: convClamp, architecture: style)
    }

    // MARK: Tensors

    /// The expected tensors, from the modules' parameters and buffers. Anything else (e.g. a buffer
    /// this implementation does not use) is left undecoded.
    mutating func tensors(of modules: [SnapshotModule], expected: [(name: String, shape: [Int])])
        throws -> (tensors: [String: Tensor], dtypes: Set<TorchStorage.DType>) {
        var stored = [String: PickleValue]()
        for module in modules {
            for field in ["_parameters", "_buffers"] {
                guard let dict = module.state[field], !dict.isNone else { continue }
                guard let pairs = dict.pairs else {
                    throw fail("has a G_ema module '\(printable(module.name))' whose \(field) is \(dict.kindDescription), not a dict")
                }
                for (key, value) in pairs where !value.isNone {
                    guard let k = key.string else { continue }
                    stored[module.name.isEmpty ? k : "\(module.name).\(k)"] = value
                }
            }
        }
        var tensors = [String: Tensor]()
        var dtypes = Set<TorchStorage.DType>()
        for (name, shape) in expected {
            guard let value = stored[name] else {
                throw fail("G_ema has no tensor '\(name)', which a generator with these init arguments must have")
            }
            let (tensor, dtype) = try self.tensor(value, name: name, expectedShape: shape)
            tensors[name] = tensor
            dtypes.insert(dtype)
        }
        return (tensors, dtypes)
    }

    /// `_rebuild_parameter(_rebuild_tensor_v2(storage, offset, size, stride, …), requires_grad, hooks)`,
    /// or the bare `_rebuild_tensor_v2(…)` of a buffer.
    private mutating func tensor(_ value: PickleValue, name: String, expectedShape: [Int]) throws -> (Tensor, TorchStorage.DType) {
        var v = value
        if let args = v.callArguments(of: "torch._utils._rebuild_parameter") ?? v.callArguments(of: "torch._utils._rebuild_parameter_with_state") {
            guard let data = args.first else { throw fail("tensor \(name) is a parameter without data") }
            v = data
        }
        guard let args = v.callArguments(of: "torch._utils._rebuild_tensor_v2"), args.count >= 4 else {
            throw fail("tensor \(name) is \(v.kindDescription), not a torch tensor")
        }
        guard let offset = args[1].int, let sizeValues = args[2].items, let strideValues = args[3].items else {
            throw fail("tensor \(name) has a malformed offset, size or stride")
        }
        let size = sizeValues.compactMap(\.int), strides = strideValues.compactMap(\.int)
        guard size.count == sizeValues.count, strides.count == strideValues.count, size.count == strides.count else {
            throw fail("tensor \(name) has a malformed size \(sizeValues.map(\.kindDescription)) or stride")
        }
        // Checked before anything is gathered: the architecture bounds what we allocate.
        guard size == expectedShape else {
            throw fail("tensor \(name) has shape \(size), expected \(expectedShape) for this architecture")
        }
        guard let storageArgs = args[0].callArguments(of: "torch.storage._load_from_bytes"), storageArgs.count == 1,
              case .bytes(let payload) = storageArgs[0] else {
            throw fail("tensor \(name) has no torch storage (found \(args[0].kindDescription))")
        }
        let storage: TorchStorage
        if let cached = storages[payload.startIndex] {
            storage = cached
        } else {
            storage = try TorchLegacyStorage.decode(payload, path: path)
            storages[payload.startIndex] = storage
        }
        guard let values = Self.gather(storage.values, offset: offset, size: size, stride: strides) else {
            throw fail("tensor \(name) (offset \(offset), size \(size), stride \(strides)) reaches outside its storage of \(storage.values.count) elements")
        }
        return (Tensor(shape: size, values: values), storage.dtype)
    }

    /// The elements of a strided view in row-major order, or nil when the view is not inside the storage.
    static func gather(_ storage: [Float], offset: Int, size: [Int], stride strideIn: [Int]) -> [Float]? {
        guard offset >= 0, size.count == strideIn.count, size.allSatisfy({ $0 >= 0 }), strideIn.allSatisfy({ $0 >= 0 }) else { return nil }
        // A dimension of size 1 never steps, whatever its stride says (PyTorch leaves any value there).
        let stride = zip(size, strideIn).map { $0 == 1 ? 0 : $1 }
        var count = 1
        for s in size {
            let (c, overflow) = count.multipliedReportingOverflow(by: s)
            guard !overflow else { return nil }
            count = c
        }
        if count == 0 { return [] }
        var last = offset  // index of the last element the view touches
        for (s, st) in zip(size, stride) {
            let (step, o1) = (s - 1).multipliedReportingOverflow(by: st)
            let (sum, o2) = last.addingReportingOverflow(step)
            guard !o1, !o2 else { return nil }
            last = sum
        }
        guard last < storage.count else { return nil }

        // Row-major contiguous (dimensions of size 1 may carry any stride): one copy.
        var expected = 1, contiguous = true
        for d in (0..<size.count).reversed() where size[d] != 1 {
            if stride[d] != expected { contiguous = false; break }
            expected *= size[d]
        }
        if contiguous { return Array(storage[offset..<(offset + count)]) }

        var out = [Float]()
        out.reserveCapacity(count)
        var index = [Int](repeating: 0, count: size.count)
        var position = offset
        for _ in 0..<count {
            out.append(storage[position])
            // Advance the multi-index like an odometer, last dimension fastest.
            var d = size.count - 1
            while d >= 0 {
                index[d] += 1
                position += stride[d]
                if index[d] < size[d] { break }
                position -= stride[d] * size[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
