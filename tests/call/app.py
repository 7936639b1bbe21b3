#!/usr/bin/python3
"""A webrtccall in an application (tests/call/run.py drives it): the call
answered, refused and hung up through the element's signals instead of
gst-launch's EOS. Sends a test pattern and a tone, counts what it
receives, and reports as JSON lines on stdout.

Commands on stdin, one per line: "answer" (answer-call), "refuse REASON"
(refuse-call), "hangup" (hang-up), "stats" (prints {"event": "stats", "text": the
`stats` structure as a string}), "send-text LABEL TEXT" (send-data-string),
"add-audio" (a second live audio source on a new request pad),
"send-bytes LABEL SIZE" (send-data-bytes with SIZE bytes of a fixed
pattern, also printed as {"event": "sent-bytes", size, sha256}), "quit".
Each action prints {"event": "action", "name": ..., "ok": bool}.

Events: ready; incoming-call (session, peer: the signal);
gws-* (the element messages: gws-call-*, gws-data-channel, gws-path-lost,
gws-restart-*, gws-session-restarted..., with their fields);
pad (name: a remote pad appeared); frames (kind, count, every 10 buffers);
pad-frames (pad, count: the same per remote pad); sink-event (pad, type,
detail: EOS, flush, stream-start and caps reaching a remote pad's sink); data (data-received: session, label,
text (bool), size, sha256, body for text); warning / error (message); eos.
"""

import argparse
import hashlib
import json
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

_lock = threading.Lock()


def emit(event, **fields):
    with _lock:
        print(json.dumps(dict(event=event, **fields)), flush=True)


def pattern(size):
    """What send-bytes sends (as tests/e2e/peer.py)."""
    return bytes((i * 7 + 3) % 251 for i in range(size))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--peer-id")
    ap.add_argument("--call")
    ap.add_argument("--incoming", default="accept")
    ap.add_argument("--ice-addresses", default="127.0.0.1")
    ap.add_argument("--data-channels",
                    help='the data-channels value, e.g. <"chat">')
    a = ap.parse_args()
    Gst.init(None)
    props = "uri={} ice-addresses={} incoming-calls={}".format(
        a.uri, a.ice_addresses, a.incoming)
    if a.peer_id:
        props += " peer-id=" + a.peer_id
    if a.call:
        props += " call=" + a.call
    if a.data_channels:
        props += ' data-channels="{}"'.format(
            a.data_channels.replace('"', '\\"'))
    pipe = Gst.parse_launch(
        "webrtccall name=c {} "
        "videotestsrc is-live=true ! video/x-raw,width=160,height=120 ! "
        "c.video_0 audiotestsrc is-live=true ! c.audio_0".format(props))
    call = pipe.get_by_name("c")
    counts = {}

    def on_pad(_el, pad):
        kind = "video" if pad.get_name().startswith("remote_video") else "audio"
        emit("pad", name=pad.get_name())
        q = Gst.ElementFactory.make("queue")
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        # A sink added while PLAYING must not ask the pipeline to preroll
        # again: it stayed PAUSED (async) and a source added later (add-
        # audio) never started.
        sink.set_property("async", False)
        pipe.add(q)
        pipe.add(sink)
        q.link(sink)
        q.sync_state_with_parent()
        sink.sync_state_with_parent()
        pad.link(q.get_static_pad("sink"))

        name = pad.get_name()

        def probe(_p, _info):
            counts[kind] = counts.get(kind, 0) + 1
            if counts[kind] % 10 == 0:
                emit("frames", kind=kind, count=counts[kind])
            counts[name] = counts.get(name, 0) + 1
            if counts[name] % 10 == 0:
                emit("pad-frames", pad=name, count=counts[name])
            return Gst.PadProbeReturn.OK
        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)

        def on_event(_p, info):
            ev = info.get_event()
            if ev.type in (Gst.EventType.EOS, Gst.EventType.FLUSH_START,
                           Gst.EventType.STREAM_START, Gst.EventType.CAPS):
                emit("sink-event", pad=name, type=ev.type.value_nick,
                     detail=ev.get_structure().to_string()
                     if ev.get_structure() else "")
            return Gst.PadProbeReturn.OK
        sink.get_static_pad("sink").add_probe(
            Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.EVENT_FLUSH,
            on_event)

    call.connect("pad-added", on_pad)
    call.connect("incoming-call",
                 lambda _c, sid, peer: emit("incoming-call", session=sid,
                                            peer=peer))

    def on_data(_c, session, label, data, is_text):
        raw = data.get_data() or b""
        ev = {"session": session, "label": label, "text": bool(is_text),
              "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
        if is_text and len(raw) <= 200:
            ev["body"] = raw.decode("utf-8")
        emit("data", **ev)
    call.connect("data-received", on_data)

    loop = GLib.MainLoop()

    def on_message(_bus, msg):
        t = msg.type
        if t == Gst.MessageType.ELEMENT and msg.get_structure() and \
                msg.get_structure().get_name().startswith("gws-"):
            s = msg.get_structure()
            fields = {s.nth_field_name(i): s.get_value(s.nth_field_name(i))
                      for i in range(s.n_fields())}
            emit(s.get_name(), **fields)
        elif t == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            emit("error", message=err.message)
            loop.quit()
        elif t == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            emit("warning", message=err.message)
        elif t == Gst.MessageType.EOS:
            emit("eos")

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def add_audio():
        """A second live audio source, on a new request pad mid-call."""
        src = Gst.parse_bin_from_description(
            "audiotestsrc is-live=true freq=880 ! queue", True)
        pipe.add(src)
        pad = call.request_pad_simple("audio_%u")
        ok = pad is not None and \
            src.get_static_pad("src").link(pad) == Gst.PadLinkReturn.OK
        src.sync_state_with_parent()
        emit("action", name="add-audio", ok=ok,
             pad=pad.get_name() if pad else None)
        return False

    def commands():
        for line in sys.stdin:
            words = line.strip().split(" ", 1)
            if words[0] == "answer":
                emit("action", name="answer",
                     ok=call.emit("answer-call", None))
            elif words[0] == "refuse":
                emit("action", name="refuse",
                     ok=call.emit("refuse-call", None,
                                  words[1] if len(words) > 1 else None))
            elif words[0] == "hangup":
                emit("action", name="hangup", ok=call.emit("hang-up"))
            elif words[0] == "stats":
                st = call.get_property("stats")
                emit("stats", text=st.to_string() if st else "")
            elif words[0] == "send-text":
                label, text = words[1].split(" ", 1)
                emit("action", name="send-text",
                     ok=call.emit("send-data-string", None, label, text))
            elif words[0] == "send-bytes":
                label, size = words[1].split(" ", 1)
                raw = pattern(int(size))
                emit("sent-bytes", label=label, size=len(raw),
                     sha256=hashlib.sha256(raw).hexdigest())
                emit("action", name="send-bytes",
                     ok=call.emit("send-data-bytes", None, label,
                                  GLib.Bytes.new(raw)))
            elif words[0] == "add-audio":
                GLib.idle_add(add_audio)
            elif words[0] == "quit":
                break
        GLib.idle_add(loop.quit)

    threading.Thread(target=commands, daemon=True).start()
    pipe.set_state(Gst.State.PLAYING)
    emit("ready")
    loop.run()
    pipe.set_state(Gst.State.NULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
