// ALSA sequencer (MIDI input where /dev/snd/seq exists).
#pragma once
#include <alsa/asoundlib.h>

// snd_seq_ev_* are macros in ALSA's headers; Swift cannot call macros, so wrap the ones we use.
static inline int lvj_seq_ev_is_control(const snd_seq_event_t *ev) {
    return ev->type == SND_SEQ_EVENT_CONTROLLER;
}
static inline void lvj_seq_ev_clear(snd_seq_event_t *ev) { snd_seq_ev_clear(ev); }
