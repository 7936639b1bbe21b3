#!/usr/bin/python3
"""The application route of offline://: no folder, no terminal.

One process, two pipelines (webrtcsink and webrtcsrc, both
uri=offline:). The blob each bin posts as the element message
"gws-offline-description" is carried to the other bin's signaller with
the "submit-remote" action signal, as an application carrying it by mail
or chat would: the offer as the GWS1 blob, the answer as plain SDP. Prints PASS when the consumer got its frames; also checks
that a damaged blob is refused (submit-remote returns False).
Run inside a network namespace with lo up (run.py app-route does).
"""

import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
loop = GLib.MainLoop()
result = {"ok": False, "why": "timed out"}
frames = threading.Event()

prod = Gst.parse_launch(
    "videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
    "webrtcsink name=s uri=offline: ice-addresses=127.0.0.1")
cons = Gst.parse_launch(
    "webrtcsrc name=r uri=offline: ice-addresses=127.0.0.1 ! videoconvert ! "
    "fakesink name=out signal-handoffs=true")
sink = prod.get_by_name("s")
src = cons.get_by_name("r")
count = [0]


def on_handoff(*_):
    count[0] += 1
    if count[0] == 30:
        frames.set()
        GLib.idle_add(finish, True, "30 frames")


cons.get_by_name("out").connect("handoff", on_handoff)


def finish(ok, why):
    result["ok"], result["why"] = ok, why
    loop.quit()
    return False


def carry(text, to):
    """The route: here a function call; in an application a mail, a chat
    message, a QR code."""
    sig = to.get_property("signaller")
    if text.startswith("GWS1."):  # plain SDP has no checksum
        damaged = text[:40] + ("x" if text[40] != "x" else "y") + text[41:]
        if sig.emit("submit-remote", damaged):
            GLib.idle_add(finish, False, "a damaged blob was accepted")
            return
    if not sig.emit("submit-remote", text):
        GLib.idle_add(finish, False, "the good blob was refused")


def on_message(bus, msg, me, other):
    t = msg.type
    if t == Gst.MessageType.ELEMENT:
        s = msg.get_structure()
        if s.get_name() == "gws-offline-description":
            print("{} posted its {} ({} characters)".format(
                me, s.get_string("type"), len(s.get_string("blob"))))
            # The offer goes as the GWS1 blob, the answer as plain SDP (both
            # forms are accepted).
            text = s.get_string("blob") if me == "producer" else \
                s.get_string("sdp")
            threading.Thread(target=carry, args=(text, other),
                             daemon=True).start()
    elif t == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        GLib.idle_add(finish, False, "{}: {}".format(me, err.message))
    elif t == Gst.MessageType.WARNING:
        err, dbg = msg.parse_warning()
        print("{} warning: {}".format(me, err.message))


for pipe, me, other in ((prod, "producer", src), (cons, "consumer", sink)):
    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message, me, other)

prod.set_state(Gst.State.PLAYING)
cons.set_state(Gst.State.PLAYING)
GLib.timeout_add_seconds(30, finish, False, "no 30 frames within 30 s")
loop.run()
cons.set_state(Gst.State.NULL)
prod.set_state(Gst.State.NULL)
print(("PASS: " if result["ok"] else "FAIL: ") + result["why"])
sys.exit(0 if result["ok"] else 1)
