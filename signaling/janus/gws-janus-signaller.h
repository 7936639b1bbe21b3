/* gst-webrtc-session: the Janus VideoRoom signaller.
 *
 * Implements GwsSignaller for the Janus WebSocket API (subprotocol
 * `janus-protocol`) and its VideoRoom plugin. On webrtcsink it joins a room
 * as a publisher and publishes (Janus is its one consumer); on webrtcsrc it
 * subscribes to one publisher of the room. Registered for janus+ws:// and
 * janus+wss:// by gws_janus_register_schemes(). docs/janus.md. */
#pragma once

#include "gws-signaller.h"

G_BEGIN_DECLS

#define GWS_TYPE_JANUS_SIGNALLER (gws_janus_signaller_get_type())
G_DECLARE_FINAL_TYPE(
    GwsJanusSignaller, gws_janus_signaller, GWS, JANUS_SIGNALLER, GObject)

/* Registers janus+ws and janus+wss (idempotent). The plugin calls it from
 * plugin_init. */
void gws_janus_register_schemes(void);

G_END_DECLS
