#!/usr/bin/python3
"""Shows: the offline exchange carried by e-mail, from an application.

The producer (webrtcsink uri=offline:) posts its complete offer as the
element message "gws-offline-description"; this program mails the blob
to the person at the other end and reads their answer (pasted from the
reply) on stdin, giving it to the signaller with "submit-remote". The
other end runs `pipelines/offline-receive.sh -` and pastes the offer.
Usage: offline-mail.py TO_ADDRESS [SMTP_HOST[:PORT]]   (default localhost)
Environment: ICE_ADDRESSES (comma-separated local addresses for ICE, e.g.
127.0.0.1 when loopback is the only interface, as in pipelines/env.sh).
"""

import os
import smtplib
import sys
import threading
from email.message import EmailMessage

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

to, host = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "localhost")
Gst.init(None)
# timeoverlay (gstreamer1.0-x) shows a clock when it is installed.
overlay = "timeoverlay ! " if Gst.ElementFactory.find("timeoverlay") else ""
ice = os.environ.get("ICE_ADDRESSES", "")
pipe = Gst.parse_launch(
    "videotestsrc is-live=true ! " + overlay + "webrtcsink name=s uri=offline:"
    + (" ice-addresses=" + ice if ice else ""))
signaller = pipe.get_by_name("s").get_property("signaller")


def read_paste():
    """Lines up to an empty one: a blob wrapped by a mail client still
    decodes (whitespace is ignored), and so does plain SDP."""
    lines = []
    while True:
        line = sys.stdin.readline()
        if not line:  # stdin closed
            return None
        if not line.strip():
            if lines:
                return "\n".join(lines) + "\n"
            continue
        lines.append(line.rstrip("\n"))


def mail_and_wait(blob):
    msg = EmailMessage()
    msg["Subject"], msg["To"], msg["From"] = "WebRTC offer", to, "camera"
    msg.set_content("Paste this into offline-receive.sh -, then reply with "
                    "its answer:\n\n" + blob + "\n")
    try:
        with smtplib.SMTP(host) as smtp:
            smtp.send_message(msg)
    except OSError as e:
        print("could not mail the offer through {}: {}".format(host, e))
        GLib.idle_add(loop.quit)
        return
    print("Mailed to {}. Paste the answer, then an empty line:".format(to))
    while True:
        answer = read_paste()
        if answer is None:
            GLib.idle_add(loop.quit)
            return
        if signaller.emit("submit-remote", answer):
            print("answer accepted")
            return
        print("refused (see the warning above); paste it again")


def on_message(bus, msg):
    if msg.type == Gst.MessageType.ELEMENT and \
            msg.get_structure().get_name() == "gws-offline-description":
        blob = msg.get_structure().get_string("blob")
        threading.Thread(target=mail_and_wait, args=(blob,),
                         daemon=True).start()
    elif msg.type == Gst.MessageType.WARNING:
        print("warning:", msg.parse_warning()[0].message)
    elif msg.type == Gst.MessageType.ERROR:
        print("error:", msg.parse_error()[0].message)
        loop.quit()
    elif msg.type == Gst.MessageType.EOS:
        loop.quit()


loop = GLib.MainLoop()
bus = pipe.get_bus()
bus.add_signal_watch()
bus.connect("message", on_message)
pipe.set_state(Gst.State.PLAYING)
try:
    loop.run()
finally:
    pipe.set_state(Gst.State.NULL)
