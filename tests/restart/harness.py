"""The world of the session-restart tests and benchmark: the two-path
topology (netpaths.py), the relay in the sender namespace on the signalling
link, and peer.py processes (sender: webrtcsink, receiver: webrtcsrc) in
their namespaces. Events from the peers are JSON lines kept in order; waits
are on events with a timeout."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from netpaths import Topology, media_path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from casemain import Failure, check  # noqa: E402,F401  (tests/common)

PEER = os.path.join(HERE, "peer.py")
PYTHON = "/usr/bin/python3"
WAIT = 40.0  # seconds for any single expected event (shared, slow machine)


class Proc:
    """A child process whose stdout lines are events (JSON objects; other
    lines become {"event": "line"})."""

    def __init__(self, name, argv, logdir, env=None, merge_stderr=False):
        self.name = name
        self.argv = argv
        self.events = []
        self.cond = threading.Condition()
        self.logpath = os.path.join(logdir, name + ".log")
        self.log = open(self.logpath, "w")
        self.merged = merge_stderr
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else self.log, env=env,
            text=True, bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

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
                ev = {"event": "line", "text": line, "t": time.monotonic()}
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.events.append({"event": "exit", "t": time.monotonic()})
            self.cond.notify_all()

    def mark(self):
        """Index of the next event: wait(..., since=mark) looks only at
        events after this point."""
        with self.cond:
            return len(self.events)

    def wait(self, what, pred, timeout=WAIT, since=0, fail_on_error=True):
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.events):
                    ev = self.events[i]
                    i += 1
                    if pred(ev):
                        return ev
                    if ev["event"] == "exit":
                        raise Failure("{}: exited (code {}) while waiting "
                                      "for {}; recent: {}".format(
                                          self.name, self.proc.poll(), what,
                                          self.recent()))
                    if fail_on_error and ev["event"] == "error":
                        raise Failure("{}: error while waiting for {}: {}"
                                      .format(self.name, what,
                                              ev.get("message")))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("{}: no {} within {:.0f} s; recent: {}"
                                  .format(self.name, what, timeout,
                                          self.recent()))
                self.cond.wait(left)

    def wait_event(self, event, timeout=WAIT, since=0, **match):
        return self.wait(
            event + (" " + json.dumps(match) if match else ""),
            lambda ev: ev["event"] == event and all(
                ev.get(k) == v for k, v in match.items()), timeout, since)

    def wait_gws(self, name, timeout=WAIT, since=0, fail_on_error=True):
        return self.wait("bus message " + name,
                         lambda ev: ev["event"] == "gws" and ev["name"] ==
                         name, timeout, since, fail_on_error)

    def select(self, event, since=0, until=None):
        with self.cond:
            evs = self.events[since:until]
        return [ev for ev in evs if ev["event"] == event]

    def recent(self, n=8):
        evs = [ev for ev in self.events if ev["event"] != "frame"]
        return evs[-n:]

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=10)  # it writes the log of merged output
        self.log.close()


class World:
    """Topology + relay + peers of one test or benchmark run."""

    def __init__(self, name, build_dir=None, keep_logs=False, topo=None):
        self.logdir = tempfile.mkdtemp(prefix="gws-restart-" + name + "-")
        self.keep_logs = keep_logs
        self.procs = []
        self.topo = topo if topo is not None else Topology()
        self.env = dict(os.environ)
        if build_dir:
            self.env["GST_PLUGIN_PATH"] = os.path.join(build_dir, "plugins")
            self.relay_bin = os.path.join(build_dir, "signaling", "relay",
                                          "gst-webrtc-relay")
        else:
            self.relay_bin = os.environ.get("GWS_RELAY", "gst-webrtc-relay")
        self.env["GST_DEBUG_NO_COLOR"] = "1"
        self.env.setdefault("GST_DEBUG", "webrtcsink:4,webrtcsrc:4,"
                            "webrtc-signaller-ws:4")
        self.port = None

    def relay(self):
        host = self.topo.addr("snd", "S")
        p = Proc("relay", self.topo.argv("snd", [self.relay_bin, "--host",
                                                 host, "--port", "0"]),
                 self.logdir, env=self.env, merge_stderr=True)
        self.procs.append(p)
        ev = p.wait("listening line",
                    lambda ev: "listening on ws://" in ev.get("text", ""))
        url = ev["text"].split("listening on ")[1].split()[0]
        self.port = int(url.rstrip("/").rsplit(":", 1)[1])
        return p

    def uri(self, peer_id="cam"):
        return "ws://{}:{}/?peer-id={}".format(self.topo.addr("snd", "S"),
                                               self.port, peer_id)

    def peer(self, name, role, *props, latency=None, paths=("A", "B"),
             size=None, source=None, uri=None, encoder=None):
        """A peer.py process; `paths` are the media paths its ICE may use,
        `size` and `source` (sender) the picture, e.g. "640x480" and
        "pattern=snow" (videotestsrc properties), `encoder` (sender) an
        encoder before webrtcsink (pre-encoded input), `uri` the element's
        (default: the relay's)."""
        side = "snd" if role == "sender" else "rcv"
        addrs = ",".join(self.topo.addr(side, p) for p in paths)
        argv = [PYTHON, PEER, role, "--uri", uri or self.uri(),
                "--ice-addresses",
                addrs]
        if latency is not None:
            argv += ["--latency", str(latency)]
        if size is not None:
            argv += ["--size", size]
        if source is not None:
            argv += ["--source", source]
        if encoder is not None:
            argv += ["--encoder", encoder]
        for p in props:
            argv += ["--prop", p]
        p = Proc(name, self.topo.argv(side, argv), self.logdir, env=self.env)
        self.procs.append(p)
        return p

    def start(self, sender_props=(), receiver_props=(), latency=None,
              frames=30, size=None, source=None):
        """Relay, sender, receiver; returns once the receiver has `frames`
        frames. Returns (sender, receiver, session id)."""
        self.relay()
        snd = self.peer("sender", "sender", *sender_props, size=size,
                        source=source)
        snd.wait_event("signalling", connected=True)
        rcv = self.peer("receiver", "receiver", *receiver_props,
                        latency=latency)
        added = snd.wait_event("consumer-added")
        rcv.wait("{} frames".format(frames), lambda ev: ev["event"] ==
                 "frame" and ev["n"] >= frames)
        return snd, rcv, added["session"]

    def media_path(self, seconds=1.0):
        """(path, rates): which path the receiver gets media on."""
        rates = self.topo.rates(seconds)
        return media_path(rates), rates

    def close(self, ok):
        for p in reversed(self.procs):
            p.stop()
        self.topo.close()
        if ok and not self.keep_logs:
            shutil.rmtree(self.logdir, ignore_errors=True)
        return self.logdir

    def tails(self, chars=1500):
        out = []
        for p in self.procs:
            try:
                with open(p.logpath) as f:
                    tail = f.read()[-chars:]
            except OSError:
                tail = ""
            out.append("----- {} -----\n{}".format(p.name, tail))
        return "\n".join(out)


def other(path):
    return "B" if path == "A" else "A"


def wait_path(w, expected, timeout=WAIT):
    """Polls the byte counters until `expected` carries the media."""
    deadline = time.monotonic() + timeout
    while True:
        path, rates = w.media_path(1.0)
        if path == expected:
            return rates
        if time.monotonic() > deadline:
            raise Failure("media not on path {} within {:.0f} s: last "
                          "second's bytes per path {}".format(
                              expected, timeout, rates))


def current_path(w, timeout=WAIT):
    """(path, rates): the path carrying the media, once one does (a sender
    short of CPU on a loaded machine may take a few seconds to reach its
    rate)."""
    deadline = time.monotonic() + timeout
    while True:
        path, rates = w.media_path(1.0)
        if path is not None:
            return path, rates
        check(time.monotonic() < deadline, "media not on exactly one of A "
              "and B: bytes received per path in 1 s {}".format(rates))


def frames_between(rcv, t0, t1=None):
    """Frame events of the receiver with t0 <= t < t1."""
    return [ev for ev in rcv.select("frame") if ev["t"] >= t0 and
            (t1 is None or ev["t"] < t1)]


def gap_around(rcv, t_cut, t_end=None):
    """(last frame before t_cut, first frame after it): the interruption."""
    frames = rcv.select("frame")
    before = [ev for ev in frames if ev["t"] < t_cut]
    after = [ev for ev in frames if ev["t"] >= t_cut and
             (t_end is None or ev["t"] < t_end)]
    return (before[-1] if before else None), after


def max_gap(frames):
    """Largest inter-frame arrival gap (s) and where, in a list of frames."""
    best, at = 0.0, None
    for a, b in zip(frames, frames[1:]):
        if b["t"] - a["t"] > best:
            best, at = b["t"] - a["t"], (a, b)
    return best, at


def missing_frames(frames, t0=None, t1=None, fps=30.0):
    """Frames missing at the receiver over [t0, t1] (default: from the
    first to the last of `frames`): what a steady 30 fps sender makes in
    that time minus what arrived. Counted by arrival, not from the PTS:
    under CPU load webrtcbin's jitterbuffer, which timestamps by arrival,
    compresses and stretches PTS (22-105 ms steps seen for a 33 ms
    stream), so PTS steps do not tell lost frames."""
    if len(frames) < 2:
        return 0
    t0 = frames[0]["t"] if t0 is None else t0
    t1 = frames[-1]["t"] if t1 is None else t1
    inside = [f for f in frames if t0 <= f["t"] <= t1]
    return max(0, int(round((t1 - t0) * fps)) + 1 - len(inside))


def pts_monotonic(frames):
    """The first pair of frames whose PTS goes back, or None. Equal PTS
    in a row are allowed: under CPU load webrtcbin's jitterbuffer clamps
    timestamps that would go back to the last one (seen at start-up here
    without any restart: 15 frames 33 ms apart with one PTS)."""
    pts = [f for f in frames if f.get("pts") is not None]
    for a, b in zip(pts, pts[1:]):
        if b["pts"] < a["pts"]:
            return (a, b)
    return None
