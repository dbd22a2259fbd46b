import AudioIn
import Basics
import Foundation

/// What a soak saw.
struct SoakResult {
    var seconds = 0.0
    var samples: [SoakRig.Sample] = []
    var start: SoakRig.Sample?, end: SoakRig.Sample?
    var reports: [SoakLoad.EngineReport] = []
    var counts = SoakLoad.Counts()
    var engineControl: (oscAccepted: Int, oscRejected: Int, midi: Int, midiGarbage: Int) = (0, 0, 0, 0)
    var parameters = 0
    var jackRestarts = 0
    /// Seconds from each server restart until the engine reported itself connected again.
    var reconnectSeconds: [Double] = []
    var crashed = false
    var exit: (status: Int32, bySignal: Bool, hung: Bool) = (0, false, false)
    var logTail = ""
    /// The engine's own summary at the end: frames rendered over its wall time.
    var summaryFrames: Int?, summarySeconds: Double?
    var fps = 30.0
    var recordings: [SoakRecording] = []
    /// "recording failed" / "recording stopped" lines: a record start that left no file, or an encoder that died.
    var recordingProblems: [String] = []
    /// Seconds since the last status report arrived, at the end sample (the engine's main loop answering).
    var lastReportAge = Double.infinity
}

/// One recording of the soak and ffprobe's view of it (every frame decoded and counted).
struct SoakRecording: Codable {
    var path: String
    var recordedFrames: Int
    var probedFrames: Int?
    var seconds: Double?
    var streams: [String]
    var playable: Bool
    var problem: String?

    static func check(path: String, recordedFrames: Int) -> SoakRecording {
        var r = SoakRecording(path: path, recordedFrames: recordedFrames, probedFrames: nil, seconds: nil, streams: [], playable: false, problem: nil)
        guard let probe = try? ExternalTool("ffprobe").run(["-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", path],
                                                           purpose: "checking recordings"), probe.status == 0,
              let info = try? JSONSerialization.jsonObject(with: probe.stdout) as? [String: Any] else {
            r.problem = "ffprobe cannot read it"; return r
        }
        let streams = info["streams"] as? [[String: Any]] ?? []
        r.streams = streams.compactMap { $0["codec_type"] as? String }
        r.probedFrames = streams.first { $0["codec_type"] as? String == "video" }.flatMap { ($0["nb_read_frames"] as? String).flatMap(Int.init) }
        r.seconds = ((info["format"] as? [String: Any])?["duration"] as? String).flatMap(Double.init)
        let frames = r.probedFrames ?? 0
        if !r.streams.contains("video") || !r.streams.contains("audio") { r.problem = "streams: \(r.streams)" }
        else if frames == 0 { r.problem = "no video frame decodes" }
        else if abs(frames - recordedFrames) > max(2, recordedFrames / 100) { r.problem = "\(frames) frames decode of \(recordedFrames) recorded" }
        r.playable = r.problem == nil
        return r
    }
}

/// The soak's timeline: the server and engine up, then the load for the whole time, with JACK restarts
/// as a small state machine so the storm never pauses while the server is down.
struct SoakRun {
    let rig: SoakRig
    let presets: [String]
    let seconds: Double, jackRestart: Double, recordCycle: Double, oscRate: Double
    let quiet: Bool

    init(rig: SoakRig, presets: [String], seconds: Double, jackRestart: Double, recordCycle: Double, oscRate: Double, quiet: Bool) {
        self.rig = rig; self.presets = presets; self.seconds = seconds; self.jackRestart = jackRestart
        self.recordCycle = recordCycle; self.oscRate = oscRate; self.quiet = quiet
    }

    private enum Restart { case idle, down(since: Double, reportsBefore: Int), reconnecting(since: Double, reportsBefore: Int) }

    func perform(engineArguments: [String]) throws -> SoakResult {
        var result = SoakResult()
        let clock = DispatchTime.now().uptimeNanoseconds
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - clock) / 1e9 }
        try rig.startServer()
        try rig.startEngine(engineArguments)
        let load = try SoakLoad(enginePort: rig.oscPort, presets: presets)
        try load.connect()
        result.parameters = load.parameterCount
        var midi = try? controller()
        let progress = Progress("soak", total: seconds, enabled: !quiet)
        var owed = 0.0, last = now()
        // The first stop comes after the start sample (15 s), so that sample is taken while recording.
        var recording = true, nextRecordToggle = max(recordCycle - 5, 16)
        var nextMIDI = 5.0, nextRecall = 7.0, nextMorph = 13.0, nextReload = 17.0, nextSample = 15.0
        var nextRestart = jackRestart > 0 ? max(jackRestart, 20) : .infinity     // after the start sample
        var restart = Restart.idle
        while now() < seconds {
            let t = now()
            guard rig.engineAlive else { result.crashed = true; break }
            owed += oscRate * (t - last); last = t
            load.oscStorm(Int(owed)); owed -= owed.rounded(.down)
            if t >= nextMIDI { if let midi { load.midiBurst(midi) }; nextMIDI += 5 }
            if t >= nextRecall { load.recallPreset(morph: nil); nextRecall += 7 }
            if t >= nextMorph { load.recallPreset(morph: 3); nextMorph += 13 }
            if t >= nextReload { load.reload(); nextReload += 60 }
            if t >= nextRecordToggle {
                recording.toggle(); load.record(recording)
                nextRecordToggle = t + (recording ? recordCycle - 5 : 5)
            }
            switch restart {
            case .idle where t >= nextRestart && t + 20 < seconds:          // back before the end sample
                midi = nil                                      // the controller's client goes with its server
                rig.stopServer()
                result.jackRestarts += 1
                restart = .down(since: t, reportsBefore: load.reports.count)
            case .down(let since, let before) where t - since >= 2:
                try rig.startServer()
                restart = .reconnecting(since: since, reportsBefore: before)
            case .reconnecting(let since, let before):
                // Back only once the engine has reported the server gone and then connected again.
                let after = load.reports[before...]
                if let gone = after.firstIndex(where: { !$0.audioConnected }), after[gone...].contains(where: \.audioConnected) {
                    result.reconnectSeconds.append(t - since)
                    midi = try? controller()
                    restart = .idle
                    nextRestart += jackRestart
                }
            default: break
            }
            if t >= nextSample { if let s = rig.sample(at: t) { result.samples.append(s) }; nextSample += 10 }
            load.collect()
            progress.update(t, detail: String(format: "%d OSC, %d MIDI, %d JACK restarts", load.counts.oscValid + load.counts.oscMalformed,
                                               load.counts.midiMessages, result.jackRestarts))
            usleep(20_000)
        }
        progress.finish()
        if !result.crashed {
            // The end sample in the same state as the start one: recording, audio server connected.
            if !recording { load.record(true) }
            Thread.sleep(forTimeInterval: 3)
            load.collect()
            result.end = rig.sample(at: now())
            if let last = load.reports.last { result.lastReportAge = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 - last.arrived }
            result.crashed = !rig.engineAlive
        }
        result.start = result.samples.first
        if let end = result.end { result.samples.append(end) }
        result.seconds = now()
        result.exit = rig.stopEngine()
        load.collect()
        result.reports = load.reports
        result.counts = load.counts
        result.engineControl = load.engineControl
        result.logTail = rig.logTail()
        rig.stopServer()
        readEngineLog(into: &result)
        return result
    }

    /// The JACK controller the MIDI bursts come from, connected to the engine's MIDI input.
    private func controller() throws -> JACKMIDIOutput {
        let output = try JACKMIDIOutput(name: "soak-controller", serverName: rig.serverName)
        try output.connect(to: "\(rig.clientName):midi_in")
        return output
    }

    /// Recordings the engine finished (its `recording_finished` events), each checked with ffprobe,
    /// problems it reported, and its closing summary.
    private func readEngineLog(into result: inout SoakResult) {
        for event in rig.events() {
            switch event["event"] as? String {
            case "recording_finished":
                if let path = event["path"] as? String, let frames = event["frames"] as? Int {
                    result.recordings.append(SoakRecording.check(path: path, recordedFrames: frames))
                }
            case "recording_failed", "recording_stopped":
                result.recordingProblems.append("\(event["event"]!): \(event["reason"] ?? "")")
            case "summary":
                result.summaryFrames = event["frames"] as? Int
                result.summarySeconds = event["seconds"] as? Double
            default: break
            }
        }
    }
}
