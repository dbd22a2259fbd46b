import Basics
import Foundation

/// Which Python objects a pickle may name. Anything else is refused by name, before it is used:
/// naming is all a pickle can do here (nothing is ever imported or called), but refusing early keeps
/// the reader honest about what it understands.
struct PickleGlobals {
    /// "module.name" of every allowed global.
    var allowed: Set<String>
    /// For a refused global: a better explanation when it identifies another known format
    /// (e.g. TensorFlow-era StyleGAN pickles), or nil for the generic message.
    var diagnose: (_ module: String, _ name: String) -> String? = { _, _ in nil }
}

/// Bounds on what a pickle may make us build, so a hostile or damaged file fails with an error
/// instead of exhausting memory or the stack.
struct PickleLimits {
    /// Values created by opcodes, and values produced when the result is unfolded into a tree
    /// (memo references can share one subtree many times).
    var maxObjects = 5_000_000
    /// Nesting depth of the result (also what stops a self-referencing container).
    var maxDepth = 200
}

/// A pickle reader of our own: the small stack machine of Python's pickle protocol (0–5), restricted
/// to the opcodes that stylegan2-ada-pytorch checkpoints and legacy torch.save streams use. It
/// produces plain `PickleValue`s and never imports or runs anything the file names.
///
/// `data` may be a slice: error offsets are its own indices, so a pickle embedded in a file reports
/// positions in that file. Everything is bounds-checked against the real data before it is read,
/// and lengths are compared with what remains before anything is allocated (this module is compiled
/// with -Ounchecked, so nothing here may rely on a runtime trap).
struct PickleMachine {
    /// Runs one pickle, starting at index `start` of `data`, up to and including its STOP opcode.
    /// Returns the value and the index just past STOP (torch.save streams hold several pickles in a row).
    /// `what` is prepended to problems (e.g. "tensor storage at byte 123 "); empty for a whole file.
    static func run(_ data: Data, from start: Int? = nil, path: String, what: String = "", globals: PickleGlobals,
                    limits: PickleLimits = PickleLimits()) throws -> (value: PickleValue, end: Int) {
        try data.withUnsafeBytes { raw in
            var machine = PickleMachine(data: data, bytes: raw, path: path, what: what, globals: globals, limits: limits)
            machine.pos = (start ?? data.startIndex) - data.startIndex
            let value = try machine.execute()
            return (value, data.startIndex + machine.pos)
        }
    }

    // MARK: State

    /// A stack or memo entry: a plain value, or a reference to a (possibly still growing) container.
    /// Containers live in `records` so that, as in Python, every reference sees later mutations.
    private enum Node {
        case leaf(PickleValue)
        case ref(Int)
    }

    private struct Record {
        enum Kind {
            case list, tuple, dict, set
            case call(callable: Node, args: Node)
            case persistent(Node)
        }
        var kind: Kind
        var offset: Int
        var items: [Node] = []
        var pairs: [(Node, Node)] = []
        var state: Node?
    }

    private let data: Data
    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private let what: String
    private let globals: PickleGlobals
    private let limits: PickleLimits
    private var pos = 0
    /// Offset of the opcode being executed (for messages).
    private var opOffset = 0
    private var opcode: UInt8 = 0
    private var stack: [Node] = []
    /// Stack heights at each MARK.
    private var marks: [Int] = []
    private var memo: [Int: Node] = [:]
    private var records: [Record] = []
    private var created = 0
    private var unfolded = 0

    private init(data: Data, bytes: UnsafeRawBufferPointer, path: String, what: String, globals: PickleGlobals, limits: PickleLimits) {
        self.data = data; self.bytes = bytes; self.path = path; self.what = what; self.globals = globals; self.limits = limits
    }

    // MARK: Errors

    private func fail(_ problem: String) -> FileError { FileError(path, what + problem) }

    private var absoluteOffset: Int { data.startIndex + opOffset }

    private var opName: String { PickleOpcodes.name(opcode) ?? String(format: "0x%02x", opcode) }

    private func malformed(_ why: String) -> FileError {
        fail("is not a valid pickle: \(why) (opcode \(opName) at byte \(absoluteOffset))")
    }

    // MARK: Reading bytes

    private var remaining: Int { bytes.count - pos }

    /// Reserves `n` bytes and returns where they start; never reads past the end.
    private mutating func take(_ n: Int) throws -> Int {
        guard n >= 0, n <= remaining else {
            throw fail("is truncated: opcode \(opName) at byte \(absoluteOffset) needs \(n) more bytes but only \(remaining) remain")
        }
        let p = pos
        pos += n
        return p
    }

    /// Reads a length stored in `width` little-endian bytes, already checked to fit in what remains.
    private mutating func length(width: Int) throws -> Int {
        let p = try take(width)
        var v: UInt64 = 0
        for i in stride(from: width - 1, through: 0, by: -1) { v = v << 8 | UInt64(bytes[p + i]) }
        guard v <= UInt64(remaining) else {
            throw fail("is truncated: opcode \(opName) at byte \(absoluteOffset) declares \(v) bytes but only \(remaining) remain")
        }
        return Int(v)
    }

    private mutating func u8() throws -> Int { Int(bytes[try take(1)]) }

    private mutating func uLE(_ width: Int) throws -> UInt64 {
        let p = try take(width)
        var v: UInt64 = 0
        for i in stride(from: width - 1, through: 0, by: -1) { v = v << 8 | UInt64(bytes[p + i]) }
        return v
    }

    /// A text line (protocol 0 opcodes), without its newline; at most 4 KiB.
    private mutating func line() throws -> String {
        var end = pos
        let limit = min(bytes.count, pos + 4096)
        while end < limit, bytes[end] != 0x0A { end += 1 }
        guard end < limit else {
            throw end == bytes.count ? fail("is truncated: opcode \(opName) at byte \(absoluteOffset) has no end of line")
                                     : malformed("a text argument longer than 4096 bytes")
        }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[pos..<end]), as: UTF8.self)
        pos = end + 1
        return s
    }

    private func utf8(at p: Int, count n: Int) throws -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[p..<(p + n)])
        guard let s = String(validating: slice, as: UTF8.self) else { throw malformed("a string that is not valid UTF-8") }
        return s
    }

    // MARK: Stack

    private mutating func push(_ node: Node) throws {
        created += 1
        guard created <= limits.maxObjects else {
            throw fail("holds more than \(limits.maxObjects) pickle objects; refusing to read it")
        }
        stack.append(node)
    }

    private mutating func push(_ value: PickleValue) throws { try push(.leaf(value)) }

    private mutating func pushRecord(_ record: Record) throws {
        records.append(record)
        try push(.ref(records.count - 1))
    }

    private mutating func pop() throws -> Node {
        guard stack.count > (marks.last ?? 0) else { throw malformed("the stack is empty") }
        return stack.removeLast()
    }

    private func top() throws -> Node {
        guard stack.count > (marks.last ?? 0) else { throw malformed("the stack is empty") }
        return stack[stack.count - 1]
    }

    /// Pops everything above the most recent MARK, and the MARK.
    private mutating func popToMark() throws -> [Node] {
        guard let m = marks.popLast() else { throw malformed("no MARK before it") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    // MARK: Execution

    private mutating func execute() throws -> PickleValue {
        while true {
            opOffset = pos
            guard pos < bytes.count else {
                throw fail(pos == 0 ? "is empty (no pickle data)" : "is truncated: the pickle ends at byte \(data.startIndex + pos) without its STOP opcode")
            }
            opcode = bytes[pos]
            pos += 1
            if opcode == PickleOpcodes.stop {
                let result = try pop()
                return try unfold(result, depth: 0)
            }
            try step()
        }
    }

    private mutating func step() throws {
        switch opcode {
        case 0x80:  // PROTO
            let v = try u8()
            guard v <= 5 else { throw malformed("pickle protocol \(v) is newer than 5") }
        case 0x95:  // FRAME: only a hint for buffering, but a frame past the end means truncation.
            _ = try length(width: 8)
        case UInt8(ascii: "N"): try push(.none)
        case 0x88: try push(.bool(true))
        case 0x89: try push(.bool(false))
        case UInt8(ascii: "K"): try push(.int(try u8()))
        case UInt8(ascii: "M"): try push(.int(Int(try uLE(2))))
        case UInt8(ascii: "J"): try push(.int(Int(Int32(truncatingIfNeeded: try uLE(4)))))
        case 0x8A: try pushLong(count: try u8())
        case 0x8B:
            let n = Int32(truncatingIfNeeded: try uLE(4))
            guard n >= 0 else { throw malformed("a negative LONG4 length") }
            try pushLong(count: Int(n))
        case UInt8(ascii: "G"):
            let p = try take(8)
            var v: UInt64 = 0
            for i in 0..<8 { v = v << 8 | UInt64(bytes[p + i]) }  // big-endian, unlike everything else
            try push(.float(Double(bitPattern: v)))
        case 0x8C, UInt8(ascii: "X"), 0x8D:  // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8
            let n = try length(width: opcode == 0x8C ? 1 : opcode == 0x8D ? 8 : 4)
            let p = try take(n)
            try push(.string(try utf8(at: p, count: n)))
        case UInt8(ascii: "U"), UInt8(ascii: "T"):  // SHORT_BINSTRING, BINSTRING (Python 2 str)
            let n = try length(width: opcode == UInt8(ascii: "U") ? 1 : 4)
            let p = try take(n)
            let slice = UnsafeRawBufferPointer(rebasing: bytes[p..<(p + n)])
            // Python 3 reads these as ASCII by default; latin-1 keeps any byte readable instead of failing.
            try push(.string(String(validating: slice, as: UTF8.self) ?? String(slice.map { Character(Unicode.Scalar($0)) })))
        case 0x43, UInt8(ascii: "B"), 0x8E:  // SHORT_BINBYTES, BINBYTES, BINBYTES8
            let n = try length(width: opcode == 0x43 ? 1 : opcode == 0x8E ? 8 : 4)
            let p = try take(n)
            let start = data.startIndex + p
            try push(.bytes(data[start..<(start + n)]))
        case UInt8(ascii: "("):
            guard marks.count < limits.maxDepth * 16 else { throw malformed("too many nested MARKs") }
            marks.append(stack.count)
        case UInt8(ascii: ")"): try pushRecord(Record(kind: .tuple, offset: absoluteOffset))
        case UInt8(ascii: "]"): try pushRecord(Record(kind: .list, offset: absoluteOffset))
        case UInt8(ascii: "}"): try pushRecord(Record(kind: .dict, offset: absoluteOffset))
        case 0x8F: try pushRecord(Record(kind: .set, offset: absoluteOffset))
        case 0x85, 0x86, 0x87:  // TUPLE1-3
            var items = [Node]()
            for _ in 0..<Int(opcode - 0x84) { items.append(try pop()) }
            try pushRecord(Record(kind: .tuple, offset: absoluteOffset, items: items.reversed()))
        case UInt8(ascii: "t"): try pushRecord(Record(kind: .tuple, offset: absoluteOffset, items: try popToMark()))
        case UInt8(ascii: "l"): try pushRecord(Record(kind: .list, offset: absoluteOffset, items: try popToMark()))
        case 0x91: try pushRecord(Record(kind: .set, offset: absoluteOffset, items: try popToMark()))  // FROZENSET
        case UInt8(ascii: "d"):
            let items = try popToMark()
            guard items.count % 2 == 0 else { throw malformed("an odd number of items for a dict") }
            try pushRecord(Record(kind: .dict, offset: absoluteOffset, pairs: pairs(items)))
        case UInt8(ascii: "a"):
            let item = try pop()
            try append([item], to: try top())
        case UInt8(ascii: "e"):
            let items = try popToMark()
            try append(items, to: try top())
        case UInt8(ascii: "s"):
            let value = try pop(), key = try pop()
            try setItems([(key, value)], in: try top())
        case UInt8(ascii: "u"):
            let items = try popToMark()
            guard items.count % 2 == 0 else { throw malformed("an odd number of items for SETITEMS") }
            try setItems(pairs(items), in: try top())
        case 0x90:  // ADDITEMS
            let items = try popToMark()
            guard case .ref(let r) = try top(), case .set = records[r].kind else { throw malformed("ADDITEMS to something that is not a set") }
            records[r].items += items
        case 0x94: memo[memo.count] = try top()  // MEMOIZE
        case UInt8(ascii: "q"): memo[try u8()] = try top()
        case UInt8(ascii: "r"): memo[Int(try uLE(4))] = try top()
        case UInt8(ascii: "p"):
            guard let i = Int(try line()), i >= 0 else { throw malformed("a PUT index that is not a number") }
            memo[i] = try top()
        case UInt8(ascii: "h"): try get(try u8())
        case UInt8(ascii: "j"): try get(Int(try uLE(4)))
        case UInt8(ascii: "g"):
            guard let i = Int(try line()), i >= 0 else { throw malformed("a GET index that is not a number") }
            try get(i)
        case UInt8(ascii: "c"):  // GLOBAL: "module\nname\n"
            let module = try line()
            let name = try line()
            try pushGlobal(module: module, name: name)
        case 0x93:  // STACK_GLOBAL
            let name = try pop(), module = try pop()
            guard case .leaf(.string(let n)) = name, case .leaf(.string(let m)) = module else {
                throw malformed("STACK_GLOBAL needs two strings")
            }
            try pushGlobal(module: m, name: n)
        case UInt8(ascii: "R"), 0x81:  // REDUCE: callable(*args); NEWOBJ: cls.__new__(cls, *args)
            let args = try pop(), callable = try pop()
            guard case .leaf(.global) = callable else {
                throw malformed("\(opName) of \(describe(callable)); only named Python objects can be called")
            }
            guard case .ref(let a) = args, case .tuple = records[a].kind else { throw malformed("\(opName) arguments are not a tuple") }
            try pushRecord(Record(kind: .call(callable: callable, args: args), offset: absoluteOffset))
        case UInt8(ascii: "b"):  // BUILD
            let state = try pop()
            guard case .ref(let r) = try top(), case .call = records[r].kind else {
                throw malformed("BUILD on \(describe(try top())), which takes no state")
            }
            records[r].state = state
        case UInt8(ascii: "Q"):  // BINPERSID
            let pid = try pop()
            try pushRecord(Record(kind: .persistent(pid), offset: absoluteOffset))
        case UInt8(ascii: "0"): _ = try pop()  // POP
        case UInt8(ascii: "1"): _ = try popToMark()  // POP_MARK
        case UInt8(ascii: "2"): try push(try top())  // DUP
        default:
            if let name = PickleOpcodes.name(opcode) {
                throw fail("uses pickle opcode \(name) (0x\(String(opcode, radix: 16))) at byte \(absoluteOffset), which this reader does not support")
            }
            throw fail("contains an unknown pickle opcode 0x\(String(format: "%02x", opcode)) at byte \(absoluteOffset) (damaged, or not a pickle)")
        }
    }

    private mutating func pushLong(count n: Int) throws {
        let p = try take(n)
        if n == 0 { return try push(.int(0)) }
        if n <= 8 {
            var v: UInt64 = bytes[p + n - 1] >= 0x80 ? ~0 : 0  // sign extension
            for i in stride(from: n - 1, through: 0, by: -1) { v = v << 8 | UInt64(bytes[p + i]) }
            return try push(.int(Int(Int64(bitPattern: v))))
        }
        try push(.bigInt(Array(UnsafeRawBufferPointer(rebasing: bytes[p..<(p + n)]))))
    }

    private mutating func get(_ index: Int) throws {
        guard let node = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        try push(node)
    }

    private mutating func pushGlobal(module: String, name: String) throws {
        let qualified = "\(module).\(name)"
        guard globals.allowed.contains(qualified) else {
            if let special = globals.diagnose(module, name) { throw fail(special) }
            throw fail("refers to unsupported Python object '\(printable(qualified))' (byte \(absoluteOffset)); only the objects stylegan2-ada-pytorch checkpoints use are allowed")
        }
        try push(.global(module: module, name: name))
    }

    private func pairs(_ items: [Node]) -> [(Node, Node)] {
        stride(from: 0, to: items.count - 1, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    /// True for a REDUCE/NEWOBJ of a dict subclass we map to dict (their items arrive by SETITEMS).
    private func isDictLike(_ record: Record) -> Bool {
        guard case .call(.leaf(.global(let m, let n)), _) = record.kind else { return false }
        return PickleGlobalNames.dictLike.contains("\(m).\(n)")
    }

    private mutating func append(_ items: [Node], to target: Node) throws {
        guard case .ref(let r) = target, case .list = records[r].kind else { throw malformed("appending to \(describe(target))") }
        records[r].items += items
    }

    private mutating func setItems(_ pairs: [(Node, Node)], in target: Node) throws {
        guard case .ref(let r) = target else { throw malformed("setting items in \(describe(target))") }
        if case .dict = records[r].kind {} else if !isDictLike(records[r]) { throw malformed("setting items in \(describe(target))") }
        records[r].pairs += pairs
    }

    private func describe(_ node: Node) -> String {
        switch node {
        case .leaf(let v): return v.kindDescription
        case .ref(let r):
            switch records[r].kind {
            case .list: return "a list"
            case .tuple: return "a tuple"
            case .dict: return "a dict"
            case .set: return "a set"
            case .persistent: return "a persistent id"
            case .call(.leaf(let c), _): return "the result of calling \(c.kindDescription.replacingOccurrences(of: "a reference to ", with: ""))"
            case .call: return "a call result"
            }
        }
    }

    // MARK: Unfolding into plain values

    /// Turns the graph of records into a tree of values, folding the known containers
    /// (OrderedDict, EasyDict, set, numpy scalars). Depth and size are bounded: a container that
    /// contains itself fails on depth, and shared subtrees cannot multiply past the object limit.
    private mutating func unfold(_ node: Node, depth: Int) throws -> PickleValue {
        unfolded += 1
        guard unfolded <= limits.maxObjects else { throw fail("holds more than \(limits.maxObjects) pickle objects; refusing to read it") }
        guard depth < limits.maxDepth else { throw fail("nests values more than \(limits.maxDepth) levels deep (damaged, or a container that contains itself)") }
        guard case .ref(let r) = node else {
            if case .leaf(let v) = node { return v }
            return .none
        }
        let record = records[r]
        func all(_ nodes: [Node]) throws -> [PickleValue] { try nodes.map { try unfold($0, depth: depth + 1) } }
        func allPairs(_ pairs: [(Node, Node)]) throws -> [(key: PickleValue, value: PickleValue)] {
            try pairs.map { (key: try unfold($0.0, depth: depth + 1), value: try unfold($0.1, depth: depth + 1)) }
        }
        switch record.kind {
        case .list: return .list(try all(record.items))
        case .tuple: return .tuple(try all(record.items))
        case .set: return .set(try all(record.items))
        case .dict: return .dict(try allPairs(record.pairs))
        case .persistent(let pid): return .persistentID(try unfold(pid, depth: depth + 1))
        case .call(let callableNode, let argsNode):
            let callable = try unfold(callableNode, depth: depth + 1)
            guard case .tuple(let args) = try unfold(argsNode, depth: depth + 1) else { return .none }
            guard case .global(let m, let n) = callable else { return .none }
            let qualified = "\(m).\(n)"
            if PickleGlobalNames.dictLike.contains(qualified) {
                var result = [(key: PickleValue, value: PickleValue)]()
                if let first = args.first {
                    // dict(mapping) or dict(iterable of pairs), as these constructors accept.
                    if let d = first.pairs { result = d } else if let items = first.items {
                        for item in items {
                            guard let kv = item.items, kv.count == 2 else { throw unfoldError(record, "\(qualified) built from something that is not key/value pairs") }
                            result.append((key: kv[0], value: kv[1]))
                        }
                    } else { throw unfoldError(record, "\(qualified) built from \(first.kindDescription)") }
                }
                return .dict(result + (try allPairs(record.pairs)))
            }
            if qualified == PickleGlobalNames.builtinsSet {
                guard args.count <= 1 else { throw unfoldError(record, "set() with \(args.count) arguments") }
                guard let arg = args.first else { return .set([]) }
                guard let items = arg.items ?? arg.setItems else { throw unfoldError(record, "set() of \(arg.kindDescription)") }
                return .set(items)
            }
            if PickleGlobalNames.numpyScalar.contains(qualified) {
                return try numpyScalar(args, record: record)
            }
            let call = PickleValue.call(callable: callable, args: args)
            if let state = record.state { return .built(object: call, state: try unfold(state, depth: depth + 1)) }
            return call
        }
    }

    private func unfoldError(_ record: Record, _ why: String) -> FileError {
        fail("is not a valid checkpoint pickle: \(why) (byte \(record.offset))")
    }

    /// numpy.core.multiarray.scalar(dtype, raw bytes): a numpy number kept in a module attribute.
    private func numpyScalar(_ args: [PickleValue], record: Record) throws -> PickleValue {
        guard args.count == 2, case .bytes(let raw) = args[1],
              case .built(let dtypeCall, let dtypeState) = args[0],
              let dtypeArgs = dtypeCall.callArguments(of: PickleGlobalNames.numpyDType),
              let code = dtypeArgs.first?.string else {
            throw unfoldError(record, "a numpy scalar without a dtype and raw bytes")
        }
        // The dtype's state tuple holds its byte order ('<', '>', '|' or '=') second.
        let order = dtypeState.items.flatMap { $0.count > 1 ? $0[1].string : nil } ?? "<"
        let bigEndian = order == ">"
        let bytes = [UInt8](raw)
        func unsigned(_ n: Int) -> UInt64? {
            guard bytes.count == n else { return nil }
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(bytes[bigEndian ? i : n - 1 - i]) }
            return v
        }
        func signed(_ n: Int) -> Int? {
            guard let u = unsigned(n) else { return nil }
            let shift = UInt64(64 - 8 * n)
            return Int(Int64(bitPattern: u << shift) >> Int64(shift))
        }
        let value: PickleValue?
        switch code {
        case "f8": value = unsigned(8).map { .float(Double(bitPattern: $0)) }
        case "f4": value = unsigned(4).map { .float(Double(Float(bitPattern: UInt32($0)))) }
        case "f2": value = unsigned(2).map { .float(Double(Float(Float16(bitPattern: UInt16($0))))) }
        case "i8", "i4", "i2", "i1": value = signed(Int(code.dropFirst())!).map { .int($0) }
        case "u4", "u2", "u1": value = unsigned(Int(code.dropFirst())!).map { .int(Int($0)) }
        case "u8": value = unsigned(8).flatMap { Int(exactly: $0) }.map { .int($0) }
        case "b1": value = unsigned(1).map { .bool($0 != 0) }
        default: throw unfoldError(record, "a numpy scalar of dtype '\(code)', which is not supported")
        }
        guard let value else { throw unfoldError(record, "a numpy scalar of dtype '\(code)' with \(bytes.count) bytes") }
        return value
    }
}

private extension PickleValue {
    var setItems: [PickleValue]? { if case .set(let s) = self { return s }; return nil }
}

/// The globals that the pickle machine itself interprets.
enum PickleGlobalNames {
    static let dictLike: Set<String> = ["collections.OrderedDict", "dnnlib.util.EasyDict"]
    static let builtinsSet = "builtins.set"
    static let numpyScalar: Set<String> = ["numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar"]
    static let numpyDType = "numpy.dtype"
}

/// Opcode bytes and names of the pickle protocol (all of them, so that an unsupported one is named).
enum PickleOpcodes {
    static let stop = UInt8(ascii: ".")

    static func name(_ op: UInt8) -> String? { names[op] }

    private static let names: [UInt8: String] = {
        let ascii: [(Character, String)] = [
            ("(", "MARK"), (".", "STOP"), ("0", "POP"), ("1", "POP_MARK"), ("2", "DUP"), ("F", "FLOAT"), ("I", "INT"),
            ("J", "BININT"), ("K", "BININT1"), ("L", "LONG"), ("M", "BININT2"), ("N", "NONE"), ("P", "PERSID"),
            ("Q", "BINPERSID"), ("R", "REDUCE"), ("S", "STRING"), ("T", "BINSTRING"), ("U", "SHORT_BINSTRING"),
            ("V", "UNICODE"), ("X", "BINUNICODE"), ("a", "APPEND"), ("b", "BUILD"), ("c", "GLOBAL"), ("d", "DICT"),
            ("}", "EMPTY_DICT"), ("e", "APPENDS"), ("g", "GET"), ("h", "BINGET"), ("i", "INST"), ("j", "LONG_BINGET"),
            ("l", "LIST"), ("]", "EMPTY_LIST"), ("o", "OBJ"), ("p", "PUT"), ("q", "BINPUT"), ("r", "LONG_BINPUT"),
            ("s", "SETITEM"), ("t", "TUPLE"), (")", "EMPTY_TUPLE"), ("u", "SETITEMS"), ("G", "BINFLOAT"),
            ("B", "BINBYTES"), ("C", "SHORT_BINBYTES"),
        ]
        var d = [UInt8: String]()
        for (c, n) in ascii { d[c.asciiValue!] = n }
        let high = ["PROTO", "NEWOBJ", "EXT1", "EXT2", "EXT4", "TUPLE1", "TUPLE2", "TUPLE3", "NEWTRUE", "NEWFALSE",
                    "LONG1", "LONG4", "SHORT_BINUNICODE", "BINUNICODE8", "BINBYTES8", "EMPTY_SET", "ADDITEMS",
                    "FROZENSET", "NEWOBJ_EX", "STACK_GLOBAL", "MEMOIZE", "FRAME", "BYTEARRAY8", "NEXT_BUFFER",
                    "READONLY_BUFFER"]
        for (i, n) in high.enumerated() { d[UInt8(0x80 + i)] = n }
        return d
    }()
}
