/* gst-webrtc-session: webrtcsrc, a WebRTC consumer bin.
 *
 * Asks a signaller for a session with a producer (by id, or the first one
 * that appears), answers its offer, and exposes one sometimes pad per
 * received stream: decoded by default, or depayloaded (encoded) when
 * downstream accepts only encoded caps. See docs/elements.md. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GWS_TYPE_WEBRTC_SRC (gws_webrtc_src_get_type())
G_DECLARE_FINAL_TYPE(GwsWebRTCSrc, gws_webrtc_src, GWS, WEBRTC_SRC, GstBin)

GST_ELEMENT_REGISTER_DECLARE(webrtcsrc);

G_END_DECLS
