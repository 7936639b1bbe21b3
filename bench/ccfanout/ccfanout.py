#!/usr/bin/python3
"""Congestion control at fan-out (issue 12's CPU goal): producer CPU with
16 consumers on mixed links against 16 consumers on clean links, measured
in the same run.

One producer, `videotestsrc is-live=true pattern=ball ! 640x480@30 !
webrtcsink video-codecs=<VP8>` (tests/restart/peer.py, congestion control
on, the default `max-renditions=3`), in the sender namespace of the
restart rig (tests/restart/netpaths.py); N webrtcsrc consumers (default 16)
in ONE process in the receiver namespace (bench/fanout/consumers.py:
encoded output, no decoder). Media use path A only; every consumer has an
address of its own on the receiver's end of A (10.99.1.100 + i), so each
consumer can sit behind a cap of its own:

- case A (clean): no cap on the sender's veth;
- case B (mixed): an HTB class per consumer on the sender's veth (matched
  on the consumer's address), half the consumers at 3 Mbit/s, half at
  600 kbit/s, each class with a tbf-like queue (rate x 100 ms + 16 KiB,
  bfifo), the rig's tbf caps but one per consumer. (The rig's per-path tbf
  would make the consumers behind one path share one cap: eight sharing
  600 kbit/s get 75 kbit/s each, under `min-bitrate`; that is a congested
  bottleneck, not "mixed links".)

Per case: a fresh producer and consumer process; once every consumer has
a frame, SETTLE seconds (estimates and renditions converge), then a
WINDOW over which the producer's CPU (utime + stime of its process, % of
one core), every consumer's received frame rate, the encoders running
(webrtcsink `stats` `encoders`, polled at the start, middle and end of the
window), each consumer's rendition and estimate, and what each cap class
sent and dropped are measured. Cases alternate A, B, A, B... (--rounds);
the ratio B/A is per round and over the sums. Nothing passes or fails.

Usage (root: network namespaces):
    ccfanout.py [--quick] [--consumers 16] [--rounds R] [--settle S]
                [--window S] [--plugin-dir DIR]
prints one JSON line. BUILD_DIR: the build (default <repo>/build).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "restart"))

from harness import Failure, Proc, World  # noqa: E402
from netpaths import Topology, run  # noqa: E402

CONSUMERS = os.path.join(ROOT, "bench", "fanout", "consumers.py")
PY = "/usr/bin/python3"
DEV = "pa"  # path A's veth, in both namespaces
FAST, SLOW = 3000, 600  # kbit/s, case B
# Moving colour bars, as the network-conditions rig (tests/netcond): a
# picture that needs more than 600 kbit/s, so the caps bind (the fan-out
# benchmark's bouncing ball on black needs ~120 kbit/s at 640x480).
SOURCE = "pattern=smpte horizontal-speed=3"


def consumer_addr(i):
    return "10.99.1.{}".format(100 + i)


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open("/proc/{}/stat".format(pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- caps: one HTB class per consumer on the sender's veth ------------------

def set_caps(topo, kbits):
    """kbits[i]: consumer i's cap in kbit/s (0: none). No cap at all:
    no qdisc (the veth's default)."""
    ns = topo.ns("snd")
    run("tc", "-n", ns, "qdisc", "del", "dev", DEV, "root", check=False)
    if not any(kbits):
        return
    # unclassified traffic (signalling is on its own veth; STUN, RTCP of
    # uncapped consumers) is sent directly, unshaped
    run("tc", "-n", ns, "qdisc", "add", "dev", DEV, "root", "handle", "1:",
        "htb", "default", "0")
    for i, kbit in enumerate(kbits):
        if not kbit:
            continue
        cls = "1:{:x}".format(0x10 + i)
        run("tc", "-n", ns, "class", "add", "dev", DEV, "parent", "1:",
            "classid", cls, "htb", "rate", "{}kbit".format(kbit), "ceil",
            "{}kbit".format(kbit), "burst", "16k")
        # as the rig's tbf: a queue of 100 ms at the rate, plus the burst
        limit = kbit * 1000 // 8 // 10 + 16384
        run("tc", "-n", ns, "qdisc", "add", "dev", DEV, "parent", cls,
            "bfifo", "limit", str(limit))
        run("tc", "-n", ns, "filter", "add", "dev", DEV, "parent", "1:",
            "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst",
            consumer_addr(i) + "/32", "flowid", cls)


def class_counters(topo, n):
    """{consumer index: (bytes sent, packets dropped)}: the counters of
    each cap class's queue (this iproute2 has no JSON for classes)."""
    out = run("tc", "-n", topo.ns("snd"), "-j", "-s", "qdisc", "show",
              "dev", DEV, check=False).stdout
    res = {}
    try:
        qdiscs = json.loads(out or "[]")
    except ValueError:
        return res
    for q in qdiscs:
        parent = q.get("parent", "")
        if q.get("kind") != "bfifo" or not parent.startswith("1:"):
            continue
        i = int(parent[2:], 16) - 0x10
        if 0 <= i < n:
            res[i] = (q.get("bytes", 0), q.get("drops", 0))
    return res


# -- the producer's stats ---------------------------------------------------

def flat(text):
    return text.replace("\\", "")


def ints(text, name):
    return [int(v) for v in re.findall(
        r"\b" + re.escape(name) + r"=\(g?u?int(?:64)?\)(-?\d+)", flat(text))]


def stats(snd):
    mark = snd.mark()
    snd.send("stats")
    return snd.wait_event("stats", since=mark)["text"]


def summary(text):
    """encoders, each session's rendition and estimate, each encoder's
    rate (kbit/s)."""
    return {"encoders": sum(ints(text, "encoders")),
            # sessions' rendition is an int, branches' a uint
            "renditions": sorted(int(v) for v in re.findall(
                r"\brendition=\(int\)(-?\d+)", flat(text))),
            "estimates_kbit": sorted(v // 1000 for v in
                                     ints(text, "estimate-bps")),
            "encoder_kbit": [v // 1000 for v in ints(text, "bitrate")],
            "keyframe_requests_received":
                sum(ints(text, "keyframe-requests-received")),
            "keyframes_sent": sum(ints(text, "keyframes-sent"))}


def counts(cons):
    mark = cons.mark()
    cons.send("counts")
    return cons.wait_event("counts", since=mark)


# -- one case ---------------------------------------------------------------

def one_case(w, case, n, settle, window, tag):
    kbits = [0] * n if case == "A" else \
        [FAST if i < n // 2 else SLOW for i in range(n)]
    set_caps(w.topo, kbits)
    snd = w.peer("producer-" + tag, "sender", "video-codecs=<VP8>",
                 paths=("A",), size="640x480", source=SOURCE,
                 uri=w.uri(tag))
    cons = None
    try:
        snd.wait_event("signalling", connected=True)
        addrs = ",".join(consumer_addr(i) for i in range(n))
        cons = Proc("consumers-" + tag, w.topo.argv(
            "rcv", [PY, CONSUMERS, "--addresses", addrs] +
            [w.uri(tag)] * n), w.logdir, env=w.env)
        w.procs.append(cons)
        started = time.monotonic()
        deadline = started + 30 + 2 * n
        while True:
            c = counts(cons)
            if min(c["counts"]) > 0:
                break
            if time.monotonic() > deadline:
                raise Failure("{} of {} consumers got a frame in {:.0f} s"
                              .format(sum(1 for x in c["counts"] if x),
                                      n, deadline - started))
            time.sleep(0.5)  # polling the consumers' frame counts
        connect_s = time.monotonic() - started
        time.sleep(settle)  # estimates and renditions converge
        polls = [summary(stats(snd))]
        load0 = os.getloadavg()[0]
        c0, p0, q0 = counts(cons), cpu_seconds(snd.proc.pid), \
            class_counters(w.topo, n)
        t0 = time.monotonic()
        time.sleep(window / 2)  # media flow meanwhile: the window
        polls.append(summary(stats(snd)))
        time.sleep(window / 2)
        c1, p1, q1 = counts(cons), cpu_seconds(snd.proc.pid), \
            class_counters(w.topo, n)
        dt = time.monotonic() - t0
        load1 = os.getloadavg()[0]
        text = stats(snd)
        polls.append(summary(text))
        with open(os.path.join(w.logdir, "stats-" + tag + ".txt"), "w") as f:
            f.write(text + "\n")
        fps = [round((b - a) / dt, 2) for a, b in
               zip(c0["counts"], c1["counts"])]
        groups = {"all": range(n)}
        if case == "B":
            groups = {"3000": range(n // 2), "600": range(n // 2, n)}
        res = {
            "case": case, "consumers": n, "connect_s": round(connect_s, 1),
            "window_s": round(dt, 1),
            "producer_cpu_pct": round((p1 - p0) / dt * 100, 1),
            "consumer_process_cpu_pct": round(
                (c1["cpu"] - c0["cpu"]) / dt * 100, 1),
            "encoders": [p["encoders"] for p in polls],
            "fps": fps,
            "fps_by_group": {g: {"min": min(fps[i] for i in ix),
                                 "mean": round(sum(fps[i] for i in ix) /
                                               len(ix), 2)}
                             for g, ix in groups.items()},
            "end": polls[-1],
            "load1": [round(load0, 1), round(load1, 1)],
            "paths_lost": len([e for e in snd.select("gws")
                               if e.get("name") == "gws-path-lost"]),
        }
        if case == "B":
            res["cap_kbit"] = kbits
            res["class_sent_kbit"] = [
                round((q1.get(i, (0, 0))[0] - q0.get(i, (0, 0))[0]) * 8 /
                      dt / 1000) for i in range(n)]
            res["class_drops"] = [q1.get(i, (0, 0))[1] - q0.get(i, (0, 0))[1]
                                  for i in range(n)]
        return res
    finally:
        if cons is not None:
            cons.stop()
        snd.stop()
        set_caps(w.topo, [0] * n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true",
                    help="one round, 8 s to settle, 8 s window")
    ap.add_argument("--consumers", type=int, default=16)
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--settle", type=float)
    ap.add_argument("--window", type=float)
    ap.add_argument("--plugin-dir", help="the plugin to measure (default: "
                    "the build's; a before/after comparison)")
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 2)
    settle = args.settle if args.settle is not None else \
        (8.0 if args.quick else 20.0)
    window = args.window or (8.0 if args.quick else 20.0)
    n = args.consumers
    build = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
    w = World("ccfanout", build_dir=build,
              topo=Topology(paths=("A", "S")))
    # CPU is the figure: no debug log beyond warnings of the restart policy
    w.env["GST_DEBUG"] = "*:1,gws-restart:2"
    out = {"consumers": n, "settle_s": settle, "window_s": window,
           "source": SOURCE,
           "caps_kbit": {"A": None, "B": [FAST, SLOW]}, "runs": [],
           "logs": w.logdir}
    if args.plugin_dir:
        w.env["GST_PLUGIN_PATH"] = args.plugin_dir
        out["plugin_dir"] = args.plugin_dir
    ok = False
    try:
        w.topo.isolate_paths()
        for i in range(n):  # each consumer an address of its own on A
            run("ip", "-n", w.topo.ns("rcv"), "addr", "add",
                consumer_addr(i) + "/24", "dev", DEV)
        w.relay()
        for r in range(rounds):
            for case in ("A", "B"):
                tag = "{}{}".format(case.lower(), r)
                print("# round {} case {}".format(r, case), file=sys.stderr,
                      flush=True)
                try:
                    res = one_case(w, case, n, settle, window, tag)
                except (Failure, OSError, subprocess.SubprocessError) as e:
                    res = {"case": case, "error": str(e)[:2000]}
                res["round"] = r
                out["runs"].append(res)
        ratios, sums = [], {"A": 0.0, "B": 0.0}
        for r in range(rounds):
            a, b = [x for x in out["runs"] if x["round"] == r]
            if "producer_cpu_pct" in a and "producer_cpu_pct" in b:
                ratios.append(round(b["producer_cpu_pct"] /
                                    a["producer_cpu_pct"], 2))
                sums["A"] += a["producer_cpu_pct"]
                sums["B"] += b["producer_cpu_pct"]
        out["ratio_b_over_a"] = ratios
        out["ratio_b_over_a_overall"] = (round(sums["B"] / sums["A"], 2)
                                         if sums["A"] else None)
        ok = True
    finally:
        w.close(ok and not os.environ.get("GWS_KEEP_LOGS"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
