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
WAIT = 20.0  # seconds for any single expected line
SKIP = 77


class Failure(Exception):
    pass


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
                 "ICE skips loopback: no session can connect. Set "
                 "ice-addresses=127.0.0.1")


def loopback_only(w):
    """With only `lo` (this namespace) and no ice-addresses, both elements
    say why no session will connect and what to set; with ice-addresses
    they do not, and media flows."""
    port = w.relay()
    uri = "ws://127.0.0.1:{}/?peer-id=cam1".format(port)
    sink = w.launch("sink", "videotestsrc is-live=true ! webrtcsink "
                    "uri={}".format(uri))
    sink.wait_text("WARNING: from element")
    sink.wait_text(LOOPBACK_ONLY)
    src = w.launch("src", "webrtcsrc uri={} ! fakesink".format(uri))
    src.wait_text(LOOPBACK_ONLY)
    sink.stop()
    src.stop()
    uri = uri.replace("cam1", "cam2")
    sink = w.launch("sink-ok", "videotestsrc is-live=true ! webrtcsink "
                    "uri={} ice-addresses=127.0.0.1".format(uri))
    w.relay_proc.wait_text("peer cam2 registered as producer")
    src = w.launch("src-ok", "-v webrtcsrc uri={} ice-addresses=127.0.0.1 "
                   "! fakesink silent=false num-buffers=30".format(uri))
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


TESTS = {
    "not-live": not_live,
    "loopback-only": loopback_only,
    "wrong-ice-address": wrong_ice_address,
    "wrong-direction-sink": wrong_direction_sink,
    "wrong-direction-src": wrong_direction_src,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        if len(sys.argv) == 2 and sys.argv[1] == "--list":
            print("\n".join(TESTS))
            return 0
        print("usage: run.py TEST (one of: {})".format(", ".join(TESTS)))
        return 2
    name = sys.argv[1]
    if os.environ.get("GWS_USABILITY_NETNS") != "1":
        if os.geteuid() != 0 or not shutil.which("unshare"):
            print("SKIP: needs root and unshare for a private network "
                  "namespace")
            return SKIP
        env = dict(os.environ, GWS_USABILITY_NETNS="1")
        return subprocess.call(["unshare", "-n", "--", PYTHON,
                                os.path.abspath(__file__), name], env=env)
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    world = World(name)
    ok = False
    started = time.monotonic()
    try:
        TESTS[name](world)
        ok = True
    except Failure as e:
        print("FAIL {}: {}".format(name, e))
    finally:
        world.close(ok)
    if ok:
        print("PASS {} ({:.1f} s)".format(name, time.monotonic() - started))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
