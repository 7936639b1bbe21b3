#!/usr/bin/python3
"""A consumer that offers first (as a WHEP client would), for the end-to-end
tests: it speaks the relay protocol itself (python3-websockets) and puts its
own offer in startSession, with payload types webrtcsink does not use
(VP8 as 120, H264 as 102). webrtcsink must answer, and rewrite its shared
payloader's payload type for this consumer only.

Loss recovery (issue 11): with --rtx the offer asks for NACK + RTX as
browsers do (webrtcbin's do-nack: `a=rtpmap:N rtx/90000`, `apt=120`); with
--bad-apt it also carries rtx payloads whose apt= names no payload and one
rtx payload with no fmtp at all, which must not break the session.

Reports JSON lines like peer.py: caps, frames, error.
Usage: offerer.py WS_URL PRODUCER_ID [--rtx | --bad-apt]
"""

import asyncio
import json
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

OFFER_CAPS = ("application/x-rtp,media=video,encoding-name=VP8,"
              "clock-rate=90000,payload=120;"
              "application/x-rtp,media=video,encoding-name=H264,"
              "clock-rate=90000,payload=102,packetization-mode=(string)1,"
              "profile-level-id=(string)42e01f")


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def break_apt(sdp):
    """Adds to the video m-line an rtx payload whose apt names no payload
    (99), one whose apt is not a number, and one with no fmtp."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    out = []
    for line in lines:
        if line.startswith("m=video"):
            line += " 110 111 112"
        out.append(line)
        if line.startswith("a=rtpmap:120 "):
            out += ["a=rtpmap:110 rtx/90000", "a=fmtp:110 apt=99",
                    "a=rtpmap:111 rtx/90000", "a=fmtp:111 apt=x",
                    "a=rtpmap:112 rtx/90000"]
    return "\r\n".join(out)


class Offerer:
    def __init__(self, url, producer, mode=None):
        self.url = url
        self.producer = producer
        self.mode = mode
        self.loop = GLib.MainLoop()
        self.aloop = asyncio.new_event_loop()
        self.ws = None
        self.session = None
        self.pending_ice = []
        self.frames = 0
        self.keep = []
        self.pipe = Gst.Pipeline.new("offerer")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        self.webrtc.set_property("bundle-policy", 3)  # max-bundle
        ice = self.webrtc.get_property("ice-agent")
        agent = ice.get_property("agent")
        self.keep += [ice, agent]  # hold them while webrtcbin uses them
        addr = Nice.Address()
        addr.set_from_string("127.0.0.1")
        agent.add_local_address(addr)
        self.pipe.add(self.webrtc)
        self.webrtc.connect("on-ice-candidate", self.on_local_candidate)
        self.webrtc.connect("pad-added", self.on_pad_added)
        trans = self.webrtc.emit(
            "add-transceiver",
            GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
            Gst.Caps.from_string(OFFER_CAPS))
        if mode in ("--rtx", "--bad-apt"):
            trans.set_property("do-nack", True)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)

    # GStreamer side (GLib main loop) -------------------------------------
    def on_error(self, _bus, msg):
        err, _ = msg.parse_error()
        emit("error", message=err.message)
        self.loop.quit()

    def on_pad_added(self, _webrtc, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        dec = Gst.ElementFactory.make("decodebin")
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("signal-handoffs", True)
        sink.set_property("sync", False)
        sink.connect("handoff", self.on_buffer)
        self.pipe.add(dec)
        self.pipe.add(sink)
        dec.connect("pad-added",
                    lambda _d, p: p.link(sink.get_static_pad("sink")))
        dec.sync_state_with_parent()
        sink.sync_state_with_parent()
        pad.link(dec.get_static_pad("sink"))

    def on_buffer(self, _sink, _buf, pad):
        self.frames += 1
        if self.frames == 1:
            s = pad.get_current_caps().get_structure(0)
            emit("caps", kind="video", name=s.get_name(),
                 width=s.get_int("width")[1], height=s.get_int("height")[1])
        if self.frames % 10 == 0:
            emit("frames", kind="video", count=self.frames)

    def on_offer(self, promise):
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        if self.mode == "--bad-apt":
            _res, sdp = GstSdp.SDPMessage.new_from_text(
                break_apt(offer.sdp.as_text()))
            offer = GstWebRTC.WebRTCSessionDescription.new(
                GstWebRTC.WebRTCSDPType.OFFER, sdp)
        emit("offer", sdp=offer.sdp.as_text())
        self.webrtc.emit("set-local-description", offer, None)
        self.send({"type": "startSession", "peerId": self.producer,
                   "offer": offer.sdp.as_text()})

    def on_local_candidate(self, _webrtc, mline, candidate):
        ice = {"candidate": candidate, "sdpMLineIndex": mline}
        if self.session:
            self.send({"type": "peer", "sessionId": self.session, "ice": ice})
        else:
            self.pending_ice.append(ice)

    def on_relay_message(self, msg):
        kind = msg.get("type")
        if kind == "welcome":
            self.webrtc.emit("create-offer", None,
                             Gst.Promise.new_with_change_func(self.on_offer))
        elif kind == "sessionStarted":
            self.session = msg["sessionId"]
            for ice in self.pending_ice:
                self.send({"type": "peer", "sessionId": self.session,
                           "ice": ice})
            self.pending_ice = []
        elif kind == "peer" and "sdp" in msg:
            emit("answer", sdp=msg["sdp"]["sdp"])
            _res, sdp = GstSdp.SDPMessage.new_from_text(msg["sdp"]["sdp"])
            answer = GstWebRTC.WebRTCSessionDescription.new(
                GstWebRTC.WebRTCSDPType.ANSWER, sdp)
            self.webrtc.emit("set-remote-description", answer, None)
        elif kind == "peer" and "ice" in msg:
            ice = msg["ice"]
            self.webrtc.emit("add-ice-candidate", ice["sdpMLineIndex"],
                             ice["candidate"])
        elif kind in ("endSession", "endSessionV1_1"):
            emit("error", message="session ended by the producer")
            self.loop.quit()
        elif kind == "error":
            emit("error", message=msg.get("details", ""))
            self.loop.quit()
        return False

    # WebSocket side (asyncio thread) -------------------------------------
    def send(self, msg):
        asyncio.run_coroutine_threadsafe(self.ws.send(json.dumps(msg)),
                                         self.aloop)

    async def relay(self):
        import websockets
        async with websockets.connect(self.url) as ws:
            self.ws = ws
            async for raw in ws:
                GLib.idle_add(self.on_relay_message, json.loads(raw))

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        threading.Thread(target=self.aloop.run_until_complete,
                         args=(self.relay(),), daemon=True).start()
        threading.Thread(target=self.read_stdin, daemon=True).start()
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)

    def read_stdin(self):
        for line in sys.stdin:
            if line.strip() == "quit":
                break
        GLib.idle_add(self.loop.quit)


def main():
    Gst.init(None)
    Offerer(sys.argv[1], sys.argv[2],
            sys.argv[3] if len(sys.argv) > 3 else None).run()


if __name__ == "__main__":
    main()
