#!/usr/bin/python3
"""End-to-end tests of webrtcsink and webrtcsrc: real processes, real sockets.

Each test runs the relay (gst-webrtc-relay), one producer process and one or
more consumer processes (peer.py), all inside a private network namespace
with only loopback: the script re-executes itself under `unshare -n` (needs
root; otherwise the test is skipped). Every wait is on an event the
processes report, with a timeout; assertions are on what arrived (frame
counts, caps, the sink's encoder count).

Usage: run.py TEST    (see TESTS at the bottom; `run.py --list`)
Environment: GWS_RELAY (relay binary), GST_PLUGIN_PATH (the built plugin).
"""

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer.py")
PROXY = os.path.join(HERE, "noupgrade_proxy.py")
PYTHON = "/usr/bin/python3"
WAIT = 30.0  # seconds for any single expected event
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from casemain import Failure, check, main_exit_code  # noqa: E402,F401

class Proc:
    """A child process whose stdout lines are collected as events."""

    def __init__(self, name, argv, logdir, env=None, merge_stderr=False):
        self.name = name
        self.argv = argv
        self.events = queue.Queue()
        self.history = []
        self.logpath = os.path.join(logdir, name + ".log")
        self.log = open(self.logpath, "w")
        self.merged = merge_stderr
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else self.log, env=env,
            text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if self.merged:
                self.log.write(line + "\n")
                self.log.flush()
            try:
                ev = json.loads(line)
                if not isinstance(ev, dict):
                    raise ValueError
            except ValueError:
                ev = {"event": "line", "text": line}
            self.events.put(ev)
        self.events.put({"event": "exit"})

    def wait(self, what, pred, timeout=WAIT):
        """Returns the first event not yet taken that satisfies pred (also
        one that arrived while waiting for something else); fails after
        timeout, or if the process reports an error or exits first."""
        for ev in self.history:
            if not ev.get("_taken") and pred(ev):
                ev["_taken"] = True
                return ev
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("{}: no {} within {:.0f} s; recent events: {}"
                              .format(self.name, what, timeout,
                                      self.history[-8:]))
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.history.append(ev)
            if pred(ev):
                ev["_taken"] = True
                return ev
            if ev["event"] == "exit":
                raise Failure("{}: exited (code {}) while waiting for {}; "
                              "recent events: {}".format(
                                  self.name, self.proc.wait(), what,
                                  self.history[-8:]))
            if ev["event"] == "error":
                raise Failure("{}: error while waiting for {}: {}".format(
                    self.name, what, ev.get("message")))

    def wait_event(self, event, timeout=WAIT, **match):
        return self.wait(
            event + (" " + json.dumps(match) if match else ""),
            lambda ev: ev["event"] == event and all(
                ev.get(k) == v for k, v in match.items()), timeout)

    def wait_frames(self, kind, at_least, timeout=WAIT):
        return self.wait(
            "{} {} frames".format(at_least, kind),
            lambda ev: ev["event"] == "frames" and ev["kind"] == kind and ev[
                "count"] >= at_least, timeout)

    def frames_now(self, kind):
        """Highest frame count reported so far (drains queued events)."""
        while True:
            try:
                self.history.append(self.events.get_nowait())
            except queue.Empty:
                break
        counts = [ev["count"] for ev in self.history
                  if ev["event"] == "frames" and ev["kind"] == kind]
        return max(counts) if counts else 0

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None and self.proc.stdin:
            try:
                self.send("quit")
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def kill(self):
        """Abrupt exit (SIGKILL): nobody says goodbye."""
        self.proc.kill()
        self.proc.wait()


class World:
    """The processes of one test; stops them all at the end."""

    def __init__(self, name):
        self.logdir = tempfile.mkdtemp(prefix="gws-e2e-" + name + "-")
        self.procs = []
        self.relay_port = None
        self.counter = 0

    def relay(self, *extra, port=0):
        relay = os.environ.get("GWS_RELAY", "gst-webrtc-relay")
        self.counter += 1
        p = Proc("relay{}".format(self.counter),
                 [relay, "--host", "127.0.0.1", "--port", str(port)] +
                 list(extra), self.logdir, merge_stderr=True)
        self.procs.append(p)
        # Its "listening on ws://127.0.0.1:PORT" line tells the port.
        ev = p.wait("listening line",
                    lambda ev: "listening on ws://" in ev.get("text", ""))
        url = ev["text"].split("listening on ")[1].split()[0]
        self.relay_port = int(url.rstrip("/").rsplit(":", 1)[1])
        return p

    def uri(self, peer_id=None, token=None, port=None):
        query = []
        if peer_id:
            query.append("peer-id=" + peer_id)
        if token:
            query.append("token=" + token)
        return "ws://127.0.0.1:{}/{}".format(
            port or self.relay_port, "?" + "&".join(query) if query else "")

    def proxy(self):
        """A proxy in front of the relay that refuses WebSocket upgrades
        (noupgrade_proxy.py); returns it, its port in .port."""
        p = Proc("proxy", [PYTHON, PROXY, "0", str(self.relay_port)],
                 self.logdir)
        self.procs.append(p)
        p.port = p.wait_event("listening")["port"]
        return p

    def poll_uri(self, port, peer_id=None):
        return "poll+http://127.0.0.1:{}/{}".format(
            port, "?peer-id=" + peer_id if peer_id else "")

    def peer(self, name, role, uri, *extra):
        env = dict(os.environ)
        env.setdefault("GST_DEBUG", "webrtcsink:4,webrtcsrc:4,"
                       "webrtc-signaller-ws:4,webrtc-signaller-poll:4")
        p = Proc(name, [PYTHON, PEER, role, "--uri", uri] + list(extra),
                 self.logdir, env=env)
        self.procs.append(p)
        return p

    def close(self, ok):
        for p in reversed(self.procs):
            p.stop()
        if ok:
            shutil.rmtree(self.logdir, ignore_errors=True)
        else:
            print("logs kept in", self.logdir)
            for p in self.procs:
                try:
                    with open(p.logpath) as f:
                        tail = f.read()[-3000:]
                except OSError:
                    tail = ""
                print("----- {} ({}) -----\n{}".format(p.name,
                                                     " ".join(p.argv), tail))


def stats(producer):
    producer.send("stats")
    return producer.wait_event("stats")


def poll_stats(producer, what, pred, timeout=WAIT):
    """Asks for stats until pred(stats) holds (values that change without an
    event to wait on, like counters)."""
    deadline = time.monotonic() + timeout
    while True:
        st = stats(producer)
        if pred(st):
            return st
        if time.monotonic() > deadline:
            raise Failure("producer: {} not reached within {:.0f} s: {}".format(
                what, timeout, st["text"]))
        time.sleep(0.2)  # between polls of a counter


def settled_encoders(producer, consumers, encoders=1, timeout=15.0):
    """Stats once `consumers` consumers share `encoders` encoders. With
    congestion control on, a consumer that just joined counts at
    start-bitrate until its first feedback, under the others' ramped-up
    estimates: it may start on a lower rendition (a second encoder, with
    however many consumers) and move up a moment later, after which the
    rendition stops (docs/elements.md, "Congestion control"). A
    per-consumer encoder never settles."""
    return poll_stats(
        producer, "{} consumers on {} encoder(s)".format(consumers, encoders),
        lambda st: st["consumers"] == consumers
        and st["encoders"] == encoders
        and st["encoder_elements"] == encoders, timeout)


def codecs_of(st):
    return sorted({b["codec"] for b in st["branches"]})


# ---------------------------------------------------------------- tests ----


def test_vp8_video_audio(w):
    """VP8 video and Opus audio arrive and decode."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--audio",
                  "--video-codecs", "VP8")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    caps = cons.wait_event("caps", kind="video")
    check(caps["name"] == "video/x-raw", "video not decoded: {}".format(caps))
    check((caps["width"], caps["height"]) == (320, 240),
          "wrong video size: {}".format(caps))
    acaps = cons.wait_event("caps", kind="audio")
    check(acaps["name"] == "audio/x-raw", "audio not decoded: {}".format(acaps))
    cons.wait_event("no-more-pads")
    cons.wait_frames("video", 60)
    cons.wait_frames("audio", 50)
    st = stats(prod)
    check(codecs_of(st) == ["OPUS", "VP8"],
          "producer did not use VP8 and OPUS: " + st["text"])
    # libnice's UPnP client (SSDP on port 1900) is off on every agent.
    ssdp = [p for p in udp_ports_bound() if p == 1900]
    check(not ssdp, "an ICE agent searched for UPnP routers (port 1900 bound)")


def udp_ports_bound():
    """Local ports of the UDP sockets in this (the test's) namespace."""
    ports = []
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    local = line.split()[1]
                    ports.append(int(local.rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def test_h264_video(w):
    """The producer encodes H264 (its only choice); the consumer decodes."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "H264")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    caps = cons.wait_event("caps", kind="video")
    check(caps["name"] == "video/x-raw" and caps["width"] == 320,
          "bad decoded caps: {}".format(caps))
    cons.wait_frames("video", 60)
    st = stats(prod)
    check([(b["codec"], b["encoder"]) for b in st["branches"]] ==
          [("H264", "x264enc")],
          "producer did not encode H264 with x264enc: " + st["text"])


def test_consumer_picks_codec(w):
    """The producer prefers VP8, the consumer accepts only H264: H264 (and
    the VP8 branch the producer made when its offer went out is gone)."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8,H264")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"), "--video-codecs",
                  "H264")
    cons.wait_frames("video", 30)
    st = stats(prod)
    check(codecs_of(st) == ["H264"],
          "consumer's codec choice ignored: " + st["text"])


def test_pre_encoded_h264(w):
    """Pre-encoded H264 input is sent without a second encoder."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video", "h264")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    caps = cons.wait_event("caps", kind="video")
    check(caps["name"] == "video/x-raw" and caps["height"] == 240,
          "bad decoded caps: {}".format(caps))
    cons.wait_frames("video", 60)
    st = stats(prod)
    check(st["encoders"] == 0 and st["encoder_elements"] == 0,
          "webrtcsink re-encoded: " + st["text"])
    check([(b["codec"], b["encoder"]) for b in st["branches"]] ==
          [("H264", "")], "expected one pass-through H264 branch: " +
          st["text"])


def test_encoded_output(w):
    """A consumer whose downstream takes only video/x-h264 gets it undecoded
    (the receiver-to-file case); the audio pad it leaves unlinked does not
    stop the video."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "H264", "--audio")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"), "--encoded",
                  "video/x-h264", "--link", "video")
    caps = cons.wait_event("caps", kind="video")
    check(caps["name"] == "video/x-h264",
          "expected encoded H264, got {}".format(caps))
    cons.wait_event("pad", name="audio_0")
    cons.wait_frames("video", 90)


def test_shared_encoder(w):
    """Three consumers share one encoder; one leaves, the others go on; it
    rejoins."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)
    consumers = [
        w.peer("consumer{}".format(i), "consumer", w.uri("cam1"))
        for i in range(3)
    ]
    for c in consumers:
        c.wait_frames("video", 30)
    st = settled_encoders(prod, 3)
    check(st["branches"][0]["keyframe-requests-forwarded"] >= 1,
          "no key frame request reached the encoder: " + st["text"])
    check([(b["codec"], b["consumers"]) for b in st["branches"]] ==
          [("VP8", 3)], "the VP8 branch does not feed 3 consumers: " +
          st["text"])

    consumers[0].kill()
    prod.wait_event("consumer-removed")
    for c in consumers[1:]:
        before = c.frames_now("video")
        c.wait_frames("video", before + 30)
    settled_encoders(prod, 2)

    back = w.peer("consumer0-again", "consumer", w.uri("cam1"))
    back.wait_frames("video", 30)
    for c in consumers[1:]:
        before = c.frames_now("video")
        c.wait_frames("video", before + 10)
    settled_encoders(prod, 3)


def test_keyframe_requests(w):
    """Key frame requests (RTCP PLI) from three consumers at once are each
    handled (gws-keyframe-requests.h: absorbed when a key frame had just
    gone to that consumer, else sent on) and reach the shared encoder
    rate-limited: three requests at once never make three."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)
    consumers = [w.peer("consumer{}".format(i), "consumer", w.uri("cam1"))
                 for i in range(3)]
    for c in consumers:
        c.wait_frames("video", 30)

    def summed(st, field):
        text = st["text"].replace("\\", "")
        return sum(int(v) for v in re.findall(
            r"\b" + re.escape(field) + r"=\(guint64\)(\d+)", text))

    def handled(st):
        return (summed(st, "keyframe-requests-sent")
                + summed(st, "keyframe-requests-absorbed"))

    st0 = stats(prod)
    fwd0 = st0["branches"][0]["keyframe-requests-forwarded"]
    handled0 = handled(st0)
    for c in consumers:
        c.send("keyframe")
    for c in consumers:
        c.wait_event("keyframe-requested")
    st = poll_stats(prod, "all three key frame requests handled",
                    lambda st: handled(st) - handled0 >= 3)
    forwarded = st["branches"][0]["keyframe-requests-forwarded"] - fwd0
    print("# 3 requests: {} sent on by the consumers' policies, {} absorbed, "
          "{} forwarded to the encoder".format(
              summed(st, "keyframe-requests-sent")
              - summed(st0, "keyframe-requests-sent"),
              summed(st, "keyframe-requests-absorbed")
              - summed(st0, "keyframe-requests-absorbed"), forwarded))
    check(forwarded <= 2, "three requests at once made {} key frame "
          "requests at the encoder (limit: one now, one replayed)".format(
              forwarded))


def test_two_video_streams(w):
    """Two video streams in one BUNDLE (distinct payload types) both arrive
    at their own size."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video", "raw2",
                  "--video-codecs", "VP8")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    sizes = {}
    for pad in ("video_0", "video_1"):
        caps = cons.wait_event("caps", pad=pad)
        sizes[pad] = (caps["width"], caps["height"])
    check(sorted(sizes.values()) == [(160, 120), (320, 240)],
          "streams mixed up: {}".format(sizes))
    for pad in ("video_0", "video_1"):
        cons.wait("60 frames on " + pad,
                  lambda ev, p=pad: ev["event"] == "frames" and ev["pad"] == p
                  and ev["count"] >= 60)
    st = stats(prod)
    check(st["encoders"] == 2, "expected one encoder per stream: " +
          st["text"])


def offer_and_play(w, mode):
    """A producer, then offerer.py in `mode`; returns (offer, answer) SDP
    once the offerer decodes 60 frames."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)
    offerer = Proc("offerer", [PYTHON, os.path.join(HERE, "offerer.py"),
                               w.uri(), "cam1", mode], w.logdir)
    w.procs.append(offerer)
    offer = offerer.wait_event("offer")["sdp"]
    answer = offerer.wait_event("answer")["sdp"]
    offerer.wait_frames("video", 60)
    return offer, answer


def test_consumer_offers_rtx(w):
    """A consumer offering RTX for its VP8 (payload 120), as a browser does,
    gets RTX and NACK for it in webrtcsink's answer (issue 11)."""
    offer, answer = offer_and_play(w, "--rtx")
    rtx = re.search(r"a=fmtp:(\d+) apt=120", offer)
    check(rtx, "the offer has no rtx for 120: " + offer)
    check("a=fmtp:{} apt=120".format(rtx.group(1)) in answer
          and "a=rtpmap:{} rtx/90000".format(rtx.group(1)) in answer,
          "the answer has no rtx for VP8 120: " + answer)
    check("a=rtcp-fb:120 nack\r" in answer, "no nack for 120: " + answer)


def test_consumer_offers_bad_apt(w):
    """rtx payloads with an apt= naming no payload, a non-numeric apt= and
    no fmtp at all: the session still plays, and none of them is answered
    (issue 11)."""
    offer, answer = offer_and_play(w, "--bad-apt")
    check("apt=99" in offer, "offer was not mangled: " + offer)
    for bad in ("apt=99", "apt=x", "a=rtpmap:112 "):
        check(bad not in answer, "the answer took {}: {}".format(bad,
                                                                 answer))


def test_consumer_offers(w):
    """A consumer that offers first with its own payload types (VP8 as 120)
    is answered, and gets VP8 next to a consumer on our payload types: one
    shared encoder, payload type rewritten for the offerer only."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)
    normal = w.peer("consumer", "consumer", w.uri("cam1"))
    normal.wait_frames("video", 30)
    offerer = Proc("offerer", [PYTHON, os.path.join(HERE, "offerer.py"),
                               w.uri(), "cam1"], w.logdir)
    w.procs.append(offerer)
    answer = offerer.wait_event("answer")
    check("VP8/90000" in answer["sdp"] and "a=rtpmap:120 " in answer["sdp"],
          "the answer does not accept VP8 as 120: " + answer["sdp"])
    caps = offerer.wait_event("caps")
    check(caps["name"] == "video/x-raw" and caps["width"] == 320,
          "offerer got {}".format(caps))
    offerer.wait_frames("video", 60)
    before = normal.frames_now("video")
    normal.wait_frames("video", before + 30)
    settled_encoders(prod, 2)


def test_producer_before_relay(w):
    """The producer starts while the relay is down and connects once it is
    up."""
    port = 18443
    prod = w.peer("producer", "producer", w.uri("cam1", port=port))
    prod.wait_event("warning")  # relay unreachable, retrying
    w.relay(port=port)
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    cons.wait_frames("video", 30)


def test_relay_restart(w):
    """Media keeps flowing while the relay restarts; both sides reconnect
    and a new consumer gets media afterwards."""
    relay = w.relay(port=18444)
    prod = w.peer("producer", "producer", w.uri("cam1"))
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    cons.wait_frames("video", 30)
    relay.kill()
    prod.wait_event("signalling", connected=False)
    before = cons.frames_now("video")
    cons.wait_frames("video", before + 60)  # ~2 s of media without a relay
    w.relay(port=18444)
    prod.wait_event("signalling", connected=True)
    before = cons.frames_now("video")
    cons.wait_frames("video", before + 30)
    late = w.peer("late-consumer", "consumer", w.uri("cam1"))
    late.wait_frames("video", 30)


def test_producer_leaves(w):
    """When the producer goes away, the consumer's pads get EOS (so a
    recording is closed properly) instead of hanging."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--audio")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    cons.wait_frames("video", 30)
    cons.wait_frames("audio", 30)
    prod.kill()
    cons.wait_event("eos")
    check(cons.proc.wait(timeout=WAIT) == 0, "consumer did not exit cleanly")


def test_bad_peer_id(w):
    """A consumer asking for a producer that does not exist fails with an
    error naming it (at once with wait-timeout=0; tests/usability covers
    the wait)."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"))
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("no-such-camera"),
                  "--wait-timeout", "0")
    err = cons.wait("error", lambda ev: ev["event"] == "error")
    check("no-such-camera" in err["message"],
          "error does not name the producer: " + err["message"])
    check(cons.proc.wait(timeout=WAIT) != 0, "consumer exited with 0")


def test_refused_token(w):
    """A relay with an access token refuses a producer with a wrong one, and
    serves peers with the right one."""
    w.relay("--token", "s3cret")
    bad = w.peer("bad-producer", "producer", w.uri("cam1", token="wrong"))
    err = bad.wait("error", lambda ev: ev["event"] == "error")
    check("token" in err["message"].lower() or "401" in err["message"],
          "error does not mention the token: " + err["message"])
    prod = w.peer("producer", "producer", w.uri("cam1", token="s3cret"))
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1", token="s3cret"))
    cons.wait_frames("video", 30)


def test_no_common_codec(w):
    """The producer sends only VP8, the consumer takes only H264: the
    consumer fails with an error naming both; the producer goes on, and
    the VP8 branch it made when its offer went out is gone with the
    session."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)
    bad = w.peer("h264-only", "consumer", w.uri("cam1"), "--video-codecs",
                 "H264")
    err = bad.wait("error", lambda ev: ev["event"] == "error")
    check("VP8" in err["message"] and "H264" in err["message"],
          "error does not say which codecs: " + err["message"])
    prod.wait_event("consumer-removed")
    st = stats(prod)
    check(st["branches"] == [] and st["encoder_elements"] == 0,
          "an encoder outlived the failed session: " + st["text"])
    good = w.peer("consumer", "consumer", w.uri("cam1"))
    good.wait_frames("video", 30)


def websocket_refused(port):
    """A WebSocket upgrade through the proxy is refused (what the long-poll
    tests rely on)."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        head = s.recv(4096)
    check(head.startswith(b"HTTP/1.1 403"),
          "the proxy let a WebSocket upgrade through: {!r}".format(head))


def relay_connections(relay):
    """The relay's log lines for accepted connections, so far."""
    relay.frames_now("none")  # drains the queued events into history
    return [ev["text"] for ev in relay.history
            if re.search(r"connection \d+ from \S+( \(long-poll\))?( |$)",
                         ev.get("text", ""))
            and "closed" not in ev["text"] and "closing" not in ev["text"]]


def test_long_poll_through_proxy(w):
    """WebSocket is refused by a proxy: webrtcsink and webrtcsrc signal
    over HTTP long-poll (poll+http://) through it, and a held GET cut by the
    proxy loses nothing: the session goes on and a second consumer gets its
    session through the same producer connection."""
    relay = w.relay("--poll-hold", "5")
    proxy = w.proxy()
    websocket_refused(proxy.port)
    proxy.wait_event("refused-upgrade")
    prod = w.peer("producer", "producer", w.poll_uri(proxy.port, "cam1"))
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.poll_uri(proxy.port, "cam1"))
    cons.wait_frames("video", 30)
    # Cut every held GET (the producer's and the consumer's).
    proxy.send("drop")
    dropped = proxy.wait_event("dropped")
    check(dropped["count"] >= 1, "no held GET to cut: {}".format(dropped))
    cons2 = w.peer("consumer2", "consumer", w.poll_uri(proxy.port, "cam1"))
    cons2.wait_frames("video", 30)
    seen = cons.frames_now("video")
    cons.wait_frames("video", seen + 30)
    lost = [ev for ev in prod.history
            if ev["event"] == "signalling" and not ev.get("connected")]
    check(not lost, "the producer lost its signalling: {}".format(lost))
    conns = relay_connections(relay)
    check(conns and all("(long-poll)" in c for c in conns),
          "a connection was not long-poll: {}".format(conns))


def test_long_poll_mixed(w):
    """A WebSocket producer (straight to the relay) and a long-poll
    consumer (through the proxy) in one session, and a WebSocket consumer
    beside it."""
    w.relay("--poll-hold", "5")
    proxy = w.proxy()
    prod = w.peer("producer", "producer", w.uri("cam1"))
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.poll_uri(proxy.port, "cam1"))
    cons.wait_frames("video", 30)
    ws_cons = w.peer("ws-consumer", "consumer", w.uri("cam1"))
    ws_cons.wait_frames("video", 30)
    check(any(ev["event"] == "forwarded" for ev in proxy.history)
          or proxy.wait_event("forwarded"), "nothing went through the proxy")


def data_pair(w, producer_channels, consumer_channels="", *producer_extra):
    """A producer and a consumer with data channels, both seeing the
    channel `chat` open."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video", "raw",
                  "--data-channels", producer_channels, *producer_extra)
    prod.wait_event("signalling", connected=True)
    args = ["--link", "video"]
    if consumer_channels:
        args += ["--data-channels", consumer_channels]
    cons = w.peer("consumer", "consumer", w.uri("cam1"), *args)
    cons.wait_frames("video", 10)
    return prod, cons


def exchange(sender, receiver, label, size=None, text=None):
    """Sends text or `size` pattern bytes on `label`; the receiver must get
    exactly that."""
    if text is not None:
        sender.send("send-text {} {}".format(label, text))
        sender.wait_event("sent", label=label, ok=True)
        got = receiver.wait_event("data", label=label, text=True)
        if got.get("body") != text:
            raise Failure("{} got {!r} on {}, sent {!r}".format(
                receiver.name, got.get("body"), label, text))
        return got
    sender.send("send-bytes {} {}".format(label, size))
    sent = sender.wait_event("sent-bytes", label=label)
    got = receiver.wait_event("data", label=label, text=False)
    if got["size"] != size or got["sha256"] != sent["sha256"]:
        raise Failure("{} got {} bytes ({}) on {}, sent {} ({})".format(
            receiver.name, got["size"], got["sha256"][:12], label, size,
            sent["sha256"][:12]))
    return got


def test_data_channels(w):
    """Data channels both ways: the producer's reliable `chat` and
    unreliable unordered `fast`, and `fromsrc` that the consumer opens as
    the answerer; text and 64 KiB binary messages arrive whole, once."""
    prod, cons = data_pair(
        w, '<"chat", "fast,ordered=false,max-retransmits=0">',
        '<"fromsrc">')
    for p in (prod, cons):
        for label in ("chat", "fast", "fromsrc", "control"):
            p.wait_event("channel", label=label, open=True)
    exchange(prod, cons, "chat", text="hello consumer")
    exchange(cons, prod, "chat", text="hello producer")
    exchange(prod, cons, "chat", size=65536)
    exchange(cons, prod, "chat", size=65536)
    exchange(prod, cons, "fast", text="unreliable but here")
    exchange(cons, prod, "fromsrc", text="the answerer opened this")
    exchange(prod, cons, "fromsrc", size=1000)
    # Messages are delivered once: nothing more arrived on chat.
    prod.send("stats")
    prod.wait_event("stats")
    extra = [ev for p in (prod, cons) for ev in p.history
             if ev["event"] == "data" and not ev.get("_taken")]
    if extra:
        raise Failure("unexpected extra messages: {}".format(extra))


def test_remote_control(w):
    """Navigation events from the consumer's video sink travel over the
    control channel (naming the video's mid) and reach the producer's video
    source upstream of webrtcsink as GstNavigation events; a custom
    upstream event request
    sent on `control` arrives as a custom upstream event."""
    # webrtcsrc:5 logs each request it sends (to check the mid below).
    saved = os.environ.get("GST_DEBUG")
    os.environ["GST_DEBUG"] = "webrtcsink:4,webrtcsrc:5"
    try:
        prod, cons = data_pair(w, "<>", "", "--nav-probe")
    finally:
        if saved is None:
            del os.environ["GST_DEBUG"]
        else:
            os.environ["GST_DEBUG"] = saved
    cons.wait_event("channel", label="control", open=True)
    cons.send("navigate")
    cons.wait_event("navigated", pads=1)
    move = prod.wait("mouse-move upstream", lambda ev: ev["event"] ==
                     "upstream-event" and "mouse-move" in ev["structure"])
    for want in ("pointer_x=(double)12", "pointer_y=(double)34"):
        if want not in move["structure"]:
            raise Failure("navigation event {} lacks {}".format(
                move["structure"], want))
    key = prod.wait("key-press upstream", lambda ev: ev["event"] ==
                    "upstream-event" and "key-press" in ev["structure"])
    if "key=(string)a" not in key["structure"]:
        raise Failure("key event: " + key["structure"])
    # The requests named the video's m-line (webrtcsink maps it back).
    with open(cons.logpath) as f:
        sent = [line for line in f if "navigation request" in line]
    if not sent or not all('"mid":"video0"' in line for line in sent):
        raise Failure("navigation requests without the video's mid: {}"
                      .format(sent[:2]))
    request = json.dumps({"id": 100, "request": {
        "type": "customUpstreamEvent", "structureName": "zoom-request",
        "structure": {"level": 3}}})
    cons.send("send-text control " + request)
    custom = prod.wait("custom upstream event", lambda ev: ev["event"] ==
                       "upstream-event" and ev["type"] == "custom" and
                       ev["structure"].startswith("zoom-request"))
    if not custom["structure"].startswith("zoom-request") or \
            "level=(int)3" not in custom["structure"]:
        raise Failure("custom event: " + custom["structure"])
    # The consumer's congestion feedback (rtpsession's RTPTWCCPackets) is
    # read at its webrtcbin and never reaches the application's source.
    leaked = [ev for ev in prod.history if ev["event"] == "upstream-event"
              and "RTPTWCCPackets" in ev.get("structure", "")]
    if leaked:
        raise Failure("{} congestion feedback events reached the source"
                      .format(len(leaked)))


def make_certificate(w, name, key_args):
    """A self-signed certificate + key PEM file made with the openssl
    program (independent of our code); returns (path, SHA-256
    fingerprint as "AB:CD:...")."""
    path = os.path.join(w.logdir, name + ".pem")
    key = os.path.join(w.logdir, name + ".key")
    crt = os.path.join(w.logdir, name + ".crt")
    subprocess.check_call(
        ["openssl", "req", "-x509", "-nodes", "-days", "2", "-subj",
         "/CN=" + name, "-keyout", key, "-out", crt] + key_args,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(path, "w") as out:
        for part in (crt, key):
            with open(part) as f:
                out.write(f.read())
    fp = subprocess.check_output(
        ["openssl", "x509", "-in", crt, "-noout", "-fingerprint",
         "-sha256"], text=True).strip().split("=", 1)[1]
    return path, fp.upper()


def test_pinned_certificate(w):
    """A pinned certificate on each element (ECDSA on the producer, RSA on
    the consumer): media flows, each side's handshake presents exactly the
    pinned certificate, and the a=fingerprint each side sends is that
    certificate's (webrtcbin 1.22 alone would hash the key into it)."""
    ec, ec_fp = make_certificate(
        w, "producer", ["-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256"])
    rsa, rsa_fp = make_certificate(w, "consumer", ["-newkey", "rsa:2048"])
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8", "--certificate", ec)
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"), "--certificate",
                  rsa)
    cons.wait_frames("video", 30)
    cons.send("dtls")
    c = cons.wait_event("dtls")
    check(c["remote_cert"] == ec_fp,
          "consumer got another certificate than the producer's pinned "
          "one: {} != {}".format(c["remote_cert"], ec_fp))
    check(c["remote_sdp"] == [ec_fp],
          "producer's offer carries a wrong fingerprint: {} (its "
          "certificate: {})".format(c["remote_sdp"], ec_fp))
    check(c["local_cert"] == rsa_fp and c["local_sdp"] == [rsa_fp],
          "consumer did not use its pinned certificate: {}".format(c))
    prod.send("dtls")
    p = prod.wait_event("dtls")
    check(p["remote_cert"] == rsa_fp and p["remote_sdp"] == [rsa_fp],
          "producer saw another certificate than the consumer's: "
          "{}".format(p))


def test_default_certificate(w):
    """Without `certificate` each process makes an ECDSA P-256 one: the
    fingerprints sent match the certificates presented, both ways."""
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    cons.wait_frames("video", 30)
    for peer in (cons, prod):
        peer.send("dtls")
        d = peer.wait_event("dtls")
        check(d["local_cert"] and d["local_sdp"] == [d["local_cert"]],
              "{}: a=fingerprint is not its certificate's: {}".format(
                  peer.name, d))
        check(d["remote_cert"] and d["remote_sdp"] == [d["remote_cert"]],
              "{}: the peer's a=fingerprint is not its certificate's: "
              "{}".format(peer.name, d))


def test_bad_certificate(w):
    """A `certificate` that is not usable stops the element at start with
    an error saying why; a good producer goes on serving."""
    w.relay()
    garbage = os.path.join(w.logdir, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("not a certificate\n")
    prod = w.peer("bad-producer", "producer", w.uri("cam1"),
                  "--certificate", garbage)
    err = prod.wait("error", lambda ev: ev["event"] == "error")
    check("certificate" in err["message"] and "X.509" in err["message"],
          "unclear error for a bad PEM: " + err["message"])
    # A certificate with another certificate's key.
    a, _ = make_certificate(w, "a", ["-newkey", "ec", "-pkeyopt",
                                     "ec_paramgen_curve:P-256"])
    b, _ = make_certificate(w, "b", ["-newkey", "ec", "-pkeyopt",
                                     "ec_paramgen_curve:P-256"])
    mixed = os.path.join(w.logdir, "mixed.pem")
    with open(a) as fa, open(b) as fb, open(mixed, "w") as out:
        out.write(fa.read().split("-----BEGIN PRIVATE KEY-----")[0])
        out.write("-----BEGIN PRIVATE KEY-----" +
                  fb.read().split("-----BEGIN PRIVATE KEY-----")[1])
    cons = w.peer("bad-consumer", "consumer", w.uri("cam1"),
                  "--certificate", mixed)
    err = cons.wait("error", lambda ev: ev["event"] == "error")
    check("does not belong" in err["message"],
          "unclear error for a mismatched key: " + err["message"])
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)
    good = w.peer("consumer", "consumer", w.uri("cam1"))
    good.wait_frames("video", 30)


def test_dtls_key_cache(w):
    """The process's RSA key that webrtcbin 1.22 makes in every process
    (gws-dtls-key-cache.h) is kept per user: the first process stores it
    (0600 in a 0700 directory), the next one loads it instead of making
    one, media flows, and a file others can read is not used."""
    cache = os.path.join(w.logdir, "cache")
    os.environ["XDG_CACHE_HOME"] = cache
    os.environ["GST_DEBUG"] = ("webrtcsink:4,webrtcsrc:4,"
                               "webrtc-signaller-ws:4,gws-dtls-key:4")
    key = os.path.join(cache, "gst-webrtc-session", "dtls-rsa-2048.pem")
    w.relay()
    prod = w.peer("producer", "producer", w.uri("cam1"), "--video-codecs",
                  "VP8")
    prod.wait_event("signalling", connected=True)

    def log_has(peer, text):
        with open(peer.logpath) as f:
            return text in f.read()

    deadline = time.monotonic() + WAIT
    while not log_has(prod, "kept the process DTLS key"):
        check(time.monotonic() < deadline, "the first process kept no key")
        time.sleep(0.1)  # polling a log file written by another process
    check(os.stat(key).st_mode & 0o777 == 0o600 and
          os.stat(os.path.dirname(key)).st_mode & 0o777 == 0o700,
          "cached key is not private")
    cons = w.peer("consumer", "consumer", w.uri("cam1"))
    cons.wait_frames("video", 30)
    check(log_has(cons, "RSA key from the cache"),
          "the second process did not use the cached key")
    os.chmod(key, 0o644)
    other = w.peer("consumer2", "consumer", w.uri("cam1"))
    other.wait_frames("video", 10)
    check(log_has(other, "not private to this user") and
          not log_has(other, "RSA key from the cache"),
          "a key readable by others was used")


TESTS = {
    "vp8-video-audio": test_vp8_video_audio,
    "h264-video": test_h264_video,
    "consumer-picks-codec": test_consumer_picks_codec,
    "pre-encoded-h264": test_pre_encoded_h264,
    "encoded-output": test_encoded_output,
    "shared-encoder": test_shared_encoder,
    "keyframe-requests": test_keyframe_requests,
    "two-video-streams": test_two_video_streams,
    "consumer-offers": test_consumer_offers,
    "consumer-offers-rtx": test_consumer_offers_rtx,
    "consumer-offers-bad-apt": test_consumer_offers_bad_apt,
    "producer-before-relay": test_producer_before_relay,
    "relay-restart": test_relay_restart,
    "producer-leaves": test_producer_leaves,
    "bad-peer-id": test_bad_peer_id,
    "refused-token": test_refused_token,
    "no-common-codec": test_no_common_codec,
    "long-poll-through-proxy": test_long_poll_through_proxy,
    "long-poll-mixed": test_long_poll_mixed,
    "data-channels": test_data_channels,
    "remote-control": test_remote_control,
    "pinned-certificate": test_pinned_certificate,
    "default-certificate": test_default_certificate,
    "bad-certificate": test_bad_certificate,
    "dtls-key-cache": test_dtls_key_cache,
}


def main():
    return main_exit_code(TESTS, World, "GWS_E2E_NETNS")

if __name__ == "__main__":
    sys.exit(main())
