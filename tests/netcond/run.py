#!/usr/bin/python3
"""Loss recovery on impaired links (issue 11): webrtcsink in one network
namespace, webrtcsrc in another, media on one veth path whose conditions the
test sets while media flows (random loss with nftables, bandwidth caps with
tbf; this kernel has no netem). The topology, relay and peers are the
session-restart rig (tests/restart: netpaths.py, harness.py, peer.py) with
the media pinned to path A; signalling uses its own, never impaired link.

The TURN cases (turn-*, whip-turn) use a third namespace with coturn
between two that cannot reach each other (turn.py); ice-tcp drops all UDP
on the direct path.

Every case prints TAP. Usage: run.py CASE  (run.py --list)
Environment: GWS_RELAY, GST_PLUGIN_PATH (set by meson).
"""

import json
import os
import re
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "restart"))

import netpaths  # noqa: E402
from harness import Failure, World  # noqa: E402
from turn import Coturn, TurnTopology  # noqa: E402

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


def rrtr_pts(section):
    return {int(p) for p in re.findall(r"^a=rtcp-fb:(\d+) rrtr\r?$", section,
                                        re.M)}


# -- the world ---------------------------------------------------------------

def start(name, codec="VP8", sender=(), receiver=(), latency=None,
          topo=None, encoder=None):
    w = World("netcond-" + name,
              keep_logs=bool(os.environ.get("GWS_KEEP_LOGS")), topo=topo)
    w.relay()
    snd = w.peer("sender", "sender", "video-codecs=<{}>".format(codec),
                 *sender, paths=("A",), size=SIZE, source=SOURCE,
                 encoder=encoder)
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
        # A direct path: the pair is host (or peer-reflexive) over UDP.
        for who, proc in (("sender", snd), ("receiver", rcv)):
            (lt, rt, tr, rp), text = pair(proc)
            if (lt not in ("host", "prflx") or rt not in ("host", "prflx")
                    or tr != "udp" or rp is not None):
                raise Failure("{}: pair {}/{} over {} (relay {}):\n{}".format(
                    who, lt, rt, tr, rp, text))
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
                # Asks a receiver for RTCP XR reference times, which
                # webrtcsink answers with DLRR (gws-xr-rtt.h).
                if pt not in rrtr_pts(offer):
                    raise Failure("offer: {} payload {} has no rrtr".format(
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
    """do-retransmission=false on both: no rtx, no plain nack, no rrtr."""
    w, snd, rcv = start("sdp-off", "VP8", sender=["do-retransmission=false"],
                        receiver=["do-retransmission=false"])
    ok = False
    try:
        side = sdps(snd)[0]
        for which in ("local-description", "remote-description"):
            sec = video_section(side[which])
            if rtx_map(sec) or nack_pts(sec) or rrtr_pts(sec):
                raise Failure("{} still has rtx/nack/rrtr:\n{}".format(
                    which, sec))
        ok = True
    finally:
        w.close(ok)


def case_fec():
    """do-fec on both sides: RED + ULPFEC negotiated (beside RTX), and under
    3% loss the receiver rebuilds packets from FEC."""
    # Starting at 1 Mbit/s (not congestion control's 300 kbit/s): at the
    # low start, under loss from the first second, the encoder stayed near
    # 255 kbit/s, a packet or so per frame, and FEC (20%) protected too few
    # for a recovery (failed once in CI: 94 FEC packets in 10 s, 0
    # recovered).
    w, snd, rcv = start("fec", "VP8",
                        sender=["do-fec=true", "start-bitrate=1000000"],
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
        # Under 3% loss both ways until the receiver has rebuilt a packet
        # from FEC (at most 40 s): a recovery needs the FEC packet and
        # every other packet it protects, and came only 1-3 times in 20 s
        # at 1 Mbit/s, so a fixed window found none now and then.
        w.topo.set_loss("snd", 3)
        w.topo.set_loss("rcv", 3)
        t0 = time.monotonic()
        try:
            rtext = wait_stat(rcv, "recovered-by-fec", lambda v: v > 0,
                              "nothing was recovered by FEC in 40 s",
                              timeout=40)
        finally:
            w.topo.set_loss("snd", 0)
            w.topo.set_loss("rcv", 0)
        t1 = time.monotonic()
        secs = t1 - t0
        frames = [ev for ev in rcv.select("frame") if t0 <= ev["t"] <= t1]
        stext = stats(snd)
        print("# fec: {} frames in {:.1f} s, fec-protected-packets {}, "
              "recovered-by-fec {}, recovered-by-retransmission {}, "
              "lost-for-good {}, twcc-feedback-reports {}".format(
                  len(frames), secs, stat(stext, "fec-protected-packets"),
                  stat(rtext, "recovered-by-fec"),
                  stat(rtext, "recovered-by-retransmission"),
                  stat(rtext, "packets-lost"),
                  stat(stext, "twcc-feedback-reports")))
        # RED packets carry the transport-wide numbers too (GStreamer
        # 1.22.0's rtpredenc gave them the wrong extension id, mended by
        # twcc_mend_red()): without them congestion control gets no
        # feedback at all and keeps its start rate.
        if stat(stext, "twcc-feedback-reports") == 0:
            raise Failure("no transport-wide feedback with FEC on")
        if secs >= 2 and len(frames) < 20 * secs:
            raise Failure("only {} frames in {:.1f} s".format(len(frames),
                                                              secs))
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok:
            print("# logs: " + logdir)


TWCC_URI = ("http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-"
            "extensions-01")


def twcc_ids(section):
    return [int(i) for i in re.findall(
        r"^a=extmap:(\d+)(?:/\w+)? " + re.escape(TWCC_URI) + r"\r?$",
        section, re.M)]


def wait_stat(proc, name, pred, what, timeout=15):
    """Polls the stats of `proc` until field `name` (summed over the
    sessions) satisfies `pred`; returns the last stats text."""
    deadline = time.monotonic() + timeout
    while True:
        text = stats(proc)
        if pred(stat(text, name)):
            return text
        if time.monotonic() > deadline:
            raise Failure("{} ({} = {}):\n{}".format(
                what, name, stat(text, name), text))
        time.sleep(0.2)  # polling a counter, not synchronising on it


def case_twcc():
    """Transport-wide congestion control is negotiated both ways (the
    header extension in webrtcsink's offer and webrtcsrc's answer, with
    transport-cc feedback), webrtcsrc's rtpsession sends the feedback and
    it reaches webrtcsink's estimator for that consumer."""
    w, snd, rcv = start("twcc", "VP8")
    ok = False
    try:
        side = sdps(snd)[0]
        offer = video_section(side["local-description"])
        answer = video_section(side["remote-description"])
        print("# offer twcc ids {} answer twcc ids {}".format(
            twcc_ids(offer), twcc_ids(answer)))
        for which, sec in (("offer", offer), ("answer", answer)):
            if not twcc_ids(sec):
                raise Failure("{} has no TWCC header extension:\n{}".format(
                    which, sec))
            if not re.search(r"^a=rtcp-fb:\d+ transport-cc", sec, re.M):
                raise Failure("{} has no transport-cc feedback:\n{}".format(
                    which, sec))
        text = wait_stat(snd, "twcc-feedback-packets", lambda v: v >= 100,
                         "no transport-wide feedback reached webrtcsink")
        text = wait_stat(snd, "estimate-bps", lambda v: v > 0,
                         "webrtcsink has no estimate")
        print("# sender: feedback reports {} packets {} estimate {} "
              "received {} target {}".format(
                  stat(text, "twcc-feedback-reports"),
                  stat(text, "twcc-feedback-packets"),
                  stat(text, "estimate-bps"), stat(text, "received-bps"),
                  stat(text, "target-bps")))
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok:
            print("# logs: " + logdir)


def tbf_drops(w, side="snd", path="A"):
    """Packets the tbf cap on `side` dropped so far (0 without a cap)."""
    dev = netpaths.PATHS[path][0]
    out = subprocess.run(["tc", "-n", w.topo.ns(side), "-s", "-j", "qdisc",
                          "show", "dev", dev], capture_output=True,
                         text=True).stdout
    try:
        return sum(q.get("drops", 0) for q in json.loads(out or "[]")
                   if q.get("kind") == "tbf")
    except ValueError:
        return 0


def tx_kbit(w, seconds, side="snd", path="A"):
    """What `side` really sent on `path` over the next `seconds` (the
    veth's byte counter, after the qdisc), in kbit/s; and the tbf drops
    meanwhile."""
    before, d0 = w.topo.counters(side)[path][1], tbf_drops(w, side, path)
    time.sleep(seconds)  # the measurement window itself
    after, d1 = w.topo.counters(side)[path][1], tbf_drops(w, side, path)
    return (after - before) * 8 / 1000 / seconds, d1 - d0


def case_cc_drop():
    """Congestion control on a link that shrinks and grows back: webrtcsink
    behind a 3 Mbit/s uplink that drops to 600 kbit/s (tbf, 100 ms queue)
    and returns. After the drop the encoder's rate goes under the cap, the
    queue stops dropping and frames keep flowing; after the return the
    estimate climbs well above the old cap."""
    w, snd, rcv = start("cc-drop", "VP8")
    ok = False
    try:
        w.topo.set_rate("snd", 3000)
        wait_stat(snd, "twcc-feedback-reports", lambda v: v > 0,
                  "no transport-wide feedback")
        clean, secs = lossy_run(w, rcv, 0, 5)
        clean_fps = len(clean) / secs
        wide, _ = tx_kbit(w, 2)
        print("# 3 Mbit/s: sending {:.0f} kbit/s, {:.1f} fps".format(
            wide, clean_fps))

        w.topo.set_rate("snd", 600)
        t0 = time.monotonic()
        text = wait_stat(snd, "target-bps", lambda v: 0 < v < 600000,
                         "the encoder stayed above the 600 kbit/s cap",
                         timeout=20)
        adapt = time.monotonic() - t0
        print("# 600 kbit/s: encoder under the cap after {:.1f} s "
              "(estimate {} target {})".format(
                  adapt, stat(text, "estimate-bps"),
                  stat(text, "target-bps")))
        # Let the queue drain, then watch a window at the new rate.
        mark = time.monotonic() + 2
        time.sleep(2)  # the queue built before the decrease drains
        rate, drops = tx_kbit(w, 4)
        frames = [ev for ev in rcv.select("frame") if ev["t"] >= mark]
        fps = len(frames) / (time.monotonic() - mark)
        n, total, longest = freezes(frames)
        print("# 600 kbit/s settled: sending {:.0f} kbit/s, tbf drops {} "
              "in 4 s, {:.1f} fps, freezes {} (longest {:.0f} ms)".format(
                  rate, drops, fps, n, longest * 1000))
        # Frames keep flowing. Before congestion control webrtcsrc decoded
        # 3 of 30 frames/s behind this cap (issue 12); a quarter of the
        # clean rate is well clear of that on a loaded machine, where key
        # frames (sent unpaced, as one burst into the cap's 100 ms queue)
        # still arrive late for the 50 ms jitter buffer now and then.
        if fps < 0.25 * clean_fps:
            raise Failure("only {:.1f} frames/s behind the cap ({:.1f} "
                          "before)".format(fps, clean_fps))
        # Without congestion control the cap dropped 43-55 % of the
        # packets (issue 12). With it, what is left are key frames larger
        # than the cap's queue (more of them on a loaded machine, where
        # late frames make the receiver ask for them): under a quarter.
        packets = rate * 1000 / 8 * 4 / 1100 + drops
        if drops > 0.25 * packets:
            raise Failure("the cap still dropped {} of ~{:.0f} packets in "
                          "4 s".format(drops, packets))

        w.topo.set_rate("snd", 3000)
        t1 = time.monotonic()
        text = wait_stat(snd, "estimate-bps", lambda v: v > 1200000,
                         "the estimate did not grow back past 1.2 Mbit/s",
                         timeout=30)
        back, _ = tx_kbit(w, 2)
        print("# back to 3 Mbit/s: estimate past 1.2 Mbit/s after {:.1f} s, "
              "sending {:.0f} kbit/s".format(time.monotonic() - t1, back))
        ok = True
    finally:
        w.topo.set_rate("snd", 0)
        logdir = w.close(ok)
        if not ok or w.keep_logs:
            print("# logs: " + logdir)


def case_overload_nack():
    """Overload after the payloader (issue 11): pre-encoded VP8 at 1.5
    Mbit/s (whose bitrate webrtcsink cannot change) behind a 300 kbit/s
    uplink (tbf, 100 ms queue), so the consumer's pacer, at 2.5 x an
    estimate near the cap, falls behind and its backlog bound drops packets
    after the shared payloader, over and over. Such packets were never in
    the consumer's webrtcbin: as sequence-number gaps the receiver asked
    for them in vain (measured under CPU overload: 6690 requests in 20 s
    that rtprtxsend could not answer). Now the consumer's numbering closes
    over them (its output resumes at the next key frame, asked for at
    once), so every packet webrtcsrc asks for is one webrtcsink sent and
    can send again: retransmission requests all answered; and frames keep
    arriving."""
    w, snd, rcv = start("overload-nack", "VP8", encoder=(
        "vp8enc target-bitrate=1500000 deadline=1 cpu-used=8 "
        "keyframe-max-dist=30 end-usage=cbr"))
    ok = False
    try:
        w.topo.set_rate("snd", 300)
        wait_stat(snd, "pacer-dropped", lambda v: v > 0,
                  "the pacer never dropped behind the cap", timeout=30)
        mark = time.monotonic()
        s0, r0, tbf0 = stats(snd), stats(rcv), tbf_drops(w)
        # The window: overload goes on, the receiver asks for what the cap
        # dropped (after webrtcbin: in the history) and what the pacer
        # dropped (before: never sent).
        wait_stat(snd, "pacer-dropped",
                  lambda v: v >= stat(s0, "pacer-dropped") + 100,
                  "the pacer stopped dropping", timeout=30)
        s1 = stats(snd)
        r1 = stats(rcv)
        secs = time.monotonic() - mark
        frames = [ev for ev in rcv.select("frame") if ev["t"] >= mark]

        def d(a, b, name):
            return stat(b, name) - stat(a, name)
        requested = d(s0, s1, "retransmissions-requested")
        answered = d(s0, s1, "packets-retransmitted")
        tbf = tbf_drops(w) - tbf0
        closed = d(s0, s1, "packets-lost-before-send")
        print("# {:.1f} s behind the cap: pacer dropped {} (closed over {}), "
              "tbf dropped {}; "
              "webrtcsrc NACKs {} (asked {} packets), webrtcsink asked {} "
              "packets, retransmitted {}; {} frames, PLIs {}, lost for good "
              "{}".format(secs, d(s0, s1, "pacer-dropped"), closed, tbf,
                          d(r0, r1, "nacks-sent"),
                          d(r0, r1, "retransmissions-requested"), requested,
                          answered, len(frames), d(r0, r1, "plis-sent"),
                          d(r0, r1, "packets-lost")))
        # rtprtxsend answers a request for any packet in its 500-packet
        # history (seconds at this rate); the only requests it cannot
        # answer are for packets it never had. A few may be in flight
        # between the two snapshots.
        # Measured: without closing the gaps, 69 of 191 packets asked for
        # in 4 s were never sent (and 341 packets lost for good); with it,
        # 0 of 1.
        if requested - answered > max(5, 0.05 * requested):
            raise Failure("{} of {} packets asked for were not sent again "
                          "(dropped after the payloader, before webrtcbin?)"
                          .format(requested - answered, requested))
        if closed < d(s0, s1, "pacer-dropped"):
            raise Failure("the consumer's numbering closed over {} packets, "
                          "the pacer dropped {}".format(
                              closed, d(s0, s1, "pacer-dropped")))
        if not frames:
            raise Failure("no frame arrived behind the cap")
        ok = True
    finally:
        w.topo.set_rate("snd", 0)
        logdir = w.close(ok)
        if not ok or w.keep_logs:
            print("# logs: " + logdir)


def case_renditions():
    """Renditions: three webrtcsrc consumers of ONE webrtcsink input, two
    behind a 3 Mbit/s path and one behind 600 kbit/s (tbf caps on the
    sender's two veths). The slow one moves to a lower rendition (same
    SSRC, no renegotiation, frames keep coming) while the fast ones stay
    on the top one: two encoders (max-renditions=2) run for three
    consumers, and frames keep reaching all three across the switch."""
    w = World("netcond-renditions",
              keep_logs=bool(os.environ.get("GWS_KEEP_LOGS")))
    ok = False
    try:
        # The receivers each use one path; the sender has both: without
        # this, a fast consumer's pair may leave through B's cap.
        w.topo.isolate_paths()
        w.relay()
        w.topo.set_rate("snd", 3000, path="A")
        w.topo.set_rate("snd", 600, path="B")
        snd = w.peer("sender", "sender", "video-codecs=<VP8>",
                     "max-renditions=2", paths=("A", "B"), size=SIZE,
                     source=SOURCE)
        snd.wait_event("signalling", connected=True)
        fast = [w.peer("fast{}".format(i), "receiver", paths=("A",))
                for i in (1, 2)]
        slow = w.peer("slow", "receiver", paths=("B",))
        for r in fast + [slow]:
            r.wait("30 frames",
                   lambda ev: ev["event"] == "frame" and ev["n"] >= 30)

        def renditions(text):
            return sorted(int(v) for v in re.findall(
                r"\brendition=\(int\)(-?\d+)", text.replace("\\", "")))

        started = time.monotonic()
        deadline = started + 40
        while True:
            text = stats(snd)
            got = renditions(text)
            if stat(text, "encoders") == 2 and got == [0, 0, 1]:
                print("# split {:.1f} s after all three showed 30 frames"
                      .format(time.monotonic() - started))
                break
            if time.monotonic() > deadline:
                raise Failure("no split into two renditions (encoders {}, "
                              "renditions {}):\n{}".format(
                                  stat(text, "encoders"), got, text))
            time.sleep(0.5)  # polling the sender's stats
        rates = re.findall(r"\bbitrate=\(guint64\)(\d+)",
                           text.replace("\\", ""))
        print("# 3 consumers, encoders {}, renditions {}, encoder rates {}"
              .format(stat(text, "encoders"), got, rates))
        flat = text.replace("\\", "")
        print("# per consumer: estimate {} loss {}".format(
            re.findall(r"\bestimate-bps=\(guint64\)(\d+)", flat),
            re.findall(r"\bloss-fraction=\(double\)([\d.e-]+)", flat)))
        mark = time.monotonic()
        # Frames flow meanwhile; what each path carries (the sender's veth,
        # after its cap) and what its cap dropped, 2 s each.
        for path in ("A", "B"):
            kbit, drops = tx_kbit(w, 2, path=path)
            print("# path {}: sent {:.0f} kbit/s, cap dropped {} packets"
                  .format(path, kbit, drops))
        for r in fast + [slow]:
            n = len([ev for ev in r.select("frame") if ev["t"] >= mark])
            print("# {}: {} frames in 4 s after the split".format(r.name, n))
            # A loaded machine slows decoding: frames flowing is the point.
            if n < 5:
                raise Failure("{} got {} frames in 4 s".format(r.name, n))
        text = stats(snd)
        n_enc = stat(text, "encoders")
        # Figures: key frames the shared encoders were asked for, and the
        # consumers' own requests (PLI/FIR), over the whole run.
        print("# key-frame requests reaching the encoders {} (folded "
              "by their 500 ms limit {}), from the consumers {}".format(
                  stat(text, "keyframe-requests-forwarded"),
                  stat(text, "keyframe-requests-dropped"),
                  stat(text, "keyframe-requests-received")))
        if n_enc > 2:
            raise Failure("{} encoders with max-renditions=2".format(n_enc))
        ok = True
    finally:
        w.topo.set_rate("snd", 0, path="A")
        w.topo.set_rate("snd", 0, path="B")
        logdir = w.close(ok)
        if not ok or w.keep_logs:
            print("# logs: " + logdir)


def last_size(proc):
    """(width, height) of the last caps a receiver's sink got, or None."""
    sizes = [(int(m.group(1)), int(m.group(2))) for m in (
        re.search(r"width=\(int\)(\d+), height=\(int\)(\d+)", ev["caps"])
        for ev in proc.select("caps")) if m]
    return sizes[-1] if sizes else None


def branch_pictures(text):
    """[(rendition, width, height, framerate)] of the sender's video
    branches (rendition 0 = the top branch)."""
    out = []
    for b in re.findall(r"branch, [^;]*", text.replace("\\", "")):
        w = re.search(r"\bwidth=\(uint\)(\d+)", b)
        if not w:
            continue
        r = re.search(r"\brendition=\(uint\)(\d+)", b)
        out.append((int(r.group(1)) if r else 0, int(w.group(1)),
                    int(re.search(r"\bheight=\(uint\)(\d+)", b).group(1)),
                    float(re.search(r"\bframerate=\(double\)([\d.]+)",
                                    b).group(1))))
    return sorted(out)


def case_renditions_picture():
    """The low end of the ladder lowers the picture: two webrtcsrc
    consumers of ONE 640x480 input, one on a clean path and one behind a
    600 kbit/s cap. The slow one's rendition encodes a smaller picture
    (an in-band size change: its decoder's caps change to 320x240, same
    session) and keeps a smooth frame rate, while the clean one keeps
    640x480."""
    w = World("netcond-renditions-picture",
              keep_logs=bool(os.environ.get("GWS_KEEP_LOGS")))
    ok = False
    try:
        w.topo.isolate_paths()
        w.relay()
        w.topo.set_rate("snd", 600, path="B")
        snd = w.peer("sender", "sender", "video-codecs=<VP8>",
                     "max-renditions=2", paths=("A", "B"), size="640x480",
                     source=SOURCE)
        snd.wait_event("signalling", connected=True)
        clean = w.peer("clean", "receiver", paths=("A",))
        slow = w.peer("slow", "receiver", paths=("B",))
        for r in (clean, slow):
            r.wait("10 frames",
                   lambda ev: ev["event"] == "frame" and ev["n"] >= 10,
                   timeout=60)
        # The slow consumer's decoder gets the smaller picture.
        slow.wait("320x240 caps", lambda ev: ev["event"] == "caps"
                  and "width=(int)320, height=(int)240" in ev["caps"],
                  timeout=40)
        t_small = time.monotonic()
        print("# slow consumer decoding 320x240 {:.1f} s after its first "
              "caps".format(t_small - slow.select("caps")[0]["t"]))
        # The clean one decodes the full picture (its estimate starts at
        # start-bitrate, under what 640x480 needs, and climbs).
        clean.wait("640x480 caps", lambda ev: ev["event"] == "caps"
                   and "width=(int)640, height=(int)480" in ev["caps"],
                   timeout=40)
        time.sleep(2)  # settle after the switch's key frame
        mark = time.monotonic()
        time.sleep(6)  # frames flow meanwhile: the measured window
        end = time.monotonic()
        text = stats(snd)
        print("# branches (rendition, width, height, framerate): {}".format(
            branch_pictures(text)))
        flat = text.replace("\\", "")
        print("# per consumer: estimate {} rendition {}".format(
            re.findall(r"\bestimate-bps=\(guint64\)(\d+)", flat),
            re.findall(r"\brendition=\(int\)(-?\d+)", flat)))
        fps = {}
        for r in (clean, slow):
            frames = [ev for ev in r.select("frame") if mark <= ev["t"] <= end]
            n, total, longest = freezes(frames)
            fps[r.name] = len(frames) / (end - mark)
            print("# {}: {:.1f} frames/s at {}, freezes {} ({:.0f} ms)".format(
                r.name, fps[r.name], last_size(r), n, total * 1000))
        if last_size(slow) != (320, 240):
            raise Failure("the slow consumer decodes {}".format(
                last_size(slow)))
        if last_size(clean) != (640, 480):
            raise Failure("the clean consumer decodes {}".format(
                last_size(clean)))
        # Before: 12-17 frames/s at 640x480 behind this cap. A generous
        # bound (the source makes 30).
        if fps["slow"] < 20:
            raise Failure("the slow consumer decodes {:.1f} frames/s".format(
                fps["slow"]))
        ok = True
    finally:
        w.topo.set_rate("snd", 0, path="B")
        logdir = w.close(ok)
        if not ok or w.keep_logs:
            print("# logs: " + logdir)


def case_renditions_8(isolate=False):
    """Eight consumers of ONE input on mixed caps (four behind 3 Mbit/s,
    four behind 600 kbit/s), max-renditions=2: every consumer gets
    frames and a rendition, and the sender never runs more than two
    encoders (the count follows the renditions in use, not the
    consumers). Short: once all eight show frames, a few stats polls.

    Without `isolate`, a pair may cross paths (the sender has both; see
    Topology.isolate_paths), so some "slow" consumers are served over
    the 3 Mbit/s path: the estimates still differ, which is what the
    encoder count is about. With it (case renditions-8-shared-uplink),
    the four slow consumers really share 600 kbit/s from their start at
    start-bitrate (300 kbit/s each; with 1 Mbit/s each, and new consumers
    first on the top rendition, a slow one sometimes never decoded a
    frame)."""
    name = "renditions-8-shared-uplink" if isolate else "renditions-8"
    w = World("netcond-" + name,
              keep_logs=bool(os.environ.get("GWS_KEEP_LOGS")))
    ok = False
    try:
        if isolate:
            w.topo.isolate_paths()
        w.relay()
        w.topo.set_rate("snd", 3000, path="A")
        w.topo.set_rate("snd", 600, path="B")
        snd = w.peer("sender", "sender", "video-codecs=<VP8>",
                     "max-renditions=2", paths=("A", "B"), size=SIZE,
                     source=SOURCE)
        snd.wait_event("signalling", connected=True)
        rcvs = [w.peer("fast{}".format(i), "receiver", paths=("A",))
                for i in range(4)]
        rcvs += [w.peer("slow{}".format(i), "receiver", paths=("B",))
                 for i in range(4)]
        started = time.monotonic()
        most = 0
        for r in rcvs:
            r.wait("10 frames",
                   lambda ev: ev["event"] == "frame" and ev["n"] >= 10,
                   timeout=90)
            most = max(most, stat(stats(snd), "encoders"))
        print("# all eight showed 10 frames {:.1f} s after they started"
              .format(time.monotonic() - started))
        mark = time.monotonic()
        seen = []
        for _ in range(6):  # the invariant, sampled while frames flow
            text = stats(snd)
            n_enc = stat(text, "encoders")
            most = max(most, n_enc)
            got = sorted(int(v) for v in re.findall(
                r"\brendition=\(int\)(-?\d+)", text.replace("\\", "")))
            seen.append((n_enc, got))
            if n_enc > 2:
                raise Failure("{} encoders for 8 consumers with "
                              "max-renditions=2:\n{}".format(n_enc, text))
            time.sleep(0.5)  # polling the sender's stats
        print("# 8 consumers: (encoders, renditions) per poll: {}"
              .format(seen))
        print("# key-frame requests reaching the encoders {} (folded "
              "by their 500 ms limit {}), from the consumers {}".format(
                  stat(text, "keyframe-requests-forwarded"),
                  stat(text, "keyframe-requests-dropped"),
                  stat(text, "keyframe-requests-received")))
        if len(seen[-1][1]) != 8:
            raise Failure("{} of 8 consumers have a rendition:\n{}".format(
                len(seen[-1][1]), text))
        if most > 2:
            raise Failure("{} encoders at some point".format(most))
        for r in rcvs:
            n = len([ev for ev in r.select("frame") if ev["t"] >= mark])
            print("# {}: {} frames in the last {:.1f} s".format(
                r.name, n, time.monotonic() - mark))
            if n < 1:
                raise Failure("{} stopped getting frames".format(r.name))
        ok = True
    finally:
        w.topo.set_rate("snd", 0, path="A")
        w.topo.set_rate("snd", 0, path="B")
        logdir = w.close(ok)
        if not ok or w.keep_logs:
            print("# logs: " + logdir)


# -- NAT traversal: TURN and ICE-TCP ---------------------------------------

def session_field(text, name):
    """The values of a string field over the sessions of a stats text."""
    text = text.replace("\\", "")
    return re.findall(r"\b" + re.escape(name) + r"=\(string\)\"?([^,;\"}]+)",
                      text)


def pair(proc):
    """(local type, remote type, transport, relay protocol) of the one
    session in a peer's stats, and the stats text."""
    text = stats(proc)
    got = []
    for f in ("local-candidate-type", "remote-candidate-type", "transport",
              "relay-protocol"):
        vals = session_field(text, f)
        got.append(vals[0] if len(vals) == 1 else
                   (None if not vals else vals))
    return tuple(got), text


def turn_world(name):
    topo = TurnTopology()
    w = World("netcond-" + name, topo=topo)
    try:
        turn = Coturn(topo, w.logdir, w.procs)
    except BaseException:
        w.close(False)
        raise
    return w, turn


def relayed_session(name, sender_urls, receiver_urls, blocks=(),
                    expect_proto=None, frames=60, setup=None):
    """A webrtcsink -> webrtcsrc session through coturn with `sender_urls`
    / `receiver_urls` as their turn-servers; `blocks` are (side, what)
    drops towards the TURN server (TurnTopology.block) set before the
    peers start, then `setup(world, turn)` if given. Asserts frames and a relay/relay pair whose relay
    protocol is `expect_proto` on both sides; returns (world, turn, snd,
    rcv) for more checks (the caller closes the world)."""
    w, turn = turn_world(name)
    ok = False
    try:
        tables = [(side, w.topo.block(side, what)) for side, what in blocks]
        if setup:
            setup(w, turn)
        w.relay()
        urls = {"snd": sender_urls(turn), "rcv": receiver_urls(turn)}
        snd = w.peer("sender", "sender", "video-codecs=<VP8>",
                     'turn-servers=<"{}">'.format(urls["snd"]), paths=("T",),
                     size=SIZE, source=SOURCE)
        snd.wait_event("signalling", connected=True)
        rcv = w.peer("receiver", "receiver",
                     'turn-servers=<"{}">'.format(urls["rcv"]), paths=("T",))
        snd.wait_event("consumer-added")
        rcv.wait("{} frames".format(frames), lambda ev: ev["event"] ==
                 "frame" and ev["n"] >= frames)
        check_relayed(snd, rcv, expect_proto)
        for side, table in tables:
            print("# {} {}: {} packets dropped".format(
                side, table, w.topo.blocked_packets(side, table)))
        ok = True
        return w, turn, snd, rcv
    finally:
        if not ok:
            logdir = w.close(False)
            print("# logs: " + logdir)


def check_relayed(snd, rcv, expect_proto):
    for who, proc in (("sender", snd), ("receiver", rcv)):
        (lt, rt, tr, rp), text = pair(proc)
        print("# {}: local {} remote {} transport {} relay-protocol {}"
              .format(who, lt, rt, tr, rp))
        if (lt, rt, tr) != ("relay", "relay", "udp"):
            raise Failure("{}: pair {}/{} over {}, not relay/relay over udp:"
                          "\n{}".format(who, lt, rt, tr, text))
        if expect_proto and rp != expect_proto:
            raise Failure("{}: relay-protocol {}, not {}".format(
                who, rp, expect_proto))


def allocations(turn, transport):
    """coturn's allocations for our user over `transport` (UDP, TCP, TLS/TCP
    as coturn logs them)."""
    return [ln for ln in turn.log_lines("ALLOCATE processed, success")
            if "user <gws>" in ln]


def case_turn_udp():
    """turn://user:pass@server:3478 on both sides: media relayed by coturn
    over UDP (the only way: no route between the peers, coturn relays only
    to its own relay address)."""
    w, turn, snd, rcv = relayed_session(
        "turn-udp", lambda t: t.url("snd"), lambda t: t.url("rcv"),
        expect_proto="udp")
    ok = False
    try:
        if not allocations(turn, "UDP"):
            raise Failure("coturn logged no allocation for user gws")
        ok = True
    finally:
        w.close(ok)


def case_turn_tcp():
    """turn://...?transport=tcp with all UDP towards the TURN server
    dropped on both sides: the peers reach coturn over TCP only."""
    w, turn, snd, rcv = relayed_session(
        "turn-tcp", lambda t: t.url("snd", transport="tcp"),
        lambda t: t.url("rcv", transport="tcp"),
        blocks=(("snd", "udp"), ("rcv", "udp")), expect_proto="tcp")
    w.close(True)


def case_turn_tls():
    """turns://...:5349 with UDP and plain TCP to 3478 dropped: media flows
    through the TLS port. libnice 0.1.21 (Debian 12) speaks plain TURN over
    TCP to it, without TLS (its RFC 5245 mode has no TLS client; coturn
    accepts both on one port), so `relay-protocol` says tcp. Pinned here:
    the first payload byte of every segment to 5349 is counted (0x16 a TLS
    record, 0x00/0x01 a STUN message), after a control handshake by
    `openssl s_client` proves the TLS counter counts; a libnice that does
    TLS fails this case, to update gws-candidate-stats.cpp."""
    control = {}

    def setup(w, turn):
        for side in ("snd", "rcv"):
            w.topo.watch_tls(side)
        subprocess.run(w.topo.argv("snd", [
            "openssl", "s_client", "-connect",
            turn.topo.turn_addr("snd") + ":5349", "-brief"]),
            input="", capture_output=True, text=True, timeout=20)
        control.update(w.topo.tls_counts("snd"))

    w, turn, snd, rcv = relayed_session(
        "turn-tls", lambda t: t.url("snd", scheme="turns"),
        lambda t: t.url("rcv", scheme="turns"),
        blocks=(("snd", "udp"), ("rcv", "udp"), ("snd", "tcp-3478"),
                ("rcv", "tcp-3478")), expect_proto="tcp", setup=setup)
    ok = False
    try:
        snd_counts, rcv_counts = (w.topo.tls_counts("snd"),
                                  w.topo.tls_counts("rcv"))
        print("# openssl s_client control: {}; then sender {} receiver {}"
              .format(control, snd_counts, rcv_counts))
        if control.get("tls", 0) < 1:
            raise Failure("the TLS probe saw no TLS record from openssl")
        tls = (snd_counts.get("tls", 0) - control["tls"] +
               rcv_counts.get("tls", 0))
        plain = (snd_counts.get("plain", 0) - control.get("plain", 0) +
                 rcv_counts.get("plain", 0))
        if tls > 0:
            raise Failure("{} TLS records to 5349 from the peers: libnice "
                          "does TLS now; relay-protocol must say tls".format(
                              tls))
        if plain < 1:
            raise Failure("no TURN message went to 5349")
        print("# libnice sent {} plain TURN segments to the TLS port, "
              "0 TLS records".format(plain))
        ok = True
    finally:
        w.close(ok)


def case_turn_bad_password():
    """A wrong TURN password: coturn refuses the allocations, no media (the
    rig's check that the TURN cases can fail)."""
    w, turn = turn_world("turn-badpw")
    ok = False
    try:
        w.relay()
        snd = w.peer("sender", "sender", "video-codecs=<VP8>",
                     'turn-servers=<"{}">'.format(
                         turn.url("snd", password="wrong")), paths=("T",),
                     size=SIZE, source=SOURCE)
        snd.wait_event("signalling", connected=True)
        rcv = w.peer("receiver", "receiver", 'turn-servers=<"{}">'.format(
            turn.url("rcv", password="wrong")), paths=("T",))
        snd.wait_event("consumer-added")
        # No frame for 15 s (ICE gives up after ~8 s; the receiver then
        # fails or restarts, which may end its process: fine here).
        try:
            rcv.wait("a frame", lambda ev: ev["event"] == "frame",
                     timeout=15, fail_on_error=False)
            raise AssertionError("frames arrived with a wrong TURN password")
        except Failure as e:
            print("# receiver, as expected: " + str(e).split(";")[0])
        if allocations(turn, "UDP"):
            raise Failure("coturn allocated with a wrong password")
        refused = turn.log_lines("error 401")
        if not refused:
            raise Failure("coturn logged no 401: the allocations were not "
                          "even tried")
        print("# coturn: {} requests refused with 401".format(len(refused)))
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok:
            print("# logs: " + logdir)


WHIP_PORT = 8089


def case_whip_turn():
    """WHIP: the sender (webrtcsink, whip+http://) has no turn-servers of
    its own; the WHIP server (webrtcsrc, whip-server://) announces coturn
    with credentials in `Link: <turn:...>; rel="ice-server"` headers. Media
    can flow only if the client applied them."""
    w, turn = turn_world("whip-turn")
    ok = False
    try:
        host = w.topo.addr("rcv", "S")
        rcv = w.peer("receiver", "receiver",
                     'turn-servers=<"{}">'.format(turn.url("rcv")),
                     'signaller::ice-servers=<"{}">'.format(turn.url("snd")),
                     paths=("T",),
                     uri="whip-server://{}:{}/whip".format(host, WHIP_PORT))
        rcv.wait_event("ready")
        snd = w.peer("sender", "sender", "video-codecs=<VP8>", paths=("T",),
                     size=SIZE, source=SOURCE,
                     uri="whip+http://{}:{}/whip".format(host, WHIP_PORT))
        rcv.wait("60 frames", lambda ev: ev["event"] == "frame" and
                 ev["n"] >= 60)
        check_relayed(snd, rcv, "udp")
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok:
            print("# logs: " + logdir)


def case_ice_tcp():
    """All UDP between the two namespaces dropped on the direct path A:
    ICE-TCP host candidates (webrtcbin gathers them by default) must carry
    the session."""
    w = World("netcond-ice-tcp")
    ok = False
    try:
        for side in ("snd", "rcv"):
            ns = w.topo.ns(side)
            for cmd in (["add", "table", "inet", "gwsnoudp"],
                        ["add", "chain", "inet", "gwsnoudp", "in",
                         "{ type filter hook input priority 0; }"],
                        ["add", "chain", "inet", "gwsnoudp", "out",
                         "{ type filter hook output priority 0; }"],
                        ["add", "rule", "inet", "gwsnoudp", "in", "iifname",
                         "pa", "meta", "l4proto", "udp", "counter", "drop"],
                        ["add", "rule", "inet", "gwsnoudp", "out", "oifname",
                         "pa", "meta", "l4proto", "udp", "counter", "drop"]):
                subprocess.run(["ip", "netns", "exec", ns, "nft"] + cmd,
                               check=True, capture_output=True)
        w.relay()
        snd = w.peer("sender", "sender", "video-codecs=<VP8>", paths=("A",),
                     size=SIZE, source=SOURCE)
        snd.wait_event("signalling", connected=True)
        rcv = w.peer("receiver", "receiver", paths=("A",))
        snd.wait_event("consumer-added")
        rcv.wait("60 frames", lambda ev: ev["event"] == "frame" and
                 ev["n"] >= 60)
        for who, proc in (("sender", snd), ("receiver", rcv)):
            (lt, rt, tr, _rp), text = pair(proc)
            print("# {}: local {} remote {} transport {} tcp-type {}".format(
                who, lt, rt, tr, session_field(text, "tcp-type")))
            if tr != "tcp" or lt not in ("host", "prflx"):
                raise Failure("{}: pair {}/{} over {}, not host over tcp:"
                              "\n{}".format(who, lt, rt, tr, text))
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok:
            print("# logs: " + logdir)


def double_stat(text, name):
    """The largest value of a double field over the sessions of a stats
    text (0 when absent)."""
    text = text.replace("\\", "")
    vals = re.findall(r"\b" + re.escape(name) + r"=\(double\)(-?[\d.e+-]+)",
                      text)
    return max((float(v) for v in vals), default=0.0)


def case_delay():
    """Delay and jitter (the rig's delay line, gws-delayline): path A runs
    through a user-space bridge that holds each frame 60 +- 10 ms in each
    direction (a round trip of ~120 ms, more than the receiver's 50 ms
    starting latency), with 3% random loss both ways. The delay is real
    (the sender's rtt-ms reads it from receiver reports), the receiver's
    jitter buffer grows so retransmissions arrive in time, most losses are
    recovered and video keeps flowing."""
    topo = netpaths.Topology(paths=("A", "S"), delayed=("A",))
    w, snd, rcv = start("delay", "VP8", topo=topo)
    ok = False
    try:
        clean, clean_secs = lossy_run(w, rcv, 0, 4)
        clean_fps = len(clean) / clean_secs
        w.topo.set_delay("A", 60, 10)
        deadline = time.monotonic() + 15
        while True:
            rtt = double_stat(stats(snd), "rtt-ms")
            if rtt >= 90:
                break
            if time.monotonic() > deadline:
                raise Failure("the sender's rtt-ms stayed {:.0f} ms with "
                              "60 ms each way".format(rtt))
            time.sleep(0.3)  # polling a statistic, not synchronising
        frames, secs = lossy_run(w, rcv, 3, 15)
        n, total, longest = freezes(frames)
        rtext, stext = stats(rcv), stats(snd)
        rtt = double_stat(stext, "rtt-ms")
        fps = len(frames) / secs
        recovered = stat(rtext, "recovered-by-retransmission")
        lost = stat(rtext, "packets-lost")
        latency = stat(rtext, "jitter-buffer-latency-ms")
        print("# clean link: {:.1f} fps; rtt with the delay line {:.0f} ms"
              .format(clean_fps, rtt))
        print("# 60+-10 ms each way, 3% loss: {} frames in {:.1f} s ({:.1f} "
              "fps), freezes {} ({:.0f} ms, longest {:.0f} ms)".format(
                  len(frames), secs, fps, n, total * 1000, longest * 1000))
        print("# receiver: nacks-sent {} recovered {} lost-for-good {} "
              "jitter-buffer-latency-ms {}; sender: packets-retransmitted "
              "{}".format(stat(rtext, "nacks-sent"), recovered, lost,
                          latency, stat(stext, "packets-retransmitted")))
        if rtt < 90:
            raise Failure("rtt-ms {:.0f} with 60 ms each way".format(rtt))
        if stat(stext, "packets-retransmitted") == 0:
            raise Failure("the sender retransmitted nothing")
        if latency <= 50:
            raise Failure("the jitter buffer stayed at {} ms with a ~120 ms "
                          "round trip".format(latency))
        if recovered < 0.5 * (recovered + lost):
            raise Failure("only {} of {} losses recovered".format(
                recovered, recovered + lost))
        if fps < 0.5 * clean_fps:
            raise Failure("only {:.1f} frames/s arrived ({:.1f} on the "
                          "clean link)".format(fps, clean_fps))
        ok = True
    finally:
        logdir = w.close(ok)
        if not ok or w.keep_logs:
            print("# logs: " + logdir)


CASES = {
    "delay": case_delay,
    "fec": case_fec,
    "loss-vp8": case_loss_vp8,
    "loss-h264": case_loss_h264,
    "sdp": case_sdp,
    "sdp-off": case_sdp_off,
    "twcc": case_twcc,
    "cc-drop": case_cc_drop,
    "overload-nack": case_overload_nack,
    "renditions": case_renditions,
    "renditions-8": case_renditions_8,
    "renditions-picture": case_renditions_picture,
    "renditions-8-shared-uplink": lambda: case_renditions_8(isolate=True),
    "turn-udp": case_turn_udp,
    "turn-tcp": case_turn_tcp,
    "turn-tls": case_turn_tls,
    "turn-bad-password": case_turn_bad_password,
    "whip-turn": case_whip_turn,
    "ice-tcp": case_ice_tcp,
}


# Cases that fail more often than not today, each with the issue that
# tracks it: reported as skipped (with the reason) so that the rest of the
# suite gates CI; run them with GWS_RUN_KNOWN_FAILING=1.
KNOWN_FAILING = {
    # renditions-8-shared-uplink left this list (issue 12): since the
    # start at 300 kbit/s with new consumers on the rendition that suits
    # it, no slow consumer gave up in 33 runs (up to three at once, load
    # up to 31; one run failed on the peer's bin iteration, fixed in
    # tests/restart/peer.py), against 2 of 31 before (docs/benchmarks.md
    # "network --caps").
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
    if name in KNOWN_FAILING and os.environ.get("GWS_RUN_KNOWN_FAILING") != "1":
        print("ok 1 {} # SKIP known failure, {} (GWS_RUN_KNOWN_FAILING=1 "
              "runs it)".format(name, KNOWN_FAILING[name]))
        return 0
    if "turn" in name and not os.access(Coturn.BIN, os.X_OK):
        print("ok 1 {} # SKIP needs coturn ({})".format(name, Coturn.BIN))
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
