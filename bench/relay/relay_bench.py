#!/usr/bin/python3
"""Relay benchmark: memory per idle connection, and message throughput and
latency at increasing offered load, with and without thousands of idle
connections open. Runs one relay program (ours or the baseline) as a real
process on 127.0.0.1 inside a private network namespace and prints JSON.

Usage: relay_bench.py --name NAME --cmd 'PROGRAM ARGS {port}' [--quick]
       [--idle 1000,9000] [--rates 2000,8000] [--seconds 4]
       [--generator build/bench/relay_load [--pairs 100] [--boost]]

With --generator, the compiled load generator (bench/relay/relay_load.cpp)
drives the relay instead of this script's python-websockets clients: the
relay runs pinned to CPU 0 and the generator to CPU 1 (`taskset`), a fixed
number of pairs (--pairs) share the offered rate, a rate of "max" is a
closed loop that finds the relay's ceiling, the idle connections register a
consumer role, and every series entry carries the CPU share of both
processes. --boost raises this run's scheduling weight (the session's
autogroup nice value to -20) so that on a machine shared with other work
the two processes get their cores; say so when quoting figures.
"""
import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import websockets


def in_private_netns():
    """Re-executes this script under `unshare -n` with lo up, once."""
    if os.environ.get("GWS_NETNS") == "1":
        return
    os.environ["GWS_NETNS"] = "1"
    cmd = ["unshare", "-n", "sh", "-c",
           'ip link set lo up && exec "$@"', "sh", sys.executable] + sys.argv
    os.execvp("unshare", cmd)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Relay:
    def __init__(self, cmd, port):
        self.port = port
        self.proc = subprocess.Popen(cmd.format(port=port), shell=True,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if "listening on" in line:
                break
        else:
            raise RuntimeError("relay did not start")
        # Keep draining its log so it never blocks on a full pipe.
        self.drain = asyncio.get_event_loop().run_in_executor(
            None, lambda: [None for _ in self.proc.stdout])
        self.url = f"ws://127.0.0.1:{port}/"

    def pid(self):
        # The shell may have exec'd the program; otherwise take its child.
        try:
            kids = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children"
                        ).read().split()
        except OSError:
            kids = []
        return int(kids[0]) if kids else self.proc.pid

    def stop(self):
        os.killpg(self.proc.pid, 15)
        self.proc.wait(timeout=10)


async def connect(url):
    # A generous open timeout: a relay that slows down as connections
    # accumulate should be measured, not abandoned at websockets' 10 s.
    ws = await websockets.connect(url, max_size=None, ping_interval=None,
                                  close_timeout=1, open_timeout=60)
    welcome = json.loads(await ws.recv())
    return ws, welcome["peerId"]


async def open_idle(url, n):
    conns = []
    batch = 200
    for i in range(0, n, batch):
        conns += await asyncio.gather(*[connect(url)
                                        for _ in range(min(batch, n - i))])
    return conns


async def close_all(conns):
    await asyncio.gather(*[ws.close() for ws, _ in conns],
                         return_exceptions=True)


async def idle_memory(relay, n):
    pid = relay.pid()
    before = rss_kib(pid)
    t0 = time.monotonic()
    conns = await open_idle(relay.url, n)
    open_s = time.monotonic() - t0
    await asyncio.sleep(0.5)  # let the relay settle its buffers
    after = rss_kib(pid)
    await close_all(conns)
    return {"connections": n, "rss_before_kib": before,
            "rss_after_kib": after, "open_seconds": round(open_s, 2),
            "bytes_per_connection": round((after - before) * 1024 / n)}


async def make_pairs(url, pairs):
    """Producer/consumer pairs in sessions: returns (producer ws, session
    id, consumer ws) triples."""
    out = []
    for _ in range(pairs):
        p, pid = await connect(url)
        await p.send(json.dumps({"type": "setPeerStatus",
                                 "roles": ["producer"], "meta": None}))
        c, _ = await connect(url)
        await c.send(json.dumps({"type": "startSession", "peerId": pid}))
        started = json.loads(await c.recv())
        start = json.loads(await p.recv())
        assert started["type"] == "sessionStarted", started
        assert start["type"] == "startSession", start
        out.append((p, started["sessionId"], c))
    return out


PAD = "x" * 120


# Per-peer rate kept under the relay's flood limit (200 messages/s).
PER_PAIR_RATE = 150


async def throughput(url, rate, seconds):
    """Producers send ICE messages (about 200 bytes, carrying their send
    time) at `rate` messages/s in total, spread over enough sessions that no
    peer exceeds PER_PAIR_RATE; consumers time their arrival."""
    pairs = max(4, -(-rate // PER_PAIR_RATE))
    triples = await make_pairs(url, pairs)
    latencies = []
    received = 0
    stop_at = time.monotonic() + seconds

    async def consume(ws):
        nonlocal received
        try:
            while True:
                text = await ws.recv()
                now = time.monotonic_ns()
                msg = json.loads(text)
                if "ice" not in msg:
                    raise RuntimeError(f"relay answered {text}")
                cand = msg["ice"]["candidate"]
                sent = int(cand.split(" ", 1)[0])
                latencies.append((now - sent) / 1e6)
                received += 1
        except (websockets.ConnectionClosed, asyncio.CancelledError):
            pass

    async def produce(ws, sid):
        per_pair = rate / pairs
        tick = 0.01
        carry = 0.0
        sent = 0
        while time.monotonic() < stop_at:
            carry += per_pair * tick
            n, carry = int(carry), carry - int(carry)
            for _ in range(n):
                msg = ('{"type":"peer","sessionId":"%s","ice":{"candidate":'
                       '"%d %s","sdpMLineIndex":0}}'
                       % (sid, time.monotonic_ns(), PAD))
                await ws.send(msg)
                sent += 1
            await asyncio.sleep(tick)
        return sent

    consumers = [asyncio.create_task(consume(c)) for _, _, c in triples]
    t0 = time.monotonic()
    sent = sum(await asyncio.gather(*[produce(p, sid)
                                      for p, sid, _ in triples]))
    # Give stragglers a moment to arrive, then stop counting.
    deadline = time.monotonic() + 2
    while received < sent and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - t0
    for t in consumers:
        t.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    await close_all([(p, 0) for p, _, _ in triples] +
                    [(c, 0) for _, _, c in triples])
    latencies.sort()

    def pct(q):
        return round(latencies[min(len(latencies) - 1,
                                   int(q * len(latencies)))], 3) \
            if latencies else None
    return {"offered_msgs_per_s": rate, "sessions": pairs, "sent": sent, "received": received,
            "delivered_msgs_per_s": round(received / elapsed),
            "p50_ms": pct(0.5), "p99_ms": pct(0.99)}


def run_generator(args):
    """The compiled generator against the relay, twice: the series without
    idle connections, then, against a fresh relay (an overloaded relay may
    still be draining, or may have dropped connections), the idle memory and
    the series with idle connections. Prints the merged JSON."""
    relay_cmd = "exec taskset -c 0 " + args.cmd
    # The Relay helper wants an event loop for its log drain.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    res = {"throughput": [], "idle_memory": [], "throughput_with_idle": []}
    cmds = []
    for only_idle in (False, True):
        relay = Relay(relay_cmd, args.port)
        try:
            if args.boost:  # the relay runs in a session of its own
                with open(f"/proc/{relay.pid()}/autogroup", "w") as f:
                    f.write("-20")
            cmd = ["taskset", "-c", "1", args.generator,
                   "--port", str(args.port), "--relay-pid", str(relay.pid()),
                   "--pairs", str(args.pairs),
                   "--rates", ",".join(str(r) for r in args.rates),
                   "--seconds", str(args.seconds)]
            cmd += ["--idle", str(args.idle[-1]), "--only-idle"] \
                if only_idle else ["--idle", "0"]
            cmds.append(" ".join(cmd))
            out = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=900)
            if out.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr}")
            part = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            relay.stop()
        for key in res:
            res[key] += part[key]
    res["name"] = args.name
    res["generator"] = cmds
    res["load_average"] = os.getloadavg()
    print(json.dumps(res))


async def run(args):
    res = {"name": args.name, "idle_memory": [], "throughput": [],
           "throughput_with_idle": []}
    relay = Relay(args.cmd, args.port)
    try:
        for n in args.idle:
            res["idle_memory"].append(await idle_memory(relay, n))
        for rate in args.rates:
            res["throughput"].append(
                await throughput(relay.url, rate, args.seconds))
        idle = await open_idle(relay.url, args.idle[-1])
        for rate in args.rates:
            r = await throughput(relay.url, rate, args.seconds)
            r["idle_connections"] = args.idle[-1]
            res["throughput_with_idle"].append(r)
        await close_all(idle)
    finally:
        relay.stop()
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--cmd", required=True)
    ap.add_argument("--port", type=int, default=18443)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--idle", help="comma-separated idle connection counts "
                    "(the last one is also held open during the second "
                    "throughput series)")
    ap.add_argument("--rates", help="comma-separated offered messages/s")
    ap.add_argument("--seconds", type=float, help="per throughput run")
    ap.add_argument("--generator", help="the compiled load generator "
                    "(build/bench/relay_load); default: python clients")
    ap.add_argument("--pairs", type=int, default=100,
                    help="producer/consumer pairs (with --generator)")
    ap.add_argument("--boost", action="store_true",
                    help="autogroup nice -20 for this run (with --generator)")
    args = ap.parse_args()
    given = (args.idle, args.rates, args.seconds)
    in_private_netns()
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    if args.boost:
        try:
            os.setsid()  # a session of our own: our own autogroup
        except OSError:
            pass
        with open("/proc/self/autogroup", "w") as f:
            f.write("-20")
    if args.generator:
        if args.quick:
            args.idle, args.rates, args.seconds = [1000], ["20000", "max"], 1.0
        else:
            args.idle, args.rates, args.seconds = \
                [10000], ["20000", "50000", "100000", "max"], 4.0
        if given[0]:
            args.idle = given[0].split(",")
        if given[1]:
            args.rates = given[1].split(",")
        if given[2]:
            args.seconds = given[2]
        run_generator(args)
        return
    if args.quick:
        args.idle, args.rates, args.seconds = [200, 1000], [2000, 8000], 1.0
    else:
        args.idle, args.rates, args.seconds = \
            [1000, 9000], [2000, 8000, 20000, 40000], 4.0
    if given[0]:
        args.idle = [int(x) for x in given[0].split(",")]
    if given[1]:
        args.rates = [int(x) for x in given[1].split(",")]
    if given[2]:
        args.seconds = given[2]
    asyncio.run(run(args))


main()
