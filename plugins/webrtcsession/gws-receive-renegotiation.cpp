/* gst-webrtc-session: a producer's second offer on a running webrtcsrc
 * connection (see gws-receive-session.h).
 *
 * Restart or renegotiation? A restart offer comes from a new peer
 * connection: new ICE credentials (RFC 8839: changed ufrag/pwd mean an ICE
 * restart). A renegotiation offer keeps them (webrtcbin, browsers), so
 * the offer is applied to this connection's webrtcbin:
 *  - m-lines past the previous offer's are new streams: a recvonly
 *    transceiver each, preferring our codecs as in the first answer
 *    (webrtcbin 1.22 pairs an offer's new m-line with the first
 *    transceiver that has none; it does not check the kind, so they are
 *    added in m-line order);
 *  - m-lines the producer stopped sending on (inactive, or port 0): the
 *    host removes their outputs once the offer is applied (webrtcbin has
 *    pushed EOS down their pads by then).
 * Session thread only. */
#include "gws-receive-session.h"

#include "gws-renegotiation.h"

#include <gst/sdp/sdp.h>

#include <algorithm>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_src_debug);
#define GST_CAT_DEFAULT gws_webrtc_src_debug

namespace gws {

namespace {

/* The offerer sends on @media. */
bool
media_sends(const GstSDPMedia *media) {
  if (gst_sdp_media_get_port(media) == 0
      && !gst_sdp_media_get_attribute_val(media, "bundle-only"))
    return false;
  for (guint a = 0; a < gst_sdp_media_attributes_len(media); a++) {
    const char *key = gst_sdp_media_get_attribute(media, a)->key;
    if (g_strcmp0(key, "inactive") == 0 || g_strcmp0(key, "recvonly") == 0)
      return false;
  }
  return true;
}

} // namespace

bool
ReceiveSession::is_renegotiation(
    const GstWebRTCSessionDescription *offer) const {
  /* Also on a connection we offered (a WHEP-style start, or our restart):
   * the producer may offer on it later. */
  if (!webrtc_ || !remote_set_)
    return false;
  return description_matches_remote(webrtc_, offer);
}

void
ReceiveSession::renegotiate(const GstWebRTCSessionDescription *offer) {
  GstWebRTCSessionDescription *current = nullptr;
  g_object_get(webrtc_, "current-remote-description", &current, nullptr);
  const GstSDPMessage *sdp = offer->sdp;
  guint n = gst_sdp_message_medias_len(sdp);
  std::vector<guint> removed;
  std::vector<MediaKind> kinds;
  guint added = 0;
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(sdp, i);
    MediaKind kind;
    if (!media_kind_of(media, &kind))
      continue;
    bool sends = media_sends(media);
    if (i < remote_mlines_) {
      const GstSDPMedia *before
          = current && i < gst_sdp_message_medias_len(current->sdp)
                ? gst_sdp_message_get_media(current->sdp, i)
                : nullptr;
      if (before && media_sends(before) && !sends)
        removed.push_back(i);
      if (sends)
        kinds.push_back(kind);
      continue;
    }
    /* A new m-line: a transceiver for it even if we cannot take it, so
     * the next new m-line finds its own. */
    std::string why;
    GstCaps *prefs = accepted_prefs(media, kind, &why);
    if (!prefs) {
      /* One stream we cannot decode does not end the others. */
      GST_ELEMENT_WARNING(host_.bin(), STREAM, CODEC_NOT_FOUND,
          ("producer %s added a stream we cannot receive: %s", peer_id_.c_str(),
              why.c_str()),
          (nullptr));
      prefs = gst_caps_new_empty_simple("application/x-rtp");
      add_recvonly(kind, prefs);
      continue;
    }
    GST_DEBUG_OBJECT(host_.bin(),
        "session %s: new m-line %u accepts %" GST_PTR_FORMAT, id_.c_str(), i,
        prefs);
    add_recvonly(kind, prefs);
    if (sends) {
      kinds.push_back(kind);
      added++;
    }
  }
  if (current)
    gst_webrtc_session_description_free(current);
  remote_mlines_ = n;
  kinds_ = kinds; /* a restart offers the streams that are sent now */
  GST_INFO_OBJECT(host_.bin(),
      "session %s connection %u: the producer renegotiates (%u new "
      "stream(s), %zu removed)",
      id_.c_str(), gen_, added, removed.size());
  host_.on_renegotiated(gen_, added, removed);
  answer(offer);
}

} // namespace gws
