#!/usr/bin/python3
"""Time to first frame of webrtcsrc, warm and cold, with a breakdown, and
the raw-webrtcbin floor. Runs inside a private network namespace (re-execs
itself under `unshare -n`) and prints one JSON line.

- warm: relay and producer (gst-launch-1.0 webrtcsink, VP8 640x480@30) are
  running; each run starts a fresh `gst-launch-1.0 -v webrtcsrc ... !
  video/x-raw ! fakesink silent=false sync=false` and times from just
  before the spawn to the moment its first "chain" line (the first decoded
  frame reaching the sink) is read from its stdout.
- cold: relay running; producer and receiver processes both spawned at t0
  (receiver without peer-id: it takes the first producer that appears).
- breakdown: the same warm runs with probe.py (webrtcsrc in a Python GI
  process that timestamps the signaller's session-started/offer signals and
  the inner webrtcbin's ice-connection-state and connection-state).
- warm, no key cache: as warm, alternating with it, with
  GWS_DTLS_KEY_CACHE=0 (the receiver generates webrtcbin's RSA key as
  webrtcbin 1.22 does, instead of loading it from the per-user cache).
- baseline: baseline.py, two webrtcbins in one process, same latency; one
  long-lived process (`--serve`) whose runs are interleaved with the warm
  ones (warm, warm without key cache, baseline, warm, ...), so that ours
  and the floor see the same machine load.

--boost: run in an autogroup of nice -20 (common.boost()).

Usage: ttff.py [--runs N] [--latency MS] [--boost]
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
from common import CAPS, TIMEOUT, producer, receiver_once  # noqa: E402,F401
from common import phases, probe_once  # noqa: E402


class Baseline:
    """baseline.py --serve: one raw-webrtcbin run per call to run()."""

    def __init__(self, latency):
        self.proc = subprocess.Popen(
            [common.PY, os.path.join(HERE, "baseline.py"), "--serve",
             str(latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        self.first = self._read().get("first")

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError("baseline.py ended early")

    def run(self):
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return self._read()

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--latency", type=int, default=50)
    ap.add_argument("--boost", action="store_true")
    args = ap.parse_args()
    common.in_private_netns()
    if args.boost:
        common.boost()
    relay = common.Relay()
    res = {"runs": args.runs, "latency_ms": args.latency,
           "boost": args.boost}
    baseline = Baseline(args.latency)
    try:
        prod = producer(relay.uri("cam"))
        time.sleep(1.5)
        uri = relay.uri("cam")
        receiver_once(uri, args.latency)  # warm-up: producer's first session
        warm, probes, nocache, base_runs = [], [], [], []
        # Alternating, so all three see the same machine load: with the
        # per-user RSA key cache (the default), without it
        # (GWS_DTLS_KEY_CACHE=0: the key generated as webrtcbin does), and
        # the raw-webrtcbin baseline.
        for _ in range(args.runs):
            warm.append(receiver_once(uri, args.latency))
            time.sleep(0.2)
            nocache.append(receiver_once(uri, args.latency,
                                         env={"GWS_DTLS_KEY_CACHE": "0"}))
            time.sleep(0.2)
            base_runs.append(baseline.run())
            time.sleep(0.2)
        baseline.stop()
        for _ in range(args.runs):
            probes.append(probe_once(uri, args.latency))
            time.sleep(0.2)
        common.stop_proc(prod)
        cold = []
        for i in range(args.runs):
            t0 = time.monotonic()
            p = producer(relay.uri(f"cold{i}"))
            cold.append(receiver_once(relay.uri(), args.latency, t0, [p]))
            time.sleep(0.3)
    finally:
        relay.stop()
        if baseline.proc.poll() is None:
            baseline.proc.kill()
            baseline.proc.wait()
    base_ok = [r for r in base_runs if "frame" in r]
    ok = lambda v: [x for x in v if x is not None]  # noqa: E731
    res["warm"] = dict(common.summary(ok(warm)), failed=warm.count(None))
    res["cold"] = dict(common.summary(ok(cold)), failed=cold.count(None))
    res["warm_no_key_cache"] = dict(common.summary(ok(nocache)),
                                    failed=nocache.count(None))
    res["load"] = os.getloadavg()[0]
    probes_ok = [p for p in probes if p]
    res["probe"] = dict(common.summary([p["frame"] for p in probes_ok]),
                        failed=len(probes) - len(probes_ok),
                        phases=phases(probes_ok))
    res["baseline"] = dict(common.summary([r["frame"] for r in base_ok]),
                           failed=len(base_runs) - len(base_ok),
                           phases=phases([dict(r, playing=0.0)
                                          for r in base_ok]),
                           first_run=baseline.first)
    print(json.dumps(res))


main()
