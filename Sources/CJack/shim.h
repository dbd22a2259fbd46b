// JACK audio connection kit: the whole C surface LatentVJ uses comes in through here.
#pragma once
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>

// jack_client_open is variadic (an optional server name follows); Swift cannot call C variadics.
static inline jack_client_t *lvj_jack_client_open(const char *name, jack_options_t options, jack_status_t *status) {
    return jack_client_open(name, options, status);
}

// The same, against a named server (jackd -n NAME); `server` NULL means the default server.
static inline jack_client_t *lvj_jack_client_open_server(const char *name, jack_options_t options, jack_status_t *status, const char *server) {
    if (!server) return jack_client_open(name, options, status);
    return jack_client_open(name, (jack_options_t)(options | JackServerName), status, server);
}
