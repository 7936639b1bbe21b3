"""Shared by the install and package tests: a minimal TAP runner, and the
checks that an installed tree (meson install --destdir, or a .deb unpacked
with dpkg -x) works from where it was installed: GStreamer finds the plugin
through GST_PLUGIN_SYSTEM_PATH with GST_PLUGIN_PATH unset, Python imports
the Gws typelib and hands its own signaller to the installed webrtcsink."""
import os
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_GI = os.path.join(HERE, "..", "signaller", "test_gi.py")
TIMEOUT = 120


def run(cmd, env=None, cwd=None, timeout=TIMEOUT, check=True):
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited with {r.returncode}\n"
            f"stdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}")
    return r


def clean_env(registry_dir):
    """The environment of a user of the installed tree: no build tree on
    any path, a registry of its own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GST_", "GI_", "LD_", "PYTHON"))
           and k not in ("GWS_RELAY",)}
    env["GST_REGISTRY"] = os.path.join(registry_dir, "registry.bin")
    env["GST_REGISTRY_FORK"] = "no"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def installed_env(root, libdir, registry_dir, system_plugins=True):
    """Environment for a tree installed under `root` with `libdir` (an
    absolute path inside the tree, e.g. /usr/lib/x86_64-linux-gnu)."""
    env = clean_env(registry_dir)
    lib = root + libdir
    plugins = [lib + "/gstreamer-1.0"]
    if system_plugins:  # webrtcbin, encoders: the system's own plugins
        plugins.append(system_plugin_dir())
    env["GST_PLUGIN_SYSTEM_PATH"] = ":".join(plugins)
    env["GI_TYPELIB_PATH"] = lib + "/girepository-1.0"
    env["LD_LIBRARY_PATH"] = lib
    return env


def system_plugin_dir():
    r = run(["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"])
    return r.stdout.strip()


def check_inspect(env, plugin_path):
    """gst-inspect-1.0 finds webrtcsink and webrtcsrc in the installed
    plugin (not in a build tree)."""
    assert "GST_PLUGIN_PATH" not in env and "GST_PLUGIN_PATH_1_0" not in env
    for name in ["webrtcsink", "webrtcsrc"]:
        r = run(["gst-inspect-1.0", name], env=env)
        assert plugin_path in r.stdout, \
            f"{name} not loaded from {plugin_path}:\n{r.stdout[:2000]}"
        assert "signaller" in r.stdout, r.stdout[:2000]


PY_CHECK = r'''
import gi
gi.require_version("Gst", "1.0")
gi.require_version("Gws", "0.1")
from gi.repository import GObject, Gst, Gws
Gst.init(None)

class AppSignaller(GObject.Object, Gws.Signaller):
    __gtype_name__ = "InstalledAppSignaller"
    role = GObject.Property(type=Gws.SignallerRole,
                            default=Gws.SignallerRole.PRODUCER,
                            flags=GObject.ParamFlags.READWRITE
                            | GObject.ParamFlags.CONSTRUCT_ONLY)
    uri = GObject.Property(type=str)
    # The capabilities, declared as docs/signaller.md says (GLib warns at
    # class initialisation about one left out): this one restarts sessions.
    @GObject.Property(type=bool, default=True)
    def session_restarts(self): return True
    @GObject.Property(type=bool, default=False)
    def consumer_offers(self): return False
    @GObject.Property(type=bool, default=False)
    def accepts_sessions(self): return False
    @GObject.Property(type=GObject.TYPE_STRV, flags=GObject.ParamFlags.READABLE)
    def ice_servers(self): return None
    def do_start(self): pass
    def do_stop(self): pass
    def do_send_sdp(self, sid, desc): pass
    def do_add_ice(self, sid, c, m, mid): pass
    def do_end_session(self, sid): pass

sink = Gst.ElementFactory.make("webrtcsink")
assert sink is not None, "no webrtcsink"
path = sink.get_factory().get_plugin().get_filename()
assert path.startswith(ROOT), path
mine = AppSignaller()
# One GwsSignaller type in the process: the plugin's property takes the
# object Python made from the typelib's library.
sink.set_property("signaller", mine)
assert sink.get_property("signaller") is mine
# The installed library reads the Python object's capabilities.
assert Gws.Signaller.get_session_restarts(mine) is True
assert Gws.Signaller.get_consumer_offers(mine) is False
# The plugin registered its schemes in the same registry Python sees.
schemes = Gws.Signaller.list_schemes()
assert "ws" in schemes and "offline" in schemes, schemes
print("ok", path)
'''


def check_python(env, root):
    """Python: the typelib's own test (implements a signaller, drives the
    built-in WebSocket one), then a Python signaller handed to the
    installed webrtcsink."""
    r = run([sys.executable, TEST_GI, "--check"], env=env)
    assert r.stdout.strip().endswith("ok"), r.stdout
    assert_no_glib_warnings(r)
    r = run([sys.executable, "-c", f"ROOT = {root!r}\n" + PY_CHECK],
            env=env)
    assert r.stdout.startswith("ok "), r.stdout
    assert_no_glib_warnings(r)


def assert_no_glib_warnings(r):
    """A GLib warning or critical on stderr (a capability left out, a bad
    annotation) is a failure even when the program went on."""
    bad = [ln for ln in r.stderr.splitlines()
           if "Warning:" in ln or "CRITICAL" in ln or "WARNING **" in ln]
    assert not bad, "\n".join(bad)


# ---- TAP ----

def main(cases, setup=None):
    """Runs `cases` [(name, fn(state))] after `setup()` (which returns the
    state, or raises to fail every case, or returns a string to skip)."""
    print(f"1..{len(cases)}", flush=True)
    try:
        state = setup() if setup else None
    except Exception:  # noqa: BLE001
        err = traceback.format_exc()
        for i, (name, _) in enumerate(cases, 1):
            print(f"not ok {i} - {name}")
        for line in err.splitlines():
            print(f"# {line}")
        return 1
    if isinstance(state, str):
        for i, (name, _) in enumerate(cases, 1):
            print(f"ok {i} - {name} # SKIP {state}")
        return 0
    failed = 0
    for i, (name, fn) in enumerate(cases, 1):
        try:
            skip = fn(state)
            if isinstance(skip, str):
                print(f"ok {i} - {name} # SKIP {skip}", flush=True)
            else:
                print(f"ok {i} - {name}", flush=True)
        except Exception:  # noqa: BLE001
            failed += 1
            print(f"not ok {i} - {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"# {line}")
            sys.stdout.flush()
    return 1 if failed else 0


def tempdir(prefix):
    return tempfile.TemporaryDirectory(prefix=prefix)
