#!/usr/bin/python3
"""Offline exchange (offline://) tests: gst-launch processes, no server.

Every test runs real gst-launch-1.0 processes with webrtcsink / webrtcsrc
and nothing else: no relay, no helper process. Two-host tests put the two
processes in two network namespaces joined by a veth pair (the exchange
folder is written by one namespace and read by the other); the others run
in one private namespace (`unshare -n`). Needs root (skipped otherwise).
Every wait is on process output or exit, with a timeout.

Usage: run.py TEST   (run.py --list)
Environment: GST_PLUGIN_PATH (the built plugin).
"""

import atexit
import base64
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib

SKIP = 77
WAIT = 30.0
NS = "gws-off-{}".format(os.getpid())
ADDR = {"a": "10.99.7.1", "b": "10.99.7.2"}


class Failure(Exception):
    pass


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def make_namespaces():
    """Two namespaces joined by a veth, deleted at exit."""
    for side in "ab":
        sh("ip", "netns", "add", NS + "-" + side)
    atexit.register(delete_namespaces)
    sh("ip", "link", "add", "va", "netns", NS + "-a", "type", "veth",
       "peer", "name", "vb", "netns", NS + "-b")
    for side in "ab":
        ns = NS + "-" + side
        sh("ip", "-n", ns, "addr", "add", ADDR[side] + "/24", "dev",
           "v" + side)
        sh("ip", "-n", ns, "link", "set", "v" + side, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    # libnice lists the interfaces once, when gathering starts: a veth
    # whose carrier or addresses are not ready yet gives no candidate.
    deadline = time.monotonic() + 10
    for side in "ab":
        ns = NS + "-" + side
        while True:
            link = sh("ip", "-n", ns, "link", "show", "v" + side).stdout
            addr = sh("ip", "-n", ns, "addr", "show", "v" + side).stdout
            if "LOWER_UP" in link and "state UP" in link and \
                    "tentative" not in addr:
                break
            if time.monotonic() > deadline:
                raise Failure("veth in {} not up: {} {}".format(ns, link,
                                                               addr))
            time.sleep(0.05)  # polling the kernel's link state


def delete_namespaces():
    for side in "ab":
        ns = NS + "-" + side
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", ns, check=False)


class Launch:
    """A gst-launch-1.0 process; its merged output is collected by line."""

    def __init__(self, name, pipeline, logdir, ns=None, stdin=False):
        argv = ["gst-launch-1.0", "-e"] + pipeline.split()
        if ns:
            argv = ["ip", "netns", "exec", ns] + argv
        env = dict(os.environ)
        env["GST_DEBUG"] = "webrtc-signaller-offline:4," + env.get(
            "GST_DEBUG", "")
        env["GST_DEBUG_NO_COLOR"] = "1"
        self.name = name
        self.lines = queue.Queue()
        self.text = []
        self.ended = False  # the output's end was read
        self.log = open(os.path.join(logdir, name + ".log"), "w")
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, env=env,
            text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_line(self, pattern, timeout=WAIT):
        """The first line (not seen before) matching @pattern."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("{}: no line matching {!r} within {:.0f} s; "
                              "last lines: {}".format(
                                  self.name, pattern, timeout,
                                  self.text[-6:]))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.ended = True
                raise Failure("{}: exited (code {}) before a line matching "
                              "{!r}; last lines: {}".format(
                                  self.name, self.proc.wait(), pattern,
                                  self.text[-6:]))
            self.text.append(line)
            m = rx.search(line)
            if m:
                return m

    def wait_exit(self, timeout=WAIT):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("{}: still running after {:.0f} s; last lines: {}"
                          .format(self.name, timeout, self.text[-6:]))
        # drain what is left
        while not self.ended:
            line = self.lines.get(timeout=5)
            if line is None:
                self.ended = True
                break
            self.text.append(line)
        return rc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


PRODUCER = ("videotestsrc is-live=true ! video/x-raw,width=320,height=240,"
            "framerate=30/1 ! webrtcsink uri={uri} {extra}")
CONSUMER = ("webrtcsrc uri={uri} {extra} ! videoconvert ! "
            "fakesink num-buffers={frames} sync=true")


def blob(kind, session, sdp):
    """A GWS1 blob, written independently of the C++ encoder."""
    payload = "{}\n{}\n{}".format(kind, session, sdp).encode()
    data = base64.urlsafe_b64encode(zlib.compress(payload)).decode()
    return "GWS1.{}.{:08x}".format(data.rstrip("="), zlib.crc32(payload))


def unblob(text):
    text = "".join(text.split())
    _, data, _ = text.split(".")
    payload = zlib.decompress(base64.urlsafe_b64decode(
        data + "=" * (-len(data) % 4))).decode()
    kind, session, sdp = payload.split("\n", 2)
    return kind, session, sdp


def wait_file(path, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise Failure("{} did not appear within {:.0f} s".format(
                path, timeout))
        time.sleep(0.05)  # polling a file the process writes
    with open(path) as f:
        return f.read()


def two_hosts(logdir, offerer):
    """webrtcsink in one namespace, webrtcsrc in another, one folder."""
    make_namespaces()
    folder = os.path.join(logdir, "exchange")
    q = "" if offerer == "producer" else "?offerer=consumer"
    uri = "offline://" + folder + q
    procs = []
    try:
        prod = Launch("producer", PRODUCER.format(uri=uri, extra=""), logdir,
                      ns=NS + "-a")
        procs.append(prod)
        cons = Launch("consumer", CONSUMER.format(uri=uri, extra="",
                                                  frames=60),
                      logdir, ns=NS + "-b")
        procs.append(cons)
        rc = cons.wait_exit(timeout=WAIT)
        out = "\n".join(cons.text)
        if rc != 0 or "Got EOS" not in out:
            raise Failure("consumer: exit code {} without its 60 frames; "
                          "last lines: {}".format(rc, cons.text[-6:]))
        print("consumer received 60 frames from the other namespace")
        # Session end is carried too: the consumer's bye reaches the
        # producer, which ends the session and starts the next exchange
        # (offers again, or waits for the next consumer's offer).
        prod.wait_line(r"ended by the other side")
        prod.wait_line(r"offering in session" if offerer == "producer"
                       else r"waiting for an offer")
        print("producer saw the session end and is ready for the next")
        if offerer == "producer":
            prod.wait_line(r"wrote \S*offer\.gws")
            print("the next offer is in the folder")
        # A second consumer is served by the same producer process.
        cons2 = Launch("consumer2", CONSUMER.format(uri=uri, extra="",
                                                    frames=30),
                       logdir, ns=NS + "-b")
        procs.append(cons2)
        rc = cons2.wait_exit(timeout=WAIT)
        if rc != 0 or not any("Got EOS" in l for l in cons2.text):
            raise Failure("second consumer: exit code {} without its 30 "
                          "frames; last lines: {}".format(rc,
                                                          cons2.text[-6:]))
        print("a second consumer got its 30 frames from the same producer")
    finally:
        for p in procs:
            p.stop()


def test_two_hosts(logdir):
    two_hosts(logdir, "producer")


def test_two_hosts_consumer_offers(logdir):
    two_hosts(logdir, "consumer")


def producer_waiting(logdir, extra_query=""):
    folder = os.path.join(logdir, "exchange")
    uri = "offline://" + folder + "?timeout=4" + extra_query
    prod = Launch("producer", PRODUCER.format(
        uri=uri, extra="ice-addresses=127.0.0.1"), logdir)
    offer = wait_file(os.path.join(folder, "offer.gws"))
    return prod, folder, offer


def write_answer(folder, text):
    tmp = os.path.join(folder, ".answer.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(folder, "answer.gws"))


def test_corrupted(logdir):
    prod, folder, offer = producer_waiting(logdir)
    try:
        kind, session, sdp = unblob(offer)
        good = blob("answer", session, sdp)
        # One character changed in the middle, as a bad paste does.
        i = len(good) // 2
        bad = good[:i] + ("A" if good[i] != "A" else "B") + good[i + 1:]
        write_answer(folder, bad + "\n")
        m = prod.wait_line(r"WARNING.*answer\.gws: the description is "
                           r"damaged.*copy it again")
        print("damaged: " + m.group(0))
        cut = good[: len(good) - 20]
        write_answer(folder, cut + "\n")
        m = prod.wait_line(r"WARNING.*answer\.gws: .*(cut off|incomplete)")
        print("truncated: " + m.group(0))
        rc = prod.wait_exit(timeout=WAIT)
        if rc == 0:
            raise Failure("producer exited 0 after its timeout")
        if not any("never held a usable one" in l for l in prod.text):
            raise Failure("the timeout error does not mention the bad answer")
        print("gave up after the timeout, naming the damaged answer")
    finally:
        prod.stop()


def test_stale_answer(logdir):
    prod, folder, offer = producer_waiting(logdir)
    try:
        kind, session, sdp = unblob(offer)
        if kind != "offer":
            raise Failure("offer.gws holds a " + kind)
        write_answer(folder, blob("answer", "an-older-session", sdp) + "\n")
        m = prod.wait_line(r"WARNING.*a stale answer: it answers session "
                           r"an-older-session, our current offer is session "
                           + re.escape(session))
        print("stale: " + m.group(0))
        rc = prod.wait_exit(timeout=WAIT)
        if rc == 0:
            raise Failure("producer exited 0 after its timeout")
        print("exited {} after the timeout".format(rc))
    finally:
        prod.stop()


def test_missing_answer(logdir):
    start = time.monotonic()
    prod, folder, offer = producer_waiting(logdir)
    try:
        m = prod.wait_line(r"ERROR.*no answer to our offer \(session [^)]+\) "
                           r"within 4 s: \S*answer\.gws did not appear")
        rc = prod.wait_exit(timeout=WAIT)
        print("{} (exit {} after {:.1f} s)".format(
            m.group(0), rc, time.monotonic() - start))
        if rc == 0:
            raise Failure("producer exited 0")
    finally:
        prod.stop()


def test_both_offer(logdir):
    """Mismatched offerer settings: both sides offer into one folder. It
    is reported as such (a warning), then the timeout ends both."""
    folder = os.path.join(logdir, "exchange")
    base = "offline://" + folder + "?timeout=6"
    prod = Launch("producer", PRODUCER.format(
        uri=base, extra="ice-addresses=127.0.0.1"), logdir)
    cons = Launch("consumer", CONSUMER.format(
        uri=base + "&offerer=consumer", extra="ice-addresses=127.0.0.1",
        frames=30), logdir)
    try:
        rx = r"WARNING.*offer\.gws: another offer .* both sides are set to offer"
        found = []
        for p in (prod, cons):
            try:
                found.append(p.wait_line(rx, timeout=15).group(0))
            except Failure:
                pass
        if not found:
            raise Failure("neither side said that both offer")
        print(found[0])
        for p in (prod, cons):
            if p.wait_exit() == 0:
                raise Failure(p.name + " exited 0")
    finally:
        prod.stop()
        cons.stop()


def test_terminal(logdir):
    """The person at a terminal: the offer printed on one side is pasted
    into the other (wrapped over lines, as a mail client does), and the
    answer back."""
    uri = "offline:?terminal=true&qr=false"
    qr = shutil.which("qrencode") is not None
    prod = Launch("producer", PRODUCER.format(
        uri=uri.replace("qr=false", "qr=true"),
        extra="ice-addresses=127.0.0.1"), logdir, stdin=True)
    cons = Launch("consumer", CONSUMER.format(
        uri=uri, extra="ice-addresses=127.0.0.1", frames=30), logdir,
        stdin=True)
    try:
        offer = prod.wait_line(r"^(GWS1\.\S+)$").group(1)
        if qr:
            # qrencode -t ANSIUTF8 draws with half blocks, right after it.
            prod.wait_line("[\u2580\u2584\u2588]", timeout=10)
            print("the offer was also shown as a QR code")
        wrapped = "\n".join(offer[i:i + 72] for i in range(0, len(offer), 72))
        cons.proc.stdin.write(wrapped + "\n")
        cons.proc.stdin.flush()
        answer = cons.wait_line(r"^(GWS1\.\S+)$").group(1)
        prod.proc.stdin.write(answer + "\n")
        prod.proc.stdin.flush()
        rc = cons.wait_exit()
        if rc != 0 or not any("Got EOS" in l for l in cons.text):
            raise Failure("consumer: exit {} without its frames".format(rc))
        print("offer ({} chars, pasted in {} lines) and answer ({} chars) "
              "carried by hand; 30 frames".format(
                  len(offer), wrapped.count("\n") + 1, len(answer)))
    finally:
        prod.stop()
        cons.stop()


def test_app_route(logdir):
    """Element message out, submit-remote in (tests/offline/app_route.py)."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["/usr/bin/python3",
                          os.path.join(here, "app_route.py")],
                         capture_output=True, text=True, timeout=60)
    with open(os.path.join(logdir, "app_route.log"), "w") as f:
        f.write(out.stdout + out.stderr)
    print(out.stdout.strip())
    if out.returncode != 0:
        raise Failure("app_route.py exited {}: {}".format(
            out.returncode, out.stderr[-400:]))


TESTS = {
    "app-route": (test_app_route, True),
    "two-hosts": (test_two_hosts, False),
    "two-hosts-consumer-offers": (test_two_hosts_consumer_offers, False),
    "corrupted": (test_corrupted, True),
    "stale-answer": (test_stale_answer, True),
    "missing-answer": (test_missing_answer, True),
    "terminal": (test_terminal, True),
    "both-offer": (test_both_offer, True),
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS and sys.argv[1] != \
            "--list":
        print("usage: run.py TEST|--list", file=sys.stderr)
        return 2
    if sys.argv[1] == "--list":
        print("\n".join(TESTS))
        return 0
    fn, private_ns = TESTS[sys.argv[1]]
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)")
        return SKIP
    if private_ns and os.environ.get("GWS_OFFLINE_IN_NS") != "1":
        env = dict(os.environ, GWS_OFFLINE_IN_NS="1")
        return subprocess.call(["unshare", "-n", sys.executable,
                                os.path.abspath(__file__), sys.argv[1]],
                               env=env)
    if private_ns:
        sh("ip", "link", "set", "lo", "up")
    logdir = tempfile.mkdtemp(prefix="gws-offline-")
    try:
        fn(logdir)
    except Failure as e:
        print("FAIL: {} (logs in {})".format(e, logdir))
        return 1
    shutil.rmtree(logdir, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
