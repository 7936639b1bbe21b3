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
import email
import email.policy
import os
import queue
import re
import shutil
import socketserver
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

    def __init__(self, name, pipeline, logdir, ns=None, stdin=False,
                 argv=None, env_extra=None):
        """@pipeline for gst-launch-1.0, or @argv: another program (a
        pipelines/ script); @env_extra: more environment variables."""
        if argv is None:
            argv = ["gst-launch-1.0", "-e"] + pipeline.split()
        if ns:
            argv = ["ip", "netns", "exec", ns] + argv
        env = dict(os.environ, **(env_extra or {}))
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

    def wait_lines(self, patterns, timeout=WAIT):
        """Lines (not seen before) matching each of @patterns, in any
        order (lines from different threads come in either order)."""
        deadline = time.monotonic() + timeout
        left = list(patterns)
        while left:
            m = self.wait_line("|".join("(?:{})".format(p) for p in left),
                               max(0.1, deadline - time.monotonic()))
            left = [p for p in left if not re.search(p, m.group(0))]

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


def test_carried_folder(logdir):
    """Two machines that share no folder: the offer file is carried from
    one's folder to the other's and the answer file back (copied as a
    person with a USB stick does, not atomically), each side in its own
    namespace."""
    make_namespaces()
    here = os.path.join(logdir, "camera")
    there = os.path.join(logdir, "viewer")
    prod = Launch("producer", PRODUCER.format(
        uri="offline://" + here, extra=""), logdir, ns=NS + "-a")
    cons = None
    try:
        prod.wait_line(r"wrote \S*offer\.gws")
        os.makedirs(there)
        shutil.copyfile(os.path.join(here, "offer.gws"),
                        os.path.join(there, "offer.gws"))
        cons = Launch("consumer", CONSUMER.format(
            uri="offline://" + there, extra="", frames=60), logdir,
            ns=NS + "-b")
        cons.wait_line(r"wrote \S*answer\.gws")
        shutil.copyfile(os.path.join(there, "answer.gws"),
                        os.path.join(here, "answer.gws"))
        rc = cons.wait_exit()
        if rc != 0 or not any("Got EOS" in l for l in cons.text):
            raise Failure("consumer: exit {} without its 60 frames; last "
                          "lines: {}".format(rc, cons.text[-6:]))
        print("offer carried over, answer carried back; 60 frames")
    finally:
        prod.stop()
        if cons:
            cons.stop()


def test_peer_gone(logdir):
    """A peer killed without its bye (no channel left to say so): the other
    side ends the session by itself once nothing has arrived for 30 s
    (this signaller carries no restart). Two pairs at once: the producer
    killed (the consumer gets EOS and exits), and the consumer killed (the
    producer drops that session and offers again)."""
    make_namespaces()
    # A verbose fakesink: a "chain" line for each frame.
    watched = "webrtcsrc uri={uri} ! fakesink silent=false sync=false"
    pairs = {}
    procs = []
    try:
        for name in ("producer-killed", "consumer-killed"):
            uri = "offline://" + os.path.join(logdir, name)
            prod = Launch(name + "-p", PRODUCER.format(uri=uri, extra=""),
                          logdir, ns=NS + "-a")
            cons = Launch(name + "-c", "-v " + watched.format(uri=uri),
                          logdir, ns=NS + "-b")
            procs += [prod, cons]
            pairs[name] = (prod, cons)
        for name, (prod, cons) in pairs.items():
            prod.wait_line(r"offering in session")  # the first one
            cons.wait_line(r"last-message = chain")
        killed_at = time.monotonic()
        pairs["producer-killed"][0].stop()
        pairs["consumer-killed"][1].stop()
        print("media flowing in both pairs; one producer and one consumer "
              "killed (SIGKILL, no bye)")
        prod, cons = pairs["consumer-killed"]
        prod.wait_lines([r"WARNING.*failed: nothing received from the "
                         r"consumer for 30 s.*the consumer is gone",
                         r"offering in session"], timeout=75)
        print("producer: that consumer's session ended after {:.0f} s, "
              "offering again".format(time.monotonic() - killed_at))
        prod, cons = pairs["producer-killed"]
        cons.wait_line(r"WARNING.*nothing received from the producer for "
                       r"30 s.*the producer is gone", timeout=75)
        rc = cons.wait_exit(timeout=15)
        if rc != 0 or not any("Got EOS" in l for l in cons.text):
            raise Failure("consumer: exit {} without EOS; last lines: "
                          "{}".format(rc, cons.text[-6:]))
        print("consumer: EOS and exit 0 after {:.0f} s".format(
            time.monotonic() - killed_at))
    finally:
        for p in procs:
            p.stop()


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


def test_gather_timeout(logdir):
    """Gathering that does not complete (a STUN server that never answers:
    its address is on a link where nothing replies) is bounded by
    gather-timeout: the offer goes out with the candidates gathered so far,
    with a warning, and the session plays on them."""
    # In this test's private namespace: a veth whose far end has no
    # address, so the STUN requests to 10.99.8.2 go unanswered (libnice
    # retries them for seconds); its near end's 10.99.8.1 is the host
    # candidate both sides use (local traffic, no ice-addresses needed).
    sh("ip", "link", "add", "gt0", "type", "veth", "peer", "name", "gt1")
    sh("ip", "addr", "add", "10.99.8.1/24", "dev", "gt0")
    sh("ip", "link", "set", "gt0", "up")
    sh("ip", "link", "set", "gt1", "up")
    folder = os.path.join(logdir, "exchange")
    uri = "offline://" + folder + "?timeout=20"
    prod = Launch("producer", PRODUCER.format(
        uri=uri, extra="stun-server=stun://10.99.8.2:3478 "
        "signaller::gather-timeout=500"), logdir)
    cons = Launch("consumer", CONSUMER.format(uri=uri, extra="", frames=30),
                  logdir)
    try:
        m = prod.wait_line(r"WARN.*ICE gathering not complete after 500 ms: "
                           r"sending the (\d+) candidates")
        if int(m.group(1)) == 0:
            raise Failure("the offer went out with no candidate")
        prod.wait_line(r"wrote \S*offer\.gws")
        rc = cons.wait_exit()
        if rc != 0 or not any("Got EOS" in l for l in cons.text):
            raise Failure("consumer: exit {} without its frames; last lines: "
                          "{}".format(rc, cons.text[-6:]))
        print("gathering cut at 500 ms ({} candidates); 30 frames".format(
            m.group(1)))
    finally:
        prod.stop()
        cons.stop()


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PIPELINES = os.path.join(ROOT, "pipelines")
# Receivers of the pipelines/ scripts stop after some frames (EOS).
HEADLESS = {"VIDEO_SINK": "fakesink num-buffers=60"}


def test_pipelines_folder(logdir):
    """pipelines/offline-publish.sh and offline-receive.sh as a user runs
    them (headless), sharing a folder."""
    folder = os.path.join(logdir, "exchange")
    pub = Launch("publish", None, logdir, argv=[
        os.path.join(PIPELINES, "offline-publish.sh"), folder])
    rec = Launch("receive", None, logdir, env_extra=HEADLESS, argv=[
        os.path.join(PIPELINES, "offline-receive.sh"), folder])
    try:
        rc = rec.wait_exit()
        if rc != 0 or not any("Got EOS" in l for l in rec.text):
            raise Failure("offline-receive.sh: exit {} without its 60 frames; "
                          "last lines: {}".format(rc, rec.text[-6:]))
        # The receiver's bye ends the publisher's session; it offers again.
        pub.wait_line(r"ended by the other side")
        if pub.proc.poll() is not None:
            raise Failure("offline-publish.sh exited {}".format(
                pub.proc.returncode))
        print("offline-receive.sh got 60 frames from offline-publish.sh "
              "through {}".format(folder))
    finally:
        pub.stop()
        rec.stop()


class SmtpSink(socketserver.StreamRequestHandler):
    """The least SMTP server that takes a mail (RFC 5321's commands as
    smtplib sends them); each message's bytes go to the server's queue."""

    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())

    def handle(self):
        self.reply("220 test SMTP sink")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                body = []
                while True:
                    line = self.rfile.readline()
                    if not line or line == b".\r\n":
                        break
                    body.append(line[1:] if line.startswith(b"..") else line)
                self.server.mails.put(b"".join(body))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb in ("EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 ok")
            else:
                self.reply("502 not implemented")


def test_mail_route(logdir):
    """pipelines/offline-mail.py: the offer goes out by e-mail (to an SMTP
    server in the test), is pasted into a webrtcsrc at a terminal, and
    its answer is pasted back into the mailing program (first a damaged
    one, which is refused and asked for again)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSink)
    server.daemon_threads = True
    server.mails = queue.Queue()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    mailer = Launch("mailer", None, logdir, stdin=True, argv=[
        "/usr/bin/python3", os.path.join(PIPELINES, "offline-mail.py"),
        "viewer@example.org", "127.0.0.1:{}".format(port)],
        env_extra={"ICE_ADDRESSES": "127.0.0.1", "PYTHONUNBUFFERED": "1"})
    cons = Launch("consumer", CONSUMER.format(
        uri="offline:?terminal=true&qr=false",
        extra="ice-addresses=127.0.0.1", frames=30), logdir, stdin=True)
    try:
        try:
            raw = server.mails.get(timeout=WAIT)
        except queue.Empty:
            raise Failure("no mail within {:.0f} s; mailer said: {}".format(
                WAIT, mailer.text[-6:]))
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        if mail["To"] != "viewer@example.org":
            raise Failure("the mail went to {}".format(mail["To"]))
        body = mail.get_body().get_content()
        m = re.search(r"GWS1\.\S+", body)
        if not m:
            raise Failure("no description in the mail: {!r}".format(body))
        offer = m.group(0)
        if unblob(offer)[0] != "offer":
            raise Failure("the mailed description is not an offer")
        mailer.wait_line(r"Mailed to viewer@example\.org")
        cons.proc.stdin.write(offer + "\n")
        cons.proc.stdin.flush()
        answer = cons.wait_line(r"^(GWS1\.\S+)$").group(1)
        # A reply's answer cut short: refused, asked for again.
        mailer.proc.stdin.write(answer[:-30] + "\n\n")
        mailer.proc.stdin.flush()
        mailer.wait_line(r"refused .*paste it again")
        # The whole answer, wrapped over lines as a mail client does.
        wrapped = "\n".join(answer[i:i + 72]
                             for i in range(0, len(answer), 72))
        mailer.proc.stdin.write(wrapped + "\n\n")
        mailer.proc.stdin.flush()
        mailer.wait_line(r"answer accepted")
        rc = cons.wait_exit()
        if rc != 0 or not any("Got EOS" in l for l in cons.text):
            raise Failure("consumer: exit {} without its frames; last lines: "
                          "{}".format(rc, cons.text[-6:]))
        print("offer mailed ({} chars), answer pasted back (a cut one "
              "refused first); 30 frames".format(len(offer)))
    finally:
        mailer.stop()
        cons.stop()
        server.shutdown()
        server.server_close()


TESTS = {
    "app-route": (test_app_route, True),
    "two-hosts": (test_two_hosts, False),
    "two-hosts-consumer-offers": (test_two_hosts_consumer_offers, False),
    "carried-folder": (test_carried_folder, False),
    "peer-gone": (test_peer_gone, False),
    "corrupted": (test_corrupted, True),
    "stale-answer": (test_stale_answer, True),
    "missing-answer": (test_missing_answer, True),
    "terminal": (test_terminal, True),
    "both-offer": (test_both_offer, True),
    "pipelines-folder": (test_pipelines_folder, True),
    "mail-route": (test_mail_route, True),
    "gather-timeout": (test_gather_timeout, True),
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
