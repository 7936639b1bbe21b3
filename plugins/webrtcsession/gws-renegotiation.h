/* gst-webrtc-session: telling a renegotiation from a restart.
 *
 * A second description inside a session comes either from the peer
 * connection that made the first (a renegotiation: streams added or
 * removed, ICE and DTLS unchanged) or from a new one (a session restart:
 * new ICE credentials, RFC 8839). Both elements decide by comparing ICE
 * ufrags (docs/protocol.md "Renegotiation"). Pure helpers, any thread. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <string>

namespace gws {

/* The ICE ufrag of @sdp (session level, else its first m-line that has
 * one), "" if none. */
std::string sdp_ice_ufrag(const GstSDPMessage *sdp);

/* Whether @desc has the ICE ufrag of @webrtcbin's current remote
 * description: it belongs to that connection (FALSE when it has none). */
bool description_matches_remote(
    GstElement *webrtcbin, const GstWebRTCSessionDescription *desc);

} // namespace gws
