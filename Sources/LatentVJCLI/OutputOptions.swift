import ArgumentParser
import Basics
import Live
import Outputs

/// `--output` and its companions, shared by `live` and `bench live`.
struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("output"),
            help: "Send the picture into the rig as well (repeatable): ndi:NAME, v4l2:/dev/videoN, shm:/path/socket, srt://HOST:PORT (srt://:PORT listens), rtp://HOST:PORT or gst:PIPELINE. Each is switched live by output.NAME (Docs/outputs.md).")
    var outputs: [String] = []

    @Option(help: "Size of every output, WIDTHxHEIGHT (default: the render size); the picture is scaled with an antialiased filter to cover it.")
    var outputSize: String?

    @Option(help: "Frames per second sent to each output (default: every frame the engine renders).")
    var outputFps: Double?

    @Option(help: "The NDI runtime, libndi.so.6 or its folder (default: NDI_RUNTIME_DIR_V6, then the library path).")
    var ndiRuntime: String?

    func apply(to c: inout EngineConfiguration) throws {
        c.outputs = try outputs.map { try OutputTarget(parsing: $0) }
        c.outputSize = try outputSize.map { try OutputFormat.size(parsing: $0) }
        if let outputFps, !(outputFps > 0 && outputFps <= 240) { throw UsageError("--output-fps \(outputFps): expected a rate from above 0 to 240") }
        c.outputFPS = outputFps
        c.ndiRuntime = ndiRuntime
    }
}
