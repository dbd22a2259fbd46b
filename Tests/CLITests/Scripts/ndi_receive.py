#!/usr/bin/env python3
"""An NDI receiver for the NDI output's test (ndi-python: NDI's own runtime and receiver).

Finds the source NAME (looking at 127.0.0.1 as well as by discovery), receives FRAMES video frames in
RGBX and prints one JSON line per frame: its size and mean colour. Exits 3 when the source never shows
up within TIMEOUT seconds, 4 when frames stop coming.
usage: ndi_receive.py NAME FRAMES TIMEOUT
"""
import json
import sys
import time

import NDIlib as ndi


def main():
    name, frames, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if not ndi.initialize():
        print("NDI did not initialise", file=sys.stderr)
        return 2
    settings = ndi.FindCreate()
    settings.extra_ips = "127.0.0.1"
    finder = ndi.find_create_v2(settings)
    deadline = time.monotonic() + timeout
    source = None
    while source is None and time.monotonic() < deadline:
        ndi.find_wait_for_sources(finder, 500)
        for s in ndi.find_get_current_sources(finder):
            if s.ndi_name.endswith("(" + name + ")"):
                source = s
    if source is None:
        print("source %s not found" % name, file=sys.stderr)
        return 3
    create = ndi.RecvCreateV3()
    create.color_format = ndi.RECV_COLOR_FORMAT_RGBX_RGBA
    receiver = ndi.recv_create_v3(create)
    ndi.recv_connect(receiver, source)
    print(json.dumps({"event": "connected", "source": source.ndi_name}), flush=True)
    got = 0
    while got < frames and time.monotonic() < deadline + 60:
        kind, video, _, _ = ndi.recv_capture_v2(receiver, 1000)
        if kind == ndi.FRAME_TYPE_VIDEO:
            pixels = video.data
            mean = pixels.reshape(-1, 4)[:, :3].mean(axis=0)
            print(json.dumps({"event": "frame", "width": video.xres, "height": video.yres, "mean": [float(m) for m in mean]}), flush=True)
            ndi.recv_free_video_v2(receiver, video)
            got += 1
    ndi.recv_destroy(receiver)
    ndi.find_destroy(finder)
    ndi.destroy()
    return 0 if got >= frames else 4


if __name__ == "__main__":
    sys.exit(main())
