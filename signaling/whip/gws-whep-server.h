/* gst-webrtc-session: the WHEP server signaller (webrtcsink serves
 * viewers).
 *
 * URI: whep-server://ADDRESS:PORT/PATH: serves the WHEP endpoint
 * http://ADDRESS:PORT/PATH and its session resources PATH/<session-id>.
 * Each POSTed recvonly offer becomes "session-requested"(offer); the sink
 * answers (its encoders are shared by every viewer) and the answer with
 * every candidate goes back in the 201. Properties: docs/whip-whep.md. */
#pragma once

#include "gws-signaller.h"

G_BEGIN_DECLS

#define GWS_TYPE_WHEP_SERVER (gws_whep_server_get_type())
G_DECLARE_FINAL_TYPE(GwsWhepServer, gws_whep_server, GWS, WHEP_SERVER, GObject)

G_END_DECLS
