#!/usr/bin/python3
"""A GStreamer pipeline with our webrtcsink or webrtcsrc, for the browser
restart tests (test_restart_elements.mjs): it reports on stdout, one JSON
object a line, and restarts its sessions on SIGUSR1.

  restart_peer.py 'PIPELINE' [--element NAME] [--count SINKNAME ...]

Lines printed (always with "event"):
  ready                         the pipeline is PLAYING
  message  name, fields         every gws-* element message of the bin
  restart  ok                   SIGUSR1 handled: emit("restart-session", None)
  buffers  sink, count, max_gap_ms, since_ms   every 10 buffers of a counted
                                sink (max_gap_ms: longest wall-clock gap
                                between two buffers so far, reset by SIGUSR2)
  stats    stats                the element's stats (string), on SIGUSR2
  warning / error  message
"""

import argparse
import json
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def plain(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pipeline")
    ap.add_argument("--element", default="peer",
                    help="name of the webrtcsink/webrtcsrc in the pipeline")
    ap.add_argument("--count", action="append", default=[],
                    help="name of a sink whose buffers are counted")
    args = ap.parse_args()

    Gst.init(None)
    pipeline = Gst.parse_launch(args.pipeline)
    element = pipeline.get_by_name(args.element)
    loop = GLib.MainLoop()

    meters = {}
    for name in args.count:
        sink = pipeline.get_by_name(name)
        meter = {"count": 0, "last": None, "max_gap": 0.0}
        meters[name] = meter

        def probe(pad, info, name=name, meter=meter):
            now = time.monotonic()
            if meter["last"] is not None:
                meter["max_gap"] = max(meter["max_gap"], now - meter["last"])
            meter["last"] = now
            meter["count"] += 1
            if meter["count"] % 10 == 0:
                emit("buffers", sink=name, count=meter["count"],
                     max_gap_ms=round(meter["max_gap"] * 1000))
            return Gst.PadProbeReturn.OK

        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)

    def on_message(bus, msg):
        t = msg.type
        if t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s and s.get_name().startswith("gws-"):
                fields = {s.nth_field_name(i): plain(s.get_value(
                    s.nth_field_name(i))) for i in range(s.n_fields())}
                emit("message", name=s.get_name(), fields=fields,
                     source=msg.src.get_name())
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            emit("error", message=err.message, debug=dbg)
            loop.quit()
        elif t == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            emit("warning", message=err.message)
        elif t == Gst.MessageType.STATE_CHANGED and msg.src == pipeline:
            _, new, _ = msg.parse_state_changed()
            if new == Gst.State.PLAYING:
                emit("ready")
        elif t == Gst.MessageType.EOS:
            emit("eos")
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def on_usr1():
        emit("restart", ok=bool(element.emit("restart-session", None)))
        return GLib.SOURCE_CONTINUE

    def on_usr2():
        for meter in meters.values():
            meter["max_gap"] = 0.0
        st = element.get_property("stats")
        emit("stats", stats=st.to_string() if st else None)
        return GLib.SOURCE_CONTINUE

    def on_stop():
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, on_usr1)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR2, on_usr2)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_stop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, on_stop)

    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    finally:
        pipeline.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
