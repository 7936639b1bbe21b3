#!/usr/bin/python3
"""Many webrtcsrc consumers in one process (to save CPU and memory: one
Python, one GStreamer, one DTLS certificate), each its own pipeline
`webrtcsrc video-codecs=<VP8> ! video/x-vp8 ! fakesink sync=false`: the
encoded output (depayloader, no decoder). On "counts" from stdin, prints a
JSON line with each consumer's frames so far (buffers at its sink)
and this process's CPU seconds; "quit" ends it.

Usage: consumers.py URI [URI ...]   (GWS_ICE_ADDRESSES: default 127.0.0.1)
"""
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
    pipes, sinks = [], []  # sinks: frames counted per consumer

    def on_frame(_sink, _buf, _pad, i):
        sinks[i] += 1
    # ICE addresses: 127.0.0.1 unless GWS_ICE_ADDRESSES says otherwise
    # (the Janus benchmark's veth address).
    addresses = os.environ.get("GWS_ICE_ADDRESSES", "127.0.0.1")
    for i, uri in enumerate(sys.argv[1:]):
        p = Gst.parse_launch(
            f"webrtcsrc uri={uri} ice-addresses={addresses} "
            f"video-codecs=<VP8> ! video/x-vp8 ! fakesink name=sink{i} "
            "sync=false async=false signal-handoffs=true")
        pipes.append(p)
        sinks.append(0)
        p.get_by_name(f"sink{i}").connect("handoff", on_frame, i)
    for p in pipes:
        p.set_state(Gst.State.PLAYING)

    def counts():
        c = list(sinks)
        t = os.times()
        sys.stdout.write(json.dumps({"counts": c,
                                     "cpu": t.user + t.system}) + "\n")
        sys.stdout.flush()
        return False

    def read():
        for line in sys.stdin:
            if line.strip() == "counts":
                GLib.idle_add(counts)
            elif line.strip() == "quit":
                break
        GLib.idle_add(loop.quit)

    threading.Thread(target=read, daemon=True).start()
    loop.run()
    for p in pipes:
        p.set_state(Gst.State.NULL)


main()
