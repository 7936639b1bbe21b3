#!/usr/bin/python3
"""Glass-to-glass peers. A sender makes 30 fps I420 frames in Python (a
scrolling gradient) and stamps each with its CLOCK_MONOTONIC capture time
(microseconds, 32 bits + an 8-bit checksum) as 40 black/white blocks across
the top of the picture, just before pushing it into appsrc. A receiver
decodes the video, and in the handoff of a `fakesink sync=true` (the moment
the frame is rendered) reads the blocks back and subtracts the stamp from
its own CLOCK_MONOTONIC time.

Roles:
  send-ours URI CODEC W H      appsrc ! webrtcsink
  recv-ours URI CODEC SECONDS  webrtcsrc ! video/x-raw ! ... ! fakesink
  send-raw CODEC W H           appsrc ! encoder ! payloader ! webrtcbin
  recv-raw CODEC SECONDS       webrtcbin ! depayloader ! decoder ! fakesink
The raw peers (the baseline) exchange SDP and candidates as JSON lines on
stdin/stdout, forwarded by the parent (latency.py): no signalling server.
Encoder settings are webrtcsink's; both receivers use latency 50 ms
(webrtcsrc's default). A receiver prints {"samples": [ms...], "bad": n}
after SECONDS of frames (the first SKIP seconds are not counted) and
exits.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "ttff"))
import common  # noqa: E402

Gst = common.gst()
from gi.repository import GLib, GstSdp, GstWebRTC  # noqa: E402

BITS = 40
LATENCY = 50
SKIP = 3.0  # seconds of frames not counted: start-up transients (a raw
# sender has no key frame on connect, so its first seconds drain a backlog)


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# sender ------------------------------------------------------------------

class Stamper:
    def __init__(self, appsrc, w, h):
        self.appsrc, self.w, self.h = appsrc, w, h
        self.b = w // 20  # block size: 20 blocks per row, 2 rows
        self.grad = bytes(28 + ((x // 4) * 6) % 200 for x in range(w + 512))
        self.chroma = bytes([128]) * (w * h // 2)
        self.n = 0

    def frame(self):
        stamp = (time.monotonic_ns() // 1000) & 0xFFFFFFFF
        check = sum(stamp.to_bytes(4, "little")) & 0xFF
        value = stamp | (check << 32)
        rows = []
        for r in range(2):
            row = b"".join((b"\xeb" if (value >> (r * 20 + c)) & 1 else
                            b"\x10") * self.b for c in range(20))
            rows.append(row * self.b)
        s = (self.n * 8) % 512
        self.n += 1
        body = self.grad[s:s + self.w] * (self.h - 2 * self.b)
        return Gst.Buffer.new_wrapped(rows[0] + rows[1] + body +
                                      self.chroma)

    def run(self):
        period = 1 / 30
        nxt = time.monotonic()
        while True:
            nxt += period
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self.appsrc.emit("push-buffer", self.frame()) != \
                    Gst.FlowReturn.OK:
                return


def appsrc_desc(w, h):
    return ("appsrc name=cam is-live=true format=time do-timestamp=true "
            f"caps=video/x-raw,format=I420,width={w},height={h},"
            "framerate=30/1 ! queue leaky=downstream max-size-buffers=0 "
            "max-size-bytes=0 max-size-time=200000000")


# receiver ----------------------------------------------------------------

class Reader:
    def __init__(self, seconds, loop):
        self.seconds, self.loop = seconds, loop
        self.first = None
        self.samples, self.bad = [], 0

    def on_frame(self, sink, buf, pad):
        now = time.monotonic_ns() // 1000
        if self.first is None:
            self.first = now
        elapsed = (now - self.first) / 1e6
        if elapsed < SKIP:
            return
        s = pad.get_current_caps().get_structure(0)
        w = s.get_int("width")[1]
        b = w // 20
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            return
        data = info.data
        value = 0
        for r in range(2):
            y = r * b + b // 2
            for c in range(20):
                x = c * b + b // 2
                v = data[y * w + x] + data[y * w + x + 1]
                if v > 2 * 126:
                    value |= 1 << (r * 20 + c)
        buf.unmap(info)
        stamp, check = value & 0xFFFFFFFF, value >> 32
        if check != sum(stamp.to_bytes(4, "little")) & 0xFF:
            self.bad += 1
        else:
            lat = ((now & 0xFFFFFFFF) - stamp) & 0xFFFFFFFF
            if lat < 10_000_000:
                self.samples.append(round(lat / 1000, 2))
            else:
                self.bad += 1
        if elapsed >= SKIP + self.seconds:
            GLib.idle_add(self.loop.quit)

    def sink_bin(self, decoder=None):
        desc = (f"queue ! {decoder} ! " if decoder else "") + (
            "videoconvert ! video/x-raw,format=I420 ! "
            "fakesink name=sink sync=true signal-handoffs=true")
        return desc


def decoder_desc(codec):
    """What webrtcsrc does for a decoded output: depayloader ! decodebin."""
    depay = "rtpvp8depay" if codec == "VP8" else "rtph264depay"
    return f"queue ! {depay} request-keyframe=true"


# signalling over stdin/stdout for the raw peers ----------------------------

def pipe_signalling(webrtc, answerer):
    pending = []

    def send_desc(kind, desc):
        out({"sdp": kind, "text": desc.sdp.as_text()})

    def on_created(promise, kind):
        reply = promise.get_reply()
        desc = reply.get_value(kind)
        webrtc.emit("set-local-description", desc, Gst.Promise.new())
        send_desc(kind, desc)

    def handle(msg):
        if "sdp" in msg:
            _res, sdp = GstSdp.SDPMessage.new_from_text(msg["text"])
            t = (GstWebRTC.WebRTCSDPType.OFFER if msg["sdp"] == "offer"
                 else GstWebRTC.WebRTCSDPType.ANSWER)
            desc = GstWebRTC.WebRTCSessionDescription.new(t, sdp)
            webrtc.emit("set-remote-description", desc, Gst.Promise.new())
            if answerer:
                webrtc.emit("create-answer", None,
                            Gst.Promise.new_with_change_func(on_created,
                                                             "answer"))
            for c in pending:
                webrtc.emit("add-ice-candidate", c["ice"], c["cand"])
            pending.clear()
            pending.append(None)  # marks: description set
        elif "ice" in msg:
            if pending and pending[0] is None:
                webrtc.emit("add-ice-candidate", msg["ice"], msg["cand"])
            else:
                pending.append(msg)
        return False

    def read():
        for line in sys.stdin:
            if line.strip():
                GLib.idle_add(handle, json.loads(line))
        os._exit(0)

    webrtc.connect("on-ice-candidate",
                   lambda _w, i, c: out({"ice": i, "cand": c}))
    if not answerer:
        webrtc.connect(
            "on-negotiation-needed",
            lambda w: w.emit("create-offer", None,
                             Gst.Promise.new_with_change_func(on_created,
                                                              "offer")))
    threading.Thread(target=read, daemon=True).start()


# main ----------------------------------------------------------------------

def main():
    role = sys.argv[1]
    loop = GLib.MainLoop()
    if role == "send-ours":
        uri, codec, w, h = sys.argv[2], sys.argv[3], int(sys.argv[4]), \
            int(sys.argv[5])
        pipe = Gst.parse_launch(
            f"{appsrc_desc(w, h)} ! webrtcsink name=ws uri={uri} "
            f"ice-addresses=127.0.0.1 video-codecs=<{codec}>")
    elif role == "send-raw":
        codec, w, h = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        pipe = Gst.parse_launch(f"{appsrc_desc(w, h)} ! "
                                f"{common.encoder_desc(codec)} ! "
                                "queue name=last leaky=downstream "
                                "max-size-buffers=0 max-size-bytes=0 "
                                "max-size-time=500000000")
        snd = common.raw_webrtcbin(Gst, "snd")
        pipe.add(snd)
        pipe.get_by_name("last").link(snd)
        pipe_signalling(snd, answerer=False)
    elif role == "recv-ours":
        uri, codec, seconds = sys.argv[2], sys.argv[3], float(sys.argv[4])
        reader = Reader(seconds, loop)
        pipe = Gst.parse_launch(
            f"webrtcsrc uri={uri} ice-addresses=127.0.0.1 "
            f"video-codecs=<{codec}> latency={LATENCY} ! video/x-raw ! " +
            reader.sink_bin())
        pipe.get_by_name("sink").connect("handoff", reader.on_frame)
    else:  # recv-raw
        codec, seconds = sys.argv[2], float(sys.argv[3])
        reader = Reader(seconds, loop)
        pipe = Gst.Pipeline.new("recv")
        rcv = common.raw_webrtcbin(Gst, "rcv", LATENCY)
        pipe.add(rcv)

        def on_pad(_w, pad):
            if pad.direction != Gst.PadDirection.SRC:
                return
            # as webrtcsrc does: depayloader ! decodebin, then the sink
            depay = Gst.parse_bin_from_description(decoder_desc(codec),
                                                   True)
            dec = Gst.ElementFactory.make("decodebin")
            tail = Gst.parse_bin_from_description(reader.sink_bin(), True)
            tail.get_by_name("sink").connect("handoff", reader.on_frame)
            dec.connect("pad-added",
                        lambda _d, p: p.link(tail.get_static_pad("sink")))
            for e in (tail, dec, depay):
                pipe.add(e)
                e.sync_state_with_parent()
            depay.link(dec)
            pad.link(depay.get_static_pad("sink"))

        rcv.connect("pad-added", on_pad)
        pipe_signalling(rcv, answerer=True)

    def on_msg(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            print("error:", msg.parse_error()[0].message, file=sys.stderr)
            loop.quit()

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_msg)
    pipe.set_state(Gst.State.PLAYING)
    if role.startswith("send"):
        cam = pipe.get_by_name("cam")
        threading.Thread(target=Stamper(cam, w, h).run, daemon=True).start()
    else:
        GLib.timeout_add(int((seconds + 30) * 1000), loop.quit)
    loop.run()
    if role.startswith("recv"):
        out({"samples": reader.samples, "bad": reader.bad})
    pipe.set_state(Gst.State.NULL)


main()
