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
