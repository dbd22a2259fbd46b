// Ableton Link, wrapped once: the only place in LatentVJ that sees its C++ API.
#include "lvj_link.h"

#include <ableton/Link.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <new>

struct lvj_link {
    ableton::Link link;
    explicit lvj_link(double bpm) : link(bpm) {}
};

extern "C" {

lvj_link *lvj_link_create(double bpm, char *error, int error_size) {
    try {
        return new lvj_link(bpm);
    } catch (const std::exception &e) {
        if (error && error_size > 0) std::snprintf(error, error_size, "%s", e.what());
    } catch (...) {
        if (error && error_size > 0) std::snprintf(error, error_size, "unknown error starting Ableton Link");
    }
    return nullptr;
}

void lvj_link_destroy(lvj_link *link) { delete link; }

void lvj_link_enable(lvj_link *link, bool enabled) { link->link.enable(enabled); }

bool lvj_link_is_enabled(const lvj_link *link) { return link->link.isEnabled(); }

void lvj_link_enable_start_stop_sync(lvj_link *link, bool enabled) { link->link.enableStartStopSync(enabled); }

int64_t lvj_link_clock_micros(const lvj_link *link) { return link->link.clock().micros().count(); }

lvj_link_state lvj_link_capture(const lvj_link *link, int64_t host_micros, double quantum) {
    const auto state = link->link.captureAppSessionState();
    const std::chrono::microseconds at(host_micros);
    lvj_link_state out;
    out.tempo = state.tempo();
    out.beat = state.beatAtTime(at, quantum);
    out.phase = state.phaseAtTime(at, quantum);
    out.playing = state.isPlaying();
    out.peers = static_cast<int32_t>(link->link.numPeers());
    return out;
}

void lvj_link_set_tempo(lvj_link *link, double bpm, int64_t host_micros) {
    auto state = link->link.captureAppSessionState();
    state.setTempo(bpm, std::chrono::microseconds(host_micros));
    link->link.commitAppSessionState(state);
}

}
