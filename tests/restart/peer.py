#!/usr/bin/python3
"""One peer of the session-restart tests and benchmark: webrtcsink (sender)
or webrtcsrc (receiver) in its own process, run inside a namespace with
`ip netns exec`. Reports what happens as JSON lines on stdout; every event
carries "t", CLOCK_MONOTONIC in seconds (the same clock in every namespace,
so the driver can compare it with its own time.monotonic()).

Sender: videotestsrc is-live=true ! 320x240@30 I420 ! webrtcsink
Receiver: webrtcsrc ! fakesink (decoded video), every frame reported.

Commands on stdin, one per line:
  restart            emit the element's `restart-session` action (NULL)
  stats              print the element's stats structure
  sdp                print every webrtcbin's local and remote description
  stop-src           (receiver) set webrtcsrc's pipeline to NULL, i.e. end
                     this session (break-before-make baseline)
  start-src          (receiver) a new webrtcsrc session (PLAYING again)
  pause-src          (sender) drop every video buffer before webrtcsink,
                     as a source that stops producing (a paused or idle
                     capture): no RTP goes out, RTCP goes on
  resume-src         (sender) let the buffers through again
  stream-start       send "0", "1", ... on data channel `seq` (send-data-
                     string, every 20 ms) until
  stream-stop        which reports how many went out (stream-stopped sent)
  quit

Events (JSON objects, always "event" and "t"):
  ready | signalling connected | consumer-added/-removed peer session
  pad name | frame pts (ns) n | caps caps (each caps event at the sink)
  gws name fields (element messages named gws-*) | path-lost session silence
  restart ok | stats text frames_in frames_encoded (sender: video buffers
  into webrtcsink, and out of its encoder since the first `stats`)
  | warning/error message source | eos | data label body (data-received,
  text) | stream-stopped sent
"""

import argparse
import json
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, GObject, Gst  # noqa: E402

_out_lock = threading.Lock()


def emit(event, **fields):
    fields["event"] = event
    fields["t"] = time.monotonic()
    with _out_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def plain(value):
    """A JSON-friendly form of a GValue read from a structure."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


class Peer:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.frames = 0
        self.frames_in = 0
        self.frames_encoded = None
        self.exit_code = 0
        if args.role == "sender":
            width, height = args.size.split("x")
            desc = ("videotestsrc is-live=true {} ! "
                    "video/x-raw,format=I420,width={},height={},"
                    "framerate=30/1 ! {}webrtcsink name=el").format(
                        args.source, width, height,
                        args.encoder + " ! " if args.encoder else "")
        else:
            desc = "webrtcsrc name=el latency={}".format(args.latency)
        self.pipeline = Gst.parse_launch(desc)
        if not isinstance(self.pipeline, Gst.Pipeline):
            el = self.pipeline
            self.pipeline = Gst.Pipeline.new("receiver")
            self.pipeline.add(el)
        self.element = self.pipeline.get_by_name("el")
        self.set_props(self.element)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        signaller = self.element.get_property("signaller")
        signaller.connect(
            "connection-changed",
            lambda _s, up: emit("signalling", connected=bool(up)))
        if GObjectSignal.exists(self.element, "path-lost"):
            self.element.connect(
                "path-lost", lambda _e, sid, ms: emit(
                    "path-lost", session=sid, silence=ms))
        if args.role == "sender":
            self.count_input()
            self.element.connect(
                "consumer-added", lambda _e, peer, sid, _webrtcbin: emit(
                    "consumer-added", peer=peer, session=sid))
            self.element.connect(
                "consumer-removed", lambda _e, peer, sid, why: emit(
                    "consumer-removed", peer=peer, session=sid, reason=why))
        else:
            self.element.connect("pad-added", self.on_pad_added)
        if GObjectSignal.exists(self.element, "data-received"):
            self.element.connect("data-received", self.on_data)
        self.streamed = 0
        self.stream_timer = None
        self.src_paused = False

    def on_data(self, _el, _sid, label, data, is_text):
        raw = data.get_data() or b""
        emit("data", label=label,
             body=raw.decode("utf-8") if is_text else None, size=len(raw))

    def stream_start(self):
        def tick():
            self.element.emit("send-data-string", None, "seq",
                              str(self.streamed))
            self.streamed += 1
            return True
        self.stream_timer = GLib.timeout_add(20, tick)
        return False

    def stream_stop(self):
        if self.stream_timer:
            GLib.source_remove(self.stream_timer)
            self.stream_timer = None
        emit("stream-stopped", sent=self.streamed)
        return False

    def set_props(self, el):
        a = self.args
        el.set_property("uri", a.uri)
        el.set_property("ice-addresses", a.ice_addresses)
        for kv in a.prop:
            name, value = kv.split("=", 1)
            target = el
            if "::" in name:  # a child's, e.g. signaller::ice-servers
                found, target, pspec = Gst.ChildProxy.lookup(el, name)
                name = pspec.name if found else name
            if target is None or target.find_property(name) is None:
                emit("no-property", name=name)
                continue
            if target.find_property(name).value_type == GObject.TYPE_STRV:
                # strv: "<"a","b">" as for GstValueArray properties
                items = [v.strip().strip('"') for v in
                         value.strip().lstrip("<").rstrip(">").split(",")]
                target.set_property(name, [v for v in items if v])
                continue
            Gst.util_set_object_arg(target, name, value)

    # receiver -------------------------------------------------------------
    def on_pad_added(self, _src, pad):
        emit("pad", name=pad.get_name())
        if not pad.get_name().startswith("video"):
            if self.args.sink_other:  # e.g. a browser's microphone
                sink = Gst.ElementFactory.make("fakesink")
                sink.set_property("sync", False)
                sink.set_property("async", False)
                self.pipeline.add(sink)
                sink.sync_state_with_parent()
                pad.link(sink.get_static_pad("sink"))
            return
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", self.on_buffer)
        sink.get_static_pad("sink").add_probe(
            Gst.PadProbeType.EVENT_DOWNSTREAM, self.on_event)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def on_event(self, _pad, info):
        ev = info.get_event()
        if ev.type == Gst.EventType.CAPS:
            emit("caps", caps=ev.parse_caps().to_string())
        elif ev.type in (Gst.EventType.STREAM_START, Gst.EventType.SEGMENT,
                         Gst.EventType.FLUSH_START, Gst.EventType.EOS):
            emit("sink-event", type=Gst.EventType.get_name(ev.type))
        return Gst.PadProbeReturn.OK

    def on_buffer(self, _sink, buf, _pad):
        self.frames += 1
        emit("frame", n=self.frames,
             pts=buf.pts if buf.pts != Gst.CLOCK_TIME_NONE else None)

    # both -------------------------------------------------------------------
    def on_message(self, _bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            emit("error", message=err.message, debug=dbg,
                 source=msg.src.get_name())
            self.exit_code = 1
            self.loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            err, _dbg = msg.parse_warning()
            emit("warning", message=err.message, source=msg.src.get_name())
        elif msg.type == Gst.MessageType.EOS:
            emit("eos")
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.get_name().startswith("gws-"):
                fields = {s.nth_field_name(i):
                          plain(s.get_value(s.nth_field_name(i)))
                          for i in range(s.n_fields())}
                emit("gws", name=s.get_name(), source=msg.src.get_name(),
                     fields=fields)
        elif (msg.type == Gst.MessageType.STATE_CHANGED
              and msg.src == self.pipeline):
            _old, new, _pending = msg.parse_state_changed()
            if new == Gst.State.PLAYING:
                emit("ready")

    def restart(self):
        try:
            ok = self.element.emit("restart-session", None)
            emit("restart", ok=bool(ok))
        except TypeError as e:  # no such signal
            emit("restart", ok=False, error=str(e))
        return False

    def stats(self):
        st = self.element.get_property("stats")
        if self.args.role == "sender" and self.frames_encoded is None:
            self.count_encoded()
        emit("stats", text=st.to_string() if st else "",
             frames_in=self.frames_in, frames_encoded=self.frames_encoded)
        return False

    def count_encoded(self):
        """(sender) From now on, counts the buffers leaving webrtcsink's
        video encoder (made with the first consumer): what the leaky queue
        before it let through on a busy machine. None until found."""
        try:
            # A list, not the iterator: the bin changes under it when
            # congestion control starts or stops a rendition (RESYNC).
            elements = list(self.element.iterate_recurse())
        except Gst.IteratorError:
            return  # the bin changed meanwhile: the next `stats` looks again
        for el in elements:
            f = el.get_factory()
            if f is None or "Encoder/Video" not in (
                    f.get_metadata("klass") or ""):
                continue
            self.frames_encoded = 0

            def probe(_pad, _info):
                self.frames_encoded += 1
                return Gst.PadProbeReturn.OK
            el.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                               probe)
            return

    def count_input(self):
        """(sender) Counts the video buffers going into webrtcsink, from the
        streaming thread (the int is read by `stats` on the main loop)."""
        def probe(_pad, _info):
            if self.src_paused:
                return Gst.PadProbeReturn.DROP
            self.frames_in += 1
            return Gst.PadProbeReturn.OK
        for pad in self.element.sinkpads:
            pad.add_probe(Gst.PadProbeType.BUFFER, probe)

    def sdp(self):
        """The local and remote descriptions of every webrtcbin inside."""
        gi.require_version("GstWebRTC", "1.0")
        from gi.repository import GstWebRTC  # noqa: F401 - the boxed type
        for el in self.element.iterate_recurse():
            f = el.get_factory()
            if f is None or f.get_name() != "webrtcbin":
                continue
            out = {"webrtcbin": el.get_name()}
            for which in ("local-description", "remote-description"):
                desc = el.get_property(which)
                out[which] = desc.sdp.as_text() if desc else None
            emit("sdp", **out)
        emit("sdp-done")
        return False

    def stop_src(self):
        self.pipeline.set_state(Gst.State.NULL)
        for el in list(self.pipeline.iterate_elements()):
            if el is not self.element:
                self.pipeline.remove(el)
        emit("stopped")
        return False

    def start_src(self):
        self.pipeline.set_state(Gst.State.PLAYING)
        emit("started")
        return False

    def pause_src(self):
        self.src_paused = True
        emit("src-paused")
        return False

    def resume_src(self):
        self.src_paused = False
        emit("src-resumed")
        return False

    def read_commands(self):
        handlers = {"restart": self.restart, "stats": self.stats,
                    "sdp": self.sdp,
                    "stop-src": self.stop_src, "start-src": self.start_src,
                    "stream-start": self.stream_start,
                    "stream-stop": self.stream_stop,
                    "pause-src": self.pause_src,
                    "resume-src": self.resume_src,
                    "quit": self.loop.quit}
        for line in sys.stdin:
            fn = handlers.get(line.strip())
            if fn:
                GLib.idle_add(fn)
        GLib.idle_add(self.loop.quit)

    def run(self):
        threading.Thread(target=self.read_commands, daemon=True).start()
        self.pipeline.set_state(Gst.State.PLAYING)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        emit("exit", code=self.exit_code)
        return self.exit_code


class GObjectSignal:
    @staticmethod
    def exists(obj, name):
        from gi.repository import GObject
        return GObject.signal_lookup(name, type(obj)) != 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["sender", "receiver"])
    ap.add_argument("--uri", required=True)
    ap.add_argument("--ice-addresses", required=True)
    ap.add_argument("--latency", type=int, default=50)
    ap.add_argument("--size", default="320x240", help="sender picture")
    ap.add_argument("--source", default="pattern=ball",
                    help="videotestsrc properties")
    ap.add_argument("--encoder", default="",
                    help="(sender) encoder description before webrtcsink: "
                    "pre-encoded input")
    ap.add_argument("--sink-other", action="store_true",
                    help="(receiver) end non-video pads in a fakesink")
    ap.add_argument("--prop", action="append", default=[],
                    help="NAME=VALUE element property, set if it exists")
    args = ap.parse_args()
    Gst.init(None)
    sys.exit(Peer(args).run())


if __name__ == "__main__":
    main()
