"""Shared helpers of the ttff, latency and fanout benchmarks: the private
network namespace, the relay, raw webrtcbin peers (the baselines) with the
same encoder settings as webrtcsink, percentiles and process CPU time."""

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def build_dir():
    return os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))


def env_with_plugin():
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(build_dir(), "plugins")
    env.pop("GST_DEBUG", None)
    return env


def in_private_netns():
    """Re-executes the calling script under `unshare -n` with lo up, once."""
    if os.environ.get("GWS_NETNS") == "1":
        return
    os.environ["GWS_NETNS"] = "1"
    cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"',
           "sh", PY] + sys.argv
    os.execvp("unshare", cmd)


def boost():
    """Puts this process (and the children it starts from now on) in an
    autogroup of its own at nice -20, as relay_bench.py --boost does: on a
    machine shared with other sessions, the kernel's autogroup scheduling
    otherwise splits the cores per session whatever the nice value, and the
    producer, the receiver and the baseline compete for one share. Say so
    when quoting figures taken with it."""
    try:
        os.setsid()  # a session of our own: our own autogroup
    except OSError:
        pass
    with open("/proc/self/autogroup", "w") as f:
        f.write("-20")


def drain(stream):
    threading.Thread(target=lambda: [None for _ in stream],
                     daemon=True).start()


class Relay:
    def __init__(self):
        binary = os.path.join(build_dir(), "signaling", "relay",
                              "gst-webrtc-relay")
        self.proc = subprocess.Popen([binary, "--host", "127.0.0.1",
                                      "--port", "0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 10
        self.port = None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on ws://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if not self.port:
            raise RuntimeError("relay did not start")
        drain(self.proc.stdout)

    def uri(self, peer_id=None, scheme="ws"):
        base = f"{scheme}://127.0.0.1:{self.port}/"
        return base + (f"?peer-id={peer_id}" if peer_id else "")

    def stop(self):
        stop_proc(self.proc)


def stop_proc(proc, sig=15):
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def pct(values, p):
    """Nearest-rank percentile, None for no values."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def summary(values, digits=1):
    return {"n": len(values),
            "p50": round(pct(values, 50), digits) if values else None,
            "p95": round(pct(values, 95), digits) if values else None,
            "p99": round(pct(values, 99), digits) if values else None}


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# Raw webrtcbin helpers (for the baselines); imported by GI scripts only.

def gst():
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("GstSdp", "1.0")
    gi.require_version("Nice", "0.1")
    from gi.repository import Gst
    Gst.init(None)
    return Gst


def raw_webrtcbin(Gst, name, latency=None):
    """A webrtcbin that can use 127.0.0.1 (libnice skips loopback unless
    the address is added to its agent by hand, as webrtcsink does)."""
    from gi.repository import Nice
    w = Gst.ElementFactory.make("webrtcbin", name)
    w.set_property("bundle-policy", "max-bundle")
    if latency is not None:
        w.set_property("latency", latency)
    ice = w.get_property("ice-agent")
    agent = ice.get_property("agent")
    addr = Nice.Address()
    addr.set_from_string("127.0.0.1")
    agent.add_local_address(addr)
    w._keep = (ice, agent)  # keep the references while in use
    return w


def encoder_desc(codec):
    """The encoder, parser and payloader webrtcsink uses for a codec
    (plugins/webrtcsession/gws-codecs.cpp), as a launch string."""
    if codec == "VP8":
        return ("vp8enc deadline=1 keyframe-max-dist=60 lag-in-frames=0 "
                "threads=1 cpu-used=8 end-usage=cbr target-bitrate=1000000 "
                "! rtpvp8pay pt=96 mtu=1200")
    return ("x264enc speed-preset=ultrafast tune=zerolatency key-int-max=60 "
            "bitrate=1000 ! video/x-h264,profile=constrained-baseline,"
            "stream-format=byte-stream ! h264parse ! "
            "rtph264pay pt=102 mtu=1200 config-interval=-1")


def rtp_caps(codec):
    if codec == "VP8":
        return ("application/x-rtp,media=video,encoding-name=VP8,"
                "payload=96,clock-rate=90000")
    return ("application/x-rtp,media=video,encoding-name=H264,payload=102,"
            "clock-rate=90000,packetization-mode=(string)1,"
            "profile-level-id=(string)42e01f")


# The webrtcsink producer and the timed webrtcsrc receiver of ttff.py and
# longpoll.py.
CAPS = "video/x-raw,format=I420,width=640,height=480,framerate=30/1"
TIMEOUT = 20.0


def producer(uri):
    return subprocess.Popen(
        ["gst-launch-1.0", "webrtcsink", "name=ws", f"uri={uri}",
         "ice-addresses=127.0.0.1", "video-codecs=<VP8>", "videotestsrc",
         "is-live=true", "pattern=ball", "!", CAPS, "!", "ws.video_0"],
        env=env_with_plugin(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def receiver_once(uri, latency, t0=None, extra=None, env=None):
    """Spawns a gst-launch-1.0 receiver (with `env` added to its
    environment), returns ms from t0 (default: the spawn) to its first
    decoded frame, or None after TIMEOUT."""
    if t0 is None:
        t0 = time.monotonic()
    penv = env_with_plugin()
    penv.update(env or {})
    proc = subprocess.Popen(
        ["stdbuf", "-oL", "gst-launch-1.0", "-v", "webrtcsrc",
         f"uri={uri}", "ice-addresses=127.0.0.1", f"latency={latency}", "!",
         "video/x-raw", "!", "fakesink", "silent=false", "sync=false"],
        env=penv, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    result = None
    deadline = t0 + TIMEOUT
    os.set_blocking(proc.stdout.fileno(), True)
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        line = proc.stdout.readline()
        if not line:
            break
        if "last-message = chain" in line:
            result = (time.monotonic() - t0) * 1000
            break
    stop_proc(proc)
    for p in extra or []:
        stop_proc(p)
    return result


def probe_once(uri, latency):
    """One probe.py receiver (webrtcsrc in a Python GI process): ms from
    its spawn to each event it marks (see probe.py), or None."""
    t0 = time.monotonic()
    out = subprocess.run([PY, os.path.join(HERE, "probe.py"), uri,
                          str(latency)], env=env_with_plugin(),
                         capture_output=True, text=True, timeout=TIMEOUT + 10)
    try:
        t = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        t = {}
    if "frame" not in t:
        # Not a figure, but say how far it got (on stderr, not the JSON).
        print("probe {}: no frame; reached {}{}".format(
            uri, [k for k in t if k != "error"] or "nothing",
            "; error: " + t["error"] if "error" in t else ""),
            file=sys.stderr, flush=True)
        return None
    return {k: round((v - t0) * 1000, 1) for k, v in t.items()
            if isinstance(v, float)}


PHASES = (("start-up (spawn -> PLAYING)", None, "playing"),
          ("signalling (-> offer received)", "playing", "offer"),
          ("offer applied (DTLS certificate, plugin loading)", "offer",
           "applied"),
          ("ICE (-> ice connected)", "applied", "ice"),
          ("DTLS (-> connection-state connected)", "ice", "dtls"),
          ("first frame (jitterbuffer, key frame, decode)", "dtls", "frame"),
          ("  of which: -> first RTP packet (sender's key frame)", "dtls",
           "rtp_in"),
          ("  of which: first RTP -> out of the jitterbuffer", "rtp_in",
           "jb_out"),
          ("  of which: jitterbuffer -> decoded frame", "jb_out", "frame"))


def phases(runs):
    """The median of each PHASES span over @runs (probe_once results)."""
    out = {}
    for label, a, b in PHASES:
        vals = [r[b] - (r[a] if a else 0) for r in runs
                if b in r and (a is None or a in r)]
        if vals:
            out[label] = round(statistics.median(vals), 1)
    return out
