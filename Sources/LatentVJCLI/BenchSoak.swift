import ArgumentParser
import AudioIn
import Basics
import Foundation

struct BenchSoak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "A whole set under abuse: the live engine on a JACK dummy server, with an OSC storm, MIDI bursts, preset recalls and morphs, record cycles and JACK restarts.",
        discussion: """
        Starts a private JACK dummy server and `latentvj live` on the demo track (looped, headless, recording) as a \
        child process, then loads it for --minutes: OSC messages from one port at --osc-rate a second (one in five \
        malformed: garbage bytes, truncated packets, wrong types, NaN, out of range, unknown addresses, wrong arity, \
        path-like preset names), a burst of MIDI from a JACK controller every 5 s, a preset recall every 7 s, a \
        morph every 13 s, every file reloaded (/lvj/reload) every minute, the recording stopped and started every --record-cycle seconds, and the JACK server \
        killed and restarted every --jack-restart minutes. It watches the engine through its OSC status and /proc.

        Prints frames rendered, dropped frames, fps p1/p50 (over 1 s windows), memory (RSS), threads and file \
        descriptors at start and end, xruns, and ffprobe's check of every recording. Goals for 30 minutes: no \
        crash, RSS growth ≤ 5 %, no descriptor or thread leak, every recording playable, fps p1 ≥ 24.

        Exit code 0: the engine survived, ended cleanly, leaked nothing and every recording plays; 1: it crashed, \
        hung, leaked descriptors or threads, or left a recording that does not play. Timing (fps, RSS) is \
        reported against its goal but does not change the exit code. JSON keys: Docs/benchmarks.md.

        Examples:
          latentvj bench soak --minutes 30
          latentvj bench soak --minutes 2 --jack-restart 0.5 --json
        """)

    @Option(help: "Minutes to run.")
    var minutes = 30.0

    @Option(help: "Restart the JACK server every this many minutes (0: never).")
    var jackRestart = 5.0

    @Option(help: "Seconds between recording restarts (each recording stops and a new one starts 5 s later).")
    var recordCycle = 60.0

    @Option(help: "OSC messages a second.")
    var oscRate = 300.0

    @OptionGroup var model: ModelOption

    @Flag(help: "Let the engine adapt to this machine as `live` does by default (without it, the model runs at its size).")
    var adapt = false

    @Option(help: "Folder for the recordings and logs (default: a temporary one, deleted afterwards unless --keep).")
    var output: String?

    @Flag(help: "Keep the recordings and logs.")
    var keep = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard minutes * 60 >= 20 else { throw ValidationError("--minutes: a soak needs at least 20 s (0.34 minutes)") }
        guard recordCycle >= 10 else { throw ValidationError("--record-cycle: at least 10 s") }
        guard jackRestart >= 0 else { throw ValidationError("--jack-restart: 0 (never) or more minutes") }
        guard (0...5000).contains(oscRate) else { throw ValidationError("--osc-rate: 0 to 5000 messages a second") }
    }

    func run() throws {
        try reportingErrors {
            _ = try ExternalTool("ffprobe").require(for: "checking the soak's recordings")
            let folder = output ?? FileManager.default.temporaryDirectory.appendingPathComponent("latentvj-soak-\(getpid())").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let presets = try soakPresets(in: folder)
            let rig = SoakRig(folder: folder)
            let run = SoakRun(rig: rig, presets: presets, seconds: minutes * 60, jackRestart: jackRestart * 60,
                                  recordCycle: recordCycle, oscRate: oscRate, quiet: json)
            var engineArguments = (adapt ? [] : ["--no-adapt"]) + ["--headless", "--loop", "--presets", "\(folder)/presets", "--record", "\(folder)/soak.mkv"]
            if let path = model.model { engineArguments += ["--model", path] }
            if let size = model.renderSize { engineArguments += ["--render-size", String(size)] }
            let result = try run.perform(engineArguments: engineArguments)
            let report = SoakReport(result: result, minutes: minutes)
            if json { FileHandle.standardOutput.write(try report.json()); print() } else { print(report.text(folder: keep || output != nil ? folder : nil)) }
            if !keep && output == nil { try? FileManager.default.removeItem(atPath: folder) }
            if !report.passed { throw ExitCode(1) }
        }
    }

    /// A copy of the shipped presets (and the network they name), so recalls never touch the originals.
    func soakPresets(in folder: String) throws -> [String] {
        let shipped = try ShippedFiles.locate("Presets")
        let copy = "\(folder)/presets"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        var names: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: shipped) where file.hasSuffix(".preset.yaml") || file.hasSuffix(".envelope") {
            try FileManager.default.copyItem(atPath: "\(shipped)/\(file)", toPath: "\(copy)/\(file)")
            if file.hasSuffix(".preset.yaml") { names.append(String(file.dropLast(".preset.yaml".count))) }
        }
        return names.sorted()
    }
}
