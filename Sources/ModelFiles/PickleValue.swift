import Foundation

/// A value read from a Python pickle by `PickleMachine`: plain data only. Nothing in a pickle is ever
/// imported or called; a reference to a Python object is kept as its name (`global`), and a call the
/// pickle asks for is kept as a description of that call (`call`), for the reader of the format to
/// interpret (or refuse).
///
/// The machine already folds the few containers it knows into plain values: `collections.OrderedDict`
/// and `dnnlib.util.EasyDict` become `dict`, `builtins.set` becomes `set`, numpy scalars become
/// `int`/`float`/`bool`.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer that does not fit in 64 bits (LONG1/LONG4): little-endian two's complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    /// A slice of the source data (its indices are offsets into the file the pickle came from).
    case bytes(Data)
    case list([PickleValue])
    case tuple([PickleValue])
    /// Pairs in insertion order, as Python dicts keep them.
    case dict([(key: PickleValue, value: PickleValue)])
    case set([PickleValue])
    /// A Python object named by module and name (GLOBAL / STACK_GLOBAL), already checked against the allow-list.
    case global(module: String, name: String)
    /// `callable(*args)` as requested by REDUCE or NEWOBJ (never performed).
    case call(callable: PickleValue, args: [PickleValue])
    /// An object with state applied to it by BUILD.
    case built(object: PickleValue, state: PickleValue)
    /// A persistent id (BINPERSID): how torch.save refers to storages stored outside the pickle.
    case persistentID(PickleValue)

    // MARK: Accessors used by the format readers (nil when the value is of another kind).

    var string: String? { if case .string(let s) = self { return s }; return nil }
    var int: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0  // Python's bool is an int
        default: return nil
        }
    }
    /// Floats and ints both read as numbers (Python code writes `256` and `256.0` interchangeably).
    var number: Double? {
        switch self {
        case .float(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
    var items: [PickleValue]? {
        switch self {
        case .tuple(let t), .list(let t): return t
        default: return nil
        }
    }
    var pairs: [(key: PickleValue, value: PickleValue)]? { if case .dict(let d) = self { return d }; return nil }
    var isNone: Bool { if case .none = self { return true }; return false }

    /// The value stored under a string key of a dict (the last one, as Python keeps for duplicate keys).
    subscript(key: String) -> PickleValue? {
        guard case .dict(let d) = self else { return nil }
        return d.last(where: { $0.key.string == key })?.value
    }

    /// The callable and arguments of a call to the global `module.name`.
    func callArguments(of qualifiedName: String) -> [PickleValue]? {
        guard case .call(.global(let m, let n), let args) = self, "\(m).\(n)" == qualifiedName else { return nil }
        return args
    }

    /// A short description for error messages ("a dict", "a call to torch._utils._rebuild_tensor_v2").
    var kindDescription: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int, .bigInt: return "an int"
        case .float: return "a float"
        case .string: return "a string"
        case .bytes: return "bytes"
        case .list: return "a list"
        case .tuple: return "a tuple"
        case .dict: return "a dict"
        case .set: return "a set"
        case .global(let m, let n): return "a reference to \(m).\(n)"
        case .call(.global(let m, let n), _): return "a call to \(m).\(n)"
        case .call: return "a call"
        case .built(let o, _): return o.kindDescription + " with state"
        case .persistentID: return "a persistent id"
        }
    }
}
