/// Everything the HUD shows, as plain values: the main thread fills one per frame from the engine's
/// snapshots and hands it to `LiveWindow.present`. Equatable so the window redraws the overlay only
/// when something visible changed.
public struct HUDState: Equatable, Sendable {
    /// What the recorder is doing.
    public enum Recording: Equatable, Sendable {
        case off
        case recording(elapsedSeconds: Double)
        /// Recording ended on its own (disk full, ffmpeg died): the message says why.
        case stopped(message: String)
    }

    public var fps: Double
    public var frameTimeMs: Double
    /// Feature meters, 0…1 (values outside are clamped when drawn).
    public var rms: Float
    public var onsets: Float
    public var pulse: Float
    /// Twelve pitch classes from C, 0…1.
    public var chroma: [Float]
    /// nil while the tempo is not known yet.
    public var bpm: Double?
    /// Where the beat comes from ("DETECT", "MIDI-CLOCK", …; empty: not shown), the beat (beats since
    /// the source's zero, for the bar's four lights and the phase), and whether the chosen source is
    /// silent and the detected beat stands in (drawn as a warning).
    public var tempoSource: String = ""
    public var beat: Double = 0
    public var tempoFallback = false
    /// The rolling balanced audiovisual correlation; nil until the window is full.
    public var correlation: Double?
    /// Recent correlation values, oldest first: the sparkline.
    public var correlationHistory: [Double]
    public var presetName: String
    public var recording: Recording
    /// Shown large in the middle while MIDI learn waits for a control, e.g. "move a control for deep.amplitude".
    public var learnPrompt: String?
    /// "JACK: connected", "JACK server lost - drawing on silence, retrying", "file playback".
    public var audioStatus: String
    /// Draws the audio status in a warning colour (server lost, xruns).
    public var audioStatusIsWarning: Bool
    /// The model running is the untrained demo model: the HUD says so prominently.
    public var untrainedModel: Bool
    /// The music's clock: audio-to-frame latency (ms), audio waiting (s), and the times the engine fell
    /// too far behind and skipped to the newest audio, with the seconds it skipped.
    /// What is rendered and at which size: "RENDER 128 PX", or what `--adapt` gave up ("RENDER 64 OF 256 PX (ADAPT)").
    public var renderLine: String = ""
    public var renderLineIsWarning = false
    /// The outputs into the rig, such as "OUT SHM 1520 · SRT RETRYING" (empty: no outputs, no line).
    public var outputsLine: String = ""
    public var outputsLineIsWarning = false
    public var latencyMs: Double = 0
    public var behindSeconds: Double = 0
    public var skips: Int = 0
    public var skippedSeconds: Double = 0

    public init(fps: Double = 0, frameTimeMs: Double = 0, rms: Float = 0, onsets: Float = 0, pulse: Float = 0,
                chroma: [Float] = [Float](repeating: 0, count: 12), bpm: Double? = nil, correlation: Double? = nil,
                correlationHistory: [Double] = [], presetName: String = "", recording: Recording = .off,
                learnPrompt: String? = nil, audioStatus: String = "", audioStatusIsWarning: Bool = false,
                untrainedModel: Bool = false) {
        self.fps = fps; self.frameTimeMs = frameTimeMs
        self.rms = rms; self.onsets = onsets; self.pulse = pulse; self.chroma = chroma; self.bpm = bpm
        self.correlation = correlation; self.correlationHistory = correlationHistory
        self.presetName = presetName; self.recording = recording; self.learnPrompt = learnPrompt
        self.audioStatus = audioStatus; self.audioStatusIsWarning = audioStatusIsWarning
        self.untrainedModel = untrainedModel
    }
}
