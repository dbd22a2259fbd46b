/// Why the window could not be opened or used. Each message says what to do about it.
public enum DisplayError: Error, CustomStringConvertible, Equatable {
    /// SDL found no video device and the window was not asked to be headless.
    case noDisplay(detail: String)
    /// `--display n` named a display that is not connected.
    case noSuchDisplay(requested: Int, available: Int)
    /// An SDL call failed; `call` names it, `message` is SDL_GetError().
    case sdl(call: String, message: String)
    /// A frame with a non-positive size was handed to `present`.
    case badFrameSize(width: Int, height: Int)

    public var description: String {
        switch self {
        case .noDisplay(let detail):
            return "no display (set DISPLAY, run under Xvfb, or use --headless)" + (detail.isEmpty ? "" : ": SDL says \"\(detail)\"")
        case .noSuchDisplay(let requested, let available):
            return "display \(requested) does not exist: \(available) display\(available == 1 ? " is" : "s are") connected (numbered from 0)"
        case .sdl(let call, let message):
            return "\(call) failed: \(message)"
        case .badFrameSize(let width, let height):
            return "cannot show a \(width)×\(height) frame"
        }
    }
}
