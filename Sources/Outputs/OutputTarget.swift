import Foundation
import Basics

/// Where an output sends the picture, parsed from `--output URI` (Docs/outputs.md).
public struct OutputTarget: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// An NDI source called `address` (the NDI runtime is loaded at run time).
        case ndi
        /// A v4l2loopback device (`/dev/videoN`): OBS, browsers and video calls read it as a webcam.
        case v4l2
        /// GStreamer's shared-memory protocol on the socket `address` (shmsrc reads it).
        case shm
        /// An SRT stream (MPEG-TS, H.264); `address` is the whole srt:// URI.
        case srt
        /// An RTP stream (H.264) to `address` = HOST:PORT.
        case rtp
        /// Any GStreamer sink pipeline after the output's appsrc.
        case gst
        /// The web surface's preview, inside the engine (never given as --output).
        case web
    }

    public let kind: Kind
    /// What follows the scheme: the NDI name, the device, the socket, the URI, HOST:PORT or the pipeline
    /// (without this output's own `size` and `fps`).
    public let address: String
    /// The URI as given.
    public let uri: String
    /// This output's own size and rate (`?size=WxH&fps=N` on any URI but gst:), over `--output-size`
    /// and `--output-fps`; nil: those.
    public let width: Int?, height: Int?
    public let fps: Double?

    public static let forms = "ndi:NAME, v4l2:/dev/videoN[?format=yuyv|rgb24], shm:/path/to/socket, srt://HOST:PORT[?mode=listener|caller], rtp://HOST:PORT or gst:PIPELINE; any but gst: takes ?size=WxH&fps=N of its own"

    /// The web surface's preview.
    static let webPreview = OutputTarget(kind: .web, address: "", uri: "web preview")

    private init(kind: Kind, address: String, uri: String) {
        self.kind = kind; self.address = address; self.uri = uri; width = nil; height = nil; fps = nil
    }

    public init(parsing given: String) throws {
        self.uri = given
        func fail(_ why: String) -> UsageError { UsageError("--output \(given): \(why) (one of \(Self.forms))") }
        // This output's own size and rate come off the query; the rest of it stays with the address.
        var uri = given, width: Int?, height: Int?, fps: Double?
        if !given.hasPrefix("gst:"), let q = given.firstIndex(of: "?") {
            var kept: [Substring] = []
            for item in given[given.index(after: q)...].split(separator: "&") {
                if item.hasPrefix("size=") {
                    do { (width, height) = try OutputFormat.size(parsing: String(item.dropFirst(5))) }
                    catch { throw fail("size=\(item.dropFirst(5)) is WIDTHxHEIGHT, even numbers from 16x16 to 7680x4320") }
                } else if item.hasPrefix("fps=") {
                    guard let f = Double(item.dropFirst(4)), f.isFinite, f > 0, f <= 240 else { throw fail("fps=\(item.dropFirst(4)) is a rate from 0 to 240") }
                    fps = f
                } else {
                    kept.append(item)
                }
            }
            uri = String(given[..<q]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        }
        (self.width, self.height, self.fps) = (width, height, fps)
        if uri.hasPrefix("srt://") {
            kind = .srt; address = uri
            let rest = uri.dropFirst("srt://".count).split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
            guard Self.port(of: rest) != nil else { throw fail("an SRT address needs a port, such as srt://:7001 (listen) or srt://HOST:7001") }
            return
        }
        if uri.hasPrefix("rtp://") {
            kind = .rtp; address = String(uri.dropFirst("rtp://".count))
            guard let host = Self.host(of: address), !host.isEmpty, Self.port(of: address) != nil else {
                throw fail("an RTP address is HOST:PORT with a port from 1 to 65535")
            }
            return
        }
        guard let colon = uri.firstIndex(of: ":"), let k = Kind(rawValue: String(uri[..<colon])), k != .srt, k != .rtp, k != .web else {
            throw fail("unknown kind of output")
        }
        kind = k
        address = String(uri[uri.index(after: colon)...])
        switch k {
        case .ndi: guard !address.isEmpty else { throw fail("an NDI output needs a source name, such as ndi:LatentVJ") }
        case .v4l2:
            guard address.hasPrefix("/dev/"), address.count > 5 else { throw fail("a v4l2loopback output names its device, such as v4l2:/dev/video10") }
            if let query = address.split(separator: "?", maxSplits: 1).dropFirst().first, V4L2Loopback.Format(rawValue: query.lowercased().replacingOccurrences(of: "format=", with: "")) == nil {
                throw fail("a v4l2loopback output sends format=yuyv (the default) or format=rgb24")
            }
        case .shm: guard address.hasPrefix("/"), address.count > 1 else { throw fail("a shared-memory output names its socket with an absolute path, such as shm:/tmp/latentvj.shm") }
        case .gst: guard !address.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("a gst: output needs a sink pipeline, such as gst:autovideosink") }
        case .srt, .rtp, .web: break
        }
    }

    public var description: String { uri }

    /// The port after the last colon (an IPv6 host may hold colons in brackets).
    static func port(of hostPort: String) -> Int? {
        guard let colon = hostPort.lastIndex(of: ":"), let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else { return nil }
        return p
    }

    static func host(of hostPort: String) -> String? {
        guard let colon = hostPort.lastIndex(of: ":") else { return nil }
        return String(hostPort[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    }
}

/// The size and rate an output sends at.
public struct OutputFormat: Equatable, Sendable {
    public var width: Int, height: Int
    /// Frames per second sent (at most the engine's: an output never repeats frames).
    public var fps: Double

    public init(width: Int, height: Int, fps: Double) { self.width = width; self.height = height; self.fps = fps }

    /// `WxH`, such as 1280x720.
    public static func size(parsing text: String) throws -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (16...7680).contains(w), (16...4320).contains(h), w % 2 == 0, h % 2 == 0 else {
            throw UsageError("--output-size \(text): expected WIDTHxHEIGHT, even numbers from 16x16 to 7680x4320, such as 1280x720")
        }
        return (w, h)
    }

    /// The frame rate as GStreamer's fraction.
    var fraction: String {
        let milli = Int((fps * 1000).rounded())
        return milli % 1000 == 0 ? "\(milli / 1000)/1" : "\(milli)/1000"
    }
}
