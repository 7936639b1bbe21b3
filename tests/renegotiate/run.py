#!/usr/bin/python3
"""Renegotiation inside a running session (issue 17): a stream added to or
removed from webrtcsink while PLAYING reaches a connected webrtcsrc in the
same session, the other streams untouched.

The relay is a real process; webrtcsink and webrtcsrc are real elements in
this process (two pipelines), over real sockets, inside a private network
namespace with only loopback: the script re-executes itself under
`unshare -n` (needs root; otherwise the test is skipped). Every wait is on
an event with a timeout; assertions are on what arrived (pads, buffers,
session ids, messages).

Usage: run.py CASE    (run.py --list)
Environment: GWS_RELAY (relay binary), GST_PLUGIN_PATH (the built plugin).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

PYTHON = "/usr/bin/python3"
WAIT = 30.0  # seconds for any single expected event (shared, slow machine)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
from casemain import Failure, check, main_exit_code  # noqa: E402,F401


class Events:
    """Events from any thread, kept in order; waits with a timeout."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def add(self, kind, **fields):
        fields["kind"] = kind
        fields["t"] = time.monotonic()
        with self.cond:
            self.items.append(fields)
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.items)

    def since(self, mark, kind=None):
        with self.cond:
            return [e for e in self.items[mark:]
                    if kind is None or e["kind"] == kind]

    def wait(self, what, pred, since=0, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            i = since
            while True:
                while i < len(self.items):
                    ev = self.items[i]
                    i += 1
                    if ev["kind"] == "error":
                        raise Failure("error while waiting for {}: {}".format(
                            what, ev))
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("no {} within {:.0f} s; last events: {}"
                                  .format(what, timeout,
                                          [e for e in self.items[-10:]]))
                self.cond.wait(left)


class World:
    def __init__(self, name):
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import GLib, Gst
        self.Gst, self.GLib = Gst, GLib
        Gst.init(None)
        self.logdir = tempfile.mkdtemp(prefix="gws-reneg-" + name + "-")
        self.ev = Events()
        self.counts = {}  # receiver pad name -> buffers
        self.lock = threading.Lock()
        self.relay = None
        self.loop = GLib.MainLoop()
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.thread.start()
        self.pipelines = []

    # relay ------------------------------------------------------------------
    def start_relay(self):
        relay = os.environ.get("GWS_RELAY", "gst-webrtc-relay")
        log = open(os.path.join(self.logdir, "relay.log"), "w")
        self.relay = subprocess.Popen(
            [relay, "--host", "127.0.0.1", "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + WAIT
        for line in self.relay.stdout:
            log.write(line)
            if "listening on ws://" in line:
                url = line.split("listening on ")[1].split()[0]
                self.port = int(url.rstrip("/").rsplit(":", 1)[1])
                break
            check(time.monotonic() < deadline, "relay did not start")
        else:
            raise Failure("relay exited before listening")
        threading.Thread(target=lambda: [log.write(x) for x in
                                         self.relay.stdout],
                         daemon=True).start()

    def uri(self, peer_id):
        return "ws://127.0.0.1:{}/?peer-id={}".format(self.port, peer_id)

    # pipelines ----------------------------------------------------------------
    def watch(self, pipeline, who):
        Gst = self.Gst
        bus = pipeline.get_bus()

        def on_message(_bus, msg):
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                self.ev.add("error", who=who, message=err.message, debug=dbg)
            elif msg.type == Gst.MessageType.WARNING:
                err, _ = msg.parse_warning()
                self.ev.add("warning", who=who, message=err.message)
            elif msg.type == Gst.MessageType.ELEMENT:
                s = msg.get_structure()
                if s is not None and s.get_name().startswith("gws-"):
                    self.ev.add("gws", who=who, name=s.get_name(),
                                text=s.to_string())
            return True
        bus.add_watch(self.GLib.PRIORITY_DEFAULT, on_message)
        self.pipelines.append(pipeline)

    def start_sender(self, channels=""):
        Gst = self.Gst
        desc = ("videotestsrc is-live=true pattern=ball ! "
                "video/x-raw,format=I420,width=320,height=240,"
                "framerate=30/1 ! webrtcsink name=snk uri={} "
                "ice-addresses=127.0.0.1{}").format(
                    self.uri("cam1"),
                    ' data-channels="<\\"{}\\">"'.format(channels)
                    if channels else "")
        self.sender = Gst.parse_launch(desc)
        self.sink = self.sender.get_by_name("snk")
        self.sink.connect("consumer-added", lambda _e, peer, sid, _w:
                          self.ev.add("consumer-added", session=sid))
        self.sink.connect("consumer-removed", lambda _e, peer, sid, why:
                          self.ev.add("consumer-removed", session=sid,
                                      reason=why))
        self.watch(self.sender, "sender")
        self.sender.set_state(Gst.State.PLAYING)

    def start_receiver(self, channels=""):
        Gst = self.Gst
        self.receiver = Gst.Pipeline.new("receiver")
        self.src = Gst.ElementFactory.make("webrtcsrc", "src")
        self.src.set_property("uri", self.uri("cam1"))
        self.src.set_property("ice-addresses", "127.0.0.1")
        if channels:
            Gst.util_set_object_arg(self.src, "data-channels",
                                    "<\"{}\">".format(channels))
        self.receiver.add(self.src)
        self.src.connect("pad-added", self.on_pad_added)
        self.src.connect("pad-removed", lambda _e, pad: self.ev.add(
            "pad-removed", name=pad.get_name()))
        self.src.connect("no-more-pads", lambda _e: self.ev.add(
            "no-more-pads"))
        self.src.connect("data-received", lambda _e, sid, label, data,
                         text: self.ev.add("data", session=sid, label=label,
                                           body=bytes(data.get_data()
                                                      or b"")))
        self.watch(self.receiver, "receiver")
        self.receiver.set_state(Gst.State.PLAYING)

    class Receiver:
        """Another webrtcsrc pipeline; its events name pads "TAG/pad"."""

        def __init__(self, w, tag):
            Gst = w.Gst
            self.pipeline = Gst.Pipeline.new(tag)
            src = Gst.ElementFactory.make("webrtcsrc", tag)
            src.set_property("uri", w.uri("cam1"))
            src.set_property("ice-addresses", "127.0.0.1")
            self.pipeline.add(src)
            src.connect("pad-added", lambda e, pad: w.on_pad_added(
                e, pad, self.pipeline, tag + "/"))
            src.connect("pad-removed", lambda _e, pad: w.ev.add(
                "pad-removed", name=tag + "/" + pad.get_name()))
            w.watch(self.pipeline, tag)
            self.pipeline.set_state(Gst.State.PLAYING)

    def on_pad_added(self, _src, pad, pipeline=None, prefix=""):
        Gst = self.Gst
        name = prefix + pad.get_name()
        pipeline = pipeline or self.receiver
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        pipeline.add(sink)
        sink.sync_state_with_parent()

        def probe(_pad, info):
            if info.type & Gst.PadProbeType.BUFFER:
                with self.lock:
                    self.counts[name] = self.counts.get(name, 0) + 1
                    n = self.counts[name]
                if n % 5 == 0:
                    self.ev.add("buffers", name=name, count=n)
            else:
                e = info.get_event()
                if e.type == Gst.EventType.EOS:
                    self.ev.add("eos", name=name)
            return Gst.PadProbeReturn.OK
        sinkpad = sink.get_static_pad("sink")
        sinkpad.add_probe(Gst.PadProbeType.BUFFER
                          | Gst.PadProbeType.EVENT_DOWNSTREAM, probe)
        pad.link(sinkpad)
        self.ev.add("pad-added", name=name)

    def count(self, name):
        with self.lock:
            return self.counts.get(name, 0)

    def wait_buffers(self, name, more_than, what=None):
        self.ev.wait(what or "{} buffers on {}".format(more_than + 1, name),
                     lambda e: e["kind"] == "buffers" and e["name"] == name
                     and e["count"] > more_than)

    # the audio input added and removed while PLAYING ------------------------
    def add_audio(self):
        Gst = self.Gst
        self.audio_bin = Gst.parse_bin_from_description(
            "audiotestsrc is-live=true wave=sine ! "
            "audio/x-raw,rate=48000,channels=1 ! queue", True)
        self.sender.add(self.audio_bin)
        self.audio_pad = self.sink.request_pad_simple("audio_%u")
        check(self.audio_pad is not None, "webrtcsink gave no audio pad")
        check(self.audio_bin.get_static_pad("src").link(self.audio_pad)
              == Gst.PadLinkReturn.OK, "could not link the audio input")
        self.audio_bin.sync_state_with_parent()

    def remove_audio(self):
        Gst = self.Gst
        self.audio_bin.set_state(Gst.State.NULL)
        self.audio_bin.get_static_pad("src").unlink(self.audio_pad)
        self.sender.remove(self.audio_bin)
        self.sink.release_request_pad(self.audio_pad)

    def sessions(self):
        return list(self.sink.emit("get-sessions") or [])

    def close(self, ok):
        for p in self.pipelines:
            p.set_state(self.Gst.State.NULL)
        self.loop.quit()
        if self.relay:
            self.relay.terminate()
            self.relay.wait()
        if ok:
            shutil.rmtree(self.logdir, ignore_errors=True)
        else:
            print("logs kept in", self.logdir)


def first_session(w, channels=""):
    """Relay, a video-only webrtcsink, a webrtcsrc playing its video."""
    w.start_relay()
    w.start_sender(channels)
    w.start_receiver(channels)
    added = w.ev.wait("consumer-added", lambda e: e["kind"] ==
                      "consumer-added")
    w.ev.wait("video pad", lambda e: e["kind"] == "pad-added"
              and e["name"] == "video_0")
    w.ev.wait("no-more-pads", lambda e: e["kind"] == "no-more-pads")
    w.wait_buffers("video_0", 10)
    return added["session"]


def add_audio_checked(w, sid):
    """Adds the audio input; checks it arrives in the same session with the
    video going on. Returns the event mark taken before the change."""
    mark = w.ev.mark()
    video_before = w.count("video_0")
    w.add_audio()
    pad = w.ev.wait("audio pad on webrtcsrc", lambda e: e["kind"] ==
                    "pad-added" and e["name"].startswith("audio"), mark)
    w.wait_buffers(pad["name"], 10)
    w.ev.wait("no-more-pads after the new pad", lambda e: e["kind"] ==
              "no-more-pads", mark)
    w.wait_buffers("video_0", w.count("video_0") + 10,
                   "video still flowing after the audio was added")
    check(w.count("video_0") > video_before, "video stopped")
    check(w.sessions() == [sid], "sessions are now {}, not [{}]".format(
        w.sessions(), sid))
    check(not w.ev.since(mark, "consumer-added")
          and not w.ev.since(mark, "consumer-removed"),
          "the consumer changed: {}".format(
              w.ev.since(mark, "consumer-added")
              + w.ev.since(mark, "consumer-removed")))
    check(not w.ev.since(mark, "pad-removed"), "a pad was removed: {}"
          .format(w.ev.since(mark, "pad-removed")))
    restarts = [e for e in w.ev.since(mark, "gws")
                if "restart" in e["name"]]
    check(not restarts, "the session restarted: {}".format(restarts))
    return pad["name"]


def case_add_remove(w):
    sid = first_session(w)
    audio = add_audio_checked(w, sid)
    mark = w.ev.mark()
    w.remove_audio()
    w.ev.wait("pad-removed " + audio, lambda e: e["kind"] == "pad-removed"
              and e["name"] == audio, mark)
    w.wait_buffers("video_0", w.count("video_0") + 10,
                   "video still flowing after the audio was removed")
    check(w.sessions() == [sid], "session changed")
    check(not w.ev.since(mark, "consumer-removed"), "the consumer left")
    gone = [e["name"] for e in w.ev.since(mark, "pad-removed")]
    check(gone == [audio], "pads removed: {}".format(gone))
    # Added again: a new m-line (webrtcbin 1.22 cannot reactivate the old).
    add_audio_checked(w, sid)


def restart_by(w, who, sid, pads):
    """restart-session on @who (w.sink or w.src); the session goes on with
    @pads flowing on the receiver, none removed."""
    mark = w.ev.mark()
    element = w.sink if who == "sender" else w.src
    # An attempt starts at most once a second after the previous one (the
    # other side's restart counts): ask again until one starts.
    for attempt in range(10):
        check(element.emit("restart-session", None),
              "{}: restart-session refused".format(who))
        try:
            w.ev.wait("gws-restart-started at the " + who,
                      lambda e: e["kind"] == "gws"
                      and e["name"] == "gws-restart-started"
                      and e["who"] == who and "requested" in e["text"],
                      mark, timeout=2.0)
            break
        except Failure:
            if attempt == 9:
                raise
    # Both sides switched to the new connection.
    for side in ("sender", "receiver"):
        w.ev.wait("gws-session-restarted at the " + side,
                  lambda e, s=side: e["kind"] == "gws"
                  and e["name"] == "gws-session-restarted"
                  and e["who"] == s, mark)
    for pad in pads:
        w.wait_buffers(pad, w.count(pad) + 10,
                       "{} after the {}'s restart".format(pad, who))
    check(w.sessions() == [sid], "session changed")
    check(not w.ev.since(mark, "pad-removed"), "a pad was removed")
    check(not w.ev.since(mark, "consumer-removed"), "the consumer left")


def case_restart_after(w):
    """restart-session after a renegotiation, by either side: the new
    connection carries both streams, in the same session; then the audio
    removed and a restart again: the video alone."""
    sid = first_session(w)
    audio = add_audio_checked(w, sid)
    restart_by(w, "sender", sid, ["video_0", audio])
    restart_by(w, "receiver", sid, ["video_0", audio])
    mark = w.ev.mark()
    w.remove_audio()
    w.ev.wait("pad-removed " + audio, lambda e: e["kind"] == "pad-removed"
              and e["name"] == audio, mark)
    restart_by(w, "receiver", sid, ["video_0"])


def case_two_consumers(w):
    """Every consumer of the running sessions gets the change: two
    webrtcsrc, one audio input added then removed."""
    w.start_relay()
    w.start_sender()
    w.start_receiver()
    second = World.Receiver(w, "second")
    for name in ("video_0", "second/video_0"):
        w.ev.wait(name, lambda e, n=name: e["kind"] == "pad-added"
                  and e["name"] == n)
        w.wait_buffers(name, 10)
    sids = w.sessions()
    check(len(sids) == 2, "two sessions: {}".format(sids))
    mark = w.ev.mark()
    w.add_audio()
    for name in ("audio_0", "second/audio_0"):
        w.ev.wait(name, lambda e, n=name: e["kind"] == "pad-added"
                  and e["name"] == n, mark)
        w.wait_buffers(name, 10)
    for name in ("video_0", "second/video_0"):
        w.wait_buffers(name, w.count(name) + 10, name + " going on")
    mark = w.ev.mark()
    w.remove_audio()
    for name in ("audio_0", "second/audio_0"):
        w.ev.wait("pad-removed " + name, lambda e, n=name: e["kind"] ==
                  "pad-removed" and e["name"] == n, mark)
    for name in ("video_0", "second/video_0"):
        w.wait_buffers(name, w.count(name) + 10, name + " going on")
    check(sorted(w.sessions()) == sorted(sids), "sessions changed")
    check(not w.ev.since(0, "consumer-removed"), "a consumer left")
    del second


def case_data_after(w):
    """Data channels opened with the first offer keep working across a
    renegotiation, both ways."""
    sid = first_session(w, channels="chat")
    add_audio_checked(w, sid)
    mark = w.ev.mark()
    w.sink.emit("send-data-string", None, "chat", "after renegotiation")
    w.ev.wait("sink -> src message", lambda e: e["kind"] == "data"
              and e["body"] == b"after renegotiation", mark)
    got = []
    w.sink.connect("data-received", lambda _e, s, label, data, text:
                   got.append(bytes(data.get_data() or b"")) or
                   w.ev.add("sink-data", body=got[-1]))
    w.src.emit("send-data-string", None, "chat", "back")
    w.ev.wait("src -> sink message", lambda e: e["kind"] == "sink-data"
              and e["body"] == b"back", mark)


TESTS = {
    "add-remove": case_add_remove,
    "two-consumers": case_two_consumers,
    "restart-after": case_restart_after,
    "data-after": case_data_after,
}


def main():
    return main_exit_code(TESTS, World, "GWS_RENEG_NETNS", what="CASE")

if __name__ == "__main__":
    sys.exit(main())
