/* gst-webrtc-session: the relay signaller, a client of our relay.
 *
 * Implements GwsSignaller for the relay protocol (docs/protocol.md) over
 * WebSocket (ws://, wss://) and over HTTP long-poll (poll+http://,
 * poll+https://, for networks that block WebSocket). Registered for those
 * schemes by gws_signaller_register_builtin(). URI forms and properties:
 * docs/signaller.md. */
#pragma once

#include "gws-signaller.h"

G_BEGIN_DECLS

#define GWS_TYPE_WS_SIGNALLER (gws_ws_signaller_get_type())
G_DECLARE_FINAL_TYPE(
    GwsWsSignaller, gws_ws_signaller, GWS, WS_SIGNALLER, GObject)

/**
 * gws_ws_signaller_new:
 * @role: producer or consumer
 * @uri: (nullable): ws://, wss://, poll+http:// or poll+https:// URI of
 *   the relay
 *
 * Same as g_object_new (GWS_TYPE_WS_SIGNALLER, "role", role, "uri", uri).
 *
 * Returns: (transfer full): a new relay signaller
 */
GwsSignaller *gws_ws_signaller_new(GwsSignallerRole role, const gchar *uri);

G_END_DECLS
