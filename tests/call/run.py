#!/usr/bin/python3
"""Two-way calls (webrtccall) end to end: the relay as a real process and
two gst-launch-1.0 pipelines, each sending audio + video and receiving the
other's, inside a private network namespace with only loopback (the script
re-executes itself under `unshare -n`; skipped when not root).

Frames are counted on both sides from gst-launch's own output (`-v`: each
buffer reaching a `fakesink silent=false` prints a last-message line); the
call's life from its element messages (`-m`: gws-call-*). A pipeline hangs
up the gst-launch way: SIGINT with `-e` sends EOS into its sources, and
webrtccall ends the call when every input is at EOS. Every wait is on an
event with a timeout.

Usage: run.py TEST    (see TESTS at the bottom; `run.py --list`)
Environment: GWS_RELAY (relay binary), GST_PLUGIN_PATH (the built plugin).
"""

import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from run import Failure, Proc, World, check  # noqa: E402  (tests/e2e)
from casemain import main_exit_code  # noqa: E402  (tests/common, via e2e)

PYTHON = "/usr/bin/python3"
APP = os.path.join(HERE, "app.py")
WAIT = 30.0
FRAMES = 10  # of each kind, on each side, before anyone hangs up


class Party:
    """One gst-launch-1.0 pipeline with a webrtccall in it."""

    def __init__(self, world, name, *props, send=True, num_buffers=None,
                 merge_stderr=False, extra=()):
        self.name = name
        nb = " num-buffers={}".format(num_buffers) if num_buffers else ""
        desc = ["webrtccall", "name=c", "ice-addresses=127.0.0.1",
                "uri=" + world.uri()] + list(props)
        if send:
            desc += ["videotestsrc", "is-live=true" + nb, "!",
                     "video/x-raw,width=160,height=120,framerate=30/1", "!",
                     "c.video_0",
                     "audiotestsrc", "is-live=true" + nb, "!", "c.audio_0"]
        for kind in ("video", "audio"):
            desc += ["c.remote_{}_0".format(kind), "!", "queue", "!",
                     "fakesink", "name=r{}".format(kind[0]), "silent=false",
                     "sync=false"]
        desc += list(extra)
        env = dict(os.environ)
        env.setdefault("GST_DEBUG", "webrtccall:5,webrtcsink:5,webrtc-signaller-ws:4")
        self.proc = Proc(name, ["gst-launch-1.0", "-e", "-m", "-v"] + desc,
                         world.logdir, env=env, merge_stderr=merge_stderr)
        world.procs.append(self.proc)
        self.frames = {"video": 0, "audio": 0}

    def _count(self, ev):
        text = ev.get("text", "")
        for kind in ("video", "audio"):
            if "r{}: last-message = chain".format(kind[0]) in text:
                self.frames[kind] += 1
        return text

    def wait_line(self, what, pred, timeout=WAIT, error_ok=False):
        """Waits for a line of gst-launch's output (counting frames on the
        way); a gst-launch ERROR line fails at once unless error_ok."""
        def match(ev):
            text = self._count(ev)
            if text.startswith("ERROR:") and not error_ok:
                raise Failure("{}: {}".format(self.name, text))
            return pred(text)
        return self.proc.wait(what, match, timeout)["text"]

    def wait_frames(self, n=FRAMES, timeout=WAIT):
        try:
            self.wait_line("{} frames of each kind".format(n),
                           lambda t: min(self.frames.values()) >= n,
                           timeout)
        except Failure as e:
            raise Failure("{} (frames so far: {})".format(e, self.frames))
        return dict(self.frames)

    def wait_message(self, name, timeout=WAIT):
        line = self.wait_line(name, lambda t: "(element): " + name + "," in t,
                              timeout)
        fields = dict(re.findall(r"([a-z-]+)=\([a-z]+\)(\"(?:[^\"\\]|\\.)*\"|"
                                 r"[^,;]*)", line))
        return {k: re.sub(r"\\(.)", r"\1", v.strip('"'))
                for k, v in fields.items()}

    def wait_not_answered(self, reason):
        """A caller whose call was not answered: gst-launch exits non-zero
        and its stderr (the log: stdout lines are not merged into it, so
        none is interleaved with the error line) has the element error."""
        check(self.wait_exit() != 0, "{} fails".format(self.name))
        self.proc.log.flush()
        with open(self.proc.logpath) as f:
            errors = [line for line in f if line.startswith("ERROR:")]
        check(any("call to bob not answered: " + reason in line
                  for line in errors),
              "{}: errors {}".format(self.name, errors))

    def wait_exit(self, timeout=WAIT):
        try:
            code = self.proc.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("{}: still running {:.0f} s after its call ended"
                          .format(self.name, timeout))
        return code

    def hang_up(self):
        """SIGINT: gst-launch -e sends EOS into the sources."""
        self.proc.proc.send_signal(signal.SIGINT)


def start_call(w):
    w.relay()
    bob = Party(w, "bob", "peer-id=bob")
    # The caller asks for bob until he is registered (wait-timeout): no
    # need to wait for bob here.
    alice = Party(w, "alice", "call=bob")
    ring = alice.wait_message("gws-call-ringing")
    check(ring["peer-id"] == "bob", "alice calls {}".format(ring))
    incoming = bob.wait_message("gws-call-incoming")
    check(incoming["session-id"] == ring["session-id"],
          "one session: {} / {}".format(incoming, ring))
    bob.wait_message("gws-call-answered")
    alice.wait_message("gws-call-answered")
    got_bob = bob.wait_frames()
    got_alice = alice.wait_frames()
    print("frames received: bob {} alice {}".format(got_bob, got_alice))
    return alice, bob


def check_ended(party, by, reason_part):
    ended = party.wait_message("gws-call-ended")
    check(ended["by"] == by and reason_part in ended["reason"]
          and ended["answered"] == "true",
          "{}: call ended {}".format(party.name, ended))
    return ended


def test_call_both_ways(w):
    """A call carries audio and video both ways; the caller hangs up."""
    alice, bob = start_call(w)
    alice.hang_up()
    check_ended(alice, "local", "hung up")
    check_ended(bob, "remote", "hung up")
    check(alice.wait_exit() == 0, "alice's gst-launch exits cleanly")
    # bob waits for the next call; still running.
    check(bob.proc.proc.poll() is None, "bob still takes calls")


def test_callee_hangs_up(w):
    """The callee ends the call mid-way: the caller's pipeline ends."""
    alice, bob = start_call(w)
    bob.hang_up()
    check_ended(bob, "local", "hung up")
    check_ended(alice, "remote", "hung up")
    check(alice.wait_exit() == 0, "alice's pipeline ends with the call")
    check(bob.wait_exit() == 0, "bob's gst-launch exits cleanly")


def test_second_call(w):
    """A callee takes call after call on the same pads: after alice's call
    ends (bob's remote pads go quiet, no EOS), carol's call flows into the
    same sinks of bob's gst-launch pipeline."""
    alice, bob = start_call(w)
    first = dict(bob.frames)
    alice.hang_up()
    check_ended(bob, "remote", "hung up")
    check(alice.wait_exit() == 0, "alice's gst-launch exits cleanly")
    carol = Party(w, "carol", "call=bob")
    carol.wait_message("gws-call-answered")
    got = bob.wait_frames(max(first.values()) + FRAMES)
    print("bob received: first call {}, with the second {}; carol {}".format(
        first, got, carol.wait_frames()))


def test_caller_more_inputs(w):
    """A caller with more inputs than the callee's offer has m-lines (a
    second audio): the call is answered with the inputs that fit, the
    extra one is offered once the call is up (a renegotiation), and the
    callee receives it on remote_audio_1."""
    w.relay()
    bob = Party(w, "bob", "peer-id=bob", extra=[
        "c.remote_audio_1", "!", "queue", "!", "fakesink", "name=ra1",
        "silent=false", "sync=false"])
    alice = Party(w, "alice", "call=bob", extra=[
        "audiotestsrc", "is-live=true", "freq=880", "!", "queue", "!",
        "c.audio_1"])
    bob.wait_message("gws-call-answered")
    alice.wait_message("gws-call-answered")
    alice.wait_message("gws-renegotiation-started")
    bob.wait_message("gws-renegotiation-started")
    second = [0]

    def count(t):
        if "ra1: last-message = chain" in t:
            second[0] += 1
        return second[0] >= FRAMES
    bob.wait_line("{} buffers on remote_audio_1".format(FRAMES), count)
    got = bob.wait_frames()
    print("bob received {} and {} on remote_audio_1; alice {}".format(
        got, second[0], alice.wait_frames()))


def test_call_refused(w):
    """A callee that refuses calls: the caller hears why (and its
    pipeline, which was for that call, fails); nothing flows."""
    w.relay()
    bob = Party(w, "bob", "peer-id=bob", "incoming-calls=refuse")
    alice = Party(w, "alice", "call=bob")
    refused = bob.wait_message("gws-call-refused")
    check(refused["reason"] == "call refused", "bob: {}".format(refused))
    # The one call alice's pipeline is for did not happen: an error that
    # says why.
    alice.wait_not_answered("call refused")
    check(alice.frames == {"video": 0, "audio": 0}
          and bob.frames == {"video": 0, "audio": 0},
          "no media in a refused call: {} {}".format(alice.frames,
                                                     bob.frames))


def test_call_busy(w):
    """A second caller while a call runs is refused as busy; the running
    call goes on."""
    alice, bob = start_call(w)
    carol = Party(w, "carol", "call=bob")
    refused = bob.wait_message("gws-call-refused")
    check(refused["reason"] == "busy", "bob: {}".format(refused))
    carol.wait_not_answered("busy: in another call")
    before = dict(alice.frames)
    alice.wait_frames(before["video"] + FRAMES)
    bob.wait_frames(bob.frames["video"] + FRAMES)


def test_viewer_watches(w):
    """Backward compatibility: webrtcsrc, which knows nothing of calls,
    asks the callee for a session, answers its sendrecv offer recvonly and
    receives its audio and video."""
    w.relay()
    bob = Party(w, "bob", "peer-id=bob")
    viewer = Party.__new__(Party)
    viewer.name = "viewer"
    viewer.frames = {"video": 0, "audio": 0}
    viewer.proc = Proc("viewer", [
        "gst-launch-1.0", "-m", "-v", "webrtcsrc", "name=s",
        "ice-addresses=127.0.0.1", "uri=" + w.uri("bob"),
        "s.video_0", "!", "queue", "!", "fakesink", "name=rv",
        "silent=false", "sync=false",
        "s.audio_0", "!", "queue", "!", "fakesink", "name=ra",
        "silent=false", "sync=false"], w.logdir)
    w.procs.append(viewer.proc)
    bob.wait_message("gws-call-answered")
    print("viewer received", viewer.wait_frames())


def app(w, name, *args):
    """A webrtccall in an application (app.py), driven by its signals."""
    env = dict(os.environ)
    env.setdefault("GST_DEBUG", "webrtccall:5")
    p = Proc(name, [PYTHON, APP, "--uri", w.uri()] + list(args), w.logdir,
             env=env)
    w.procs.append(p)
    return p


def test_answered_by_app(w):
    """incoming-calls=ask: the application hears incoming-call, answers with
    answer-call; frames flow both ways; it hangs up with hang-up and the
    caller's pipeline ends."""
    w.relay()
    bob = app(w, "bob", "--peer-id", "bob", "--incoming", "ask")
    bob.wait_event("ready")
    alice = Party(w, "alice", "call=bob")
    incoming = bob.wait_event("incoming-call")
    check(incoming["peer"] != "bob", "incoming from {}".format(incoming))
    bob.wait_event("gws-call-incoming")
    # Nothing happens until the application answers.
    bob.send("answer")
    check(bob.wait_event("action", name="answer")["ok"], "answer-call")
    bob.wait_event("gws-call-answered")
    alice.wait_message("gws-call-answered")
    bob.wait_frames("video", FRAMES)
    bob.wait_frames("audio", FRAMES)
    print("alice received", alice.wait_frames())
    check_call_stats(bob, incoming)
    bob.send("hangup")
    check(bob.wait_event("action", name="hangup")["ok"], "hang-up")
    ended = bob.wait_event("gws-call-ended")
    check(ended["by"] == "local" and ended["reason"] == "hung up",
          "bob: {}".format(ended))
    check_ended(alice, "remote", "hung up")
    check(alice.wait_exit() == 0, "alice's pipeline ends with the call")
    # No call any more: a second hang-up does nothing.
    bob.send("hangup")
    check(not bob.wait_event("action", name="hangup")["ok"],
          "hang-up without a call")


def stat(text, name):
    """A numeric field of a stats string, or None."""
    m = re.search(r"[ ,]" + re.escape(name) + r"=\([a-z0-9]+\)(-?\d+)", text)
    return int(m.group(1)) if m else None


def check_call_stats(party, incoming):
    """`stats` of a webrtccall in a call: the call's session, media both
    ways (sent and received, with the loss counters of both directions),
    the selected candidate pair."""
    party.send("stats")
    # The session entry is a nested structure, escaped in the string.
    text = party.wait_event("stats")["text"].replace("\\", "")
    print("stats:", text)
    check("in-call=(boolean)true" in text, "in-call: " + text)
    check(incoming["session"] in text, "the call's session: " + text)
    for name in ("packets-sent", "rtp-packets-received", "packets-received",
                 "nacks-sent", "nacks-received", "calls"):
        value = stat(text, name)
        check(value is not None, "no {} in stats: {}".format(name, text))
    check(stat(text, "packets-sent") > 0, "nothing sent: " + text)
    check(stat(text, "rtp-packets-received") > 0, "nothing received: " + text)
    check("local-candidate-type=(string)host" in text,
          "no selected pair: " + text)


def test_refused_by_app(w):
    """incoming-calls=ask: the application refuses with its own reason; the
    caller hears it."""
    w.relay()
    bob = app(w, "bob", "--peer-id", "bob", "--incoming", "ask")
    bob.wait_event("ready")
    alice = Party(w, "alice", "call=bob")
    bob.wait_event("incoming-call")
    bob.send("refuse not now, in a meeting")
    check(bob.wait_event("action", name="refuse")["ok"], "refuse-call")
    refused = bob.wait_event("gws-call-refused")
    check(refused["reason"] == "not now, in a meeting", str(refused))
    alice.wait_not_answered("not now, in a meeting")
    # Nothing rings any more.
    bob.send("answer")
    check(not bob.wait_event("action", name="answer")["ok"],
          "answer-call with nothing ringing")


def exchange_data(sender, receiver, label, text):
    """@sender sends @text and 64 KiB of binary on @label; @receiver gets
    both, with the same content."""
    sender.send("send-text {} {}".format(label, text))
    check(sender.wait_event("action", name="send-text")["ok"],
          "{}: send-data-string".format(sender.name))
    sender.send("send-bytes {} 65536".format(label))
    sent = sender.wait_event("sent-bytes")
    check(sender.wait_event("action", name="send-bytes")["ok"],
          "{}: send-data-bytes".format(sender.name))
    got = receiver.wait_event("data", label=label, text=True)
    check(got["body"] == text, "{} got {}".format(receiver.name, got))
    got = receiver.wait_event("data", label=label, text=False)
    check(got["size"] == 65536 and got["sha256"] == sent["sha256"],
          "{} got {} for {}".format(receiver.name, got, sent))


def test_call_data(w):
    """Data channels in a call: both sides list "chat"; text and a 64 KiB
    binary message go each way on it, content intact, beside the media."""
    w.relay()
    bob = app(w, "bob", "--peer-id", "bob", "--data-channels", '<"chat">')
    bob.wait_event("ready")
    alice = app(w, "alice", "--call", "bob", "--data-channels", '<"chat">')
    bob.wait_event("gws-call-answered")
    alice.wait_event("gws-call-answered")
    bob.wait_event("gws-data-channel", label="chat", open=True)
    alice.wait_event("gws-data-channel", label="chat", open=True)
    for party in (alice, bob):
        party.wait_frames("video", FRAMES)
        party.wait_frames("audio", FRAMES)
    exchange_data(alice, bob, "chat", "hello bob, from alice")
    exchange_data(bob, alice, "chat", "hello alice, from bob")
    bob.send("hangup")
    check(bob.wait_event("action", name="hangup")["ok"], "hang-up")


def test_call_renegotiate(w):
    """A stream added mid-call is renegotiated with the other side, each
    way: alice (the caller) adds an audio input, bob gets it on a new pad
    remote_audio_1; then bob adds one and alice gets it. The call, its
    session and its first streams go on (no restart, no new call)."""
    w.relay()
    bob = app(w, "bob", "--peer-id", "bob")
    bob.wait_event("ready")
    alice = app(w, "alice", "--call", "bob")
    sid = alice.wait_event("gws-call-answered")["session-id"]
    for party in (alice, bob):
        party.wait_frames("video", FRAMES)
        party.wait_frames("audio", FRAMES)
    for adder, other in ((alice, bob), (bob, alice)):
        adder.send("add-audio")
        added = adder.wait_event("action", name="add-audio")
        check(added["ok"] and added["pad"] == "audio_1",
              "{}: add-audio {}".format(adder.name, added))
        started = adder.wait_event("gws-renegotiation-started")
        check(started["session-id"] == sid, "{}: {}".format(adder.name,
                                                            started))
        other.wait_event("gws-renegotiation-started")
        other.wait_event("pad", name="remote_audio_1")
        other.wait_event("pad-frames", pad="remote_audio_1", count=FRAMES)
        # The first streams go on.
        for kind in ("video", "audio"):
            n = other.frames_now(kind)
            other.wait_frames(kind, n + FRAMES)
    for party in (alice, bob):
        for name in ("gws-call-ended", "gws-restart-started"):
            got = [ev for ev in party.history if ev["event"] == name]
            check(not got, "{}: {}".format(party.name, got))
    bob.send("hangup")
    check(bob.wait_event("action", name="hangup")["ok"], "hang-up")


TESTS = {
    "call-both-ways": test_call_both_ways,
    "callee-hangs-up": test_callee_hangs_up,
    "second-call": test_second_call,
    "call-refused": test_call_refused,
    "call-busy": test_call_busy,
    "viewer-watches": test_viewer_watches,
    "answered-by-app": test_answered_by_app,
    "refused-by-app": test_refused_by_app,
    "call-data": test_call_data,
    "call-renegotiate": test_call_renegotiate,
    "caller-more-inputs": test_caller_more_inputs,
}


# Known failures: skipped (exit 77) unless GWS_RUN_KNOWN_FAILING=1, so the
# suite gates CI on what works; each with what is known (docs/calls.md).
KNOWN_FAILING = {}


def stop_pipelines(world):
    """gst-launch does not read stdin (Proc.stop's "quit"): end the ones
    still running at once."""
    for p in world.procs:
        if p.proc.poll() is None:
            p.proc.terminate()


def main():
    return main_exit_code(TESTS, lambda name: World("call-" + name),
                          "GWS_E2E_NETNS", known_failing=KNOWN_FAILING,
                          before_close=stop_pipelines)

if __name__ == "__main__":
    sys.exit(main())
