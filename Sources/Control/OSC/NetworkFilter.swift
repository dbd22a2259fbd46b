/// Which senders may control the engine: IPv4 CIDR blocks. By default loopback and the private
/// networks (RFC 1918), so a tablet on the venue's Wi-Fi works and the internet does not.
public struct NetworkFilter: Sendable, CustomStringConvertible {
    public struct Block: Sendable, Equatable {
        public let address: UInt32
        public let prefix: Int
        var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << (32 - UInt32(prefix)) }
        func contains(_ ip: UInt32) -> Bool { ip & mask == address & mask }
    }

    public let blocks: [Block]

    public static let defaultBlocks = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    public static let privateNetworks = try! NetworkFilter(cidrs: defaultBlocks)

    /// `--osc-allow 192.168.1.0/24` (repeatable); a bare address means /32.
    public init(cidrs: [String]) throws {
        blocks = try cidrs.map { text in
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let ip = Self.parse(String(parts[0])) else { throw FilterError(text) }
            let prefix = parts.count == 2 ? Int(parts[1]) : 32
            guard let prefix, (0...32).contains(prefix) else { throw FilterError(text) }
            return Block(address: ip, prefix: prefix)
        }
    }

    public struct FilterError: Error, CustomStringConvertible {
        let text: String
        init(_ text: String) { self.text = text }
        public var description: String { "'\(text)' is not an IPv4 address or CIDR block (e.g. 192.168.1.0/24)" }
    }

    /// Whether a sender's address (dotted IPv4, as liblo reports it) is allowed. IPv6-mapped IPv4
    /// (`::ffff:a.b.c.d`) counts as its IPv4 address; other IPv6 senders only match `::1` to loopback.
    public func allows(_ host: String) -> Bool {
        var h = host
        if h.hasPrefix("::ffff:") { h.removeFirst(7) }
        if h == "::1" { h = "127.0.0.1" }
        guard let ip = Self.parse(h) else { return false }
        return blocks.contains { $0.contains(ip) }
    }

    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var ip: UInt32 = 0
        for o in octets {
            guard !o.isEmpty, o.count <= 3, let v = UInt32(o), v <= 255 else { return nil }
            ip = ip << 8 | v
        }
        return ip
    }

    public var description: String {
        blocks.map { b in
            let a = b.address
            return "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)/\(b.prefix)"
        }.joined(separator: ", ")
    }
}
