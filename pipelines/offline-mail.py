#!/usr/bin/python3
"""Shows: the offline exchange carried by e-mail, from an application.

The producer (webrtcsink uri=offline:) posts its complete offer as the
element message "gws-offline-description"; this program mails the blob
to the person at the other end and reads their answer (pasted from the
reply) on stdin, giving it to the signaller with "submit-remote". The
other end runs `pipelines/offline-receive.sh -` and pastes the offer.
Usage: offline-mail.py TO_ADDRESS [SMTP_HOST]   (SMTP_HOST default localhost)
"""

import smtplib
import sys
import threading
from email.message import EmailMessage

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

to, host = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "localhost")
Gst.init(None)
pipe = Gst.parse_launch("videotestsrc is-live=true ! timeoverlay ! "
                        "webrtcsink name=s uri=offline:")
signaller = pipe.get_by_name("s").get_property("signaller")


def mail_and_wait(blob):
    msg = EmailMessage()
    msg["Subject"], msg["To"], msg["From"] = "WebRTC offer", to, "camera"
    msg.set_content("Paste this into offline-receive.sh -, then reply with "
                    "its answer:\n\n" + blob + "\n")
    with smtplib.SMTP(host) as smtp:
        smtp.send_message(msg)
    while True:
        answer = input("Mailed to {}. Paste the answer: ".format(to))
        if signaller.emit("submit-remote", answer):
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
    elif msg.type in (Gst.MessageType.ERROR, Gst.MessageType.EOS):
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
