import Basics
import CNDI
import Foundation

/// An NDI source, sent through the NDI runtime loaded at run time (never linked, never shipped).
final class NDISender: OutputTransport {
    private let instance: UnsafeMutableRawPointer
    private var frame = lvj_ndi_video_frame()
    private let runtime: lvj_ndi_runtime

    /// Where the runtime is looked for: `--ndi-runtime` (a file or its folder), NDI_RUNTIME_DIR_V6, then
    /// the library path.
    static func candidates(explicit: String?) -> [String] {
        var paths: [String] = []
        if let explicit {
            var isFolder: ObjCBool = false
            let folder = FileManager.default.fileExists(atPath: explicit, isDirectory: &isFolder) && isFolder.boolValue
            paths.append(folder ? (explicit as NSString).appendingPathComponent("libndi.so.6") : explicit)
            return paths
        }
        if let dir = ProcessInfo.processInfo.environment["NDI_RUNTIME_DIR_V6"], !dir.isEmpty {
            paths.append((dir as NSString).appendingPathComponent("libndi.so.6"))
        }
        paths.append("libndi.so.6")
        return paths
    }

    /// The runtime, loaded and initialised once per process (NDI wants one initialise).
    private static let loaded = Lock<Result<lvj_ndi_runtime, OutputError>?>(nil)

    static func runtime(explicit: String?, name: String) throws -> lvj_ndi_runtime {
        try loaded.withLock { cached in
            if let cached, case .success(let rt) = cached { return rt }
            var tried: [String] = []
            for path in candidates(explicit: explicit) {
                var rt = lvj_ndi_runtime()
                var why = [CChar](repeating: 0, count: 512)
                if lvj_ndi_load(path, &rt, &why, why.count) != 0 {
                    guard rt.initialize() else { throw OutputError(name, "the NDI runtime at \(path) did not initialise (this processor may lack SSE4.2)") }
                    cached = .success(rt)
                    return rt
                }
                tried.append(String(cString: why))
            }
            throw OutputError(name, "the NDI runtime (libndi.so.6) was not found: install NDI Tools or the NDI SDK and set NDI_RUNTIME_DIR_V6 to its lib folder, or pass --ndi-runtime PATH; the show goes on without this output (tried: \(tried.joined(separator: "; ")))")
        }
    }

    private let nameStorage: UnsafeMutablePointer<CChar>

    init(sourceName: String, format: OutputFormat, runtimePath: String?, name: String) throws {
        runtime = try Self.runtime(explicit: runtimePath, name: name)
        nameStorage = strdup(sourceName)
        var create = lvj_ndi_send_create(p_ndi_name: nameStorage, p_groups: nil, clock_video: false, clock_audio: false)
        guard let sender = runtime.send_create(&create) else {
            free(nameStorage)
            throw OutputError(name, "the NDI runtime could not create the source \(sourceName)")
        }
        instance = sender
        frame.xres = Int32(format.width); frame.yres = Int32(format.height)
        frame.four_cc = LVJ_NDI_FOURCC_RGBX
        let milli = Int32((format.fps * 1000).rounded())
        frame.frame_rate_n = milli; frame.frame_rate_d = 1000
        frame.picture_aspect_ratio = Float(format.width) / Float(format.height)
        frame.frame_format_type = LVJ_NDI_PROGRESSIVE
        frame.timecode = LVJ_NDI_SYNTHESIZE_TIMECODE
        frame.line_stride_in_bytes = Int32(format.width * 4)
    }

    deinit {
        runtime.send_destroy(instance)
        free(nameStorage)
    }

    /// NDI copies and compresses the frame before it returns; receivers that fall behind drop on their side.
    func send(_ pixels: UnsafePointer<UInt8>) -> OutputPush {
        frame.p_data = UnsafeMutablePointer(mutating: pixels)
        runtime.send_video(instance, &frame)
        return .sent
    }

    func takeProblem() -> String? { nil }

    /// Receivers connected now.
    var receivers: Int { Int(runtime.connections(instance, 0)) }
}
