/// One OSC message as bytes (OSC 1.0: the address, the type tags, the arguments, each padded to four
/// bytes, big-endian): what OSCQuery's LISTEN streams over WebSocket as binary frames. Only the types
/// the namespace uses.
enum OSCBinary {
    enum Argument: Equatable { case float(Float), int(Int32), string(String) }

    static func message(_ address: String, _ arguments: [Argument]) -> [UInt8] {
        var bytes: [UInt8] = []
        func string(_ s: String) {
            bytes += Array(s.utf8) + [0]
            while bytes.count % 4 != 0 { bytes.append(0) }
        }
        func word(_ w: UInt32) { bytes += [UInt8(w >> 24), UInt8((w >> 16) & 0xFF), UInt8((w >> 8) & 0xFF), UInt8(w & 0xFF)] }
        string(address)
        string("," + arguments.map { a -> String in
            switch a { case .float: "f"; case .int: "i"; case .string: "s" }
        }.joined())
        for a in arguments {
            switch a {
            case .float(let f): word(f.bitPattern)
            case .int(let i): word(UInt32(bitPattern: i))
            case .string(let s): string(s)
            }
        }
        return bytes
    }
}
