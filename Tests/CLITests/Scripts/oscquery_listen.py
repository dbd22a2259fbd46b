#!/usr/bin/env python3
"""An OSCQuery LISTEN client for the tests (websockets and python-osc from PyPI).

Opens ws://HOST:PORT/, sends {"COMMAND": "LISTEN", "DATA": PATH} for every PATH, and prints one JSON
line per OSC message the server streams back: its address and arguments. Lines on standard input are
sent as text commands too (IGNORE); a line `OSC ["/lvj/psi", 0.5]` is sent as a binary OSC message (as the
web surface sends a move), and `RAW 00ff…` as those bytes. Exits after COUNT messages, or 3 when the
connection fails.
usage: oscquery_listen.py PORT COUNT PATH [PATH...]
"""
import asyncio
import json
import os
import sys

import websockets
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder


def outgoing(line):
    """What a line on standard input sends: text, or the bytes of an OSC message or of hex."""
    if line.startswith("OSC "):
        address, *args = json.loads(line[4:])
        builder = OscMessageBuilder(address=address)
        for a in args:
            builder.add_arg(a)
        return builder.build().dgram
    if line.startswith("RAW "):
        return bytes.fromhex(line[4:])
    return line


async def main():
    port, count, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    try:
        socket = await websockets.connect("ws://127.0.0.1:%d/" % port)
    except Exception as e:
        print("cannot connect: %s" % e, file=sys.stderr)
        return 3
    for p in paths:
        await socket.send(json.dumps({"COMMAND": "LISTEN", "DATA": p}))
    print(json.dumps({"event": "listening", "paths": paths}), flush=True)

    async def forward_stdin():
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            await socket.send(outgoing(line.strip()))

    asyncio.ensure_future(forward_stdin())
    got = 0
    while got < count:
        data = await socket.recv()
        if isinstance(data, str):
            print(json.dumps({"event": "text", "text": data}), flush=True)
            continue
        if data[:4] == b"LVJP":
            width, height = int.from_bytes(data[4:6], "little"), int.from_bytes(data[6:8], "little")
            print(json.dumps({"event": "preview", "width": width, "height": height, "bytes": len(data) - 8}), flush=True)
            got += 1
            continue
        m = OscMessage(data)
        print(json.dumps({"event": "value", "address": m.address, "args": list(m.params)}), flush=True)
        got += 1
    await socket.close()
    # Ended here: asyncio.run would wait for the thread still reading standard input.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
