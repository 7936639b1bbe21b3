#!/usr/bin/python3
"""The signaller interface through GObject introspection.

Loads the Gws-0.1 typelib meson built (signaling/signaller) with the
shared signaller library next to it, then from Python: implements a
signaller, registers
it for a scheme, makes it with Gws.Signaller.new_for_uri(), calls its
methods and sees its signals; and makes the built-in WebSocket signaller and
hears its "error::retrying" for an unreachable relay. Exit 77 (skip) when
introspection is disabled. tests/install runs `test_gi.py --check` against
an installed prefix.

Usage: test_gi.py BUILDDIR_OF_SIGNALLER
"""
import os
import subprocess
import sys


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
    if os.environ.get("GWS_SANITIZED"):
        print("sanitizer build: no introspection data: skipping")
        sys.exit(77)
    libdir = sys.argv[1]
    if not os.path.exists(os.path.join(libdir, "Gws-0.1.typelib")):
        print("Gws-0.1.typelib not built (introspection disabled or "
              "gobject-introspection missing): skipping")
        sys.exit(77)
    try:
        import gi  # noqa: F401
    except ImportError:
        print("python3-gi not installed: skipping")
        sys.exit(77)
    env = dict(os.environ, LD_LIBRARY_PATH=libdir,
               GI_TYPELIB_PATH=libdir + ":" + os.environ.get(
                   "GI_TYPELIB_PATH", ""))
    r = subprocess.run([sys.executable, __file__, "--check"], env=env)
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
