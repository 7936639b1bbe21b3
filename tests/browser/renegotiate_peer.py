#!/usr/bin/python3
"""webrtcsink sending a live test pattern, whose audio input a test adds
and removes while PLAYING (test_renegotiate.mjs). Commands on stdin, one a
line: `add-audio`, `remove-audio`. Prints one JSON object a line (always
with "event"):

  ready                       the pipeline is PLAYING
  consumer-added / consumer-removed   session (, reason)
  message  name, text        every gws-* element message of webrtcsink
  added / removed  pad       the audio input was linked / released
  warning / error  message

  renegotiate_peer.py URI
"""

import json
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class Producer:
    def __init__(self, uri):
        self.pipeline = Gst.parse_launch(
            "videotestsrc is-live=true pattern=ball ! "
            "video/x-raw,width=320,height=240,framerate=30/1 ! "
            "webrtcsink name=sink ice-addresses=127.0.0.1 "
            "video-codecs=<VP8> uri=" + uri)
        self.sink = self.pipeline.get_by_name("sink")
        self.sink.connect("consumer-added", lambda _e, _p, sid, _w: emit(
            "consumer-added", session=sid))
        self.sink.connect("consumer-removed", lambda _e, _p, sid, why: emit(
            "consumer-removed", session=sid, reason=why))
        self.audio = None
        self.pad = None
        self.loop = GLib.MainLoop()
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def on_message(self, _bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            emit("error", message=err.message, debug=dbg)
            self.loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            emit("warning", message=msg.parse_warning()[0].message)
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.get_name().startswith("gws-"):
                emit("message", name=s.get_name(), text=s.to_string())
        elif (msg.type == Gst.MessageType.STATE_CHANGED
              and msg.src == self.pipeline
              and msg.parse_state_changed()[1] == Gst.State.PLAYING):
            emit("ready")

    def add_audio(self):
        if self.audio:
            return False
        self.audio = Gst.parse_bin_from_description(
            "audiotestsrc is-live=true wave=ticks ! "
            "audio/x-raw,rate=48000,channels=1 ! queue", True)
        self.pipeline.add(self.audio)
        self.pad = self.sink.request_pad_simple("audio_%u")
        self.audio.get_static_pad("src").link(self.pad)
        self.audio.sync_state_with_parent()
        emit("added", pad=self.pad.get_name())
        return False

    def remove_audio(self):
        if not self.audio:
            return False
        self.audio.set_state(Gst.State.NULL)
        self.audio.get_static_pad("src").unlink(self.pad)
        self.pipeline.remove(self.audio)
        name = self.pad.get_name()
        self.sink.release_request_pad(self.pad)
        self.audio = self.pad = None
        emit("removed", pad=name)
        return False

    def commands(self):
        for line in sys.stdin:
            fn = {"add-audio": self.add_audio,
                  "remove-audio": self.remove_audio}.get(line.strip())
            if fn:
                GLib.idle_add(fn)
        GLib.idle_add(self.loop.quit)

    def run(self):
        threading.Thread(target=self.commands, daemon=True).start()
        self.pipeline.set_state(Gst.State.PLAYING)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)


def main():
    Gst.init(None)
    Producer(sys.argv[1]).run()


if __name__ == "__main__":
    main()
