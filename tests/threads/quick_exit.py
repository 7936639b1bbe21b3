#!/usr/bin/python3
"""A quick failure then exit, many times: gst-launch-1.0 with webrtcsrc
asking a real relay for a producer that does not exist fails at once
(wait-timeout=0: no waiting for it to appear) and
exits; no thread of ours (the DTLS certificate warm-up) may still be inside
libcrypto when exit() runs OpenSSL's cleanup (issue 13: a SIGSEGV after
'Freeing pipeline' in about a third of the runs).

Runs inside a private network namespace (re-executes itself under
`unshare -n`; skipped when not root). Each run is bounded by a timeout: a
gst-launch that caught SIGSEGV spins waiting for a debugger.

Usage: quick_exit.py [RUNS]   (default 20)
Environment: GWS_RELAY (relay binary), GST_PLUGIN_PATH (the built plugin).
"""

import os
import shutil
import subprocess
import sys
import time

PYTHON = "/usr/bin/python3"
SKIP = 77
RUN_TIMEOUT = 20.0


def start_relay():
    relay = os.environ.get("GWS_RELAY", "gst-webrtc-relay")
    p = subprocess.Popen([relay, "--host", "127.0.0.1", "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, bufsize=1)
    deadline = time.monotonic() + 10
    for line in p.stdout:
        if "listening on ws://" in line:
            url = line.split("listening on ")[1].split()[0]
            return p, url.rstrip("/")
        if time.monotonic() > deadline:
            break
    p.kill()
    raise SystemExit("FAIL: the relay did not report its port")


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    if os.environ.get("GWS_E2E_NETNS") != "1":
        if os.geteuid() != 0 or not shutil.which("unshare"):
            print("SKIP: needs root and unshare for a private network "
                  "namespace")
            return SKIP
        env = dict(os.environ, GWS_E2E_NETNS="1")
        return subprocess.call(["unshare", "-n", "--", PYTHON,
                                os.path.abspath(__file__), str(runs)],
                               env=env)
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    launch = shutil.which("gst-launch-1.0")
    if not launch:
        print("SKIP: gst-launch-1.0 is not installed")
        return SKIP
    relay, url = start_relay()
    bad = []
    started = time.monotonic()
    try:
        for i in range(runs):
            argv = [launch, "webrtcsrc",
                    "uri={}/?peer-id=cam1".format(url),
                    "ice-addresses=127.0.0.1", "wait-timeout=0", "!",
                    "fakesink"]
            try:
                r = subprocess.run(argv, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True,
                                   timeout=RUN_TIMEOUT)
                out, code = r.stdout, r.returncode
            except subprocess.TimeoutExpired as e:
                out = e.stdout or ""
                if isinstance(out, bytes):
                    out = out.decode(errors="replace")
                code = "timeout"
            crashed = "Caught SIG" in out or code not in (0, 1)
            # The failure itself must be the one we asked for.
            named = "cam1" in out
            if crashed or not named:
                bad.append((i, code, out[-1500:]))
    finally:
        relay.kill()
        relay.wait()
    took = time.monotonic() - started
    if bad:
        for i, code, out in bad[:3]:
            print("run {}: exit {}\n{}".format(i, code, out))
        print("FAIL: {} of {} runs crashed, hung or failed for another "
              "reason ({:.1f} s)".format(len(bad), runs, took))
        return 1
    print("PASS: {} quick failures exited cleanly ({:.1f} s)".format(
        runs, took))
    return 0


if __name__ == "__main__":
    sys.exit(main())
