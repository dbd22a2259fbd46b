import Basics
import Control
import Foundation
import Outputs
import Tempo

/// Everything the live engine is built from, as one value: `latentvj live` fills it from its options,
/// `bench live` and the tests from theirs, and all of them get the same engine.
public struct EngineConfiguration: Sendable {
    public enum Audio: Sendable {
        /// The JACK inputs in_1/in_2; `connect` names output ports to connect to them.
        case jackInputs(connect: String?)
        /// A file (nil: the built-in demo track): through JACK's out_1/out_2, analysed from what they play,
        /// when `throughJACK` and a server runs; otherwise on an internal clock, so it runs on any machine.
        case file(path: String?, loops: Bool, throughJACK: Bool, connect: String?)
    }
    public var audio: Audio = .file(path: nil, loops: false, throughJACK: true, connect: nil)
    /// The generator (nil: the untrained default model).
    public var modelPath: String?
    /// Render size: the synthesis network stopped early (nil: the model's resolution, or what `adapt` picks).
    public var renderSize: Int?
    /// Measure this machine at start and give up picture (still fine noise, then a smaller render size)
    /// until a frame fits `frameBudgetMs` (nil: 80 % of a frame's slot). Ignored with `renderSize`.
    public var adapt = false
    public var frameBudgetMs: Double?
    /// The envelope network (nil: the shipped Presets/live.envelope).
    public var envelopePath: String?
    public var paletteSeed: UInt64 = 1

    public struct Window: Sendable {
        public var size = 720, display = 0, fullscreen = false
        public init(size: Int = 720, display: Int = 0, fullscreen: Bool = false) { self.size = size; self.display = display; self.fullscreen = fullscreen }
    }
    /// nil: headless.
    public var window: Window? = Window()
    public var hud = true
    /// Headless, draw the HUD off-screen all the same (what `bench live` measures: the stage's work).
    public var drawsHUDWithoutWindow = false

    public struct OSC: Sendable {
        /// nil: 9000, or a free port when 9000 is taken; 0: any free port.
        public var port: Int?
        /// CIDR networks allowed to send (empty: loopback and private networks).
        public var allow: [String] = []
        public init(port: Int? = nil, allow: [String] = []) { self.port = port; self.allow = allow }

        /// The senders let in, for OSC and OSCQuery alike.
        func filter() throws -> NetworkFilter {
            do { return allow.isEmpty ? .privateNetworks : try NetworkFilter(cidrs: allow) } catch { throw UsageError("--osc-allow: \(error)") }
        }
    }
    /// nil: no OSC server.
    public var osc: OSC? = OSC()
    /// The OSCQuery server's TCP port: nil, 9001 or a free one when it is taken; 0: any free port.
    public var oscQueryPort: Int? = nil
    /// Whether the OSCQuery server runs (it describes the OSC server, so it needs one). It serves the
    /// web control surface too.
    public var oscQuery = true
    /// Whether the OSCQuery and OSC services are advertised over mDNS (where an avahi daemon runs).
    public var mdns = true
    /// The web surface's access token (nil: none; the sender allowlist still applies).
    public var webToken: String?
    /// The presets folder (nil: the shipped Presets/), the preset to start with.
    public var presetsFolder: String?
    public var preset: String?
    /// Mapping files (empty: the shipped Mappings/nanokontrol2.yaml); learned bindings go to the first.
    public var mappings: [String] = []
    /// Also take MIDI from the ALSA sequencer.
    public var alsaMidi = false
    /// Where recordings go (numbered after the first), and whether one starts at once.
    public var recordPath = "latentvj-set.mkv"
    public var recordAtStart = false
    /// A screenshot at the end, and one every this many seconds of audio (NAME-001.png, …).
    public var screenshot: String?
    public var screenshotEvery: Double?
    /// Outputs into the rig (`--output`), their size (nil: the render size) and rate (nil: every frame),
    /// and where the NDI runtime is (nil: NDI_RUNTIME_DIR_V6, then the library path).
    public var outputs: [OutputTarget] = []
    public var outputSize: (width: Int, height: Int)?
    public var outputFPS: Double?
    public var ndiRuntime: String?
    /// How far the analysis may fall behind before it skips to the newest audio (seconds).
    public var maxBehindSeconds = 0.5
    /// Where the beat comes from at start (`tempo.source` changes it live), and changes on the beat.
    public var tempo: TempoSource = .detect
    public var quantize: Quantize = .off
    /// Beats to an Ableton Link phase cycle (`--link-quantum`): 4 keeps bars aligned with the booth.
    public var linkQuantum = 4.0

    public init() {}
}
