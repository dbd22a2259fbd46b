// A C face for Ableton Link (the C++ header-only library from Debian's ableton-link-dev), so Swift
// can hold a session without C++ interop. Times are Link's host clock in microseconds
// (CLOCK_MONOTONIC_RAW on Linux). Every function is safe from any thread; none allocates after
// lvj_link_create, and none blocks longer than Link's own short state mutex.
#ifndef LVJ_LINK_H
#define LVJ_LINK_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lvj_link lvj_link;

/// The session's state at one host time.
typedef struct {
    double tempo;      // beats per minute
    double beat;       // beats on the session's timeline, aligned to the quantum's phase
    double phase;      // 0 ..< quantum
    bool playing;      // start/stop state (with start/stop sync; false otherwise)
    int32_t peers;     // other peers in the session
} lvj_link_state;

/// NULL when Link could not start (the reason in `error`, up to `error_size` bytes).
lvj_link *lvj_link_create(double bpm, char *error, int error_size);
void lvj_link_destroy(lvj_link *link);
void lvj_link_enable(lvj_link *link, bool enabled);
bool lvj_link_is_enabled(const lvj_link *link);
void lvj_link_enable_start_stop_sync(lvj_link *link, bool enabled);
int64_t lvj_link_clock_micros(const lvj_link *link);
/// The state at `host_micros` with `quantum` beats to a phase cycle.
lvj_link_state lvj_link_capture(const lvj_link *link, int64_t host_micros, double quantum);
/// Proposes a new tempo to the session from `host_micros` on.
void lvj_link_set_tempo(lvj_link *link, double bpm, int64_t host_micros);

#ifdef __cplusplus
}
#endif

#endif
