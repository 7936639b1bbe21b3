/* gst-webrtc-session: telling a renegotiation from a restart (see
 * gws-renegotiation.h). */
#include "gws-renegotiation.h"

namespace gws {

std::string
sdp_ice_ufrag(const GstSDPMessage *sdp) {
  if (!sdp)
    return "";
  const char *u = gst_sdp_message_get_attribute_val(sdp, "ice-ufrag");
  for (guint i = 0; !u && i < gst_sdp_message_medias_len(sdp); i++)
    u = gst_sdp_media_get_attribute_val(
        gst_sdp_message_get_media(sdp, i), "ice-ufrag");
  return u ? u : "";
}

bool
description_matches_remote(
    GstElement *webrtcbin, const GstWebRTCSessionDescription *desc) {
  if (!webrtcbin || !desc)
    return false;
  GstWebRTCSessionDescription *current = nullptr;
  g_object_get(webrtcbin, "current-remote-description", &current, nullptr);
  if (!current)
    return false;
  std::string a = sdp_ice_ufrag(current->sdp);
  gst_webrtc_session_description_free(current);
  return !a.empty() && a == sdp_ice_ufrag(desc->sdp);
}

} // namespace gws
