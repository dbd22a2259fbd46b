import CSDL2
import Imaging

/// The performance window: shows the newest low-resolution frame scaled to the window (aspect kept,
/// black bars where needed) with the HUD on top. Every method must be called on the main thread
/// (SDL's rule for video and events). One window per process at a time.
public final class LiveWindow {
    /// What a key asks the engine to do.
    public enum Action: Equatable, Sendable {
        case toggleFullscreen, toggleHUD, toggleRecording, toggleFreeze, learn, quit
        /// T: one tap of tap tempo.
        case tap
        /// Number keys 1–9.
        case preset(Int)
    }

    public enum Event: Equatable, Sendable {
        /// The window was closed (or the process got SIGINT/SIGTERM, which SDL turns into this).
        case quit
        case action(Action)
        case resized(width: Int, height: Int)

        /// True for the window closing and for Esc.
        public var requestsQuit: Bool { self == .quit || self == .action(.quit) }
    }

    public enum Scaling: Sendable { case nearest, linear }

    /// SDL's video driver in use: "x11", "wayland", "offscreen", …
    public let videoDriver: String
    /// SDL's renderer in use: "opengl", "software", …
    public let rendererName: String
    public private(set) var isFullscreen: Bool
    /// How the frame is scaled up: nearest keeps the pixels crisp, linear smooths them.
    public var scaling: Scaling { didSet { applyScaling() } }
    /// The HUD overlay is redrawn at most this often (seconds) while its values keep changing:
    /// drawing and uploading a window-sized RGBA image every frame would cost the main thread for nothing.
    public var hudRefreshInterval: Double = 0.1

    private let window: OpaquePointer
    private let renderer: OpaquePointer
    private let headless: Bool
    private var frameTexture: OpaquePointer?
    private var frameSize = (width: 0, height: 0)
    private var hudTexture: OpaquePointer?
    private var hudRaster: Raster?
    private var drawnHUD: HUDState?
    private var hudDrawnAtMs: UInt64 = 0
    private var hudVisible = false
    private var windowedSize: (width: Int, height: Int)?

    public init(title: String, width: Int, height: Int, display: Int = 0, fullscreen: Bool = false,
                vsync: Bool = true, headless: Bool = false, scaling: Scaling = .nearest) throws {
        guard width > 0, height > 0 else { throw DisplayError.badFrameSize(width: width, height: height) }
        // The driver is chosen at init; a hint (not setenv) so a later windowed init in the same process
        // goes back to the default choice, which still honours the user's SDL_VIDEODRIVER.
        if headless {
            SDL_SetHintWithPriority(SDL_HINT_VIDEODRIVER, "offscreen", SDL_HINT_OVERRIDE)
        } else {
            SDL_ResetHint(SDL_HINT_VIDEODRIVER)
        }
        guard SDL_InitSubSystem(SDL_INIT_VIDEO) == 0 else {
            let detail = Self.lastError()
            if headless { throw DisplayError.sdl(call: "SDL_InitSubSystem (offscreen video driver)", message: detail) }
            throw DisplayError.noDisplay(detail: detail)
        }
        var window: OpaquePointer?, renderer: OpaquePointer?
        do {
            // With no X11 or Wayland display, SDL 2.26 falls back to its offscreen driver by itself:
            // a window nobody sees. Unless that is what was asked for, it is the no-display error.
            let driver = SDL_GetCurrentVideoDriver().map { String(cString: $0) } ?? ""
            let requested = getenv("SDL_VIDEODRIVER").map { String(cString: $0) } ?? ""
            if !headless, driver == "offscreen" || driver == "dummy", !requested.contains(driver) {
                throw DisplayError.noDisplay(detail: "no X11 or Wayland display found, only SDL's \(driver) driver")
            }
            let displays = Int(SDL_GetNumVideoDisplays())
            guard display >= 0, display < displays else { throw DisplayError.noSuchDisplay(requested: display, available: max(0, displays)) }
            let position = lvj_windowpos_centered_display(Int32(display))
            var flags = SDL_WINDOW_RESIZABLE.rawValue | SDL_WINDOW_SHOWN.rawValue
            if fullscreen { flags |= SDL_WINDOW_FULLSCREEN_DESKTOP.rawValue }
            window = SDL_CreateWindow(title, position, position, Int32(width), Int32(height), flags)
            guard let window else { throw DisplayError.sdl(call: "SDL_CreateWindow", message: Self.lastError()) }
            // Accelerated first (GPU scaling, vsync); the software renderer works everywhere, including
            // the offscreen driver, which has no GL context to offer.
            if !headless {
                renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_ACCELERATED.rawValue | (vsync ? SDL_RENDERER_PRESENTVSYNC.rawValue : 0))
            }
            if renderer == nil { renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE.rawValue) }
            guard renderer != nil else { throw DisplayError.sdl(call: "SDL_CreateRenderer", message: Self.lastError()) }
        } catch {
            if let window { SDL_DestroyWindow(window) }
            SDL_QuitSubSystem(SDL_INIT_VIDEO)
            throw error
        }
        self.window = window!
        self.renderer = renderer!
        self.headless = headless
        self.isFullscreen = fullscreen
        self.scaling = scaling
        var info = SDL_RendererInfo()
        SDL_GetRendererInfo(renderer, &info)
        rendererName = info.name.map { String(cString: $0) } ?? "unknown"
        videoDriver = SDL_GetCurrentVideoDriver().map { String(cString: $0) } ?? "unknown"
    }

    deinit {
        if let frameTexture { SDL_DestroyTexture(frameTexture) }
        if let hudTexture { SDL_DestroyTexture(hudTexture) }
        SDL_DestroyRenderer(renderer)
        SDL_DestroyWindow(window)
        SDL_QuitSubSystem(SDL_INIT_VIDEO)
        if headless { SDL_ResetHint(SDL_HINT_VIDEODRIVER) }
    }

    // MARK: window

    /// The drawable size in pixels (what the HUD and screenshots are sized to).
    public var outputSize: (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &w, &h)
        return (Int(w), Int(h))
    }

    /// The window's size in screen coordinates (equal to `outputSize` unless the display scales).
    public var windowSize: (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetWindowSize(window, &w, &h)
        return (Int(w), Int(h))
    }

    public func resize(width: Int, height: Int) {
        SDL_SetWindowSize(window, Int32(width), Int32(height))
    }

    /// Fullscreen at the desktop's resolution (no video mode switch, so toggling is instant).
    /// Leaving it restores the window's earlier size explicitly: without a window manager (bare Xvfb)
    /// the X window never changes size, and SDL would otherwise keep believing it is screen-sized.
    public func setFullscreen(_ on: Bool) throws {
        guard on != isFullscreen else { return }
        if on { windowedSize = windowSize }
        guard SDL_SetWindowFullscreen(window, on ? SDL_WINDOW_FULLSCREEN_DESKTOP.rawValue : 0) == 0 else {
            throw DisplayError.sdl(call: "SDL_SetWindowFullscreen", message: Self.lastError())
        }
        isFullscreen = on
        if !on, let size = windowedSize { resize(width: size.width, height: size.height) }
    }

    public func toggleFullscreen() throws { try setFullscreen(!isFullscreen) }

    // MARK: events

    /// Drains SDL's queue. Allocates only the small result array, on the main thread.
    public func pollEvents() -> [Event] {
        var events: [Event] = []
        var e = SDL_Event()
        while SDL_PollEvent(&e) != 0 {
            switch e.type {
            case SDL_QUIT.rawValue:
                events.append(.quit)
            case SDL_KEYDOWN.rawValue where e.key.`repeat` == 0:   // holding a key is one press
                if let action = Self.action(forKey: e.key.keysym.sym) { events.append(.action(action)) }
            case SDL_WINDOWEVENT.rawValue where e.window.event == UInt8(SDL_WINDOWEVENT_SIZE_CHANGED.rawValue):
                events.append(.resized(width: Int(e.window.data1), height: Int(e.window.data2)))
            default:
                break
            }
        }
        return events
    }

    /// The key map of the spec: F, H, R, space, 1–9 (top row or keypad), L, T (tap tempo), Esc.
    public static func action(forKey key: SDL_Keycode) -> Action? {
        let k = Int(key)
        switch k {
        case Int(SDLK_f.rawValue): return .toggleFullscreen
        case Int(SDLK_h.rawValue): return .toggleHUD
        case Int(SDLK_r.rawValue): return .toggleRecording
        case Int(SDLK_SPACE.rawValue): return .toggleFreeze
        case Int(SDLK_l.rawValue): return .learn
        case Int(SDLK_t.rawValue): return .tap
        case Int(SDLK_ESCAPE.rawValue): return .quit
        case Int(SDLK_1.rawValue)...Int(SDLK_9.rawValue): return .preset(k - Int(SDLK_1.rawValue) + 1)
        case Int(SDLK_KP_1.rawValue)...Int(SDLK_KP_9.rawValue): return .preset(k - Int(SDLK_KP_1.rawValue) + 1)
        default: return nil
        }
    }

    /// Queues a key press as if typed, by SDL key name ("F", "Escape", "Space", "1"): for tests and
    /// scripted shows. Returns false for an unknown name or a full queue.
    @discardableResult
    public func pushKeyPress(named name: String) -> Bool {
        let key = SDL_GetKeyFromName(name)
        guard key != SDLK_UNKNOWN.rawValue else { return false }
        var e = SDL_Event()
        e.key.type = SDL_KEYDOWN.rawValue
        e.key.timestamp = SDL_GetTicks()
        e.key.windowID = SDL_GetWindowID(window)
        e.key.state = UInt8(SDL_PRESSED)
        e.key.keysym.sym = key
        e.key.keysym.scancode = SDL_GetScancodeFromKey(key)
        return SDL_PushEvent(&e) == 1
    }

    // MARK: drawing

    /// Shows one frame (packed RGB, `width × height`, rows top to bottom) with the HUD on top when `hud`
    /// is given. A frame of a new size recreates the frame texture.
    public func present(rgb: UnsafePointer<UInt8>, width: Int, height: Int, hud: HUDState?) throws {
        guard width > 0, height > 0 else { throw DisplayError.badFrameSize(width: width, height: height) }
        if frameTexture == nil || frameSize != (width, height) {
            if let frameTexture { SDL_DestroyTexture(frameTexture) }
            frameTexture = try makeTexture(format: SDL_PIXELFORMAT_RGB24.rawValue, width: width, height: height)
            frameSize = (width, height)
            applyScaling()
        }
        guard SDL_UpdateTexture(frameTexture, nil, rgb, Int32(width * 3)) == 0 else {
            throw DisplayError.sdl(call: "SDL_UpdateTexture", message: Self.lastError())
        }
        hudVisible = hud != nil
        if let hud { try updateHUD(hud) }
        try drawScene()
        SDL_RenderPresent(renderer)
    }

    /// What the window shows (frame, bars and HUD), read back from the renderer.
    public func screenshot() throws -> (width: Int, height: Int, rgb: [UInt8]) {
        // Read before presenting: after a swap the back buffer's content is undefined, so draw the scene again.
        try drawScene()
        let (w, h) = outputSize
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        let status = rgb.withUnsafeMutableBytes {
            SDL_RenderReadPixels(renderer, nil, SDL_PIXELFORMAT_RGB24.rawValue, $0.baseAddress, Int32(w * 3))
        }
        guard status == 0 else { throw DisplayError.sdl(call: "SDL_RenderReadPixels", message: Self.lastError()) }
        return (w, h, rgb)
    }

    /// Where a frame lands in the output: as large as fits with its aspect kept, centred.
    public static func letterbox(frameWidth: Int, frameHeight: Int, outputWidth: Int, outputHeight: Int) -> PixelRect {
        let scale = min(Double(outputWidth) / Double(frameWidth), Double(outputHeight) / Double(frameHeight))
        let w = Int((Double(frameWidth) * scale).rounded()), h = Int((Double(frameHeight) * scale).rounded())
        return PixelRect(x: (outputWidth - w) / 2, y: (outputHeight - h) / 2, width: w, height: h)
    }

    private func drawScene() throws {
        SDL_SetRenderDrawColor(renderer, 0, 0, 0, 255)
        SDL_RenderClear(renderer)
        let (ow, oh) = outputSize
        if let frameTexture, ow > 0, oh > 0 {
            let r = Self.letterbox(frameWidth: frameSize.width, frameHeight: frameSize.height, outputWidth: ow, outputHeight: oh)
            var dst = SDL_Rect(x: Int32(r.x), y: Int32(r.y), w: Int32(r.width), h: Int32(r.height))
            guard SDL_RenderCopy(renderer, frameTexture, nil, &dst) == 0 else {
                throw DisplayError.sdl(call: "SDL_RenderCopy", message: Self.lastError())
            }
        }
        if hudVisible, let hudTexture { SDL_RenderCopy(renderer, hudTexture, nil, nil) }
    }

    /// Redraws the HUD image when the window size changed, or when the values changed and the last
    /// redraw is older than `hudRefreshInterval`.
    private func updateHUD(_ state: HUDState) throws {
        let (w, h) = outputSize
        guard w > 0, h > 0 else { return }   // minimised
        let resized = hudRaster?.width != w || hudRaster?.height != h
        let now = SDL_GetTicks64()
        let due = drawnHUD == nil || (state != drawnHUD && Double(now &- hudDrawnAtMs) >= hudRefreshInterval * 1000)
        guard resized || due else { return }
        var raster: Raster
        if resized {
            if let hudTexture { SDL_DestroyTexture(hudTexture) }
            hudTexture = nil
            hudTexture = try makeTexture(format: SDL_PIXELFORMAT_RGBA32.rawValue, width: w, height: h)
            SDL_SetTextureBlendMode(hudTexture, SDL_BLENDMODE_BLEND)
            raster = Raster(width: w, height: h, fill: Color(0, 0, 0, 0))
        } else {
            raster = hudRaster!
            hudRaster = nil   // keep the pixel buffer uniquely referenced: cleared in place, not copied
            raster.pixels.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        HUD.draw(state, into: &raster)
        let status = SDL_UpdateTexture(hudTexture, nil, raster.pixels, Int32(w * 4))
        hudRaster = raster
        drawnHUD = state
        hudDrawnAtMs = now
        guard status == 0 else { throw DisplayError.sdl(call: "SDL_UpdateTexture (HUD)", message: Self.lastError()) }
    }

    private func makeTexture(format: UInt32, width: Int, height: Int) throws -> OpaquePointer {
        guard let t = SDL_CreateTexture(renderer, format, Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(width), Int32(height)) else {
            throw DisplayError.sdl(call: "SDL_CreateTexture (\(width)×\(height))", message: Self.lastError())
        }
        return t
    }

    private func applyScaling() {
        guard let frameTexture else { return }
        SDL_SetTextureScaleMode(frameTexture, scaling == .nearest ? SDL_ScaleModeNearest : SDL_ScaleModeLinear)
    }

    private static func lastError() -> String { SDL_GetError().map { String(cString: $0) } ?? "unknown SDL error" }
}
