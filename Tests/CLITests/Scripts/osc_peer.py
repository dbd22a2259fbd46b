#!/usr/bin/env python3
"""A second OSC implementation (python-osc) talking to a running `latentvj live`, for the control tests.

  osc_peer.py listen ENGINE_PORT SECONDS [--bind HOST]   subscribe, then print every message received as JSON lines
  osc_peer.py list ENGINE_PORT                           ask /lvj/list, print the replies as JSON lines up to /lvj/list/end
  osc_peer.py send ENGINE_PORT ADDRESS VALUE [--bind HOST]  one float message, from HOST (e.g. 127.0.0.2)
  osc_peer.py burst ENGINE_PORT COUNT                    COUNT malformed packets and wrong messages, as fast as possible
Exit status 3 when python-osc is missing (the test then says so and skips that part).
"""
import json
import random
import socket
import struct
import sys
import time

try:
    from pythonosc.osc_message_builder import OscMessageBuilder
    from pythonosc.osc_message import OscMessage
except ImportError:
    print("python-osc is not installed (pip install python-osc)", file=sys.stderr)
    sys.exit(3)


def message(address, *args):
    b = OscMessageBuilder(address=address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


def socket_on(host="127.0.0.1", port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    return s


def receive(s, seconds, until=None):
    """Prints what arrives for `seconds` at most, or until a message to the address `until`."""
    s.settimeout(0.1)
    end = time.time() + seconds
    while time.time() < end:
        try:
            data, _ = s.recvfrom(65536)
        except socket.timeout:
            continue
        try:
            m = OscMessage(data)
        except Exception:
            continue
        print(json.dumps({"address": m.address, "args": list(m.params)}), flush=True)
        if until is not None and m.address == until:
            return


def main(argv):
    command, port = argv[1], int(argv[2])
    bind = argv[argv.index("--bind") + 1] if "--bind" in argv else "127.0.0.1"
    engine = ("127.0.0.1", port)
    if command == "listen":
        s = socket_on(bind)
        s.sendto(message("/lvj/subscribe", s.getsockname()[1]), engine)
        print(json.dumps({"ready": s.getsockname()[1]}), flush=True)
        receive(s, float(argv[3]))
    elif command == "list":
        s = socket_on(bind)
        s.sendto(message("/lvj/list"), engine)
        receive(s, 60, until="/lvj/list/end")   # the 60 s only bound a lost reply
    elif command == "send":
        s = socket_on(bind)
        s.sendto(message(argv[3], float(argv[4])), engine)
    elif command == "burst":
        s = socket_on(bind)
        rng = random.Random(7)
        bad = [
            message("/lvj/intensity", "not a number"),          # wrong type
            message("/lvj/intensity", 1.0, 2.0),                # wrong arity
            message("/lvj/no/such/parameter", 1.0),             # unknown address
            message("/lvj/intensity", float("nan")),            # NaN
            message("/lvj/intensity", float("inf")),            # infinity
            message("/lvj/intensity", 1e9),                     # out of range
            message("/lvj/preset/load", "../../etc/passwd"),    # a path, not a name
            b"/lvj/intensity\x00\x00",                          # truncated: no type tags
            b"#bundle\x00" + b"\xff" * 12,                      # broken bundle
        ]
        for i in range(int(argv[3])):
            if i % 3 == 0:
                packet = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))   # noise
            else:
                packet = bad[i % len(bad)]
            s.sendto(packet, engine)
        print(json.dumps({"sent": int(argv[3])}), flush=True)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
