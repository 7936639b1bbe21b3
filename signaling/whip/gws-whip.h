/* gst-webrtc-session: the WHIP and WHEP signallers and their URI schemes.
 *
 *   whip+http://, whip+https://  GwsWhipClient  (webrtcsink publishes)
 *   whep+http://, whep+https://  GwsWhepClient  (webrtcsrc plays)
 *   whip-server://               GwsWhipServer  (webrtcsrc accepts publishers)
 *   whep-server://               GwsWhepServer  (webrtcsink serves viewers)
 *
 * docs/whip-whep.md describes the URIs, properties and status codes. */
#pragma once

#include "gws-signaller.h"
#include "gws-whep-client.h"
#include "gws-whep-server.h"
#include "gws-whip-client.h"
#include "gws-whip-server.h"

G_BEGIN_DECLS

/* Registers the schemes above with gws_signaller_register_scheme().
 * Idempotent. The plugin calls it from plugin_init. */
void gws_whip_register_schemes(void);

G_END_DECLS
