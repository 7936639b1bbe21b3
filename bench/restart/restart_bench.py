#!/usr/bin/python3
"""Session restart (issue 7): the media interruption a restart causes, as
the receiver sees it, against a break-before-make reconnect measured in the
same run. Prints one JSON line (the last line of stdout).

Topology (tests/restart/netpaths.py): sender namespace (relay on the
signalling link, `webrtcsink`, 320x240@30 VP8 of videotestsrc) and receiver
namespace (`webrtcsrc latency=50 ! fakesink`, every decoded frame
timestamped with CLOCK_MONOTONIC) joined by media paths A and B and a
signalling link S that is never cut; ICE may use only A and B.

- path-cut: the veth of the path carrying the media (byte counters) is set
  down in the receiver namespace. Interruption = the largest inter-frame
  gap at the receiver around the cut (last frame through the dead path to
  the first through the new one). Split at the receiver's `gws-path-lost`
  message: detection (last frame -> path-lost) and restart-to-switch
  (path-lost -> first frame). The link is set up again after each run.
  Every cut (here and below) is made on a connection that has carried
  media for 5 s at least: the path monitor learns a connection's rhythm
  in its first 3 s, and most connections are older.
- restart: `restart-session` emitted with both paths healthy (alternately
  on the sender and on the receiver): the largest inter-frame gap from
  0.5 s before the call to 2 s after `gws-session-restarted`, and the
  frames missing in that window (from the PTS at 30 fps).
- baseline, break-before-make: the receiver's pipeline goes to NULL (its
  session ends) and back to PLAYING (a new webrtcsrc session): the gap
  from the last frame before the stop to the first frame of the new
  session, and the time from the stop to that frame.
- healthy: nothing is cut for --healthy-seconds (default 60): every
  `gws-path-lost` of either side is a false one, counted, with the
  largest inter-frame gap at the receiver in that time.
- source-pause: the sender's source stops producing for --pause-seconds
  (default 3; its buffers
  dropped before webrtcsink: no RTP, RTCP goes on), then resumes: every
  `gws-path-lost` is a false one.

Usage: restart_bench.py [--runs N] [--path-timeout MS] [--only KIND,...]
                        [--healthy-seconds S] [--pause-seconds S]
                        [--size WxH] [--debug GST_DEBUG]   (as root)
KIND: restart, path_cut, silent_drop, silent_drop_route, healthy,
source_pause, break_before_make (default: all but healthy).
"""

import argparse
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "restart"))

from harness import (Failure, World, max_gap, missing_frames,  # noqa: E402
                     other)


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def summary(values):
    return {"n": len(values),
            "median": round(pct(values, 50), 1) if values else None,
            "p95": round(pct(values, 95), 1) if values else None,
            "values": [round(v, 1) for v in values]}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def frames_after(rcv, t, count, since, timeout=40):
    """Waits for `count` frames arriving after monotonic time t."""
    first = rcv.wait("a frame after {:.3f}".format(t),
                     lambda ev: ev["event"] == "frame" and ev["t"] > t,
                     timeout=timeout, since=since)
    rcv.wait("{} frames after {:.3f}".format(count, t),
             lambda ev: ev["event"] == "frame" and
             ev["n"] >= first["n"] + count, timeout=timeout, since=since)
    return first


def window(rcv, t0, t1):
    return [ev for ev in rcv.select("frame") if t0 <= ev["t"] <= t1]


def settle(w, rcv):
    """One second of counters: which path carries the media now."""
    path, rates = w.media_path(1.0)
    if path is None:
        raise Failure("media on no single path: {}".format(rates))
    return path


def first_path_lost(snd, rcv, s_mark, r_mark, timeout=30):
    """The earliest gws-path-lost of either side, and which side."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [(ev, "sender") for ev in snd.select("gws", s_mark)
                 if ev["name"] == "gws-path-lost"]
        found += [(ev, "receiver") for ev in rcv.select("gws", r_mark)
                  if ev["name"] == "gws-path-lost"]
        if found:
            return min(found, key=lambda x: x[0]["t"])
        time.sleep(0.05)  # polling two processes' events
    raise Failure("no gws-path-lost within {} s".format(timeout))


CONNECTION_AGE = 5.0


def path_cut(w, snd, rcv, how="link-down"):
    """The path carrying media dies: `link-down` (its veth set down at the
    receiver: the OS knows at once), `silent` (every UDP packet dropped at
    both ends, links up: no word from the OS), or `silent+route` (silent,
    and a default route over the other path appears at the receiver right
    after: the Wi-Fi -> cellular case). The connection in use is at least
    CONNECTION_AGE s old when cut, as most connections are."""
    path = settle(w, rcv)
    # The connection in use carried media for CONNECTION_AGE s at least
    # (the path monitor learns a connection's rhythm in its first 3 s).
    switches = [ev["t"] for ev in rcv.select("gws")
                if ev["name"] == "gws-session-restarted"]
    born = max(switches + [rcv.select("frame")[0]["t"]])
    wait = born + CONNECTION_AGE - time.monotonic()
    if wait > 0:
        time.sleep(wait)  # an older connection, not a synchronisation
    s_mark, r_mark = snd.mark(), rcv.mark()
    t_cut = time.monotonic()
    if how == "link-down":
        w.topo.set_link(path, False, side="rcv")
    else:
        w.topo.set_silent_drop(path, True)
        if how == "silent+route":
            w.topo.set_default_route("rcv", other(path), True)
    try:
        lost, by = first_path_lost(snd, rcv, s_mark, r_mark)
        done = rcv.wait_gws("gws-session-restarted", since=r_mark,
                            timeout=60)
        first = frames_after(rcv, max(lost["t"], t_cut + 0.3), 30, r_mark)
    finally:
        if how == "link-down":
            w.topo.set_link(path, True, side="rcv")
        else:
            w.topo.set_silent_drop(path, False)
            if how == "silent+route":
                w.topo.set_default_route("rcv", other(path), False)
    frames = window(rcv, t_cut - 0.5, first["t"] + 0.5)
    gap, at = max_gap(frames)
    new_path, rates = w.media_path(1.0)
    return {"cut": path, "how": how, "media_after": new_path,
            "detected_by": by,
            "new_default_route": bool(lost["fields"].get(
                "new-default-route")),
            "gap_ms": gap * 1000,
            "detection_ms": (lost["t"] - at[0]["t"]) * 1000,
            "restart_to_switch_ms": (at[1]["t"] - lost["t"]) * 1000,
            "silence_ms_reported": lost["fields"].get("silence-ms"),
            "path_lost_fields": {k: v for k, v in lost["fields"].items()
                                 if k != "session-id"},
            "switch_ms_reported": done["fields"].get("switch-ms"),
            "frames_missing": missing_frames(frames, t_cut - 0.5,
                                             first["t"] + 0.5)}


def explicit_restart(w, snd, rcv, who):
    proc = snd if who == "sender" else rcv
    r_mark, p_mark = rcv.mark(), proc.mark()
    time.sleep(0.5)  # the window starts 0.5 s before the call
    t0 = time.monotonic()
    proc.send("restart")
    ack = proc.wait_event("restart", since=p_mark)
    if not ack["ok"]:
        raise Failure("restart-session returned FALSE: {}".format(ack))
    done = rcv.wait_gws("gws-session-restarted", since=r_mark, timeout=60)
    end = done["t"] + 2.0
    rcv.wait("frames 2 s after the switch", lambda ev: ev["event"] ==
             "frame" and ev["t"] >= end, since=r_mark)
    frames = window(rcv, t0 - 0.5, end)
    gap, _at = max_gap(frames)
    return {"by": who, "max_gap_ms": gap * 1000,
            "frames_missing": missing_frames(frames, t0 - 0.5, end),
            "switch_ms_reported": done["fields"].get("switch-ms")}


def break_before_make(w, snd, rcv):
    r_mark = rcv.mark()
    t_stop = time.monotonic()
    rcv.send("stop-src")
    stopped = rcv.wait_event("stopped", since=r_mark)
    last = [ev for ev in rcv.select("frame", r_mark)
            if ev["t"] < stopped["t"]] or [rcv.select("frame")[-1]]
    s_mark = rcv.mark()
    rcv.send("start-src")
    first = rcv.wait("the new session's first frame",
                     lambda ev: ev["event"] == "frame", since=s_mark)
    frames_after(rcv, first["t"] - 0.001, 30, s_mark)
    return {"gap_ms": (first["t"] - last[-1]["t"]) * 1000,
            "stop_to_first_frame_ms": (first["t"] - t_stop) * 1000}


def false_alarms(snd, rcv, s_mark, r_mark):
    lost = [ev for p, m in ((snd, s_mark), (rcv, r_mark))
            for ev in p.select("gws", m) if ev["name"] == "gws-path-lost"]
    started = [ev for p, m in ((snd, s_mark), (rcv, r_mark))
               for ev in p.select("gws", m)
               if ev["name"] == "gws-restart-started"]
    return lost, started


def healthy(w, snd, rcv, seconds):
    """Nothing cut for `seconds`: every path-lost is a false one."""
    s_mark, r_mark = snd.mark(), rcv.mark()
    t0 = time.monotonic()
    time.sleep(seconds)  # the healthy stretch being watched
    lost, started = false_alarms(snd, rcv, s_mark, r_mark)
    gap, _at = max_gap(window(rcv, t0, time.monotonic()))
    return {"seconds": seconds, "false_path_lost": len(lost),
            "false_restarts": len(started),
            "silences_ms": [ev["fields"].get("silence-ms") for ev in lost],
            "max_gap_ms": gap * 1000}


def source_pause(w, snd, rcv, seconds=3.0):
    """The sender's source stops for `seconds`, then resumes."""
    s_mark, r_mark = snd.mark(), rcv.mark()
    snd.send("pause-src")
    snd.wait_event("src-paused", since=s_mark)
    time.sleep(seconds)  # the pause being watched
    t_resume = time.monotonic()
    snd.send("resume-src")
    frames_after(rcv, t_resume, 30, r_mark)
    lost, started = false_alarms(snd, rcv, s_mark, r_mark)
    return {"seconds": seconds, "false_path_lost": len(lost),
            "false_restarts": len(started),
            "by": ["sender" if ev in snd.events else "receiver"
                   for ev in lost],
            "silences_ms": [ev["fields"].get("silence-ms") for ev in lost]}


def measure(kind, runs, fn, out):
    results, errors = [], []
    for i in range(runs):
        try:
            r = fn(i)
            log("{} {}: {}".format(kind, i, json.dumps(r)))
            results.append(r)
        except Exception as e:  # record and go on
            log("{} {}: FAILED {}".format(kind, i, e))
            errors.append(str(e).splitlines()[0][:300])
            if not isinstance(e, Failure):
                log(traceback.format_exc())
            if len(errors) >= 2 and not results:
                break  # it does not work at all: do not spend more time
    out[kind] = {"runs": results, "failed": len(errors), "errors": errors}
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--path-timeout", type=int, default=1000)
    ap.add_argument("--only", default="restart,path_cut,silent_drop,"
                    "silent_drop_route,source_pause,break_before_make")
    ap.add_argument("--healthy-seconds", type=float, default=60)
    ap.add_argument("--pause-seconds", type=float, default=3)
    ap.add_argument("--size", default=None,
                    help="the sender's picture, e.g. 1280x720 (320x240)")
    ap.add_argument("--debug", default="",
                    help="more GST_DEBUG categories; keeps the logs")
    ap.add_argument("--build", default=os.environ.get(
        "BUILD_DIR", os.path.join(ROOT, "build")))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print(json.dumps({"error": "needs root (network namespaces)"}))
        return 1
    props = ("path-timeout={}".format(args.path_timeout),)
    w = World("bench", build_dir=args.build, keep_logs=bool(args.debug))
    w.env.pop("GST_DEBUG", None)
    w.env["GST_DEBUG"] = "webrtcsink:3,webrtcsrc:3" + (
        "," + args.debug if args.debug else "")
    if args.debug:
        log("logs in", w.logdir)
    out = {"runs": args.runs, "path_timeout_ms": args.path_timeout}
    try:
        snd, rcv, sid = w.start(props, props, latency=50, size=args.size)
        out["session"] = sid
        has_restart = not any(ev["name"] == "path-timeout" for ev in
                              rcv.select("no-property"))
        only = set(args.only.split(","))
        # The pauses last: they teach the path monitors long gaps for the
        # next 10-20 s (a cut after them would be judged by path-timeout).
        kinds = [
            ("healthy", lambda i: healthy(w, snd, rcv,
                                          args.healthy_seconds)),
            ("restart", lambda i: explicit_restart(
                w, snd, rcv, "sender" if i % 2 == 0 else "receiver")),
            ("path_cut", lambda i: path_cut(w, snd, rcv)),
            ("silent_drop", lambda i: path_cut(w, snd, rcv, "silent")),
            ("silent_drop_route",
             lambda i: path_cut(w, snd, rcv, "silent+route")),
            ("source_pause", lambda i: source_pause(w, snd, rcv,
                                                   args.pause_seconds)),
        ]
        for kind, fn in kinds:
            if kind not in only:
                continue
            if has_restart:
                measure(kind, args.runs, fn, out)
            else:
                out[kind] = {"runs": [], "failed": 0, "errors": [
                    "the elements have no session restart (path-timeout)"]}
        if "break_before_make" in only:
            measure("break_before_make", args.runs,
                    lambda i: break_before_make(w, snd, rcv), out)
    except Exception as e:
        out["error"] = str(e).splitlines()[0][:300]
        log(traceback.format_exc())
    finally:
        w.close(True)

    def col(kind, key):
        return [r[key] for r in out.get(kind, {}).get("runs", [])
                if r.get(key) is not None]

    out["summary"] = {
        "path_cut_gap_ms": summary(col("path_cut", "gap_ms")),
        "path_cut_detection_ms": summary(col("path_cut", "detection_ms")),
        "path_cut_restart_to_switch_ms": summary(
            col("path_cut", "restart_to_switch_ms")),
        "path_cut_frames_missing": summary(col("path_cut",
                                               "frames_missing")),
        "silent_drop_gap_ms": summary(col("silent_drop", "gap_ms")),
        "silent_drop_detection_ms": summary(col("silent_drop",
                                                "detection_ms")),
        "silent_drop_restart_to_switch_ms": summary(
            col("silent_drop", "restart_to_switch_ms")),
        "healthy_false_path_lost": sum(col("healthy", "false_path_lost")),
        "healthy_seconds": sum(col("healthy", "seconds")),
        "healthy_max_gap_ms": summary(col("healthy", "max_gap_ms")),
        "source_pause_false_path_lost": sum(col("source_pause",
                                                "false_path_lost")),
        "silent_drop_route_gap_ms": summary(col("silent_drop_route",
                                                "gap_ms")),
        "silent_drop_route_detection_ms": summary(
            col("silent_drop_route", "detection_ms")),
        "restart_max_gap_ms": summary(col("restart", "max_gap_ms")),
        "restart_frames_missing": summary(col("restart", "frames_missing")),
        "bbm_gap_ms": summary(col("break_before_make", "gap_ms")),
        "bbm_stop_to_first_frame_ms": summary(
            col("break_before_make", "stop_to_first_frame_ms")),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
