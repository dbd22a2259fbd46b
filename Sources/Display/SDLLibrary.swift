import CSDL2

/// SDL2 facts for `latentvj doctor`.
public enum SDLLibrary {
    public static var libraryVersion: String {
        var v = SDL_version()
        SDL_GetVersion(&v)
        return "\(v.major).\(v.minor).\(v.patch)"
    }
}
