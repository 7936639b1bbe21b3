#!/usr/bin/python3
"""Two installed plugins with elements named webrtcsink and webrtcsrc: ours
and a second one built here (other_plugin.c, rank PRIMARY, like another
plugin set's). Shows, with real registry scans (a fresh registry file per
case, GST_PLUGIN_PATH in both orders):

- GStreamer keeps one factory per element name: the plugin scanned last
  owns `webrtcsink`, whatever the ranks (ours is NONE, the other PRIMARY);
- GST_PLUGIN_FEATURE_RANK changes the surviving factory's rank, not which
  plugin survives;
- loading a plugin in a process re-registers its names there, so the
  owner of `webrtcsink` can even change inside one process;
- `gwswebrtcsink` / `gwswebrtcsrc` are always ours, in either order, for
  gst-inspect-1.0 and gst_element_factory_make().

Usage: test_coexist.py OUR_PLUGIN_DIR OTHER_PLUGIN_DIR"""
import os
import subprocess
import sys
import tempfile
import traceback

OURS, OTHER = (os.path.abspath(d) for d in sys.argv[1:3])
OUR_FILE = os.path.join(OURS, "libgstwebrtcsession.so")
OTHER_FILE = os.path.join(OTHER, "libgstotherwebrtc.so")


def env_for(path, tmp, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GST_")}
    env["GST_PLUGIN_PATH"] = path
    fd, registry = tempfile.mkstemp(suffix=".bin", dir=tmp)
    os.close(fd)
    os.unlink(registry)  # a fresh scan
    env["GST_REGISTRY"] = registry
    env["GST_REGISTRY_FORK"] = "no"
    # Only the two plugins: a fresh scan of every installed plugin per
    # case would cost seconds, and the question is about these two.
    env["GST_PLUGIN_SYSTEM_PATH"] = ""
    env.update(extra)
    return env


def inspect(name, env):
    r = subprocess.run(["gst-inspect-1.0", name], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    filename = rank = None
    for line in r.stdout.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] == "Filename":
            filename = parts[1].strip()
        if len(parts) == 2 and parts[0] == "Rank":
            rank = parts[1].strip()
    return os.path.realpath(filename), rank


MAKE = r'''
import gi, sys
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
for name in sys.argv[1:]:
    e = Gst.ElementFactory.make(name)
    print(name, type(e).__gtype__.name)
'''


def make(names, env):
    r = subprocess.run([sys.executable, "-c", MAKE] + names, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return dict(line.split() for line in r.stdout.splitlines())


def test_last_scanned_owns_the_name(tmp):
    # Ours first, the other last: the other's webrtcsink, though both
    # plugins are loaded.
    env = env_for(f"{OURS}:{OTHER}", tmp)
    assert inspect("webrtcsink", env) == (OTHER_FILE, "primary (256)")
    assert inspect("webrtcsrc", env)[0] == OTHER_FILE
    # The other order: ours.
    env = env_for(f"{OTHER}:{OURS}", tmp)
    assert inspect("webrtcsink", env) == (OUR_FILE, "none (0)")
    assert inspect("webrtcsrc", env)[0] == OUR_FILE


def test_rank_does_not_choose_between_same_names(tmp):
    # Lowering the other's rank below ours does not bring ours back under
    # the shared name; it only changes the survivor's rank.
    env = env_for(f"{OURS}:{OTHER}", tmp,
                  GST_PLUGIN_FEATURE_RANK="webrtcsink:NONE,webrtcsrc:NONE")
    assert inspect("webrtcsink", env) == (OTHER_FILE, "none (0)")
    env = env_for(f"{OTHER}:{OURS}", tmp,
                  GST_PLUGIN_FEATURE_RANK="webrtcsink:PRIMARY")
    assert inspect("webrtcsink", env) == (OUR_FILE, "primary (256)")


def test_unique_names_are_always_ours(tmp):
    for order in [f"{OURS}:{OTHER}", f"{OTHER}:{OURS}"]:
        env = env_for(order, tmp)
        assert inspect("gwswebrtcsink", env)[0] == OUR_FILE, order
        assert inspect("gwswebrtcsrc", env)[0] == OUR_FILE, order
        made = make(["gwswebrtcsink", "gwswebrtcsrc"], env)
        assert made == {"gwswebrtcsink": "GwsWebRTCSink",
                        "gwswebrtcsrc": "GwsWebRTCSrc"}, made


def test_loading_a_plugin_reclaims_the_name(tmp):
    # Ours scanned first: a fresh process makes the other's webrtcsink,
    # until something loads our plugin (here gwswebrtcsink), whose
    # registration takes the name back inside that process.
    env = env_for(f"{OURS}:{OTHER}", tmp)
    inspect("webrtcsink", env)  # the scan, into this case's registry
    r = subprocess.run(
        [sys.executable, "-c", MAKE_SEQUENCE], env=env, capture_output=True,
        text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ["OtherWebRTCSink", "GwsWebRTCSink",
                                "GwsWebRTCSink"], r.stdout


MAKE_SEQUENCE = r'''
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
for name in ["webrtcsink", "gwswebrtcsink", "webrtcsink"]:
    print(type(Gst.ElementFactory.make(name)).__gtype__.name)
'''


def main():
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_")]
    print(f"1..{len(tests)}", flush=True)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="gws-coexist-") as tmp:
        for i, (name, fn) in enumerate(tests, 1):
            try:
                fn(tmp)
                print(f"ok {i} - {name}", flush=True)
            except Exception:  # noqa: BLE001
                failed += 1
                print(f"not ok {i} - {name}", flush=True)
                for line in traceback.format_exc().splitlines():
                    print(f"# {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
