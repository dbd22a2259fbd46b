/// A receiver on this machine for an output: GStreamer's source chain up to decoded frames, as the
/// tests run it in gst-launch-1.0 and the latency probe runs it in this process. Shared memory carries
/// RGBx as sent; the H.264 streams are decoded to RGB.
public struct LocalReceiver: Equatable, Sendable {
    public let pipeline: String
    /// Bytes a pixel of what `pipeline` delivers.
    public let channels: Int

    /// The receiver for `target`, or why there is none here (an output to another machine, a device,
    /// a runtime of its own, a pipeline we cannot see into).
    public static func `for`(_ target: OutputTarget) -> Result<LocalReceiver, OutputError> {
        let decoded = "avdec_h264 ! videoconvert ! video/x-raw,format=RGB"
        func none(_ why: String) -> Result<LocalReceiver, OutputError> { .failure(OutputError(target.uri, why)) }
        switch target.kind {
        case .shm:
            return .success(LocalReceiver(pipeline: "shmsrc socket-path=\(OutputPipelines.quoted(target.address)) is-live=true", channels: 4))
        case .rtp:
            guard let host = OutputTarget.host(of: target.address), isLocal(host), let port = OutputTarget.port(of: target.address) else {
                return none("the RTP stream goes to another machine")
            }
            return .success(LocalReceiver(pipeline: "udpsrc port=\(port) caps=application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000 ! rtph264depay ! \(decoded)", channels: 3))
        case .srt:
            let hostPort = target.address.dropFirst("srt://".count).split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
            guard let port = OutputTarget.port(of: hostPort), let host = OutputTarget.host(of: hostPort) else { return none("the SRT address has no port") }
            // An output that listens is called; one that calls this machine is listened for.
            // SRT settles on the larger latency of the two ends: the receiver takes the output's own.
            let latency = target.address.split(separator: "?", maxSplits: 1).dropFirst().first?
                .split(separator: "&").first { $0.hasPrefix("latency=") }.map { "&" + $0 } ?? ""
            let uri: String
            if OutputPipelines.srtURI(target.address).contains("mode=listener") { uri = "srt://127.0.0.1:\(port)?mode=caller\(latency)" }
            else if isLocal(host) { uri = "srt://:\(port)?mode=listener\(latency)" }
            else { return none("the SRT stream goes to another machine") }
            return .success(LocalReceiver(pipeline: "srtsrc uri=\(uri) ! tsdemux ! h264parse ! \(decoded)", channels: 3))
        case .ndi: return none("NDI is received by NDI's own runtime, not GStreamer")
        case .v4l2: return none("a v4l2loopback device is read by the program that opens it")
        case .gst: return none("what a gst: pipeline sends to is not known")
        case .web: return none("the web preview goes to the web surface's clients")
        }
    }

    static func isLocal(_ host: String) -> Bool { ["127.0.0.1", "localhost", "::1"].contains(host) }
}
