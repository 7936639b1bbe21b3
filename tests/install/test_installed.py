#!/usr/bin/python3
"""`meson install` into a fresh directory (--destdir), then the installed
files used from there, never from the build tree: the layout, the plugin
found by GStreamer through GST_PLUGIN_SYSTEM_PATH with GST_PLUGIN_PATH
unset, Python importing the Gws typelib and implementing a signaller, a C
program built against the installed headers and pkg-config file, the relay
started from the installed binary with the unit's options (token from a
file, the installed web client), the man page and the systemd unit.

Usage: test_installed.py BUILD_DIR PREFIX LIBDIR BINDIR DATADIR MANDIR
  UNITDIR (as meson resolved them; LIBDIR etc. relative to PREFIX or
  absolute)."""
import os
import re
import shutil
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import installtest  # noqa: E402
from installtest import run  # noqa: E402

BUILD, PREFIX, LIBDIR, BINDIR, DATADIR, MANDIR, UNITDIR = sys.argv[1:8]


def absolute(d):
    return d if os.path.isabs(d) else os.path.join(PREFIX, d)


LIB, BIN, DATA, MAN, UNIT = map(absolute,
                                [LIBDIR, BINDIR, DATADIR, MANDIR, UNITDIR])
EXPECTED = [
    BIN + "/gst-webrtc-relay",
    LIB + "/gstreamer-1.0/libgstwebrtcsession.so",
    LIB + "/libgws-signaller-0.1.so.0",
    LIB + "/libgws-signaller-0.1.so",
    LIB + "/pkgconfig/gws-signaller-0.1.pc",
    PREFIX + "/include/gws-signaller-0.1/gws-signaller.h",
    PREFIX + "/include/gws-signaller-0.1/gws-ws-signaller.h",
    LIB + "/girepository-1.0/Gws-0.1.typelib",
    DATA + "/gir-1.0/Gws-0.1.gir",
    DATA + "/gst-webrtc-session/web/index.html",
    DATA + "/gst-webrtc-session/web/relay-client.js",
    MAN + "/man1/gst-webrtc-relay.1",
    UNIT + "/gst-webrtc-relay.service",
]


class State:
    def __init__(self, tmp):
        self.tmp = tmp
        self.root = os.path.join(tmp, "root")
        self.env = installtest.installed_env(self.root, LIB, tmp)


def setup():
    if os.environ.get("GWS_SANITIZED"):
        return "sanitizer build: not an installable build"
    if not os.path.exists(os.path.join(BUILD, "signaling", "signaller",
                                       "Gws-0.1.typelib")):
        return "introspection disabled: the installed tree would lack Gws-0.1"
    tmp = TMP.name
    run(["meson", "install", "-C", BUILD, "--destdir",
         os.path.join(tmp, "root"), "--no-rebuild", "--quiet"], timeout=300)
    return State(tmp)


def test_layout(s):
    missing = [f for f in EXPECTED if not os.path.exists(s.root + f)]
    assert not missing, f"not installed: {missing}"
    # Nothing of the tests or benchmarks is installed.
    for dirpath, _, files in os.walk(s.root):
        for f in files:
            assert not f.startswith(("test-", "bench-", "fuzz-")), \
                os.path.join(dirpath, f)
    # Outside /usr the plugin finds the library through its RUNPATH (the
    # installed libdir); inside /usr through the default search path.
    dyn = run(["readelf", "-d", s.root + EXPECTED[1]]).stdout
    runpath = re.findall(r"R(?:UN)?PATH.*\[(.*)\]", dyn)
    if PREFIX == "/usr":
        assert not runpath, runpath
    else:
        assert runpath == [LIB], (runpath, LIB)


def test_gst_inspect_from_system_path(s):
    installtest.check_inspect(s.env, s.root + EXPECTED[1])


def test_python_typelib_and_signaller(s):
    installtest.check_python(s.env, s.root)


C_PROGRAM = r'''
#include <gws-signaller.h>
#include <gws-ws-signaller.h>
#include <stdio.h>
int main(void) {
  gst_init(NULL, NULL);
  gws_signaller_register_builtin();
  GwsSignaller *s = gws_ws_signaller_new(GWS_SIGNALLER_ROLE_PRODUCER,
      "ws://127.0.0.1:9/?peer-id=cam1");
  printf("%s\n", G_OBJECT_TYPE_NAME(s));
  g_object_unref(s);
  return 0;
}
'''


def test_c_program_with_pkg_config(s):
    if not shutil.which("cc"):
        return "no C compiler"
    src = os.path.join(s.tmp, "app.c")
    with open(src, "w") as f:
        f.write(C_PROGRAM)
    env = dict(s.env, PKG_CONFIG_PATH=s.root + LIB + "/pkgconfig")
    flags = run(["pkg-config", "--cflags", "--libs", "gws-signaller-0.1"],
                env=env).stdout.split()
    # The .pc names the real prefix; the tree sits under the destdir.
    ours = ["-I" + PREFIX + "/include/gws-signaller-0.1", "-L" + LIB]
    for o in ours:
        assert o in flags, (o, flags)
    flags = [f[:2] + s.root + f[2:] if f in ours else f for f in flags]
    exe = os.path.join(s.tmp, "app")
    run(["cc", "-Werror", "-o", exe, src] + flags, env=env)
    r = run([exe], env=s.env)
    assert r.stdout.strip() == "GwsWsSignaller", r.stdout


def test_relay_runs_as_the_unit_does(s):
    token = os.path.join(s.tmp, "token")
    with open(token, "w") as f:
        f.write("installed-secret\n")
    relay = subprocess.Popen(
        [s.root + EXPECTED[0], "--host", "127.0.0.1", "--port", "0",
         "--token-file", token, "--web-root",
         s.root + DATA + "/gst-webrtc-session/web"],
        env=s.env, stdout=subprocess.PIPE, text=True)
    try:
        url = None
        for line in relay.stdout:  # ends when the relay exits
            m = re.search(r"listening on ws://(\S+)", line)
            if m:
                url = "http://" + m.group(1)
                break
        assert url, "the installed relay did not start"
        with urllib.request.urlopen(url + "/index.html", timeout=10) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
        req = urllib.request.Request(
            url + "/metrics",
            headers={"Authorization": "Bearer installed-secret"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert b"gws_relay_open_connections 0" in r.read()
    finally:
        relay.terminate()
        assert relay.wait(10) == 0


def test_man_page(s):
    page = s.root + MAN + "/man1/gst-webrtc-relay.1"
    if not shutil.which("man"):
        return "man not installed"
    r = run(["man", "--warnings", "-l", page],
            env=dict(s.env, MANPAGER="cat", MANWIDTH="80"))
    assert not r.stderr.strip(), r.stderr
    for opt in ["--token-file", "--web-root", "/metrics", "SIGTERM"]:
        assert opt in r.stdout.replace("\u2010", "-"), opt


def test_systemd_unit(s):
    unit = open(s.root + UNIT + "/gst-webrtc-relay.service").read()
    for line in ["DynamicUser=yes", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "ProtectHome=yes",
                 "LoadCredential=token:/etc/gst-webrtc-relay/token"]:
        assert line in unit.splitlines(), line
    execstart = [ln for ln in unit.splitlines()
                 if ln.startswith("ExecStart=")][0]
    assert execstart.startswith("ExecStart=" + EXPECTED[0] + " "), execstart
    assert "--token-file ${CREDENTIALS_DIRECTORY}/token" in execstart
    assert "--web-root " + DATA + "/gst-webrtc-session/web" in execstart
    if not shutil.which("systemd-analyze"):
        return "systemd-analyze not installed"
    # Verified as it will run: the binary at the installed path.
    copy = os.path.join(s.tmp, "gst-webrtc-relay.service")
    with open(copy, "w") as f:
        f.write(unit.replace("ExecStart=" + EXPECTED[0],
                             "ExecStart=" + s.root + EXPECTED[0])
                .replace("Documentation=man:gst-webrtc-relay(1)\n", ""))
    run(["systemd-analyze", "verify", copy], env=s.env)


if __name__ == "__main__":
    TMP = installtest.tempdir("gws-install-")
    with TMP:
        sys.exit(installtest.main(
            [(n, f) for n, f in list(globals().items())
             if n.startswith("test_") and callable(f)], setup))
