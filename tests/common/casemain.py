"""The command line of our end-to-end test scripts, shared: `SCRIPT CASE`
runs one case (one meson test each), `SCRIPT --list` lists them.

Two ways to report, as meson reads them:
- main_exit_code(): exit status 0 (pass), 77 (skip) or 1 (fail) with a
  PASS / FAIL / SKIP line; the case runs in a private network namespace
  with only loopback (the script re-executes itself under `unshare -n`;
  skipped when not root). tests/e2e, call, renegotiate, usability.
- main_tap(): TAP (`protocol : 'tap'` in meson); the case builds its own
  namespaces (tests/restart/netpaths.py). tests/restart, call/restart.py.

A case is a function of the script's World (whatever the script's own
world is: the processes of one case, `close(ok)` at the end). It fails by
raising Failure (check() does), and may raise Skip when it cannot run
here. Known failures (a dict case -> what is known) are skipped unless
GWS_RUN_KNOWN_FAILING=1.
"""

import os
import shutil
import subprocess
import sys
import time
import traceback

SKIP = 77  # meson's exit status for a skipped test
PYTHON = "/usr/bin/python3"


class Failure(Exception):
    """The behaviour under test is wrong; the message says how."""


class Skip(Exception):
    """The case cannot run here (a tool or device missing)."""


def check(cond, message):
    if not cond:
        raise Failure(message)


def known_failure(name, known_failing):
    """Why case `name` is skipped as a known failure, or None (also when
    GWS_RUN_KNOWN_FAILING=1 asks to run it)."""
    if not known_failing or name not in known_failing:
        return None
    if os.environ.get("GWS_RUN_KNOWN_FAILING") == "1":
        return None
    return known_failing[name]


def case_from_argv(cases, what="CASE"):
    """(name, None) for a known case on the command line, else (None, the
    exit status: 0 after --list, 2 after the usage line)."""
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(cases))
        return None, 0
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        print("usage: {} {} (one of: {})".format(
            os.path.basename(sys.argv[0]), what, ", ".join(cases)))
        return None, 2
    return sys.argv[1], None


def in_private_netns(name, flag):
    """None once this process runs in its own network namespace (`flag`
    set in the environment; loopback is brought up); otherwise the exit
    status of this script re-executed there for case `name` (SKIP when
    that needs root or unshare and we have neither)."""
    if os.environ.get(flag) == "1":
        subprocess.check_call(["ip", "link", "set", "lo", "up"])
        return None
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("SKIP: needs root and unshare for a private network namespace")
        return SKIP
    env = dict(os.environ, **{flag: "1"})
    return subprocess.call(["unshare", "-n", "--", PYTHON,
                            os.path.abspath(sys.argv[0]), name], env=env)


def main_exit_code(cases, make_world, netns_flag, known_failing=None,
                   before_close=None, what="TEST"):
    """Runs the case named on the command line in a private network
    namespace; reports by exit status. `make_world(name)` makes the
    case's world; `before_close(world)` runs before `world.close(ok)`."""
    name, status = case_from_argv(cases, what)
    if name is None:
        return status
    reason = known_failure(name, known_failing)
    if reason:
        print("SKIP: known failure: {} (GWS_RUN_KNOWN_FAILING=1 runs it)"
              .format(reason))
        return SKIP
    status = in_private_netns(name, netns_flag)
    if status is not None:
        return status
    world = make_world(name)
    ok = skipped = False
    started = time.monotonic()
    try:
        cases[name](world)
        ok = True
    except Failure as e:
        print("FAIL {}: {}".format(name, e))
    except Skip as e:
        print("SKIP {}: {}".format(name, e))
        ok = skipped = True
    finally:
        if before_close:
            before_close(world)
        world.close(ok)
    if skipped:
        return SKIP
    if ok:
        print("PASS {} ({:.1f} s)".format(name, time.monotonic() - started))
    return 0 if ok else 1


def main_tap(cases, make_world, label=None, known_failing=None,
             before_close=None):
    """Runs the case named on the command line as one TAP test (as root:
    it makes network namespaces). The world keeps `notes` (printed as TAP
    comments), `close(ok)` returns its log directory, `tails()` the end of
    each process's log (printed on failure). `label(name)` is the TAP
    test's name."""
    name, status = case_from_argv(cases)
    if name is None:
        return status
    title = label(name) if label else name
    print("1..1", flush=True)
    reason = known_failure(name, known_failing)
    if reason:
        print("ok 1 - {} # SKIP known failure: {} (GWS_RUN_KNOWN_FAILING=1 "
              "runs it)".format(title, reason))
        return 0
    if os.geteuid() != 0:
        print("ok 1 - {} # SKIP needs root for network namespaces".format(
            title))
        return 0
    world = make_world(name)
    world.notes = []
    ok = False
    message = ""
    started = time.monotonic()
    try:
        cases[name](world)
        ok = True
    except Failure as e:
        message = str(e)
    except Exception:  # a harness error is a failure too, with its trace
        message = traceback.format_exc()
    finally:
        if before_close:
            before_close(world)
        logs = world.close(ok)
    for n in world.notes:
        print("# " + n)
    if ok:
        print("ok 1 - {} ({:.1f} s)".format(title,
                                           time.monotonic() - started))
        return 0
    print("not ok 1 - {}".format(title))
    for line in message.splitlines():
        print("# " + line)
    print("# logs kept in " + logs)
    for line in world.tails().splitlines():
        print("# " + line)
    return 1
