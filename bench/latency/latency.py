#!/usr/bin/python3
"""Glass-to-glass latency: webrtcsink -> relay -> webrtcsrc against raw
webrtcbin -> webrtcbin (SDP and candidates passed through this script's
pipes, no server), each side its own process (g2g.py), same stamping, same
encoder settings, same receiver latency (50 ms). Runs inside a private
network namespace (re-execs itself under `unshare -n`), prints one JSON line.

Usage: latency.py [--seconds S] [--configs VP8:640x480,H264:1280x720,...]
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ttff"))
import common  # noqa: E402

G2G = os.path.join(HERE, "g2g.py")


def spawn(args, stdin=None):
    return subprocess.Popen([common.PY, G2G] + args, stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=common.env_with_plugin(), text=True,
                            bufsize=1)


def result_of(recv, timeout):
    """The receiver's final JSON line (its samples)."""
    res = {"samples": [], "bad": 0, "error": "receiver gave no result"}
    box = []

    def read():
        for line in recv.stdout:
            if line.startswith('{"samples"'):
                box.append(json.loads(line))
    th = threading.Thread(target=read, daemon=True)
    th.start()
    th.join(timeout)
    return box[0] if box else res


def run_ours(relay, codec, w, h, seconds, tag):
    uri = relay.uri(tag)
    snd = spawn(["send-ours", uri, codec, str(w), str(h)])
    common.drain(snd.stdout)
    time.sleep(1.5)
    rcv = spawn(["recv-ours", uri, codec, str(seconds)])
    try:
        return result_of(rcv, seconds + 40)
    finally:
        common.stop_proc(rcv)
        common.stop_proc(snd)


def run_raw(codec, w, h, seconds):
    snd = spawn(["send-raw", codec, str(w), str(h)], stdin=subprocess.PIPE)
    rcv = spawn(["recv-raw", codec, str(seconds)], stdin=subprocess.PIPE)

    def forward(src, dst):
        for line in src.stdout:
            if line.startswith('{"samples"'):
                box.append(json.loads(line))
                continue
            try:
                dst.stdin.write(line)
                dst.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
    box = []
    threading.Thread(target=forward, args=(snd, rcv), daemon=True).start()
    th = threading.Thread(target=forward, args=(rcv, snd), daemon=True)
    th.start()
    th.join(seconds + 40)
    common.stop_proc(rcv)
    common.stop_proc(snd)
    return box[0] if box else {"samples": [], "bad": 0,
                               "error": "receiver gave no result"}


def stats(r):
    s = common.summary(r["samples"])
    s["bad_frames"] = r.get("bad", 0)
    if "error" in r:
        s["error"] = r["error"]
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--configs",
                    default="VP8:640x480,VP8:1280x720,H264:640x480,"
                    "H264:1280x720")
    args = ap.parse_args()
    common.in_private_netns()
    relay = common.Relay()
    out = []
    try:
        for i, cfg in enumerate(args.configs.split(",")):
            codec, size = cfg.split(":")
            w, h = (int(x) for x in size.split("x"))
            ours = run_ours(relay, codec, w, h, args.seconds, f"g2g{i}")
            raw = run_raw(codec, w, h, args.seconds)
            out.append({"codec": codec, "size": size, "ours": stats(ours),
                        "baseline": stats(raw)})
    finally:
        relay.stop()
    print(json.dumps({"seconds": args.seconds, "fps": 30, "latency_ms": 50,
                      "configs": out}))


main()
