import Control
import Synthesis
import Tempo

/// The beat each feature row is drawn at, and whether the row crosses a quantize boundary.
///
/// With `tempo.source` detect the beat is today's: the detected tempo integrated row by row and gated
/// by loudness (`BeatClock`, exactly as `render` offline), and boundaries fall on the audio's own beat
/// (the pulse tracker's phase). With an external source (MIDI clock, JACK transport, taps) both are that
/// source's beat. Either is read ahead by the measured audio-to-frame latency plus `tempo.offset`, so a
/// change shows on the screen when its beat is heard. Producer thread only; allocates nothing.
final class RowBeats {
    let tempo: TempoControl
    private var clock: BeatClock
    private var gate = QuantizeGate()
    private let fps: Double
    private let sourceIndex: Int?, quantizeIndex: Int?, offsetIndex: Int?
    /// The audio-to-frame latency, smoothed over frames (s): how far ahead of a row's audio its frame is seen.
    private var latency = 0.0
    /// The audio clock of the newest row (s), carried on by a row's length when the source has no clock.
    private(set) var seconds = 0.0
    private var status = TempoStatus()
    /// Link's host clock minus the audio clock (s), taken once a frame: maps a row's audio time to the
    /// time Link's beat is read at.
    private var hostOffset: Double?

    init(tempo: TempoControl, registry: ParameterRegistry, fps: Double) {
        self.tempo = tempo
        self.fps = fps
        clock = BeatClock(fps: fps)
        sourceIndex = registry.index(of: "tempo.source"); quantizeIndex = registry.index(of: "control.quantize")
        offsetIndex = registry.index(of: "tempo.offset")
    }

    /// The changes-on-the-beat setting in `values` (off without the parameter).
    func quantize(_ values: UnsafePointer<Double>) -> Quantize {
        quantizeIndex.map { Quantize(choiceValue: values[$0]) } ?? .off
    }

    private func source(_ values: UnsafePointer<Double>) -> TempoSource {
        sourceIndex.map { TempoSource(choiceValue: values[$0]) } ?? .detect
    }

    /// One frame's measured latency (ms), for the lookahead of the rows after it.
    func measured(latencyMs: Double) {
        guard latencyMs.isFinite, latencyMs >= 0 else { return }
        latency = latency == 0 ? latencyMs / 1000 : 0.9 * latency + 0.1 * latencyMs / 1000
    }

    /// Once a frame, after the read: the audio clock now (nil: the source has none; the newest row's time
    /// stands in), paired with Link's host clock now.
    func audioClock(now: Double?) {
        guard let link = tempo.link else { hostOffset = nil; return }
        hostOffset = link.hostSeconds - (now ?? seconds)
    }

    /// One row: `seconds` is its audio clock (nil: a row's length after the previous one), `values` the
    /// parameters before this row's controls are taken. Returns the row's beat and whether it is on a
    /// boundary of `control.quantize`.
    func advance(bpm: Double, phase: Double, rms: Double, seconds rowSeconds: Double?, transport: TransportPosition?,
                 values: UnsafePointer<Double>) -> (beat: Double, boundary: Bool) {
        seconds = rowSeconds ?? seconds + 1 / fps
        let source = source(values)
        let offset = offsetIndex.map { values[$0] / 1000 } ?? 0
        let ahead = max(0, latency + offset)
        // Link's beat when the row's frame is seen: the row's audio time plus the lookahead, on Link's clock.
        let linkHost = hostOffset.map { $0 + seconds + ahead }
        let linkState = source == .link ? linkHost.flatMap { tempo.linkState(atHost: $0) } : nil
        let (reading, fallback) = tempo.row(source: source, detectedBPM: bpm, phase: phase, transport: transport, link: linkState?.reading,
                                            seconds: seconds, ahead: ahead)
        let detectedBeat = clock.tick(bpm: bpm, rms: rms)
        let beat = source == .detect || fallback ? detectedBeat : reading.beat
        let boundary = gate.crossed(quantize(values), beat: reading.beat)
        status = TempoStatus(source: source, bpm: reading.bpm, beat: reading.beat, phase: reading.phase, running: reading.running,
                             fallback: fallback, lookaheadMs: ahead * 1000, seconds: seconds + ahead,
                             linkPeers: linkState?.peers ?? 0, linkHostSeconds: linkState == nil ? 0 : linkHost ?? 0)
        return (beat, boundary)
    }

    /// A row skipped while the engine caught up: the detected clock advances as if it had been heard.
    func skipRow(bpm: Double, rms: Double) {
        _ = clock.tick(bpm: bpm, rms: rms)
        seconds += 1 / fps
    }

    /// Once a frame: what the HUD and OSC show.
    func publish() { tempo.publish(status) }
}
