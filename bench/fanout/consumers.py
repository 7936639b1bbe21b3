#!/usr/bin/python3
"""Many webrtcsrc consumers in one process (to save CPU and memory: one
Python, one GStreamer, one DTLS certificate), each its own pipeline
`webrtcsrc video-codecs=<VP8> ! video/x-vp8 ! fakesink sync=false`: the
encoded output (depayloader, no decoder). On "counts" from stdin, prints a
JSON line with each consumer's frames so far and this process's CPU
seconds; "waiting" makes the next "counts" also write the `stats` of every
consumer without a frame yet on stderr; "quit" ends it.

Frames are webrtcsrc's own count (`stats` `frames`: buffers its video pad
pushed), read only when asked: a `handoff` signal per frame would take
Python's interpreter lock on every consumer's streaming thread 30 times a
second, load-generator work that is not the plugin's.

Usage: consumers.py [--addresses A1,A2,...] URI [URI ...]
ICE addresses: GWS_ICE_ADDRESSES for every consumer (default 127.0.0.1),
or with --addresses one per consumer, in the order of the URIs (the
cc-fanout benchmark puts each consumer behind its own capped address).
"""
import argparse
import json
import os
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    Gst.init(None)
    loop = GLib.MainLoop()
    pipes, srcs = [], []
    dump_waiting = []  # non-empty: the next "counts" dumps waiting stats
    # ICE addresses: 127.0.0.1 unless GWS_ICE_ADDRESSES says otherwise
    # (the Janus benchmark's veth address).
    ap = argparse.ArgumentParser()
    ap.add_argument("--addresses", help="one ICE address per consumer")
    ap.add_argument("uris", nargs="+")
    args = ap.parse_args()
    default = os.environ.get("GWS_ICE_ADDRESSES", "127.0.0.1")
    each = args.addresses.split(",") if args.addresses else []
    if each and len(each) != len(args.uris):
        ap.error("--addresses: one address per URI")
    for i, uri in enumerate(args.uris):
        addresses = each[i] if each else default
        p = Gst.parse_launch(
            f"webrtcsrc name=src uri={uri} ice-addresses={addresses} "
            f"video-codecs=<VP8> ! video/x-vp8 ! fakesink "
            "sync=false async=false")
        pipes.append(p)
        srcs.append(p.get_by_name("src"))
    for p in pipes:
        p.set_state(Gst.State.PLAYING)

    def counts():
        c = []
        for i, src in enumerate(srcs):
            st = src.get_property("stats")
            ok, frames = st.get_uint64("frames") if st else (False, 0)
            c.append(frames if ok else 0)
            if c[-1] == 0 and dump_waiting:
                sys.stderr.write(f"consumer {i} has no frame yet: {st}\n")
        dump_waiting.clear()
        t = os.times()
        # "counts" first: fanout.py reads the line by that prefix; "event"
        # for the restart rig's event reader (cc-fanout)
        sys.stdout.write(json.dumps({"counts": c,
                                     "cpu": t.user + t.system,
                                     "event": "counts"}) + "\n")
        sys.stdout.flush()
        return False

    def read():
        for line in sys.stdin:
            if line.strip() == "counts":
                GLib.idle_add(counts)
            elif line.strip() == "waiting":
                dump_waiting.append(True)
            elif line.strip() == "quit":
                break
        GLib.idle_add(loop.quit)

    threading.Thread(target=read, daemon=True).start()
    loop.run()
    for p in pipes:
        p.set_state(Gst.State.NULL)


main()
