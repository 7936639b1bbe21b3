#!/usr/bin/python3
"""The signaller interface through GObject introspection.

Scans the signaller headers into a typelib (g-ir-scanner, at test time, in
a temporary directory), then from Python: implements a signaller, registers
it for a scheme, makes it with Gws.Signaller.new_for_uri(), calls its
methods and sees its signals; and makes the built-in WebSocket signaller and
hears its "error::retrying" for an unreachable relay. Exit 77 (skip) when
the introspection tools are not installed.

Usage: test_gi.py LIBDIR SIGNALLER_SRCDIR
"""
import os
import shutil
import subprocess
import sys
import tempfile


def scan(libdir, srcdir, outdir):
    if os.environ.get("GWS_SANITIZED"):
        print("sanitizer build: python cannot load the instrumented library "
              "without the sanitizer runtime preloaded: skipping")
        sys.exit(77)
    scanner = shutil.which("g-ir-scanner")
    compiler = shutil.which("g-ir-compiler")
    if not scanner or not compiler:
        print("g-ir-scanner/g-ir-compiler not installed: skipping")
        sys.exit(77)
    cflags = subprocess.run(
        ["pkg-config", "--cflags", "gstreamer-webrtc-1.0", "libsoup-3.0"],
        check=True, capture_output=True, text=True).stdout.split()
    gir = os.path.join(outdir, "Gws-0.1.gir")
    cmd = [scanner, "--namespace=Gws", "--nsversion=0.1",
           "--identifier-prefix=Gws", "--symbol-prefix=gws",
           "--include=GObject-2.0", "--include=Gst-1.0",
           "--include=GstWebRTC-1.0", "--pkg=gstreamer-webrtc-1.0",
           "--library=gws-signaller-gi", "-L", libdir,
           "-DGST_USE_UNSTABLE_API", "--warn-all", "-o", gir] + cflags + [
        os.path.join(srcdir, "gws-signaller.h"),
        os.path.join(srcdir, "gws-ws-signaller.h"),
        os.path.join(srcdir, "gws-signaller.cpp")]
    env = dict(os.environ, LD_LIBRARY_PATH=libdir)
    r = subprocess.run(cmd, cwd=outdir, env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        if "Couldn't find include" in r.stderr:
            print("introspection data of GLib/GStreamer missing: skipping")
            sys.exit(77)
        sys.exit(1)
    warnings = [l for l in r.stderr.splitlines() if "Warning" in l]
    for w in warnings:
        print("scanner:", w)
    subprocess.run([compiler, gir, "-o",
                    os.path.join(outdir, "Gws-0.1.typelib")], check=True)
    return warnings


def check():
    import threading
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstSdp", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("Gws", "0.1")
    from gi.repository import GLib, GObject, Gst, GstSdp, GstWebRTC, Gws
    Gst.init(None)
    calls = []

    class PySignaller(GObject.Object, Gws.Signaller):
        __gtype_name__ = "TestPySignaller"
        role = GObject.Property(
            type=Gws.SignallerRole, default=Gws.SignallerRole.PRODUCER,
            flags=GObject.ParamFlags.READWRITE
            | GObject.ParamFlags.CONSTRUCT_ONLY)
        uri = GObject.Property(type=str)

        # Capabilities (GwsSignaller interface properties): a Python
        # signaller declares each one; read-only ones are getters. This one
        # is a WHEP-like protocol where the consumer offers.
        @GObject.Property(type=bool, default=True)
        def consumer_offers(self):
            return True

        @GObject.Property(type=bool, default=False)
        def session_restarts(self):
            return False

        @GObject.Property(type=bool, default=False)
        def accepts_sessions(self):
            return False

        # Read-only (flags=READABLE): a writable "ice-servers" means "what a
        # server announces to its clients", which the bins do not use.
        @GObject.Property(type=GObject.TYPE_STRV,
                          flags=GObject.ParamFlags.READABLE)
        def ice_servers(self):
            return ["stun://127.0.0.1:3478"]

        def do_start(self):
            calls.append("start")
            self.emit("session-requested", "s1", "peer1", None)

        def do_stop(self):
            calls.append("stop")

        def do_send_sdp(self, sid, desc):
            calls.append(("sdp", sid, desc.type))

        def do_add_ice(self, sid, candidate, mline, mid):
            calls.append(("ice", sid, candidate, mline, mid))

        def do_end_session(self, sid):
            calls.append(("end", sid))

    Gws.Signaller.register_scheme("py", PySignaller.__gtype__)
    s = Gws.Signaller.new_for_uri("py://x", Gws.SignallerRole.CONSUMER)
    assert isinstance(s, PySignaller), s
    assert s.get_role() == Gws.SignallerRole.CONSUMER
    assert s.props.uri == "py://x"
    # The bins read capabilities through the interface's getters: the
    # Python values arrive in C.
    assert Gws.Signaller.get_consumer_offers(s) is True
    assert Gws.Signaller.get_session_restarts(s) is False
    assert Gws.Signaller.get_accepts_sessions(s) is False
    assert Gws.Signaller.dup_announced_ice_servers(s) == [
        "stun://127.0.0.1:3478"], Gws.Signaller.dup_announced_ice_servers(s)
    # ... and they are interface properties, listed by introspection.
    names = {p.name for p in s.list_properties()}
    for cap in ("session-restarts", "consumer-offers", "accepts-sessions",
                "ice-servers"):
        assert cap in names, (cap, names)
    requested = []
    s.connect("session-requested",
              lambda sig, sid, peer, offer: requested.append((sid, peer,
                                                              offer)))
    s.start()
    assert requested == [("s1", "peer1", None)], requested
    ok, sdp = GstSdp.SDPMessage.new_from_text(
        "v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
    s.send_sdp("s1", GstWebRTC.WebRTCSessionDescription.new(
        GstWebRTC.WebRTCSDPType.OFFER, sdp))
    s.add_ice("s1", "candidate:1 1 UDP 1 127.0.0.1 9 typ host", 0, "v0")
    s.add_ice("s1", None, 0, None)
    s.end_session("s1")
    s.stop()
    assert calls == [
        "start", ("sdp", "s1", GstWebRTC.WebRTCSDPType.OFFER),
        ("ice", "s1", "candidate:1 1 UDP 1 127.0.0.1 9 typ host", 0, "v0"),
        ("ice", "s1", None, 0, None), ("end", "s1"), "stop"], calls

    try:
        Gws.Signaller.new_for_uri("nope://x", Gws.SignallerRole.PRODUCER)
        raise AssertionError("an unknown scheme was accepted")
    except GLib.GError as e:
        assert "nope" in e.message and "ws" in e.message, e.message
    assert "ws" in Gws.Signaller.list_schemes()

    # The built-in WebSocket signaller, from Python: an unreachable relay
    # (a port nothing listens on) gives "error::retrying".
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    ws = Gws.Signaller.new_for_uri(
        "ws://127.0.0.1:%d/?peer-id=cam1" % port, Gws.SignallerRole.PRODUCER)
    assert ws.props.peer_id == "cam1"
    # The relay protocol carries restarts; the producer offers.
    assert Gws.Signaller.get_session_restarts(ws) is True
    assert Gws.Signaller.get_consumer_offers(ws) is False
    assert Gws.Signaller.get_accepts_sessions(ws) is False
    assert not Gws.Signaller.dup_announced_ice_servers(ws)
    heard = threading.Event()
    messages = []

    def on_error(sig, message):
        messages.append(message)
        heard.set()

    ws.connect("error::retrying", on_error)
    ws.start()
    assert heard.wait(10), "no error::retrying for an unreachable relay"
    assert "could not reach" in messages[0], messages
    ws.stop()
    print("ok")


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--check":
        check()
        return
    libdir, srcdir = sys.argv[1], sys.argv[2]
    try:
        import gi  # noqa: F401
    except ImportError:
        print("python3-gi not installed: skipping")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        scan(libdir, srcdir, tmp)
        env = dict(os.environ, LD_LIBRARY_PATH=libdir,
                   GI_TYPELIB_PATH=tmp + ":" + os.environ.get(
                       "GI_TYPELIB_PATH", ""))
        r = subprocess.run([sys.executable, __file__, "--check"], env=env)
        sys.exit(r.returncode)


if __name__ == "__main__":
    main()
