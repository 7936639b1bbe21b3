/* gst-webrtc-session: the WHIP client signaller (webrtcsink publishes).
 *
 * URI: whip+http://HOST[:PORT]/PATH or whip+https://... : the WHIP endpoint
 * (RFC 9725) at http(s)://HOST[:PORT]/PATH. On start it asks the sink for
 * a session ("session-requested", peer "whip"), POSTs the sink's offer,
 * hands the 201's answer back and trickles candidates by PATCH; stop()
 * DELETEs the session. Properties and behaviour: docs/whip-whep.md. */
#pragma once

#include "gws-signaller.h"

G_BEGIN_DECLS

#define GWS_TYPE_WHIP_CLIENT (gws_whip_client_get_type())
G_DECLARE_FINAL_TYPE(GwsWhipClient, gws_whip_client, GWS, WHIP_CLIENT, GObject)

G_END_DECLS
