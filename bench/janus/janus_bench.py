#!/usr/bin/python3
"""Fan-out through Janus vs directly: one VP8 640x480@30 producer
(webrtcsink), N viewers (webrtcsrc, depayload without decoding: the fanout
benchmark's consumers.py, N in one process), for N in --counts, in two
modes measured in the same run:

- direct: the viewers attach to webrtcsink through our relay; webrtcsink
  shares one encoder between them but still encrypts and sends one stream
  per viewer (the baseline);
- janus: webrtcsink publishes once into a Janus VideoRoom (Debian's janus,
  config tests/janus/config) and the viewers subscribe through Janus, which
  forwards the packets.

Figures: producer CPU (utime + stime of the gst-launch process over a
measured window, % of one core), Janus's own CPU in the janus mode, and
the viewers' lowest and mean received frame rates. Where the producer's
direct cost crosses producer + Janus is where an SFU starts to pay on one
box; on separate boxes the producer's figure alone counts.

Janus never gathers ICE candidates on loopback: it runs in its own network
namespace (veth 10.77.0.1), the producer and viewers in ours (10.77.0.2);
the direct mode uses 127.0.0.1. Re-execs itself under `unshare -n`; prints
one JSON line.

Usage: janus_bench.py [--counts 1,8,32] [--window S]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "ttff"))
import common  # noqa: E402

CAPS = "video/x-raw,format=I420,width=640,height=480,framerate=30/1"
CONFIG = os.path.join(ROOT, "tests", "janus", "config")
JANUS_ADDR, OUR_ADDR, PORT = "10.77.0.1", "10.77.0.2", 8188


def sh(*cmd):
    subprocess.run(cmd, check=True)


class Janus:
    """Janus in its own namespace joined to ours by a veth pair."""

    def __init__(self):
        self.ns = f"gwsjbench-{os.getpid()}"
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", "gwsjv0", "type", "veth", "peer", "name",
           "gwsjv1")
        sh("ip", "link", "set", "gwsjv0", "netns", self.ns)
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up")
        sh("ip", "netns", "exec", self.ns, "ip", "addr", "add",
           JANUS_ADDR + "/24", "dev", "gwsjv0")
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", "gwsjv0", "up")
        sh("ip", "addr", "add", OUR_ADDR + "/24", "dev", "gwsjv1")
        sh("ip", "link", "set", "gwsjv1", "up")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "janus", "-F", CONFIG, "-C",
             os.path.join(CONFIG, "janus.jcfg"), "-o"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((JANUS_ADDR, PORT), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Janus did not come up")

    def uri(self, display):
        return (f"janus+ws://{JANUS_ADDR}:{PORT}/?room=1234&"
                f"display={display}")

    def stop(self):
        common.stop_proc(self.proc)
        subprocess.run(["ip", "netns", "del", self.ns])


def counts(cons):
    cons.stdin.write("counts\n")
    cons.stdin.flush()
    while True:
        line = cons.stdout.readline()
        if not line:
            raise RuntimeError(f"consumer process ended (code {cons.wait()})")
        if line.startswith('{"counts"'):
            return json.loads(line)


def one(mode, n, window, relay, janus, tag):
    if mode == "direct":
        sink_uri, addr = relay.uri(tag), "127.0.0.1"
        uris = [relay.uri(tag)] * n
    else:
        sink_uri, addr = janus.uri(tag), OUR_ADDR
        uris = [janus.uri(tag)] * n
    desc = (f"videotestsrc is-live=true pattern=ball ! {CAPS} ! webrtcsink "
            f"uri={sink_uri} ice-addresses={addr} video-codecs=<VP8>")
    prod = subprocess.Popen(["gst-launch-1.0"] + desc.split(),
                            env=common.env_with_plugin(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    env = common.env_with_plugin()
    env["GWS_ICE_ADDRESSES"] = addr
    time.sleep(1.5)  # producer registered / published
    cons = subprocess.Popen(
        [common.PY, os.path.join(HERE, "..", "fanout", "consumers.py")] +
        uris, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, bufsize=1)
    res = {"consumers": n}
    try:
        deadline = time.monotonic() + 20 + n * 0.5
        c = counts(cons)
        while time.monotonic() < deadline and min(c["counts"]) == 0:
            time.sleep(0.5)
            c = counts(cons)
        res["connected"] = sum(1 for x in c["counts"] if x > 0)
        time.sleep(2.0)  # settle
        jpid = janus.proc.pid
        c0, p0, j0, t0 = (counts(cons), common.cpu_seconds(prod.pid),
                          common.cpu_seconds(jpid), time.monotonic())
        time.sleep(window)
        c1, p1, j1, t1 = (counts(cons), common.cpu_seconds(prod.pid),
                          common.cpu_seconds(jpid), time.monotonic())
        dt = t1 - t0
        fps = [(b - a) / dt for a, b in zip(c0["counts"], c1["counts"])]
        res.update({
            "producer_cpu_pct": round((p1 - p0) / dt * 100, 1),
            "janus_cpu_pct": round((j1 - j0) / dt * 100, 1),
            "min_fps": round(min(fps), 2),
            "mean_fps": round(sum(fps) / len(fps), 2)})
    finally:
        try:
            cons.stdin.write("quit\n")
            cons.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass
        try:
            cons.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cons.kill()
            cons.wait()
        common.stop_proc(prod)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", default="1,8,32")
    ap.add_argument("--window", type=float, default=5.0)
    args = ap.parse_args()
    if not shutil.which("janus"):
        print(json.dumps({"error": "janus is not installed"}))
        return
    common.in_private_netns()
    relay = common.Relay()
    janus = Janus()
    out = {"window_s": args.window, "direct": [], "janus": []}
    try:
        for k, n in enumerate(int(x) for x in args.counts.split(",")):
            for mode in ("direct", "janus"):
                try:
                    r = one(mode, n, args.window, relay, janus,
                            f"{mode}{k}")
                except (RuntimeError, OSError) as e:
                    r = {"consumers": n, "error": str(e)}
                out[mode].append(r)
    finally:
        janus.stop()
        relay.stop()
    print(json.dumps(out))


main()
