#!/usr/bin/env bash
# Installs the Debian packages LatentVJ builds and runs with, if any are missing.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail

packages=(
  # C libraries, one per system-library target
  libjack-jackd2-dev libasound2-dev liblo-dev libfftw3-dev libsdl2-dev libopenblas-dev libpng-dev libavahi-client-dev pkg-config
  # Ableton Link (header-only C++, with standalone asio), for --tempo link (Sources/CAbletonLink)
  ableton-link-dev libasio-dev
  # outputs into the rig (Sources/Outputs): GStreamer and the plugins for shared memory, RTP, SRT,
  # v4l2loopback and H.264; gst-launch-1.0 and avdec_h264 are the tests' receivers; iproute2 makes the
  # NDI test's private network namespace
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools iproute2
  # programs the engine and its tests drive; jack-midi-clock is the tempo tests' MIDI clock master
  ffmpeg jackd2 liblo-tools xvfb xdotool jack-midi-clock
  # avahi: the mDNS test's daemon (on the system D-Bus) and browser
  avahi-daemon avahi-utils dbus
  # curl: the OSCQuery tests' HTTP client; headless Chromium (with a font) drives the web surface's tests
  curl chromium chromium-driver fonts-dejavu-core
  # objdump, for the test that reads the JACK callbacks' machine code
  binutils
  # gdb: a test that hangs past its deadline fails with the thread stacks of what it started;
  # stress-ng: make test-under-load keeps a core busy around the suite
  gdb stress-ng
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python-osc: a second, independent OSC implementation the control tests talk to the engine with.
python3 -c "import pythonosc" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check python-osc 2>/dev/null \
  || echo "setup: python-osc could not be installed; the tests that use it will say so and skip that part" >&2

# aalink: a second Ableton Link peer (it embeds Ableton's Link) for the Link test, in a private network namespace.
python3 -c "import aalink" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check aalink 2>/dev/null \
  || echo "setup: aalink could not be installed; the Link test will say so and skip" >&2

# websockets: the OSCQuery tests' LISTEN client (a WebSocket implementation not ours).
python3 -c "import websockets" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check websockets 2>/dev/null \
  || echo "setup: websockets could not be installed; the OSCQuery LISTEN tests will say so and skip" >&2
# selenium: drives headless Chromium for the web surface's tests.
python3 -c "import selenium" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check selenium 2>/dev/null \
  || echo "setup: selenium could not be installed; the web surface's browser tests will say so and skip" >&2
# ndi-python: an NDI receiver and the NDI runtime (libndi.so.6) for the NDI output's test; LatentVJ
# ships no NDI code and loads the runtime at run time.
python3 -c "import NDIlib" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check ndi-python 2>/dev/null \
  || echo "setup: ndi-python could not be installed; the NDI output's test will say so and skip" >&2

[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# jackd2 asks about real-time priority in a dialog; answer it up front.
echo "jackd2 jackd/tweak_rt_limits boolean false" | $sudo debconf-set-selections 2>/dev/null || true
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
