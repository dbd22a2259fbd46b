// SDL2: window, events, textures.
#pragma once
#include <SDL.h>

// Function-like macros do not come through to Swift; these wrappers do.

/// SDL_WINDOWPOS_CENTERED_DISPLAY(n): a window position that centres the window on display n.
static inline int lvj_windowpos_centered_display(int display) {
    return (int)SDL_WINDOWPOS_CENTERED_DISPLAY(display);
}
