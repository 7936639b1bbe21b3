/* gst-webrtc-session: a ConsumerSession answering its peer's renegotiation
 * offer (see gws-consumer-session.h; used by webrtccall, where either side
 * of a call may add a stream while the call runs, docs/calls.md).
 *
 * webrtcbin 1.22 matches an offer's m-lines to its transceivers by mid,
 * then a new m-line to a transceiver of its kind that has none yet. So
 * before the offer is applied, each m-line no transceiver of ours has
 * (audio or video) gets a recvonly transceiver whose codec preferences are
 * the offered payloads we can decode (keeping their payload types, which
 * the offerer checks in our answer), so the answer says recvonly with a
 * codec and the new stream arrives on a new webrtcbin src pad. The streams
 * we send are untouched (link_streams() skips what is linked). Session
 * thread only, like the rest of ConsumerSession. */
#include "gws-consumer-session.h"

#include "gws-renegotiation.h"
#include "gws-session-promise.h"
#include "gws-twcc.h"

#include <gst/sdp/sdp.h>

#include <set>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_sink_debug);
#define GST_CAT_DEFAULT gws_webrtc_sink_debug

namespace gws {

bool
ConsumerSession::is_renegotiation(
    const GstWebRTCSessionDescription *offer) const {
  if (!webrtc_ || !remote_set_)
    return false;
  return description_matches_remote(webrtc_, offer);
}

guint
ConsumerSession::answer_renegotiation(
    const GstWebRTCSessionDescription *offer) {
  /* The m-lines our transceivers have. */
  std::set<guint> have;
  GArray *transceivers = nullptr;
  g_signal_emit_by_name(webrtc_, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++) {
    auto *t = g_array_index(transceivers, GstWebRTCRTPTransceiver *, i);
    guint m = G_MAXUINT;
    g_object_get(t, "mlineindex", &m, nullptr);
    if (m != G_MAXUINT)
      have.insert(m);
  }
  if (transceivers)
    g_array_unref(transceivers);
  const GstSDPMessage *sdp = offer->sdp;
  guint added = 0;
  for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(sdp, i);
    const char *name = gst_sdp_media_get_media(media);
    MediaKind kind;
    if (g_strcmp0(name, "video") == 0)
      kind = MediaKind::Video;
    else if (g_strcmp0(name, "audio") == 0)
      kind = MediaKind::Audio;
    else
      continue; /* the data section */
    if (have.count(i))
      continue;
    GstCaps *prefs = gst_caps_new_empty();
    for (const CodecInfo *c : default_receive_order(kind)) {
      for (int pt : codec_payloads_in_media(media, *c)) {
        GstStructure *st = codec_structure_from_media(media, pt, kind);
        twcc_answer(media, st);
        gst_caps_append_structure(prefs, st);
      }
    }
    if (gst_caps_is_empty(prefs)) {
      /* One stream we cannot decode does not end the call: a transceiver
       * still takes its m-line, so the next new m-line finds its own. */
      GST_ELEMENT_WARNING(host_.bin(), STREAM, CODEC_NOT_FOUND,
          ("%s added a %s stream we cannot decode", peer_id_.c_str(), name),
          (nullptr));
      gst_caps_unref(prefs);
      prefs = gst_caps_new_empty_simple("application/x-rtp");
    } else {
      added++;
    }
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_signal_emit_by_name(webrtc_, "add-transceiver",
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, prefs, &trans);
    gst_caps_unref(prefs);
    if (trans) {
      loss_recovery_configure(trans, kind, loss_);
      gst_object_unref(trans);
    }
  }
  GST_INFO_OBJECT(host_.bin(),
      "session %s connection %u: the peer renegotiates (%u new stream(s))",
      id_.c_str(), gen_, added);
  we_offered_ = false;
  answer_offer<ConsumerSession>(webrtc_, offer, &host_, id_, gen_,
      "the peer's renegotiation offer was refused",
      "could not answer the renegotiation",
      [](ConsumerSession &s, GstWebRTCSessionDescription *answer) {
        s.on_answer_created(answer);
      });
  return added;
}

} // namespace gws
