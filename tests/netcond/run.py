#!/usr/bin/python3
"""Loss recovery on impaired links (issue 11): webrtcsink in one network
namespace, webrtcsrc in another, media on one veth path whose conditions the
test sets while media flows (random loss with nftables, bandwidth caps with
tbf; this kernel has no netem). The topology, relay and peers are the
session-restart rig (tests/restart: netpaths.py, harness.py, peer.py) with
the media pinned to path A; signalling uses its own, never impaired link.

Every case prints TAP. Usage: run.py CASE  (run.py --list)
Environment: GWS_RELAY, GST_PLUGIN_PATH (set by meson).
"""

import os
import re
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "restart"))

from harness import Failure, World  # noqa: E402

SKIP = 77
# 320x240 keeps the sender's CPU low on a shared 2-core machine; the
# source is what makes the stream's packet rate realistic (VP8 at the
# encoder's 1 Mbit/s: 3-4 RTP packets per frame, ~100 packets/s).
SIZE = "320x240"
SOURCE = "pattern=smpte horizontal-speed=3"


# -- measuring ---------------------------------------------------------------

def freezes(frames):
    """Freezes as browsers count them: a frame interval longer than
    max(3 x average interval, average + 150 ms), the average over the
    preceding (up to 30) intervals. Returns (count, total s, longest s)."""
    count, total, longest = 0, 0.0, 0.0
    recent = []
    for a, b in zip(frames, frames[1:]):
        gap = b["t"] - a["t"]
        if len(recent) >= 5:
            avg = sum(recent) / len(recent)
            if gap > max(3 * avg, avg + 0.150):
                count += 1
                total += gap
                longest = max(longest, gap)
                continue  # a freeze does not move the average
        recent.append(gap)
        if len(recent) > 30:
            recent.pop(0)
    return count, total, longest


def stat(text, name):
    """Sum of a numeric field over the sessions of a stats text (nested
    structures come escaped: drop the backslashes)."""
    text = text.replace("\\", "")
    vals = re.findall(r"\b" + re.escape(name) + r"=\(g?u?int(?:64)?\)(-?\d+)",
                      text)
    return sum(int(v) for v in vals)


def stats(proc):
    mark = proc.mark()
    proc.send("stats")
    return proc.wait_event("stats", since=mark)["text"]


def sdps(proc):
    mark = proc.mark()
    proc.send("sdp")
    proc.wait_event("sdp-done", since=mark)
    return proc.select("sdp", since=mark)


def video_section(sdp):
    """The m=video section of an SDP text."""
    m = re.search(r"^m=video.*?(?=^m=|\Z)", sdp, re.S | re.M)
    return m.group(0) if m else ""


def rtx_map(section):
    """{rtx pt: apt} of an SDP media section."""
    rtx = set(re.findall(r"^a=rtpmap:(\d+) rtx/90000", section, re.M))
    out = {}
    for pt, apt in re.findall(r"^a=fmtp:(\d+) apt=(\d+)", section, re.M):
        if pt in rtx:
            out[int(pt)] = int(apt)
    return out


def codec_pts(section, name):
    return [int(p) for p in re.findall(
        r"^a=rtpmap:(\d+) " + name + r"/90000", section, re.M)]


def nack_pts(section):
    return {int(p) for p in re.findall(r"^a=rtcp-fb:(\d+) nack\r?$", section,
                                        re.M)}


# -- the world ---------------------------------------------------------------

def start(name, codec="VP8", sender=(), receiver=(), latency=None):
    w = World("netcond-" + name)
    w.relay()
    snd = w.peer("sender", "sender", "video-codecs=<{}>".format(codec),
                 *sender, paths=("A",), size=SIZE, source=SOURCE)
    snd.wait_event("signalling", connected=True)
    rcv = w.peer("receiver", "receiver", *receiver, paths=("A",),
                 latency=latency)
    snd.wait_event("consumer-added")
    rcv.wait("30 frames", lambda ev: ev["event"] == "frame" and ev["n"] >= 30)
    return w, snd, rcv


def lossy_run(w, rcv, percent, seconds):
    """`percent` % random loss both ways for `seconds`; returns the frames
    received meanwhile."""
    w.topo.set_loss("snd", percent)
    w.topo.set_loss("rcv", percent)
    t0 = time.monotonic()
    time.sleep(seconds)  # media flows over the impaired link meanwhile
    t1 = time.monotonic()
    w.topo.set_loss("snd", 0)
    w.topo.set_loss("rcv", 0)
    return [ev for ev in rcv.select("frame") if t0 <= ev["t"] <= t1], t1 - t0


def check_recovery(codec):
    latency = os.environ.get("GWS_TEST_LATENCY")  # experiments by hand
    w, snd, rcv = start("loss-" + codec.lower(), codec,
                        latency=int(latency) if latency else None)
    ok = False
    try:
        # The frame rate a clean link gives on this machine right now (a
        # loaded 2-core box may not reach 30): the lossy run is judged
        # against it.
        clean, clean_secs = lossy_run(w, rcv, 0, 5)
        clean_fps = len(clean) / clean_secs
        frames, secs = lossy_run(w, rcv, 3, 15)
        n, total, longest = freezes(frames)
        rtext, stext = stats(rcv), stats(snd)
        fps = len(frames) / secs
        print("# clean link: {:.1f} fps".format(clean_fps))
        print("# {}: {} frames in {:.1f} s ({:.1f} fps), freezes {} "
              "({:.0f} ms, longest {:.0f} ms)".format(
                  codec, len(frames), secs, fps, n, total * 1000,
                  longest * 1000))
        print("# receiver: nacks-sent {} rtx-received {} recovered {} "
              "lost-for-good {} plis-sent {}".format(
                  stat(rtext, "nacks-sent"),
                  stat(rtext, "retransmissions-received"),
                  stat(rtext, "recovered-by-retransmission"),
                  stat(rtext, "packets-lost"), stat(rtext, "plis-sent")))
        print("# sender: nacks-received {} packets-retransmitted {}".format(
            stat(stext, "nacks-received"),
            stat(stext, "packets-retransmitted")))
        recovered = stat(rtext, "recovered-by-retransmission")
        lost = stat(rtext, "packets-lost")
        if stat(rtext, "nacks-sent") == 0:
            raise Failure("the receiver sent no NACK under 3% loss")
        if stat(stext, "packets-retransmitted") == 0:
            raise Failure("the sender retransmitted nothing")
        # Without retransmission every loss is lost for good (measured: 29
        # VP8 / 38 H264 packets in 10 s). A NACK or its retransmission is
        # itself lost 6% of the time, and a loss found too late for the
        # 50 ms latency is not asked for.
        if recovered < 0.7 * (recovered + lost):
            raise Failure("only {} of {} losses recovered".format(
                recovered, recovered + lost))
        # A packet lost for good spoils its frame until the next key frame
        # (asked for at once, sent within the 500 ms key-frame limit): for
        # VP8 the decoder shows nothing meanwhile, H264's conceals.
        limit = 0.200 if codec == "H264" else 0.600
        if longest > limit:
            raise Failure("a freeze of {:.0f} ms (> {:.0f} ms)".format(
                longest * 1000, limit * 1000))
        if fps < (0.9 if codec == "H264" else 0.7) * clean_fps:
            raise Failure("only {:.1f} frames/s arrived ({:.1f} on the "
                          "clean link)".format(fps, clean_fps))
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok:
            print("# logs: " + logdir)


def case_loss_vp8():
    check_recovery("VP8")


def case_loss_h264():
    check_recovery("H264")


def case_sdp():
    """webrtcsink's offer gives every video codec an rtx payload (webrtcbin
    1.22 alone gives only the first one) and nack feedback; webrtcsrc's
    answer keeps RTX for the codec it picked."""
    w, snd, rcv = start("sdp", "VP8,H264,VP9")
    ok = False
    try:
        sink_side = sdps(snd)
        if not sink_side:
            raise Failure("webrtcsink has no webrtcbin")
        offer = video_section(sink_side[0]["local-description"])
        answer = video_section(sink_side[0]["remote-description"])
        print("# offer rtx {} answer rtx {}".format(rtx_map(offer),
                                                   rtx_map(answer)))
        repaired = set(rtx_map(offer).values())
        for name in ("VP8", "H264", "VP9"):
            for pt in codec_pts(offer, name):
                if pt not in repaired:
                    raise Failure("offer: {} payload {} has no rtx".format(
                        name, pt))
                if pt not in nack_pts(offer):
                    raise Failure("offer: {} payload {} has no nack".format(
                        name, pt))
        chosen = codec_pts(answer, "VP8")
        if not chosen:
            raise Failure("answer did not pick VP8:\n" + answer)
        if chosen[0] not in rtx_map(answer).values():
            raise Failure("answer has no rtx for VP8:\n" + answer)
        if chosen[0] not in nack_pts(answer):
            raise Failure("answer has no nack for VP8:\n" + answer)
        ok = True
    finally:
        w.close(ok)


def case_sdp_off():
    """do-retransmission=false on both: no rtx and no plain nack."""
    w, snd, rcv = start("sdp-off", "VP8", sender=["do-retransmission=false"],
                        receiver=["do-retransmission=false"])
    ok = False
    try:
        side = sdps(snd)[0]
        for which in ("local-description", "remote-description"):
            sec = video_section(side[which])
            if rtx_map(sec) or nack_pts(sec):
                raise Failure("{} still has rtx/nack:\n{}".format(which, sec))
        ok = True
    finally:
        w.close(ok)


def case_fec():
    """do-fec on both sides: RED + ULPFEC negotiated (beside RTX), and under
    3% loss the receiver rebuilds packets from FEC."""
    w, snd, rcv = start("fec", "VP8", sender=["do-fec=true"],
                        receiver=["do-fec=true"])
    ok = False
    try:
        side = sdps(snd)[0]
        for which in ("local-description", "remote-description"):
            sec = video_section(side[which])
            for name in ("red", "ulpfec"):
                if not re.search(r"^a=rtpmap:\d+ " + name + r"/90000", sec,
                                 re.M):
                    raise Failure("{} has no {}:\n{}".format(which, name,
                                                            sec))
        frames, secs = lossy_run(w, rcv, 3, 10)
        rtext, stext = stats(rcv), stats(snd)
        print("# fec: {} frames in {:.1f} s, fec-protected-packets {}, "
              "recovered-by-fec {}, recovered-by-retransmission {}, "
              "lost-for-good {}".format(
                  len(frames), secs, stat(stext, "fec-protected-packets"),
                  stat(rtext, "recovered-by-fec"),
                  stat(rtext, "recovered-by-retransmission"),
                  stat(rtext, "packets-lost")))
        if len(frames) < 20 * secs:
            raise Failure("only {} frames in {:.1f} s".format(len(frames),
                                                              secs))
        if stat(rtext, "recovered-by-fec") == 0:
            raise Failure("nothing was recovered by FEC")
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok:
            print("# logs: " + logdir)


CASES = {
    "fec": case_fec,
    "loss-vp8": case_loss_vp8,
    "loss-h264": case_loss_h264,
    "sdp": case_sdp,
    "sdp-off": case_sdp_off,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        if len(sys.argv) == 2 and sys.argv[1] == "--list":
            print("\n".join(CASES))
            return 0
        print(__doc__)
        return 2
    name = sys.argv[1]
    print("1..1")
    if os.geteuid() != 0:
        print("ok 1 {} # SKIP needs root (network namespaces)".format(name))
        return 0
    try:
        CASES[name]()
    except Failure as e:
        print("not ok 1 {}".format(name))
        for line in str(e).splitlines():
            print("# " + line)
        return 1
    except Exception:  # noqa: BLE001 - report anything as a failure
        print("not ok 1 {}".format(name))
        for line in traceback.format_exc().splitlines():
            print("# " + line)
        return 1
    print("ok 1 {}".format(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
