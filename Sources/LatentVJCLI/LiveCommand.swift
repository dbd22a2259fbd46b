import ArgumentParser
import AudioIn
import Basics
import Control
import Display
import Foundation
import Imaging
import Live
import Recording
import Synchronization
import ModelFiles
import StyleGAN
import Synthesis
import Tempo

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "The live engine: audio in, envelope network and decoder per frame, StyleGAN into a window with a HUD.",
        discussion: """
        Without --jack it plays a file (--audio, or the built-in demo track): through the JACK outputs out_1/out_2, \
        connected to the speakers and analysed in sync with what they play, when a JACK server runs; otherwise on an \
        internal clock, so it runs on any machine. \
        Keys: F fullscreen, H HUD, R record, Space freeze, 1–9 presets, L learn, Esc quit. SIGHUP (or OSC /lvj/reload) re-reads the \
        mapping, envelope network, model and presets; a broken file is reported and the running one stays. Every clock (ramps, \
        morphs, beats, loops) runs on the music's time: a slow model renders fewer frames, never slower music. Without a display \
        use --headless.

        Examples:
          latentvj live                                   demo track, shipped envelope network, default model
          latentvj live --audio set.wav --model net.pkl --fullscreen
          latentvj live --jack --connect system:capture
          latentvj live --headless --seconds 20
        """)

    @Option(help: "Audio file to play (default: the built-in demo track): through JACK when a server runs, else on an internal clock.")
    var audio: String?

    @Flag(help: "Play the file on the internal clock even when a JACK server runs.")
    var noJack = false

    @Flag(help: "Play the file in a loop.")
    var loop = false

    @Flag(help: "Listen to the JACK inputs (latentvj:in_1/in_2) instead of a file.")
    var jack = false

    @Option(help: "With --jack: connect output ports matching this pattern to our inputs.")
    var connect: String?

    @OptionGroup var model: ModelOption

    @OptionGroup var output: OutputOptions

    @Option(help: "Envelope network (default: Presets/live.envelope).")
    var envelope: String?

    @Option(help: "Palette seed.")
    var paletteSeed: UInt64 = 1

    @Flag(help: "No window: run the engine and report.")
    var headless = false

    @Flag(help: "Start fullscreen.")
    var fullscreen = false

    @Option(help: "Display to open the window on.")
    var display = 0

    @Option(help: "Window size in pixels.")
    var windowSize = 720

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @Option(help: "Save a screenshot of the window (PNG) when stopping.")
    var screenshot: String?

    @Option(help: "With --screenshot: also save one every this many seconds of audio (NAME-001.png, NAME-002.png, ...).")
    var screenshotEvery: Double?

    @Flag(help: "Start with the HUD hidden (H shows it).")
    var noHud = false

    @Option(help: "UDP port of the OSC server (default 9000, or a free one if 9000 is taken; 0: any free port, printed at start).")
    var oscPort: Int?

    @Option(help: "Networks allowed to send OSC, as CIDR (repeatable; default: loopback and private networks).")
    var oscAllow: [String] = []

    @Flag(help: "No OSC server.")
    var noOsc = false

    @Option(help: "TCP port of the OSCQuery server, which describes the OSC address space over HTTP (default 9001, or a free one if 9001 is taken; 0: any free port, printed at start).")
    var oscqueryPort: Int?

    @Flag(help: "No OSCQuery server (and so no web surface).")
    var noOscquery = false

    @Flag(help: "Do not advertise the engine over mDNS (_oscjson._tcp and _osc._udp, through the avahi daemon).")
    var noMdns = false

    @Option(help: "An access token for the web surface on a venue network: the page and its WebSocket need ?token=TOKEN (the OSC allowlist applies as well).")
    var webToken: String?

    @Option(help: "Folder of presets (default: the shipped Presets/). Saves go there too.")
    var presets: String?

    @Option(help: "Preset to start with.")
    var preset: String?

    @Option(help: "Mapping file for MIDI or custom OSC addresses (repeatable; default: Mappings/nanokontrol2.yaml). Learned bindings are saved in the first.")
    var mapping: [String] = []

    @Flag(help: "Also take MIDI from the ALSA sequencer (port latentvj:midi_in; needs /dev/snd/seq).")
    var alsaMidi = false

    @Option(help: "Record the set (frames and audio in sync) to this Matroska file; R toggles recording.")
    var record: String?

    @Option(help: "Seconds of audio the analysis may fall behind before it skips to the newest audio (shown in the HUD and /lvj/status/engine).")
    var maxBehind = 0.5

    @Flag(help: "Do not measure this machine at start: render the model at its size (or --render-size) whatever it costs. By default, a model too slow for its frame rate first stops driving its finest noise, then renders smaller, and says so.")
    var noAdapt = false

    @Option(help: "With adapt: the frame time (ms) a frame must fit (default: 80 % of a frame's slot).")
    var frameBudget: Double?

    @Option(help: "Where the beat comes from: \(TempoSource.names.joined(separator: ", ")) (live: tempo.source). See Docs/tempo.md.")
    var tempo: TempoSource = .detect

    @Option(help: "Changes on the beat: \(Quantize.names.joined(separator: ", ")) (live: control.quantize). Preset recall, morph start, palette change and synth switch then wait for the next boundary.")
    var quantize: Quantize = .off

    @Option(help: "With --tempo link: beats to a phase cycle shared with the Link session (4: bars of 4/4 line up with the booth's).")
    var linkQuantum = 4.0

    @Flag(help: "Events as JSON lines on standard output (started, recording, reload, summary; see Docs/live-events.md). Messages for people stay on standard error.")
    var json = false

    func run() throws {
        try reportingErrors {
            signal(SIGHUP, SIG_IGN)       // a reload asked for while the model loads must not end the engine
            let engine = try Engine(try configuration())
            let events = LiveEvents(json: json)
            StopSignals.install()
            let summary = engine.run(shouldStop: { [seconds] t in StopSignals.requested || seconds.map { t >= $0 } ?? false },
                                     reloadRequested: StopSignals.takeReloadRequest, onEvent: events.print)
            events.summary(summary)
        }
    }

    /// The options as the engine's configuration.
    func configuration() throws -> EngineConfiguration {
        var c = EngineConfiguration()
        c.audio = jack ? .jackInputs(connect: connect) : .file(path: audio, loops: loop, throughJACK: !noJack, connect: connect)
        c.modelPath = model.model
        c.renderSize = model.renderSize
        c.adapt = !noAdapt
        c.frameBudgetMs = frameBudget
        c.envelopePath = envelope
        c.paletteSeed = paletteSeed
        c.window = headless ? nil : .init(size: windowSize, display: display, fullscreen: fullscreen)
        c.hud = !noHud
        c.osc = noOsc ? nil : .init(port: oscPort, allow: oscAllow)
        c.oscQueryPort = oscqueryPort
        c.oscQuery = !noOscquery
        if let t = webToken, t.trimmingCharacters(in: .whitespaces).isEmpty { throw UsageError("--web-token: an empty token would let anyone in; give one, or leave the option out") }
        c.webToken = webToken
        c.mdns = !noMdns
        c.presetsFolder = presets
        c.preset = preset
        c.mappings = mapping
        c.alsaMidi = alsaMidi
        c.recordPath = record ?? "latentvj-set.mkv"
        c.recordAtStart = record != nil
        c.screenshot = screenshot
        c.screenshotEvery = screenshotEvery
        c.maxBehindSeconds = maxBehind
        c.tempo = tempo
        c.quantize = quantize
        guard linkQuantum.isFinite, linkQuantum >= 1, linkQuantum <= 64 else { throw UsageError("--link-quantum takes 1 to 64 beats, not \(linkQuantum)") }
        c.linkQuantum = linkQuantum
        try output.apply(to: &c)
        return c
    }
}

extension TempoSource: ExpressibleByArgument {}
extension Quantize: ExpressibleByArgument {}
