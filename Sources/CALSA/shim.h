// ALSA sequencer (MIDI input where /dev/snd/seq exists).
#pragma once
#include <alsa/asoundlib.h>

// snd_seq_ev_* are macros in ALSA's headers; Swift cannot call macros, so wrap the ones we use.
static inline int lvj_seq_ev_is_control(const snd_seq_event_t *ev) {
    return ev->type == SND_SEQ_EVENT_CONTROLLER;
}
static inline void lvj_seq_ev_clear(snd_seq_event_t *ev) { snd_seq_ev_clear(ev); }

// One sequencer event as MIDI wire bytes (status, data1, data2), so ALSA input takes the same path as
// JACK MIDI from here on. Returns the byte count, 0 for events that are not channel voice messages.
static inline int lvj_seq_event_to_midi(const snd_seq_event_t *ev, unsigned char *out) {
    unsigned char ch;
    int v;
    switch (ev->type) {
    case SND_SEQ_EVENT_NOTEON:
        ch = ev->data.note.channel & 15; out[0] = 0x90 | ch; out[1] = ev->data.note.note & 127; out[2] = ev->data.note.velocity & 127; return 3;
    case SND_SEQ_EVENT_NOTEOFF:
        ch = ev->data.note.channel & 15; out[0] = 0x80 | ch; out[1] = ev->data.note.note & 127; out[2] = ev->data.note.velocity & 127; return 3;
    case SND_SEQ_EVENT_CONTROLLER:
        ch = ev->data.control.channel & 15; out[0] = 0xB0 | ch; out[1] = ev->data.control.param & 127; out[2] = ev->data.control.value & 127; return 3;
    case SND_SEQ_EVENT_PGMCHANGE:
        ch = ev->data.control.channel & 15; out[0] = 0xC0 | ch; out[1] = ev->data.control.value & 127; return 2;
    case SND_SEQ_EVENT_PITCHBEND:
        ch = ev->data.control.channel & 15; v = ev->data.control.value + 8192;
        if (v < 0) v = 0;
        if (v > 16383) v = 16383;
        out[0] = 0xE0 | ch; out[1] = v & 127; out[2] = (v >> 7) & 127; return 3;
    default:
        return 0;
    }
}
