import Foundation
/// The GStreamer pipeline behind each kind of output: after the appsrc, which takes RGBx frames of the
/// output's size at its rate, timestamped on arrival (a live source: receivers see no backlog).
enum OutputPipelines {
    static func appsrc(_ format: OutputFormat) -> String {
        "appsrc name=lvjsrc is-live=true format=time do-timestamp=true block=false max-buffers=\(GStreamerPipeline.queueLimit)"
            + " caps=video/x-raw,format=RGBx,width=\(format.width),height=\(format.height),framerate=\(format.fraction)"
    }

    /// H.264 for the streams: zerolatency (no B-frames, no lookahead), a key frame every second so a
    /// receiver that joins late sees a picture within a second, about 0.15 bit a pixel.
    static func h264(_ format: OutputFormat) -> String {
        let kbps = max(500, Int(Double(format.width * format.height) * format.fps * 0.15 / 1000))
        return "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=\(kbps)"
            + " key-int-max=\(max(1, Int(format.fps.rounded()))) ! video/x-h264,profile=constrained-baseline"
    }

    /// The pipeline description for a GStreamer output (nil for NDI, which has its own runtime).
    static func description(for target: OutputTarget, format: OutputFormat) -> String? {
        let src = appsrc(format)
        switch target.kind {
        case .ndi, .web: return nil
        case .shm:
            // Room for a few frames: a reader that holds one does not stall the writer.
            let size = format.width * format.height * 4 * 6
            return "\(src) ! shmsink socket-path=\(quoted(target.address)) shm-size=\(size) wait-for-connection=false sync=false async=false"
        case .rtp:
            let host = OutputTarget.host(of: target.address) ?? "127.0.0.1", port = OutputTarget.port(of: target.address) ?? 5004
            return "\(src) ! \(h264(format)) ! rtph264pay config-interval=-1 pt=96 ! udpsink host=\(quoted(host)) port=\(port) sync=false async=false"
        case .srt:
            return "\(src) ! \(h264(format)) ! h264parse ! mpegtsmux alignment=7 ! srtsink uri=\(quoted(srtURI(target.address))) wait-for-connection=false sync=false async=false"
        case .v4l2:
            let v = V4L2Loopback.parse(target.address)
            return "\(src) ! videoconvert ! video/x-raw,format=\(v.format.gstreamer) ! v4l2sink device=\(quoted(v.device)) sync=false"
        case .gst:
            return "\(src) ! \(target.address)"
        }
    }

    /// srt://:PORT (no host) listens for callers; a URI that says its mode keeps it.
    static func srtURI(_ uri: String) -> String {
        if uri.contains("mode=") { return uri }
        let rest = uri.dropFirst("srt://".count)
        let listen = rest.hasPrefix(":")
        guard listen else { return uri }
        return uri + (uri.contains("?") ? "&" : "?") + "mode=listener"
    }

    /// The GStreamer elements an output needs, with the Debian package that brings each.
    static func elements(for kind: OutputTarget.Kind) -> [(element: String, package: String)] {
        let h264 = [("x264enc", "gstreamer1.0-plugins-ugly"), ("videoconvert", "gstreamer1.0-plugins-base")]
        switch kind {
        case .ndi, .gst, .web: return []
        case .shm: return [("shmsink", "gstreamer1.0-plugins-bad")]
        case .rtp: return h264 + [("rtph264pay", "gstreamer1.0-plugins-good"), ("udpsink", "gstreamer1.0-plugins-good")]
        case .srt: return h264 + [("h264parse", "gstreamer1.0-plugins-bad"), ("mpegtsmux", "gstreamer1.0-plugins-bad"), ("srtsink", "gstreamer1.0-plugins-bad")]
        case .v4l2: return [("videoconvert", "gstreamer1.0-plugins-base"), ("v4l2sink", "gstreamer1.0-plugins-good")]
        }
    }

    static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
}
