#!/usr/bin/python3
"""A producer whose pre-encoded H264 changes size mid-stream: publishes
320x240 through webrtcsink and, on the stdin line "switch", makes its
source 640x480 (the encoder starts a new stream with a new SPS). Prints
"ready" when playing and "switched" after the change.
Usage: caps_change_producer.py WS_URI
"""

import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main(uri):
    Gst.init(None)
    pipe = Gst.parse_launch(
        "videotestsrc is-live=true ! capsfilter name=size "
        "caps=video/x-raw,width=320,height=240,framerate=30/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! "
        "video/x-h264,profile=constrained-baseline ! "
        "webrtcsink uri={} ice-addresses=127.0.0.1".format(uri))
    loop = GLib.MainLoop()

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            print("error", msg.parse_error()[0].message, flush=True)
            loop.quit()

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def switch():
        pipe.get_by_name("size").set_property("caps", Gst.Caps.from_string(
            "video/x-raw,width=640,height=480,framerate=30/1"))
        print("switched", flush=True)
        return False

    def read_stdin():
        for line in sys.stdin:
            if line.strip() == "switch":
                GLib.idle_add(switch)
        GLib.idle_add(loop.quit)

    threading.Thread(target=read_stdin, daemon=True).start()
    pipe.set_state(Gst.State.PLAYING)
    print("ready", flush=True)
    loop.run()
    pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main(sys.argv[1])
