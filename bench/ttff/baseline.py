#!/usr/bin/python3
"""TTFF baseline: two raw webrtcbins in one process exchange offer and
answer directly (no signalling, no process start), VP8 640x480@30 with
webrtcsink's encoder settings, receiver jitterbuffer latency as webrtcsrc's
default. Each run builds a new pipeline; the first run (DTLS certificate
generation) is a warm-up and not counted. Prints one JSON line: per run the
times (ms) from PLAYING to offer applied, ICE connected, DTLS connected
(connection-state) and first decoded frame, and the same for the
uncounted first run ("first": what a fresh process pays once).

Usage: baseline.py RUNS LATENCY_MS   (inside a namespace with lo up)
       baseline.py --serve LATENCY_MS: the uncounted first run at once
       ({"first": ...}), then one run per line read from stdin, each
       printed as one JSON line (ttff.py interleaves them with its own).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

Gst = common.gst()
from gi.repository import GLib, GstSdp, GstWebRTC  # noqa: E402,F401


def one_run(latency, timeout=20.0):
    pipe = Gst.parse_launch(
        "videotestsrc is-live=true pattern=ball ! "
        "video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! "
        "videoconvert ! queue ! " + common.encoder_desc("VP8") +
        " ! queue ! capsfilter name=rtpcaps")
    pipe.get_by_name("rtpcaps").set_property(
        "caps", Gst.Caps.from_string(common.rtp_caps("VP8")))
    snd = common.raw_webrtcbin(Gst, "snd")
    rcv = common.raw_webrtcbin(Gst, "rcv", latency)
    pipe.add(snd)
    pipe.add(rcv)
    pipe.get_by_name("rtpcaps").link(snd)
    loop = GLib.MainLoop()
    t = {}
    now = lambda: time.monotonic()  # noqa: E731

    def mark(key):
        if key not in t:
            t[key] = now()

    def on_answer(promise, _):
        reply = promise.get_reply()
        answer = reply.get_value("answer") if reply and reply.has_field("answer") else None
        if answer is None:
            print("no answer:", reply and reply.to_string(), file=sys.stderr)
            return
        rcv.emit("set-local-description", answer, Gst.Promise.new())
        snd.emit("set-remote-description", answer, Gst.Promise.new())

    def on_offer(promise, _):
        reply = promise.get_reply()  # keep: the offer lives inside it
        offer = reply.get_value("offer")
        snd.emit("set-local-description", offer, Gst.Promise.new())
        rcv.emit("set-remote-description", offer, Gst.Promise.new())
        mark("offer")
        rcv.emit("create-answer", None,
                 Gst.Promise.new_with_change_func(on_answer, None))

    def on_negotiation(_w):
        snd.emit("create-offer", None,
                 Gst.Promise.new_with_change_func(on_offer, None))

    snd.connect("on-negotiation-needed", on_negotiation)
    snd.connect("on-ice-candidate",
                lambda _w, i, c: rcv.emit("add-ice-candidate", i, c))
    rcv.connect("on-ice-candidate",
                lambda _w, i, c: snd.emit("add-ice-candidate", i, c))

    def on_ice(w, _p):
        if w.get_property("ice-connection-state") in (
                GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                GstWebRTC.WebRTCICEConnectionState.COMPLETED):
            mark("ice")

    def on_conn(w, _p):
        if (w.get_property("connection-state") ==
                GstWebRTC.WebRTCPeerConnectionState.CONNECTED):
            mark("dtls")

    def on_sig(w, _p):
        if (w.get_property("signaling-state") ==
                GstWebRTC.WebRTCSignalingState.HAVE_REMOTE_OFFER):
            mark("applied")

    rcv.connect("notify::signaling-state", on_sig)
    rcv.connect("notify::ice-connection-state", on_ice)
    rcv.connect("notify::connection-state", on_conn)

    def on_frame(_s, _b, _p):
        if "frame" not in t:
            mark("frame")
            GLib.idle_add(loop.quit)

    def first_buffer(pad, key):
        def cb(_pad, _info):
            mark(key)
            return Gst.PadProbeReturn.REMOVE
        pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                      cb)

    def on_added(_bin, _sub, element):
        f = element.get_factory()
        if f and f.get_name() == "rtpjitterbuffer":
            first_buffer(element.get_static_pad("sink"), "rtp_in")

    rcv.connect("deep-element-added", on_added)

    def on_pad(_w, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        first_buffer(pad, "jb_out")
        dec = Gst.parse_bin_from_description(
            "queue ! rtpvp8depay ! vp8dec ! videoconvert ! "
            "fakesink name=sink sync=false async=false signal-handoffs=true",
            True)
        dec.get_by_name("sink").connect("handoff", on_frame)
        pipe.add(dec)
        dec.sync_state_with_parent()
        pad.link(dec.get_static_pad("sink"))

    rcv.connect("pad-added", on_pad)
    GLib.timeout_add(int(timeout * 1000), loop.quit)
    t0 = now()
    pipe.set_state(Gst.State.PLAYING)
    loop.run()
    pipe.set_state(Gst.State.NULL)
    return {k: round((v - t0) * 1000, 1) for k, v in t.items()}


def main():
    if sys.argv[1] == "--serve":
        # One run per line read from stdin, one JSON line each, so that a
        # harness can interleave them with its own runs (same load).
        latency = int(sys.argv[2])
        print(json.dumps({"first": one_run(latency)}), flush=True)
        for _ in sys.stdin:
            print(json.dumps(one_run(latency)), flush=True)
        return
    runs, latency = int(sys.argv[1]), int(sys.argv[2])
    first = one_run(latency)  # warm-up: DTLS certificate, plugin loading
    out = [one_run(latency) for _ in range(runs)]
    print(json.dumps({"runs": out, "first": first}))


main()
