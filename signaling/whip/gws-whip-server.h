/* gst-webrtc-session: the WHIP server signaller (webrtcsrc accepts
 * publishers).
 *
 * URI: whip-server://ADDRESS:PORT/PATH: serves the WHIP endpoint
 * http://ADDRESS:PORT/PATH (RFC 9725) and its session resources
 * PATH/<session-id>. A POSTed offer becomes "session-started" +
 * "session-description"(offer); the src's answer and candidates go back in
 * the 201. Properties and status codes: docs/whip-whep.md. */
#pragma once

#include "gws-signaller.h"

G_BEGIN_DECLS

#define GWS_TYPE_WHIP_SERVER (gws_whip_server_get_type())
G_DECLARE_FINAL_TYPE(GwsWhipServer, gws_whip_server, GWS, WHIP_SERVER, GObject)

G_END_DECLS
