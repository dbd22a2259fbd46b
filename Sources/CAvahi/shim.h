// Avahi's client library: advertising the engine's OSCQuery and OSC services over mDNS/DNS-SD.
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/error.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/alternative.h>
#include <avahi-common/malloc.h>
