#!/usr/bin/python3
"""The Debian package: the source tree (its git-tracked files) copied into a
temporary directory and built there with `dpkg-buildpackage -b -us -uc`
(debian/; tests disabled in that build, DEB_BUILD_OPTIONS="nocheck noddebs
parallel=2"), lintian with no error, then every .deb unpacked with `dpkg -x`
into a fresh directory tree and used from there: gst-inspect-1.0 finds
webrtcsink and webrtcsrc through GST_PLUGIN_SYSTEM_PATH (GST_PLUGIN_PATH
unset), Python imports the packaged typelib and hands its own signaller to
the packaged webrtcsink, the packaged relay runs. Nothing is written outside
the temporary directory (dpkg-buildpackage writes into the parent of the
tree it builds, which is inside it).

Usage: test_package.py SOURCE_DIR"""
import glob
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "install"))
import installtest  # noqa: E402
from installtest import run  # noqa: E402

SOURCE = os.path.abspath(sys.argv[1])
PACKAGES = ["gstreamer1.0-webrtc-session", "libgws-signaller-0.1-0",
            "libgws-signaller-0.1-dev", "gir1.2-gws-0.1", "gst-webrtc-relay"]
BUILD_TIMEOUT = 1500  # a loaded 2-core machine: minutes, not seconds


class State:
    pass


def copy_tree(dest):
    """The files git knows (tracked, or new and not ignored), as they are
    in the working tree."""
    r = run(["git", "-C", SOURCE, "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"])
    for rel in sorted(set(r.stdout.split("\0"))):
        src = os.path.join(SOURCE, rel)
        if not rel or not os.path.isfile(src):
            continue  # deleted in the working tree
        os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)


def setup():
    if os.environ.get("GWS_SANITIZED"):
        return "sanitizer build: the package test runs in the default build"
    for tool in ["dpkg-buildpackage", "dpkg-checkbuilddeps", "git"]:
        if not shutil.which(tool):
            return f"{tool} not installed (.ci/apt-packages)"
    if not os.path.isdir(os.path.join(SOURCE, ".git")) and not \
            os.path.isfile(os.path.join(SOURCE, ".git")):
        return "the source is not a git checkout"
    s = State()
    s.tmp = TMP.name
    s.src = os.path.join(s.tmp, "gst-webrtc-session")
    copy_tree(s.src)
    env = installtest.clean_env(s.tmp)
    env = {k: v for k, v in env.items() if not k.startswith("MESON")}
    env["DEB_BUILD_OPTIONS"] = "nocheck noddebs parallel=2"
    start = time.monotonic()
    r = run(["dpkg-buildpackage", "-b", "-us", "-uc"], env=env, cwd=s.src,
            timeout=BUILD_TIMEOUT, check=False)
    s.build_seconds = time.monotonic() - start
    if r.returncode != 0:
        raise AssertionError(
            f"dpkg-buildpackage failed ({r.returncode}):\n"
            f"{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    print(f"# dpkg-buildpackage took {s.build_seconds:.0f} s", flush=True)
    s.debs = sorted(glob.glob(os.path.join(s.tmp, "*.deb")))
    s.changes = glob.glob(os.path.join(s.tmp, "*.changes"))
    s.root = os.path.join(s.tmp, "root")
    return s


def deb(s, name):
    found = [d for d in s.debs if os.path.basename(d).startswith(name + "_")]
    assert len(found) == 1, (name, s.debs)
    return found[0]


def contents(path):
    out = run(["dpkg-deb", "-c", path]).stdout
    return [line.split()[-1].lstrip(".") for line in out.splitlines()]


def test_packages_built(s):
    for name in PACKAGES:
        deb(s, name)
    assert len(s.changes) == 1, s.changes
    plugin = contents(deb(s, "gstreamer1.0-webrtc-session"))
    assert any(p.endswith("/gstreamer-1.0/libgstwebrtcsession.so")
               for p in plugin), plugin
    relay = contents(deb(s, "gst-webrtc-relay"))
    for f in ["/usr/bin/gst-webrtc-relay",
              "/lib/systemd/system/gst-webrtc-relay.service",
              "/usr/share/man/man1/gst-webrtc-relay.1.gz",
              "/usr/share/gst-webrtc-session/web/index.html"]:
        assert f in relay, (f, relay)
    dev = contents(deb(s, "libgws-signaller-0.1-dev"))
    for f in ["/usr/include/gws-signaller-0.1/gws-signaller.h",
              "/usr/share/gir-1.0/Gws-0.1.gir"]:
        assert f in dev, (f, dev)
    assert any(f.endswith("/pkgconfig/gws-signaller-0.1.pc") for f in dev)
    # The plugin depends on the library package; the relay's unit is
    # wired into the maintainer scripts (dh_installsystemd).
    info = run(["dpkg-deb", "-f", deb(s, "gstreamer1.0-webrtc-session"),
                "Depends"]).stdout
    assert "libgws-signaller-0.1-0" in info, info
    ctl = os.path.join(s.tmp, "relay-control")
    run(["dpkg-deb", "-e", deb(s, "gst-webrtc-relay"), ctl])
    assert "deb-systemd-helper" in open(os.path.join(ctl, "postinst")).read()


def test_lintian_no_errors(s):
    if not shutil.which("lintian"):
        return "lintian not installed"
    r = run(["lintian", "--fail-on", "error", "--tag-display-limit", "0",
             s.changes[0]], check=False, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    errors = [ln for ln in r.stdout.splitlines() if ln.startswith("E:")]
    assert not errors, errors


def unpack(s):
    if not os.path.isdir(s.root):
        for name in PACKAGES:
            run(["dpkg", "-x", deb(s, name), s.root])
    plugin = glob.glob(s.root + "/usr/lib/*/gstreamer-1.0/"
                       "libgstwebrtcsession.so")
    assert len(plugin) == 1, plugin
    libdir = os.path.dirname(os.path.dirname(plugin[0]))[len(s.root):]
    return plugin[0], installtest.installed_env(s.root, libdir, s.tmp)


def test_gst_inspect_from_unpacked_debs(s):
    plugin, env = unpack(s)
    installtest.check_inspect(env, plugin)


def test_python_from_unpacked_debs(s):
    _, env = unpack(s)
    installtest.check_python(env, s.root)


def test_relay_from_unpacked_debs(s):
    _, env = unpack(s)
    r = run([s.root + "/usr/bin/gst-webrtc-relay", "--help"], env=env)
    assert "--token-file" in r.stdout, r.stdout


if __name__ == "__main__":
    TMP = installtest.tempdir("gws-package-")
    with TMP:
        sys.exit(installtest.main(
            [(n, f) for n, f in list(globals().items())
             if n.startswith("test_") and callable(f)], setup))
