import Control
import Foundation

/// The live thumbnail the web surface shows (the engine's preview output).
public protocol PreviewSource: AnyObject, Sendable {
    var width: Int { get }
    var height: Int { get }
    /// Someone started (+1) or stopped (-1) watching: frames are made only while anyone does.
    func watchers(changedBy delta: Int)
    /// The newest frame's serial and pixels (RGBx), handed to `body` while they cannot change; nil when
    /// none is newer than `serial`.
    func withNewest<R>(after serial: Int, _ body: (Int, UnsafeRawBufferPointer) -> R) -> R?
}

/// What the web surface reaches beyond the namespace: the OSC server its moves go through (the same
/// checks, commands and counts as a message over UDP) and whose feedback it shows, the preview, and
/// the access token a venue network asks for.
public struct WebSurface: Sendable {
    public var osc: OSCServer?
    public var preview: PreviewSource?
    /// With a token, the page and the WebSocket need it (`?token=`, the cookie the page sets, or
    /// `Authorization: Bearer`); reading the OSCQuery tree does not.
    public var token: String?

    public init(osc: OSCServer? = nil, preview: PreviewSource? = nil, token: String? = nil) {
        self.osc = osc; self.preview = preview; self.token = token
    }

    /// The preview frame's header on the WebSocket: "LVJP", then width and height (16 bits, little
    /// endian), then RGBx. An OSC message starts with "/" (or "#bundle"), so a client tells them apart.
    static let previewMagic: [UInt8] = Array("LVJP".utf8)

    /// Why a browser's request for the page or the WebSocket is refused whatever the token: a page of
    /// another site opening our WebSocket (its Origin is not this server), or a name this engine does not
    /// go by (DNS rebinding: another site's name pointed at this machine). nil: it may go on.
    func foreignSite(headers: [(String, String)]) -> String? {
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        guard let host = header("host")?.lowercased() else { return nil }      // HTTP/1.0: no name to check
        let name = Self.hostName(of: host)
        let me = ProcessInfo.processInfo.hostName.lowercased()
        let ours = Self.isAddress(name) || name == "localhost" || name.hasSuffix(".local") || name == me
            || name == me.split(separator: ".").first.map(String.init)
        guard ours else { return "this engine is not \(name): open it by its address (or NAME.local)" }
        if let origin = header("origin")?.lowercased(), origin != "null" {
            let site = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? origin
            guard site == host else { return "a page from \(origin) may not control this engine" }
        }
        return nil
    }

    /// "host:port" or "[v6]:port" without the port.
    static func hostName(of host: String) -> String {
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") { return String(host[host.index(after: host.startIndex)..<end]) }
        return host.split(separator: ":").first.map(String.init) ?? host
    }

    static func isAddress(_ name: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }

    /// Whether a request carries the token (when one is set): in the query, a cookie or the header.
    func admits(uri: String, headers: [(String, String)]) -> Bool {
        guard let token, !token.isEmpty else { return true }
        var offered: [String] = []
        if let q = uri.split(separator: "?", maxSplits: 1).dropFirst().first {
            for item in q.split(separator: "&") where item.hasPrefix("token=") {
                offered.append(String(item.dropFirst(6)).removingPercentEncoding ?? "")
            }
        }
        for (name, value) in headers {
            switch name.lowercased() {
            case "cookie":
                for c in value.split(separator: ";") {
                    let kv = c.trimmingCharacters(in: .whitespaces)
                    if kv.hasPrefix("lvj_token=") { offered.append(String(kv.dropFirst(10)).removingPercentEncoding ?? "") }
                }
            case "authorization" where value.hasPrefix("Bearer "): offered.append(String(value.dropFirst(7)))
            default: break
            }
        }
        return offered.contains { Self.same($0, token) }
    }

    /// Compared in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var d = x.count ^ y.count
        for i in 0..<max(x.count, y.count) { d |= Int((i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)) }
        return d == 0
    }
}
