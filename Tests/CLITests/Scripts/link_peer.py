#!/usr/bin/env python3
"""A second Ableton Link peer (aalink, which embeds Ableton's Link) beside a running `latentvj live
--tempo link`, for the tempo tests. Run it in the same network namespace as the engine.

  link_peer.py ENGINE_OSC_PORT BPM QUANTUM

It joins the session at BPM with QUANTUM, subscribes to the engine's OSC status, and prints JSON lines:
  {"peer": {"bpm", "peers", "beat", "host"}}                 about 20 times a second
  {"tempo": [engine /lvj/status/tempo args], "peer_beat": B, "received": H} for each engine tempo status:
      B is this peer's beat at the Link host time the engine's beat is for (its last argument), H the
      host time it arrived
It reads commands on standard input, one a line:
  tempo BPM            this peer proposes BPM to the session
  send ADDRESS VALUE   one OSC float message to the engine
  taps COUNT BPM       COUNT taps on the engine's /lvj/tempo/tap, BPM apart (the pace is the input)
  quit
Exit status 3 when aalink or python-osc is missing (the test then skips).
"""
import asyncio
import json
import socket
import sys

try:
    import aalink
except ImportError:
    print("aalink is not installed (pip install aalink)", file=sys.stderr)
    sys.exit(3)
from osc_peer import OscMessage, message     # beside this script; exits 3 itself without python-osc


def say(obj):
    print(json.dumps(obj), flush=True)


class Peer:
    def __init__(self, link, engine):
        self.link = link
        self.engine = engine
        self.osc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.osc.bind(("127.0.0.1", 0))
        self.osc.setblocking(False)

    def host(self):
        return self.link.time.total_seconds()

    def beat_at(self, host):
        """This peer's beat at a host time near now (at the session's tempo)."""
        now, beat = self.host(), self.link.beat
        return beat + (host - now) * self.link.tempo / 60

    async def report(self):
        while True:
            say({"peer": {"bpm": self.link.tempo, "peers": self.link.num_peers, "beat": self.link.beat, "host": self.host()}})
            await asyncio.sleep(0.05)

    async def subscribe(self):
        # Every 2 s, in case the engine was not listening yet (its OSC server starts after the model loads).
        while True:
            self.osc.sendto(message("/lvj/subscribe", self.osc.getsockname()[1]), self.engine)
            await asyncio.sleep(2)

    async def listen(self):
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(self.osc, 65536)
            try:
                m = OscMessage(data)
            except Exception:
                continue
            if m.address == "/lvj/status/tempo" and len(m.params) >= 8:
                say({"tempo": list(m.params), "peer_beat": self.beat_at(m.params[7]), "received": self.host()})

    async def commands(self):
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            words = line.split()
            if not words or words[0] == "quit":
                return
            if words[0] == "tempo":
                self.link.tempo = float(words[1])
            elif words[0] == "send":
                self.osc.sendto(message(words[1], float(words[2])), self.engine)
            elif words[0] == "taps":
                loop = asyncio.get_running_loop()
                start, interval = loop.time(), 60 / float(words[2])
                for i in range(int(words[1])):
                    await asyncio.sleep(max(0, start + i * interval - loop.time()))
                    self.osc.sendto(message("/lvj/tempo/tap", 1.0), self.engine)
            say({"done": line.strip()})


async def main(argv):
    port, bpm, quantum = int(argv[1]), float(argv[2]), float(argv[3])
    link = aalink.Link(bpm)
    link.quantum = quantum
    link.enabled = True
    peer = Peer(link, ("127.0.0.1", port))
    say({"ready": True})
    tasks = [asyncio.create_task(t) for t in (peer.report(), peer.subscribe(), peer.listen())]
    await peer.commands()
    for t in tasks:
        t.cancel()
    link.enabled = False


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv)))
