/* gst-webrtc-session: the offline exchange signaller (`offline://`).
 *
 * No server: each side's complete description (offer or answer with every
 * candidate, no trickle) is carried once each way by any means, as the
 * text blob of offline-blob.h:
 *
 *   offline:///PATH/TO/DIR   a folder both sides see (shared, or carried
 *                            on a USB stick): the offerer writes
 *                            DIR/offer.gws and waits for DIR/answer.gws
 *   offline:                 no folder: the application carries the blob
 *                            (element message "gws-offline-description",
 *                            answer through "submit-remote" or
 *                            "remote-blob")
 *   ...?terminal=true        a person at a terminal: the blob is printed
 *                            (with a QR code when `qrencode` is installed)
 *                            and the other side's blob is pasted on stdin
 *
 * Query parameters: offerer=producer|consumer (who offers; both sides must
 * agree; default producer), timeout=SECONDS (how long to wait for the
 * other side's blob; 0 waits forever), terminal=true|false, qr=true|false.
 * docs/offline.md has the whole story.
 *
 * Threads: one gws::Worker thread runs every exchange step (folder
 * polling, stdin, timers); the methods post onto it and the signals are
 * emitted from it. */
#pragma once

#include "signaller/gws-signaller.h"

G_BEGIN_DECLS

#define GWS_TYPE_OFFLINE_SIGNALLER (gws_offline_signaller_get_type())
G_DECLARE_FINAL_TYPE(
    GwsOfflineSignaller, gws_offline_signaller, GWS, OFFLINE_SIGNALLER, GObject)

/* Registers the "offline" scheme. Idempotent; the plugin calls it from
 * plugin_init. */
void gws_offline_register_schemes(void);

G_END_DECLS
