#!/usr/bin/python3
"""Time to first frame of webrtcsrc with its signalling over HTTP long-poll
(poll+http://) against the same over WebSocket (ws://), in one run on one
relay. Runs inside a private network namespace (re-execs itself under
`unshare -n`) and prints one JSON line.

Two webrtcsink producers (VP8 640x480@30) run on the same relay, one
signalling over WebSocket, one over long-poll. Each run spawns a fresh
`gst-launch-1.0 -v webrtcsrc ... ! fakesink` receiver with the same
transport as its producer and times from just before the spawn to its first
decoded frame (common.receiver_once, as ttff.py's warm runs); the two
transports alternate run by run so that machine load hits both alike.

Breakdown: as many runs again with probe.py (webrtcsrc in a Python GI
process marking its signaller's and webrtcbin's events), alternating the
same way; the "signalling" phase (PLAYING -> the producer's offer
received: connect, register, start the session, the offer relayed) is the
only one the transport takes part in, and is reported per transport with
the other phases (common.PHASES).

Usage: longpoll.py [--runs N] [--latency MS]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--latency", type=int, default=50)
    args = ap.parse_args()
    common.in_private_netns()
    relay = common.Relay()
    uris = {"websocket": relay.uri("cam-ws"),
            "long-poll": relay.uri("cam-poll", scheme="poll+http")}
    results = {k: [] for k in uris}
    probes = {k: [] for k in uris}
    prods = []
    try:
        prods = [common.producer(u) for u in uris.values()]
        time.sleep(1.5)  # both producers registered (not part of a figure)
        for u in uris.values():
            common.receiver_once(u, args.latency)  # warm-up, not counted
        for _ in range(args.runs):
            for kind, u in uris.items():
                results[kind].append(common.receiver_once(u, args.latency))
                time.sleep(0.2)
        for _ in range(args.runs):
            for kind, u in uris.items():
                probes[kind].append(common.probe_once(u, args.latency))
                time.sleep(0.2)
    finally:
        for p in prods:
            common.stop_proc(p)
        relay.stop()
    ok = lambda v: [x for x in v if x is not None]  # noqa: E731
    out = {"runs": args.runs, "latency_ms": args.latency}
    for kind, vals in results.items():
        done = ok(probes[kind])
        out[kind] = dict(common.summary(ok(vals)), failed=vals.count(None),
                         probe=dict(common.summary([p["frame"] for p in done]),
                                    failed=len(probes[kind]) - len(done),
                                    phases=common.phases(done)))
    out["load"] = os.getloadavg()[0]
    print(json.dumps(out))


main()
