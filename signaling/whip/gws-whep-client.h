/* gst-webrtc-session: the WHEP client signaller (webrtcsrc plays).
 *
 * URI: whep+http://HOST[:PORT]/PATH or whep+https://... : the WHEP endpoint
 * at http(s)://HOST[:PORT]/PATH. On start it tells the src a session exists
 * ("session-started", peer "whep"); the src must then OFFER (recvonly),
 * which it does when the signaller's "consumer-offers" property reads TRUE
 * (see docs/whip-whep.md). The offer is POSTed, the 201's answer handed
 * back, candidates trickled by PATCH; stop() DELETEs the session. */
#pragma once

#include "gws-signaller.h"

G_BEGIN_DECLS

#define GWS_TYPE_WHEP_CLIENT (gws_whep_client_get_type())
G_DECLARE_FINAL_TYPE(GwsWhepClient, gws_whep_client, GWS, WHEP_CLIENT, GObject)

G_END_DECLS
