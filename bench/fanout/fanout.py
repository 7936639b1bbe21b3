#!/usr/bin/python3
"""Fan-out: one VP8 640x480@30 producer, N consumers that depayload without
decoding (consumers.py: N webrtcsrc in one process). Producer CPU (utime +
stime from /proc/PID/stat over a measured window) and each consumer's
received frame rate, for N in --counts, in two modes:

- shared: one webrtcsink (one encoder for every consumer; our design);
- per-consumer: webrtcsink has no per-consumer-encoder switch, so this is
  emulated with N webrtcsink instances behind a tee in the same producer
  process, each with its own consumer and so its own encoder (what other
  webrtcsink implementations do: an encoder per consumer).

"largest N at 29 fps" is the largest N whose every consumer received
>= 29 fps. A mode stops after two N in a row where some consumer received < 15
fps (the producer is saturated; larger N would only load the machine
further). On a shared, busy machine even N=1 can miss 29 fps: the encoder
alone needs about a third of a core. Runs inside a private network
namespace (re-execs itself under `unshare -n`), prints one JSON line.

Usage: fanout.py [--counts 1,2,4] [--window S] [--modes shared] [--perf PREFIX]
                 [--boost]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ttff"))
import common  # noqa: E402

CAPS = "video/x-raw,format=I420,width=640,height=480,framerate=30/1"
MIN_FPS = 29.0
STOP_FPS = 15.0  # below this the producer is saturated: stop the mode


def producer(relay, mode, n, tag, extra=""):
    sink = ("webrtcsink uri={} ice-addresses=127.0.0.1 "
            "video-codecs=<VP8> " + extra.replace("{", "{{").replace(
                "}", "}}"))
    desc = f"videotestsrc is-live=true pattern=ball ! {CAPS} ! "
    if mode == "shared":
        ids = [tag] * n
        desc += sink.format(relay.uri(tag))
    else:
        ids = [f"{tag}-{i}" for i in range(n)]
        desc += "tee name=t " + " ".join(
            "t. ! queue ! " + sink.format(relay.uri(i)) for i in ids)
    proc = subprocess.Popen(["gst-launch-1.0"] + desc.split(),
                            env=restart_log_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=restart_log(f"producer-{mode}-{n}"))
    return proc, [relay.uri(i) for i in ids]


LOG_DIR = None  # set by main(): the warnings of each run's processes


def restart_log_env():
    """The plugin, and the session restart policy's warnings on stderr
    (a lost path is a warning; counted by paths_lost())."""
    env = common.env_with_plugin()
    env["GST_DEBUG"] = "*:1,gws-restart:2"
    env["GST_DEBUG_NO_COLOR"] = "1"
    return env


def restart_log(name):
    return open(os.path.join(LOG_DIR, name + ".log"), "w")


def paths_lost(name):
    """How many times a process of this run called a path lost."""
    try:
        with open(os.path.join(LOG_DIR, name + ".log"),
                  errors="replace") as f:
            return sum(1 for line in f if "path lost" in line)
    except OSError:
        return 0


def rss_kib(pid):
    """Resident set size of a process, KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def thread_cpu(pid):
    """CPU seconds so far per thread name (folded as in thread_names)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        name = re.sub(r"[0-9a-f]{3,}|\d+", "#", name)
        if tid == str(pid):
            name = "main thread"
        fields = stat[stat.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def by_thread(before, after, dt):
    """% of one core per thread name between two thread_cpu() readings."""
    return dict(sorted(((k, round((v - before.get(k, 0)) / dt * 100, 1))
                        for k, v in after.items()), key=lambda kv: -kv[1]))


def thread_names(pid):
    """How many threads of each name (hex and digits folded) a process
    has: where the per-consumer threads come from."""
    names = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        name = re.sub(r"[0-9a-f]{3,}|\d+", "#", name)
        names[name] = names.get(name, 0) + 1
    return dict(sorted(names.items(), key=lambda kv: -kv[1]))


def backtraces(pid, name):
    """Every thread's stack of a process into the run's logs (NAME.gdb),
    when gdb is installed: what a consumer that never got a frame waits
    for."""
    if not shutil.which("gdb"):
        return
    with open(os.path.join(LOG_DIR, name + ".gdb"), "w") as out:
        subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                        "-ex", "thread apply all bt"],
                       stdout=out, stderr=subprocess.STDOUT, timeout=300)


def counts(cons):
    """Each consumer's frames so far and the consumer process's CPU."""
    cons.stdin.write("counts\n")
    cons.stdin.flush()
    while True:
        line = cons.stdout.readline()
        if not line:
            raise RuntimeError("consumer process ended (code "
                               f"{cons.wait()})")
        if line.startswith('{"counts"'):
            return json.loads(line)


def one(relay, mode, n, window, tag, perf=None, extra=""):
    prod, uris = producer(relay, mode, n, tag, extra)
    time.sleep(1.5)  # producer registered
    rss0, thr0 = rss_kib(prod.pid), threads(prod.pid)
    cons = subprocess.Popen([common.PY, os.path.join(HERE, "consumers.py")] +
                            uris, env=restart_log_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=restart_log(f"consumers-{mode}-{n}"),
                            text=True, bufsize=1)
    res = {"consumers": n}
    try:
        started = time.monotonic()
        deadline = started + 20 + n * 1.0
        c = counts(cons)
        while time.monotonic() < deadline and min(c["counts"]) == 0:
            time.sleep(0.5)
            c = counts(cons)
        res["connected"] = sum(1 for x in c["counts"] if x > 0)
        if res["connected"] < n:  # their stats into the consumers' log
            cons.stdin.write("waiting\n")
            cons.stdin.flush()
            counts(cons)
            backtraces(cons.pid, f"consumers-{mode}-{n}")
            backtraces(prod.pid, f"producer-{mode}-{n}")
        # consumers started -> every one has a frame (or the deadline)
        res["connect_s"] = round(time.monotonic() - started, 1)
        time.sleep(2.0)  # settle: key frames, rate control
        c0, p0, t0 = counts(cons), common.cpu_seconds(prod.pid), \
            time.monotonic()
        th0, cth0 = thread_cpu(prod.pid), thread_cpu(cons.pid)
        recs = []
        if perf:  # profile producer and consumer process over the window
            for pid, out in ((prod.pid, f"{perf}.{mode}.{n}"),
                             (cons.pid, f"{perf}.{mode}.{n}.consumers")):
                recs.append(subprocess.Popen(
                    ["perf", "record", "-g", "-o", out,
                     "-p", str(pid), "--", "sleep", str(window)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(window)
        for rec in recs:
            rec.wait()
        c1, p1, t1 = counts(cons), common.cpu_seconds(prod.pid), \
            time.monotonic()
        dt = t1 - t0
        rss1, thr1 = rss_kib(prod.pid), threads(prod.pid)
        res["producer_thread_names"] = thread_names(prod.pid)
        th1, cth1 = thread_cpu(prod.pid), thread_cpu(cons.pid)
        crss = rss_kib(cons.pid)
        # % of one core per thread name over the window (threads that
        # ended inside the window are left out)
        res["producer_cpu_pct_by_thread"] = by_thread(th0, th1, dt)
        res["consumer_cpu_pct_by_thread"] = by_thread(cth0, cth1, dt)
        fps = [(b - a) / dt for a, b in zip(c0["counts"], c1["counts"])]
        cpu = (p1 - p0) / dt * 100  # percent of one core
        res.update({
            "producer_cpu_pct": round(cpu, 1),
            "producer_cpu_pct_per_consumer": round(cpu / n, 2),
            "consumer_process_cpu_pct": round(
                (c1["cpu"] - c0["cpu"]) / dt * 100, 1),
            "producer_rss_kib_per_consumer": round((rss1 - rss0) / n),
            "producer_threads_per_consumer": round((thr1 - thr0) / n, 1),
            # the consumer process's whole VmRSS (Python and GStreamer
            # included) over N
            "consumer_process_rss_kib_per_consumer": round(crss / n),
            "consumer_process_threads_per_consumer": round(
                threads(cons.pid) / n, 1),
            # a late packet read as a dead path restarts a session: under
            # CPU starvation that only adds work
            "paths_lost": {
                "producer": paths_lost(f"producer-{mode}-{n}"),
                "consumers": paths_lost(f"consumers-{mode}-{n}")},
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
    ap.add_argument("--counts", default="1,2,4,8,16,32,64,96,128")
    ap.add_argument("--window", type=float, default=5.0)
    ap.add_argument("--modes", default="shared,per-consumer",
                    help="which modes to run, comma-separated")
    ap.add_argument("--sink-props", default="",
                    help="more webrtcsink properties, e.g. "
                    "enable-control-channel=false")
    ap.add_argument("--perf", metavar="PREFIX",
                    help="perf record -g the producer over each window into "
                    "PREFIX.MODE.N, the consumer process into "
                    "PREFIX.MODE.N.consumers")
    ap.add_argument("--boost", action="store_true",
                    help="run in an autogroup of nice -20 (common.boost()): "
                    "on a shared machine, say so with the figures")
    args = ap.parse_args()
    common.in_private_netns()
    if args.boost:
        common.boost()
    global LOG_DIR
    LOG_DIR = tempfile.mkdtemp(prefix="gws-fanout-")
    relay = common.Relay()
    out = {"window_s": args.window, "min_fps": MIN_FPS, "logs": LOG_DIR,
           "boost": args.boost, "loadavg_start": os.getloadavg()[0]}
    try:
        for mode in args.modes.split(","):
            rows, largest, saturated = [], 0, 0
            for k, n in enumerate(int(x) for x in args.counts.split(",")):
                try:
                    r = one(relay, mode, n, args.window, f"{mode}{k}",
                          args.perf, args.sink_props)
                except (RuntimeError, OSError) as e:  # e.g. a crash
                    r = {"consumers": n, "error": str(e)}
                rows.append(r)
                if "error" in r:
                    continue
                if r.get("min_fps", 0) >= MIN_FPS:
                    largest = n
                saturated = saturated + 1 if r.get("min_fps", 0) < STOP_FPS \
                    else 0
                if saturated == 2:
                    break
            out[mode] = {"runs": rows, "largest_n_at_29fps": largest}
    finally:
        relay.stop()
    out["loadavg_end"] = os.getloadavg()[0]
    print(json.dumps(out))


main()
