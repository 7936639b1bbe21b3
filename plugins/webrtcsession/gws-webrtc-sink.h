/* gst-webrtc-session: webrtcsink, a WebRTC producer bin.
 *
 * Publishes its input streams to any number of consumers, one webrtcbin per
 * consumer, found through a signaller. Each input stream is encoded once
 * per codec and the encoded stream is shared by every consumer that
 * negotiated that codec. See docs/elements.md. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GWS_TYPE_WEBRTC_SINK (gws_webrtc_sink_get_type())
G_DECLARE_FINAL_TYPE(GwsWebRTCSink, gws_webrtc_sink, GWS, WEBRTC_SINK, GstBin)

GST_ELEMENT_REGISTER_DECLARE(webrtcsink);

G_END_DECLS
