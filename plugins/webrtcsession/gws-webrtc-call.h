/* gst-webrtc-session: webrtccall, a two-way call bin.
 *
 * One peer connection per call carrying media both ways: request sink pads
 * (video_%u, audio_%u) for what we send, sometimes src pads
 * (remote_video_%u, remote_audio_%u) for what the other side sends. A call is
 * placed by the other side's peer id (`call`), or received under our own
 * (`peer-id`), through the relay; it is answered, refused or hung up from
 * either side. See docs/calls.md. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GWS_TYPE_WEBRTC_CALL (gws_webrtc_call_get_type())
G_DECLARE_FINAL_TYPE(GwsWebRTCCall, gws_webrtc_call, GWS, WEBRTC_CALL, GstBin)

/**
 * GwsCallIncoming:
 * @GWS_CALL_INCOMING_ACCEPT: answer every call at once (one at a time;
 *   a call during a call is refused as busy)
 * @GWS_CALL_INCOMING_REFUSE: refuse every call
 * @GWS_CALL_INCOMING_ASK: emit "incoming-call" and wait for the
 *   application's "answer-call" or "refuse-call"
 */
typedef enum {
  GWS_CALL_INCOMING_ACCEPT,
  GWS_CALL_INCOMING_REFUSE,
  GWS_CALL_INCOMING_ASK,
} GwsCallIncoming;

GType gws_call_incoming_get_type(void);
#define GWS_TYPE_CALL_INCOMING (gws_call_incoming_get_type())

GST_ELEMENT_REGISTER_DECLARE(webrtccall);

G_END_DECLS
