// SDL2: window, events, textures.
#pragma once
#include <SDL.h>
