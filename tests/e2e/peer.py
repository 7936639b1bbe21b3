#!/usr/bin/python3
"""One end-to-end test peer: a webrtcsink (producer) or webrtcsrc (consumer)
pipeline in its own process, reporting what happens as JSON lines on stdout.

The test driver (run.py) starts these, reads the events and waits on them.
Commands arrive on stdin, one per line: "stats" (producer: print the sink's
statistics), "keyframe" (consumer: ask upstream for a key frame, which
webrtcbin turns into an RTCP PLI), "dtls" (the DTLS certificates of the
first inner webrtcbin), "quit".

Events (one JSON object per line, always with "event"):
  ready                      pipeline is PLAYING
  signalling  connected      the signaller's connection went up or down
  consumer-added / consumer-removed  peer, session (producer)
  stats       consumers, encoders (the sink's count), encoder_elements
              (encoder elements inside the sink bin), branches (stream,
              codec, encoder, consumers, ...), sessions (producer)
  pad         name (consumer: webrtcsrc added a pad)
  no-more-pads  (consumer: every accepted stream has its pad)
  caps        kind, pad, name, width/height or rate/channels (consumer,
              first buffer of each stream)
  frames      kind, pad, count (consumer, every 10 buffers of a pad)
  dtls        local_sdp, local_cert, remote_sdp, remote_cert: SHA-256
              fingerprints ("AB:CD:...") of the a=fingerprint lines of the
              local and remote descriptions and of the certificates the
              DTLS transport used and received
  warning / error  message
  eos
  channel     label, open, connection, session (a data channel opened or
              closed: the gws-data-channel element message)
  data        label, text (bool), size, sha256, body (text messages of at
              most 200 bytes), session (data-received)
  upstream-event  type (navigation or custom), structure (producer with
              --nav-probe: an upstream event reached the video source)

Data commands: "send-text LABEL TEXT", "send-bytes LABEL SIZE" (SIZE bytes
of a fixed pattern), "navigate" (consumer: a mouse move to 12,34 and a key
press "a" from the video sink, upstream into webrtcsrc).
"""

import argparse
import base64
import hashlib
import json
import re
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstVideo, GstWebRTC  # noqa: E402,F401

ENCODERS = {"vp8enc", "vp9enc", "x264enc", "openh264enc", "opusenc"}
_out_lock = threading.Lock()


def emit(event, **fields):
    fields["event"] = event
    with _out_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def substructures(text, name):
    """The structures named `name` inside a list field of a serialized
    structure, as dicts (GI cannot read GstValueList fields directly)."""
    out = []
    for m in re.finditer(r'"({}\\,(?:[^"\\]|\\.)*)"'.format(name), text):
        raw = re.sub(r"\\(.)", r"\1", m.group(1))
        s = Gst.Structure.from_string(raw)[0]
        out.append({s.nth_field_name(i): s.get_value(s.nth_field_name(i))
                    for i in range(s.n_fields())})
    return out


def cert_fingerprint(pem):
    """SHA-256 of the first certificate in a PEM text, "AB:CD:..."."""
    if not pem:
        return None
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                  pem, re.S)
    if not m:
        return None
    der = base64.b64decode("".join(m.group(1).split()))
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def sdp_fingerprint(desc):
    """The a=fingerprint values (upper case, without the hash name) of a
    GstWebRTCSessionDescription, as a sorted list of distinct values."""
    if desc is None:
        return []
    text = desc.sdp.as_text()
    return sorted({v.upper() for v in re.findall(
        r"a=fingerprint:sha-256 ([0-9A-Fa-f:]+)", text)})


def producer_pipeline(args):
    parts = [
        "webrtcsink name=ws uri={} ice-addresses=127.0.0.1".format(args.uri)
    ]
    if args.data_channels:
        parts[0] += ' data-channels="{}"'.format(
            args.data_channels.replace('"', '\\"'))
    if args.video_codecs:
        parts[0] += ' video-codecs="<{}>"'.format(args.video_codecs)
    caps = "video/x-raw,width=320,height=240,framerate=30/1"
    if args.video == "raw":
        parts.append(
            "videotestsrc name=vsrc is-live=true pattern=ball ! {} ! "
            "ws.video_0".format(caps))
    elif args.video == "raw2":  # two video streams: 320x240 and 160x120
        parts.append(
            "videotestsrc is-live=true pattern=ball ! {} ! ws.video_0 "
            "videotestsrc is-live=true pattern=snow ! "
            "video/x-raw,width=160,height=120,framerate=30/1 ! "
            "ws.video_1".format(caps))
    elif args.video == "h264":
        parts.append(
            "videotestsrc is-live=true pattern=ball ! {} ! "
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
            "video/x-h264,profile=constrained-baseline ! ws.video_0".format(
                caps))
    if args.audio:
        parts.append("audiotestsrc is-live=true wave=sine ! "
                     "audio/x-raw,rate=48000,channels=2 ! ws.audio_0")
    return " ".join(parts)


def consumer_pipeline(args):
    desc = "webrtcsrc name=src uri={} ice-addresses=127.0.0.1".format(
        args.uri)
    if args.video_codecs:
        desc += ' video-codecs="<{}>"'.format(args.video_codecs)
    if args.latency is not None:
        desc += " latency={}".format(args.latency)
    if args.wait_timeout is not None:
        desc += " wait-timeout={}".format(args.wait_timeout)
    if args.data_channels:
        desc += ' data-channels="{}"'.format(
            args.data_channels.replace('"', '\\"'))
    return desc


def pattern(size):
    return bytes((i * 7 + 3) % 251 for i in range(size))


class Peer:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        if args.role == "producer":
            desc = producer_pipeline(args)
        else:
            desc = consumer_pipeline(args)
        parsed = Gst.parse_launch(desc)
        if isinstance(parsed, Gst.Pipeline):
            self.pipeline = parsed
        else:  # a single element comes back bare
            self.pipeline = Gst.Pipeline.new("consumer")
            self.pipeline.add(parsed)
        self.element = self.pipeline.get_by_name(
            "ws" if args.role == "producer" else "src")
        if args.certificate:
            with open(args.certificate) as f:
                self.element.set_property("certificate", f.read())
        self.counts = {}
        self.video_sinks = []
        self.exit_code = 0
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        self.element.connect("data-received", self.on_data)
        if args.nav_probe:
            vsrc = self.pipeline.get_by_name("vsrc")
            vsrc.get_static_pad("src").add_probe(
                Gst.PadProbeType.EVENT_UPSTREAM, self.on_upstream_event)
        signaller = self.element.get_property("signaller")
        signaller.connect(
            "connection-changed",
            lambda _s, up: emit("signalling", connected=bool(up)))
        if args.role == "producer":
            self.element.connect(
                "consumer-added",
                lambda _e, peer, sid, _webrtcbin: emit(
                    "consumer-added", peer=peer, session=sid))
            self.element.connect(
                "consumer-removed",
                lambda _e, peer, sid, why: emit("consumer-removed", peer=peer,
                                                session=sid, reason=why))
        else:
            self.element.connect("pad-added", self.on_pad_added)
            self.element.connect("no-more-pads",
                                 lambda _e: emit("no-more-pads"))

    # consumer side -------------------------------------------------------
    def on_pad_added(self, _src, pad):
        kind = "video" if pad.get_name().startswith("video") else "audio"
        emit("pad", name=pad.get_name())
        if kind not in self.args.link.split(","):
            return  # left unlinked on purpose
        elements = []
        if self.args.encoded and kind == "video":
            caps = Gst.Caps.from_string(self.args.encoded)
            filt = Gst.ElementFactory.make("capsfilter")
            filt.set_property("caps", caps)
            elements.append(filt)
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", self.on_buffer, kind, pad.get_name())
        if kind == "video":
            self.video_sinks.append(sink)
        elements.append(sink)
        for e in elements:
            self.pipeline.add(e)
            e.sync_state_with_parent()
        for a, b in zip(elements, elements[1:]):
            a.link(b)
        pad.link(elements[0].get_static_pad("sink"))

    def on_buffer(self, _sink, _buf, pad, kind, src_pad):
        n = self.counts.get(src_pad, 0) + 1
        self.counts[src_pad] = n
        if n == 1:
            s = pad.get_current_caps().get_structure(0)
            info = {"kind": kind, "pad": src_pad, "name": s.get_name()}
            for field in ("width", "height", "rate", "channels"):
                ok, value = s.get_int(field)
                if ok:
                    info[field] = value
            emit("caps", **info)
        if n % 10 == 0:
            emit("frames", kind=kind, pad=src_pad, count=n)

    def request_keyframe(self):
        for sink in self.video_sinks:
            event = GstVideo.video_event_new_upstream_force_key_unit(
                Gst.CLOCK_TIME_NONE, True, 0)
            sink.get_static_pad("sink").push_event(event)
        emit("keyframe-requested", pads=len(self.video_sinks))
        return False

    def navigate(self):
        for sink in self.video_sinks:
            pad = sink.get_static_pad("sink")
            for text in ("application/x-gst-navigation,event=mouse-move,"
                         "pointer_x=(double)12,pointer_y=(double)34",
                         "application/x-gst-navigation,event=key-press,"
                         "key=a"):
                pad.push_event(Gst.Event.new_navigation(
                    Gst.Structure.from_string(text)[0]))
        emit("navigated", pads=len(self.video_sinks))
        return False

    # producer side -------------------------------------------------------
    def on_upstream_event(self, _pad, info):
        ev = info.get_event()
        if ev.type == Gst.EventType.NAVIGATION:
            emit("upstream-event", type="navigation",
                 structure=ev.get_structure().to_string())
        elif ev.type == Gst.EventType.CUSTOM_UPSTREAM:
            emit("upstream-event", type="custom",
                 structure=ev.get_structure().to_string())
        return Gst.PadProbeReturn.OK

    # data channels -------------------------------------------------------
    def on_data(self, _element, session, label, data, is_text):
        raw = data.get_data() or b""
        ev = {"session": session, "label": label, "text": bool(is_text),
              "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
        if is_text and len(raw) <= 200:
            ev["body"] = raw.decode("utf-8")
        emit("data", **ev)

    def send_data(self, cmd):
        parts = cmd.split(" ", 2)
        if parts[0] == "send-text":
            ok = self.element.emit("send-data-string", None, parts[1],
                                   parts[2])
        else:
            raw = pattern(int(parts[2]))
            ok = self.element.emit("send-data-bytes", None, parts[1],
                                   GLib.Bytes.new(raw))
            emit("sent-bytes", label=parts[1], size=len(raw),
                 sha256=hashlib.sha256(raw).hexdigest())
        emit("sent", label=parts[1], ok=bool(ok))
        return False

    # producer side (stats) -----------------------------------------------
    def stats(self):
        st = self.element.get_property("stats")
        encoders = 0
        it = self.element.iterate_recurse()
        while True:
            res, elem = it.next()
            if res != Gst.IteratorResult.OK:
                break
            factory = elem.get_factory()
            if factory and factory.get_name() in ENCODERS:
                encoders += 1
        text = st.to_string()
        emit("stats", consumers=st.get_value("consumers"),
             encoders=st.get_value("encoders"), encoder_elements=encoders,
             branches=substructures(text, "branch"),
             sessions=substructures(text, "session"), text=text)
        return False

    # common --------------------------------------------------------------
    def dtls(self):
        webrtc = None
        it = self.element.iterate_recurse()
        while webrtc is None:
            res, elem = it.next()
            if res != Gst.IteratorResult.OK:
                break
            factory = elem.get_factory()
            if factory and factory.get_name() == "webrtcbin":
                webrtc = elem
        if webrtc is None:
            emit("dtls", error="no webrtcbin")
            return False
        trans = webrtc.emit("get-transceiver", 0)
        receiver = trans.get_property("receiver") if trans else None
        transport = receiver.get_property("transport") if receiver else None
        emit("dtls",
             local_sdp=sdp_fingerprint(
                 webrtc.get_property("local-description")),
             remote_sdp=sdp_fingerprint(
                 webrtc.get_property("remote-description")),
             local_cert=cert_fingerprint(
                 transport.get_property("certificate") if transport else None),
             remote_cert=cert_fingerprint(
                 transport.get_property("remote-certificate")
                 if transport else None))
        return False

    def on_message(self, _bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, _dbg = msg.parse_error()
            emit("error", message=err.message, source=msg.src.get_name())
            self.exit_code = 1
            self.loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            err, _dbg = msg.parse_warning()
            emit("warning", message=err.message, source=msg.src.get_name())
        elif (msg.type == Gst.MessageType.ELEMENT and msg.get_structure()
              and msg.get_structure().get_name() == "gws-data-channel"):
            st = msg.get_structure()
            emit("channel", label=st.get_string("label"),
                 open=bool(st.get_value("open")),
                 connection=st.get_value("connection"),
                 session=st.get_string("session-id"))
        elif msg.type == Gst.MessageType.EOS:
            emit("eos")
            self.loop.quit()
        elif (msg.type == Gst.MessageType.STATE_CHANGED
              and msg.src == self.pipeline):
            _old, new, _pending = msg.parse_state_changed()
            if new == Gst.State.PLAYING:
                emit("ready")

    def read_commands(self):
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "stats":
                GLib.idle_add(self.stats)
            elif cmd == "keyframe":
                GLib.idle_add(self.request_keyframe)
            elif cmd.startswith("send-text ") or cmd.startswith("send-bytes "):
                GLib.idle_add(self.send_data, cmd)
            elif cmd == "navigate":
                GLib.idle_add(self.navigate)
            elif cmd == "dtls":
                GLib.idle_add(self.dtls)
            elif cmd == "quit":
                GLib.idle_add(self.loop.quit)
        GLib.idle_add(self.loop.quit)

    def run(self):
        threading.Thread(target=self.read_commands, daemon=True).start()
        self.pipeline.set_state(Gst.State.PLAYING)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.exit_code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["producer", "consumer"])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--video", choices=["raw", "raw2", "h264", "none"],
                        default="raw")
    parser.add_argument("--audio", action="store_true")
    parser.add_argument("--video-codecs", default="")
    parser.add_argument("--encoded", default="",
                        help="consumer: caps the video branch accepts, e.g. "
                        "video/x-h264 (no decoding)")
    parser.add_argument("--latency", type=int, default=None,
                        help="consumer: webrtcsrc latency in ms")
    parser.add_argument("--wait-timeout", type=int, default=None,
                        help="consumer: webrtcsrc wait-timeout in s")
    parser.add_argument("--data-channels", default="",
                        help="the element's data-channels, e.g. "
                        '<"chat","fast,ordered=false,max-retransmits=0">')
    parser.add_argument("--nav-probe", action="store_true",
                        help="producer: report upstream events reaching "
                        "the video source")
    parser.add_argument("--certificate", default="",
                        help="a PEM file (certificate + key) for the "
                        "element's certificate property")
    parser.add_argument("--link", default="video,audio",
                        help="consumer: which kinds of pads to link")
    args = parser.parse_args()
    Gst.init(None)
    sys.exit(Peer(args).run())


if __name__ == "__main__":
    main()
