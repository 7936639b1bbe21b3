#!/usr/bin/python3
"""The first five minutes (issue 14): what a new user sees from gst-launch.

Each test runs real gst-launch-1.0 (and relay) processes, the way the README
tells a user to, inside a private network namespace with only loopback
(the script re-executes itself under `unshare -n`; skipped when not root),
and asserts the text the user reads on the terminal: every failure that
used to be silent must now say what is wrong and what to set. Every wait is
on a line of output, with a timeout.

Usage: run.py TEST    (see TESTS at the bottom; `run.py --list`)
Environment: GST_PLUGIN_PATH (the built plugin), GWS_RELAY (relay binary).
"""

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

PYTHON = "/usr/bin/python3"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PIPELINES = os.path.join(ROOT, "pipelines")
HERE = os.path.dirname(os.path.abspath(__file__))
WAIT = 20.0  # seconds for any single expected line
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from casemain import Failure, Skip, main_exit_code  # noqa: E402


class Proc:
    """A child process whose output lines (stdout and stderr) are kept."""

    def __init__(self, name, argv, logdir, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.lines = queue.Queue()
        self.seen = []
        self.logpath = os.path.join(logdir, name + ".log")
        self.log = open(self.logpath, "w")
        self.log.write("$ " + " ".join(argv) + "\n")
        self.log.flush()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=env, text=True, bufsize=1,
            start_new_session=True, cwd=cwd)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.log.write(line + "\n")
            self.log.flush()
            self.lines.put(line)
        self.lines.put(None)

    def wait_text(self, text, timeout=WAIT, allow_exit=True):
        """Returns the first line containing @text (also one seen before)."""
        for line in self.seen:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("{}: no line with {!r} within {:.0f} s; last "
                              "lines: {}".format(self.name, text, timeout,
                                                 self.seen[-8:]))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.lines.put(None)
                if not allow_exit:
                    raise Failure("{}: exited before {!r}".format(
                        self.name, text))
                raise Failure("{}: exited (code {}) without a line with "
                              "{!r}; last lines: {}".format(
                                  self.name, self.proc.wait(), text,
                                  self.seen[-8:]))
            self.seen.append(line)
            if text in line:
                return line

    def all_lines(self):
        """Every line so far (takes what has arrived without waiting)."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                self.lines.put(None)
                break
            self.seen.append(line)
        return self.seen

    def wait_exit(self, timeout=WAIT):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("{}: still running after {:.0f} s".format(
                self.name, timeout))

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 2)  # SIGINT: gst-launch's -e path
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class World:
    """The processes of one test; stops them all at the end."""

    def __init__(self, name):
        self.logdir = tempfile.mkdtemp(prefix="gws-usability-" + name + "-")
        self.procs = []
        self.counter = 0

    def launch(self, name, pipeline, env=None):
        """gst-launch-1.0 PIPELINE (a string, split like a shell would)."""
        import shlex
        full = dict(os.environ)
        full.update(env or {})
        p = Proc(name, ["gst-launch-1.0"] + shlex.split(pipeline),
                 self.logdir, env=full)
        self.procs.append(p)
        return p

    def script(self, name, script, *args, env=None, cwd=None):
        """A pipelines/ script, as a user runs it."""
        full = dict(os.environ)
        full.update(env or {})
        p = Proc(name, [os.path.join(PIPELINES, script)] + list(args),
                 self.logdir, env=full, cwd=cwd)
        self.procs.append(p)
        return p

    def relay(self, *extra, port=0):
        relay = os.environ.get("GWS_RELAY", "gst-webrtc-relay")
        p = Proc("relay", [relay, "--host", "127.0.0.1", "--port", str(port)]
                 + list(extra), self.logdir)
        self.procs.append(p)
        self.relay_proc = p
        line = p.wait_text("listening on ws://")
        url = line.split("listening on ")[1].split()[0]
        return int(url.rstrip("/").rsplit(":", 1)[1])

    def close(self, ok):
        for p in reversed(self.procs):
            p.stop()
        if ok:
            shutil.rmtree(self.logdir, ignore_errors=True)
        else:
            print("logs kept in", self.logdir)
            for p in self.procs:
                with open(p.logpath) as f:
                    tail = f.read()[-2500:]
                print("---- {} ----\n{}".format(p.name, tail))


# ---- the tests ----


def wrong_direction_sink(w):
    """webrtcsink with a signaller that receives media fails at once."""
    p = w.launch("sink", "videotestsrc is-live=true ! webrtcsink "
                 "uri=whip-server://127.0.0.1:8190/whip")
    p.wait_text("a whip-server:// signaller receives media, so it belongs on "
                "webrtcsrc, not webrtcsink")
    if p.wait_exit() == 0:
        raise Failure("gst-launch exited 0")
    p2 = w.launch("sink2", "videotestsrc is-live=true ! webrtcsink "
                  "uri=whep+http://127.0.0.1:8190/whep/cam1")
    p2.wait_text("a whep+http:// signaller receives media, so it belongs on "
                 "webrtcsrc, not webrtcsink")
    p2.wait_exit()


def wrong_direction_src(w):
    """webrtcsrc with a signaller that publishes fails at once."""
    p = w.launch("src", "webrtcsrc uri=whip+http://127.0.0.1:8190/whip "
                 "! fakesink")
    p.wait_text("a whip+http:// signaller publishes media, so it belongs on "
                "webrtcsink, not webrtcsrc")
    if p.wait_exit() == 0:
        raise Failure("gst-launch exited 0")
    p2 = w.launch("src2", "webrtcsrc uri=whep-server://127.0.0.1:8190/whep "
                  "! fakesink")
    p2.wait_text("a whep-server:// signaller publishes media, so it belongs "
                 "on webrtcsink, not webrtcsrc")
    p2.wait_exit()


LOOPBACK_ONLY = ("this machine has no network interface but loopback, and "
                 "ICE skips loopback: using 127.0.0.1, so only peers on this "
                 "machine can connect. Set ice-addresses=127.0.0.1")


def loopback_only(w):
    """With only `lo` (this namespace) and no ice-addresses, both elements
    say that ICE would find nothing, use 127.0.0.1 and name the property;
    frames arrive (they used to sit negotiating forever). With
    ice-addresses set, they say nothing."""
    port = w.relay()
    uri = "ws://127.0.0.1:{}/?peer-id=cam1".format(port)
    sink = w.launch("sink", "videotestsrc is-live=true ! webrtcsink "
                    "uri={}".format(uri))
    sink.wait_text(LOOPBACK_ONLY)
    w.relay_proc.wait_text("peer cam1 registered as producer")
    src = w.launch("src", "webrtcsrc uri={} ! fakesink num-buffers=30"
                   .format(uri))
    src.wait_text(LOOPBACK_ONLY)
    src.wait_text("Got EOS from element")
    sink.stop()
    uri = uri.replace("cam1", "cam2")
    sink = w.launch("sink-ok", "videotestsrc is-live=true ! webrtcsink "
                    "uri={} ice-addresses=127.0.0.1".format(uri))
    w.relay_proc.wait_text("peer cam2 registered as producer")
    src = w.launch("src-ok", "webrtcsrc uri={} ice-addresses=127.0.0.1 "
                   "! fakesink num-buffers=30".format(uri))
    src.wait_text("Got EOS from element")
    for p in (sink, src):
        if any("no network interface but loopback" in line
               for line in p.all_lines()):
            raise Failure(p.name + " warned although ice-addresses is set")


def wrong_ice_address(w):
    """An ice-addresses entry that is not this machine's is named."""
    p = w.launch("sink", "videotestsrc is-live=true ! webrtcsink "
                 "uri=ws://127.0.0.1:9/ ice-addresses=192.0.2.7")
    p.wait_text("ice-addresses: 192.0.2.7 is not an address of this "
                "machine: ICE cannot gather there")


def not_live(w):
    """videotestsrc without is-live=true: webrtcsink says so and paces it,
    so the viewer gets frames (it used to get none)."""
    port = w.relay()
    uri = "ws://127.0.0.1:{}/?peer-id=cam1".format(port)
    sink = w.launch("sink", "videotestsrc ! webrtcsink uri={} "
                    "ice-addresses=127.0.0.1".format(uri))
    w.relay_proc.wait_text("peer cam1 registered as producer")
    src = w.launch("src", "webrtcsrc uri={} ice-addresses=127.0.0.1 "
                   "! fakesink num-buffers=30".format(uri))
    sink.wait_text("input video_0 is not live (e.g. videotestsrc without "
                   "is-live=true, or a file): webrtcsink sends it at the pace "
                   "of the clock")
    src.wait_text("Got EOS from element")
    live = w.launch("sink-live", "videotestsrc is-live=true ! webrtcsink "
                    "uri=ws://127.0.0.1:{}/?peer-id=cam2 "
                    "ice-addresses=127.0.0.1".format(port))
    w.relay_proc.wait_text("peer cam2 registered as producer")
    src2 = w.launch("src-live", "webrtcsrc uri=ws://127.0.0.1:{}/?peer-id=cam2"
                    " ice-addresses=127.0.0.1 ! fakesink num-buffers=30"
                    .format(port))
    src2.wait_text("Got EOS from element")
    if any("is not live" in line for line in live.all_lines()):
        raise Failure("a live input was called not live")


def uri_handler(w):
    """Both elements are URI handlers: a URI as gst-launch's sink element
    makes webrtcsink, and playbin / gst-play-1.0 play whep+http:// and
    ws:// URIs through webrtcsrc."""
    serve = w.launch("whep-serve", "videotestsrc is-live=true ! "
                     "whep-server://127.0.0.1:8081/whep")
    wait_port(8081)
    pb = w.launch("playbin-whep", "playbin uri=whep+http://127.0.0.1:8081/whep"
                  " video-sink='fakesink num-buffers=30' audio-sink=fakesink")
    pb.wait_text('Got EOS from element "playbin0"')
    if pb.wait_exit() != 0:
        raise Failure("playbin of whep+http:// failed")
    full = dict(os.environ)
    play = Proc("gst-play", ["gst-play-1.0", "--videosink",
                             "fakesink num-buffers=30", "--audiosink",
                             "fakesink", "whep+http://127.0.0.1:8081/whep"],
                w.logdir, env=full)
    w.procs.append(play)
    play.wait_text("Now playing whep+http://127.0.0.1:8081/whep")
    play.wait_text("Reached end of play list.")
    check_no_errors(serve, pb, play)

    port = w.relay()
    uri = "ws://127.0.0.1:{}/?peer-id=cam1".format(port)
    w.launch("ws-publish", "webrtcsink name=s uri={} "
             "videotestsrc is-live=true ! s.video_0 "
             "audiotestsrc is-live=true ! s.audio_0".format(uri))
    w.relay_proc.wait_text("peer cam1 registered as producer")
    pb2 = w.launch("playbin-ws", "playbin uri='{}' "
                   "video-sink='fakesink num-buffers=30' "
                   "audio-sink='fakesink num-buffers=30'".format(uri))
    pb2.wait_text('Got EOS from element "playbin0"')
    if pb2.wait_exit() != 0:
        raise Failure("playbin of ws:// failed")

    # A URI of the other direction is not one playbin can play.
    bad = w.launch("playbin-wrong", "playbin "
                   "uri=whip+http://127.0.0.1:8081/whip video-sink=fakesink")
    bad.wait_text('No URI handler implemented for "whip+http"')


def inspect(w):
    """gst-inspect-1.0 shows what a user can set: every scheme, the
    signallers' own properties, ?token=, signal argument names and the
    gws-* messages, the URI handler and wait-timeout."""
    want = {
        "webrtcsink": [
            "ws://, wss:// GwsWsSignaller", "whip+http://, whip+https:// "
            "GwsWhipClient", "whep-server:// GwsWhepServer", "?token=T",
            "?peer-id=NAME", "signaller::NAME=VALUE", "meta", "token",
            "tls-validation", "trickle", "timeout", "max-sessions",
            "consumer-added (peer_id, session_id, webrtcbin)",
            "encoder-setup (encoder, stream, codec)", "get-sessions",
            "video-encoders",
            "consumer-removed (peer_id, session_id, reason)",
            "path-lost (session_id, silence_ms)", "gws-path-lost",
            "gws-restart-started", "gws-session-restarted",
            "gws-restart-failed", "Element can act as sink.", "whep-server\n",
            "wait-timeout"],
        "webrtcsrc": [
            "ws://, wss:// GwsWsSignaller", "whep+http://, whep+https:// "
            "GwsWhepClient", "whip-server:// GwsWhipServer", "?token=T",
            "producer-peer-id", "trickle", "timeout", "tls-validation",
            "restart-session (session_id or NULL)", "gws-path-lost",
            "Element can act as source.", "whip-server\n", "wait-timeout"],
    }
    for element, texts in want.items():
        out = subprocess.run(["gst-inspect-1.0", element], capture_output=True,
                             text=True, timeout=WAIT).stdout
        for t in texts:
            if t not in out:
                raise Failure("gst-inspect-1.0 {} does not show {!r}".format(
                    element, t))


def mdns_candidates(w):
    """A peer that sends only an mDNS (.local) host candidate, as Chromium
    does without media permission, gets a warning naming the cause and the
    fixes (it used to sit negotiating with no word)."""
    with open("/etc/nsswitch.conf") as f:
        if any(line.startswith("hosts:") and "mdns" in line for line in f):
            raise Skip("this machine resolves .local names (nss-mdns)")
    port = w.relay()
    uri = "ws://127.0.0.1:{}/?peer-id=cam1".format(port)
    sink = w.launch("sink", "videotestsrc is-live=true ! webrtcsink "
                    "uri={} ice-addresses=127.0.0.1".format(uri))
    w.relay_proc.wait_text("peer cam1 registered as producer")
    peer = Proc("mdns-peer", [PYTHON, os.path.join(HERE, "mdns_peer.py"),
                              "ws://127.0.0.1:{}/".format(port), "cam1"],
                w.logdir)
    w.procs.append(peer)
    peer.wait_text("sent an mDNS candidate")
    sink.wait_text("the peer hides its ICE host addresses behind mDNS names "
                   "(3f0c2a1e-8d5b-4c7a-9e21-6b4d2f8a1c90.local), and this "
                   "machine cannot resolve .local names")
    sink.wait_text("--disable-features=WebRtcHideLocalIpsWithMdns")


def h264_caps_change(w):
    """Pre-encoded H264 of a profile viewers do not get (x264enc's default)
    is named when it appears and when a viewer makes the encoder switch; a
    webrtcsrc encoded output (for a recorder) whose caps change mid-stream
    says so instead of letting a muxer fail silently."""
    port = w.relay()
    uri = "ws://127.0.0.1:{}/?peer-id=cam1".format(port)
    sink = w.launch("sink", "videotestsrc is-live=true ! x264enc "
                    "tune=zerolatency key-int-max=30 ! tee name=t ! queue ! "
                    "webrtcsink uri={} ice-addresses=127.0.0.1 t. ! queue ! "
                    "fakesink".format(uri))
    sink.wait_text("input video_0 is H264 profile high-4:4:4, but viewers "
                   "get constrained-baseline")
    w.relay_proc.wait_text("peer cam1 registered as producer")
    view = w.launch("viewer", "webrtcsrc uri={} ice-addresses=127.0.0.1 ! "
                    "fakesink num-buffers=30".format(uri))
    sink.wait_text("input video_0 changed from H264 profile high-4:4:4 to "
                   "constrained-baseline mid-stream")
    view.wait_text("Got EOS from element")

    # The receiving side: the producer's stream changes size mid-way.
    uri2 = "ws://127.0.0.1:{}/?peer-id=cam2".format(port)
    env = dict(os.environ)
    prod = subprocess.Popen([PYTHON, os.path.join(HERE,
                                                  "caps_change_producer.py"),
                             uri2], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        w.relay_proc.wait_text("peer cam2 registered as producer")
        rec = w.launch("recorder", "-e webrtcsrc uri={} "
                       "ice-addresses=127.0.0.1 video-codecs=<H264> ! "
                       "video/x-h264 ! fakesink silent=false -v".format(uri2))
        rec.wait_text("width=(int)320, height=(int)240")
        prod.stdin.write("switch\n")
        prod.stdin.flush()
        rec.wait_text("video_0 changed mid-stream (the producer switched)")
        line = rec.wait_text("a muxer downstream (mp4mux, matroskamux) may "
                             "fail on it")
        if "width=(int)640" not in line:
            raise Failure("the warning does not show the new caps: " + line)
    finally:
        prod.kill()
        prod.wait()


# ---- the start-order policy (wait-timeout), one for ws, WHIP and WHEP ----

WAITING = "for it to appear (wait-timeout)"


def start_order_ws(w):
    """A viewer started before its producer waits for it (it used to fail
    for good with 'producer not found'); both started before the relay
    connect once it is up."""
    port = w.relay()
    uri = "ws://127.0.0.1:{}/?peer-id=cam1".format(port)
    src = w.launch("viewer", "webrtcsrc uri={} ! fakesink num-buffers=30"
                   .format(uri))
    src.wait_text('producer "cam1" not found at ws://127.0.0.1:{}/: '
                  .format(port))
    src.wait_text("waiting up to 60 s " + WAITING)
    w.launch("producer", "videotestsrc is-live=true ! webrtcsink "
             "uri={}".format(uri))
    src.wait_text("Got EOS from element")

    # Viewer and producer before the relay (fixed port in this namespace).
    uri = "ws://127.0.0.1:18443/?peer-id=cam2"
    src2 = w.launch("viewer2", "webrtcsrc uri={} ! fakesink num-buffers=30"
                    .format(uri))
    src2.wait_text("could not reach signalling server ws://127.0.0.1:18443/")
    w.launch("producer2", "videotestsrc is-live=true ! webrtcsink "
             "uri={}".format(uri))
    w.relay(port=18443)
    src2.wait_text("Got EOS from element")


def start_order_whep(w):
    """A WHEP viewer started before its server waits for it."""
    play = w.launch("viewer", "webrtcsrc uri=whep+http://127.0.0.1:8081/whep "
                    "! fakesink num-buffers=30")
    play.wait_text("could not reach the WHEP endpoint "
                   "http://127.0.0.1:8081/whep: ")
    play.wait_text("waiting up to 60 s " + WAITING)
    w.launch("server", "videotestsrc is-live=true ! webrtcsink "
             "uri=whep-server://127.0.0.1:8081/whep")
    play.wait_text("Got EOS from element")


def start_order_whip(w):
    """A WHIP publisher started before its endpoint waits for it."""
    pub = w.launch("publisher", "videotestsrc is-live=true ! webrtcsink "
                   "uri=whip+http://127.0.0.1:8080/whip")
    pub.wait_text("could not reach the WHIP endpoint "
                  "http://127.0.0.1:8080/whip: ")
    pub.wait_text("waiting up to 60 s " + WAITING)
    rec = w.launch("receiver", "webrtcsrc uri=whip-server://127.0.0.1:8080/whip"
                   " ! fakesink num-buffers=30")
    rec.wait_text("Got EOS from element")


def wait_timeout(w):
    """The wait ends: an error naming what was missing and the property;
    0 fails at once."""
    port = w.relay()
    src = w.launch("viewer", "webrtcsrc uri=ws://127.0.0.1:{}/?peer-id=nope "
                   "wait-timeout=2 ! fakesink".format(port))
    src.wait_text('ERROR: from element')
    src.wait_text('producer "nope" not found at ws://127.0.0.1:{}/'
                  .format(port))
    src.wait_text("gave up after 2 s (wait-timeout)")
    if src.wait_exit() == 0:
        raise Failure("gst-launch exited 0")
    relay_gone = w.launch("sink", "videotestsrc is-live=true ! webrtcsink "
                          "uri=ws://127.0.0.1:9/ wait-timeout=2")
    relay_gone.wait_text("could not reach signalling server ws://127.0.0.1:9/")
    relay_gone.wait_text("gave up after 2 s (wait-timeout)")
    relay_gone.wait_exit()
    at_once = w.launch("whep", "webrtcsrc uri=whep+http://127.0.0.1:8081/whep "
                       "wait-timeout=0 ! fakesink")
    line = at_once.wait_text("ERROR: from element")
    if "could not reach the WHEP endpoint" not in line:
        raise Failure("unexpected error: " + line)
    at_once.wait_exit()


# ---- every pipelines/ script, headless (issue 14) ----

# Headless sinks that end the receiver after some frames (EOS).
HEADLESS = {"VIDEO_SINK": "fakesink num-buffers=60",
            "AUDIO_SINK": "fakesink num-buffers=60"}
EOS = 'Got EOS from element "pipeline0"'


def wait_port(port, timeout=WAIT):
    """Until something accepts TCP connections on 127.0.0.1:PORT."""
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)  # polling a condition, bounded by the deadline
    raise Failure("nothing listens on port {}".format(port))


def check_no_errors(*procs):
    for p in procs:
        bad = [line for line in p.all_lines() if line.startswith("ERROR")]
        if bad:
            raise Failure("{}: {}".format(p.name, bad[0]))


def pipelines_test_pattern(w):
    """publish-test-pattern.sh -> receive-to-screen.sh (video and audio);
    env.sh picks ice-addresses=127.0.0.1 by itself on this loopback-only
    machine and says so."""
    w.relay(port=8443)
    pub = w.script("publish", "publish-test-pattern.sh")
    pub.wait_text("No network interface but loopback: using "
                  "ice-addresses=127.0.0.1")
    w.relay_proc.wait_text("peer cam1 registered as producer")
    rec = w.script("receive", "receive-to-screen.sh", env=HEADLESS)
    rec.wait_text(EOS)
    if rec.wait_exit() != 0:
        raise Failure("receive-to-screen.sh failed")
    check_no_errors(pub, rec)


def pipelines_camera(w):
    """publish-camera.sh (SOURCE instead of a camera) ->
    receive-on-a-flaky-network.sh."""
    w.relay(port=8443)
    pub = w.script("publish", "publish-camera.sh",
                   env={"SOURCE": "videotestsrc is-live=true"})
    w.relay_proc.wait_text("peer cam1 registered as producer")
    rec = w.script("receive", "receive-on-a-flaky-network.sh", env=HEADLESS)
    rec.wait_text(EOS)
    if rec.wait_exit() != 0:
        raise Failure("receive-on-a-flaky-network.sh failed")
    check_no_errors(pub, rec)


def pipelines_h264_file(w):
    """publish-camera-h264.sh (x264enc instead of an H264 camera) ->
    receive-to-file.sh: the file holds H264 video after Ctrl-C."""
    w.relay(port=8443)
    pub = w.script("publish", "publish-camera-h264.sh", env={
        "SOURCE": "videotestsrc is-live=true ! x264enc tune=zerolatency "
                  "key-int-max=30 ! capsfilter "
                  "caps=video/x-h264,profile=constrained-baseline"})
    w.relay_proc.wait_text("peer cam1 registered as producer")
    out = os.path.join(w.logdir, "recording.mkv")
    rec = w.script("receive", "receive-to-file.sh",
                   "ws://127.0.0.1:8443/?peer-id=cam1", out)
    deadline = time.monotonic() + WAIT
    while not (os.path.exists(out) and os.path.getsize(out) > 20000):
        if time.monotonic() > deadline:
            raise Failure("recording.mkv did not grow past 20 kB")
        if rec.proc.poll() is not None:
            raise Failure("receive-to-file.sh exited: {}".format(
                rec.all_lines()[-5:]))
        time.sleep(0.1)  # polling the file, bounded by the deadline
    os.killpg(rec.proc.pid, 2)  # Ctrl-C: -e closes the file properly
    if rec.wait_exit() != 0:
        raise Failure("receive-to-file.sh failed after Ctrl-C")
    read = subprocess.run(
        ["gst-launch-1.0", "-v", "filesrc", "location=" + out, "!",
         "matroskademux", "!", "h264parse", "!", "fakesink"],
        capture_output=True, text=True, timeout=WAIT)
    if read.returncode != 0 or "video/x-h264" not in read.stdout:
        raise Failure("no readable H264 in the recording: " +
                      read.stdout[-800:] + read.stderr[-800:])
    check_no_errors(pub, rec)


def pipelines_whep(w):
    """whep-serve.sh -> whep-play.sh (their default URIs)."""
    srv = w.script("serve", "whep-serve.sh")
    wait_port(8081)
    play = w.script("play", "whep-play.sh", env=HEADLESS)
    play.wait_text(EOS)
    if play.wait_exit() != 0:
        raise Failure("whep-play.sh failed")
    check_no_errors(srv, play)


def pipelines_whip(w):
    """whip-receive.sh <- whip-publish.sh (their default URIs)."""
    rec = w.script("receive", "whip-receive.sh", env=HEADLESS)
    wait_port(8080)
    pub = w.script("publish", "whip-publish.sh")
    rec.wait_text(EOS)
    if rec.wait_exit() != 0:
        raise Failure("whip-receive.sh failed")
    check_no_errors(rec, pub)


def pipelines_demo(w):
    """pipelines/demo: the page is served, and the receiver line it prints
    works from another directory (absolute GST_PLUGIN_PATH), headless."""
    demo = w.script("demo", "demo", cwd="/")
    demo.wait_text("Watch it in a browser: http://127.0.0.1:8443/")
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:8443/",
                                timeout=WAIT) as r:
        page = r.read().decode()
    if r.status != 200 or "<html" not in page.lower():
        raise Failure("GET / of the demo: {} {}".format(r.status, page[:200]))
    line = demo.wait_text("GST_PLUGIN_PATH=").strip()
    demo.wait_text("Only this machine can reach it; to watch from another")
    demo.wait_text("HOST=0.0.0.0 pipelines/demo")
    if "GST_PLUGIN_PATH=/" not in line:
        raise Failure("relative GST_PLUGIN_PATH: " + line)
    cmd = line.replace("videoconvert ! autovideosink",
                       "fakesink num-buffers=30")
    if cmd == line:
        raise Failure("unexpected receiver line: " + line)
    demo.wait_text("peer demo registered as producer")  # the relay's log
    env = {k: v for k, v in os.environ.items() if k != "GST_PLUGIN_PATH"}
    rec = Proc("receiver", ["sh", "-c", cmd], w.logdir, env=env, cwd="/")
    w.procs.append(rec)
    rec.wait_text(EOS)
    check_no_errors(demo, rec)


TESTS = {
    "h264-caps-change": h264_caps_change,
    "mdns-candidates": mdns_candidates,
    "inspect": inspect,
    "start-order-ws": start_order_ws,
    "start-order-whep": start_order_whep,
    "start-order-whip": start_order_whip,
    "wait-timeout": wait_timeout,
    "uri-handler": uri_handler,
    "pipelines-test-pattern": pipelines_test_pattern,
    "pipelines-camera": pipelines_camera,
    "pipelines-h264-file": pipelines_h264_file,
    "pipelines-whep": pipelines_whep,
    "pipelines-whip": pipelines_whip,
    "pipelines-demo": pipelines_demo,
    "not-live": not_live,
    "loopback-only": loopback_only,
    "wrong-ice-address": wrong_ice_address,
    "wrong-direction-sink": wrong_direction_sink,
    "wrong-direction-src": wrong_direction_src,
}


def main():
    return main_exit_code(TESTS, World, "GWS_USABILITY_NETNS")

if __name__ == "__main__":
    sys.exit(main())
