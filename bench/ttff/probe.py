#!/usr/bin/python3
"""A webrtcsrc receiver that reports when things happen, for the TTFF
breakdown: the pipeline is `webrtcsrc ! fakesink` as with gst-launch-1.0,
plus handlers on the element's signaller (session-started,
session-description = the producer's offer) and on the webrtcbin that
webrtcsrc creates (ice-connection-state, connection-state), and a handoff on
the sink for the first decoded frame. Prints one JSON line of CLOCK_MONOTONIC
times in seconds (the parent's clock too).

Usage: probe.py URI LATENCY_MS
"""
import json
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstWebRTC  # noqa: E402

t = {"main": time.monotonic()}


def mark(key):
    if key not in t:
        t[key] = time.monotonic()


def main():
    Gst.init(None)
    uri, latency = sys.argv[1], int(sys.argv[2])
    pipe = Gst.parse_launch(
        f"webrtcsrc name=src uri={uri} ice-addresses=127.0.0.1 "
        f"latency={latency} ! video/x-raw ! fakesink name=sink sync=false "
        "signal-handoffs=true")
    loop = GLib.MainLoop()
    src = pipe.get_by_name("src")
    sig = src.get_property("signaller")
    sig.connect("session-started", lambda *_: mark("session"))
    sig.connect("session-description", lambda *_: mark("offer"))

    def on_ice(w, _p):
        if w.get_property("ice-connection-state") in (
                GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                GstWebRTC.WebRTCICEConnectionState.COMPLETED):
            mark("ice")

    def on_sig(w, _p):
        # set-remote-description done: in a fresh process this waits for
        # the DTLS certificate (dtlsdec, RSA-2048) and for plugin loading.
        if (w.get_property("signaling-state") ==
                GstWebRTC.WebRTCSignalingState.HAVE_REMOTE_OFFER):
            mark("applied")

    def on_conn(w, _p):
        if (w.get_property("connection-state") ==
                GstWebRTC.WebRTCPeerConnectionState.CONNECTED):
            mark("dtls")

    def first_buffer(pad, key):
        def cb(_pad, _info):
            mark(key)
            return Gst.PadProbeReturn.REMOVE
        pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                      cb)

    def on_webrtc_pad(_w, pad):
        if pad.direction == Gst.PadDirection.SRC:
            first_buffer(pad, "jb_out")  # out of the jitterbuffer

    def on_added(_bin, _sub, element):
        f = element.get_factory()
        if f and f.get_name() == "rtpjitterbuffer":
            first_buffer(element.get_static_pad("sink"), "rtp_in")
        if f and f.get_name() == "webrtcbin":
            element.connect("pad-added", on_webrtc_pad)
            element.connect("notify::ice-connection-state", on_ice)
            element.connect("notify::connection-state", on_conn)
            element.connect("notify::signaling-state", on_sig)

    pipe.connect("deep-element-added", on_added)

    def on_frame(*_):
        if "frame" not in t:
            mark("frame")
            GLib.idle_add(loop.quit)

    pipe.get_by_name("sink").connect("handoff", on_frame)

    def on_msg(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            t["error"] = msg.parse_error()[0].message
            loop.quit()

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_msg)
    GLib.timeout_add(20000, loop.quit)
    mark("playing")
    pipe.set_state(Gst.State.PLAYING)
    loop.run()
    print(json.dumps(t), flush=True)
    pipe.set_state(Gst.State.NULL)


main()
