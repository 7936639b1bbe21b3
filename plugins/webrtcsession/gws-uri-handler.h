/* gst-webrtc-session: GstURIHandler for webrtcsink and webrtcsrc.
 *
 * The elements handle the URI schemes of the signallers that work in their
 * role (webrtcsrc: ws, wss, whep+http(s), whip-server; webrtcsink: ws, wss,
 * whip+http(s), whep-server), so that playbin, uridecodebin, gst-play-1.0
 * and gst-launch-1.0's URI elements make them from a URI:
 *
 *   gst-play-1.0 "whep+http://host:8081/whep"
 *   gst-launch-1.0 videotestsrc is-live=true !
 * "whep-server://0.0.0.0:8081/whep"
 *
 * The URI is the element's `uri` property. */
#pragma once

#include <gst/gst.h>

namespace gws {

/* G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, ...) for each element. */
void uri_handler_init_sink(gpointer iface, gpointer data);
void uri_handler_init_src(gpointer iface, gpointer data);

} // namespace gws
