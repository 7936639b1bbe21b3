/* gst-webrtc-session: renegotiation inside one consumer connection of
 * webrtcsink (see gws-consumer-session.h, "Renegotiation").
 *
 * webrtcbin 1.22 builds a second offer from its last description: every
 * m-line negotiated before is copied as it was, with the transceiver's
 * current direction, and transceivers added since get new m-lines at the
 * end; ICE credentials and the DTLS fingerprint stay. So:
 *  - a stream added while PLAYING is a new sendonly transceiver (its codec
 *    preferences list what we can send, as in a first offer); the answer
 *    picks its codec and the shared encoder branch is linked as for a
 *    first offer;
 *  - a stream removed is unlinked from its branch at once and its
 *    transceiver turned inactive; the consumer's webrtcbin then sends EOS
 *    down that stream's pad (webrtcsrc removes its output). The m-line
 *    stays (an inactive transceiver cannot be reactivated in 1.22): adding
 *    a stream again makes a new m-line.
 * Session thread only, like the rest of ConsumerSession. */
#include "gws-consumer-session.h"

#include "gws-session-promise.h"
#include "gws-twcc.h"

#include <gst/sdp/sdp.h>

#include <cstdlib>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_sink_debug);
#define GST_CAT_DEFAULT gws_webrtc_sink_debug

namespace gws {

namespace {

/* Whether @media announces @ssrc (a=ssrc:<ssrc> ...). */
bool
media_has_ssrc(const GstSDPMedia *media, guint32 ssrc) {
  for (guint a = 0; a < gst_sdp_media_attributes_len(media); a++) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, a);
    if (g_strcmp0(attr->key, "ssrc") == 0 && attr->value
        && strtoul(attr->value, nullptr, 10) == ssrc)
      return true;
  }
  return false;
}

} // namespace

void
ConsumerSession::assign_mlines(const GstSDPMessage *offer) {
  guint n = gst_sdp_message_medias_len(offer);
  std::vector<bool> taken(n, false);
  for (const Stream &st : streams_) {
    if (st.mline >= 0 && static_cast<guint>(st.mline) < n)
      taken[st.mline] = true;
  }
  /* The m-lines of removed streams are still there, inactive. */
  for (guint m = 0; m < n; m++) {
    if (gst_sdp_media_get_attribute_val(
            gst_sdp_message_get_media(offer, m), "inactive"))
      taken[m] = true;
  }
  for (size_t i = 0; i < streams_.size(); i++) {
    Stream &st = streams_[i];
    if (st.mline >= 0)
      continue;
    const char *kind = media_kind_name(offers_[i].kind);
    int by_order = -1, by_ssrc = -1;
    for (guint m = 0; m < n; m++) {
      const GstSDPMedia *media = gst_sdp_message_get_media(offer, m);
      if (taken[m] || g_strcmp0(gst_sdp_media_get_media(media), kind))
        continue;
      if (by_order < 0)
        by_order = static_cast<int>(m);
      if (media_has_ssrc(media, st.ssrc)) {
        by_ssrc = static_cast<int>(m);
        break;
      }
    }
    /* webrtcbin appends new transceivers in the order they were made,
     * which is our stream order; the ssrc says so when it is there. */
    st.mline = by_ssrc >= 0 ? by_ssrc : by_order;
    if (st.mline >= 0)
      taken[st.mline] = true;
    GST_DEBUG_OBJECT(host_.bin(), "session %s: %s is m-line %d", id_.c_str(),
        offers_[i].name.c_str(), st.mline);
  }
}

void
ConsumerSession::add_stream(StreamOffer offer) {
  size_t index = offers_.size();
  offers_.push_back(std::move(offer));
  streams_.emplace_back();
  const StreamOffer &so = offers_[index];
  GstCaps *prefs = gst_caps_new_empty();
  for (const auto &[codec, pt] : so.codecs) {
    GstStructure *st = codec_rtp_structure(*codec, pt);
    gst_structure_set(st, "ssrc", G_TYPE_UINT, streams_[index].ssrc, nullptr);
    twcc_offer(st);
    gst_caps_append_structure(prefs, st);
  }
  if (!request_pad(index, prefs))
    GST_WARNING_OBJECT(host_.bin(), "session %s: webrtcbin gave no pad for %s",
        id_.c_str(), so.name.c_str());
  gst_caps_unref(prefs);
  needs_offer_ = true;
  GST_INFO_OBJECT(host_.bin(), "session %s connection %u: %s added",
      id_.c_str(), gen_, so.name.c_str());
}

void
ConsumerSession::remove_stream(size_t index) {
  if (index >= streams_.size())
    return;
  Stream &st = streams_[index];
  /* Unlinked from webrtcbin first: leaving a branch flushes the output
   * queue downstream (so a closing connection never holds it), and a
   * flush into one sink pad would reach the transport every stream of
   * this connection shares (BUNDLE). */
  if (st.pad) {
    if (GstPad *peer = gst_pad_get_peer(st.pad)) {
      gst_pad_unlink(peer, st.pad);
      gst_object_unref(peer);
    }
  }
  if (st.output)
    host_.unlink_stream(index, *st.codec, st.output);
  if (const CodecInfo *held = std::exchange(st.held, nullptr))
    host_.release_stream(index, *held);
  if (st.pad) {
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(st.pad, "transceiver", &trans, nullptr);
    if (trans) {
      g_object_set(trans, "direction",
          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, nullptr);
      gst_object_unref(trans);
    }
    /* Released with the connection: webrtcbin 1.22 would leave the
     * transceiver without caps for the next offer. */
    removed_pads_.push_back(st.pad);
  }
  GST_INFO_OBJECT(host_.bin(), "session %s connection %u: %s removed",
      id_.c_str(), gen_, offers_[index].name.c_str());
  streams_.erase(streams_.begin() + static_cast<std::ptrdiff_t>(index));
  offers_.erase(offers_.begin() + static_cast<std::ptrdiff_t>(index));
  needs_offer_ = true;
}

bool
ConsumerSession::ready_to_offer() const {
  if (!stable() || !webrtc_)
    return false;
  if (g_get_monotonic_time() - linked_us_ > kCapsWaitUs)
    return true;
  for (const Stream &st : streams_) {
    if (st.output && st.pad && !gst_pad_has_current_caps(st.pad))
      return false;
  }
  return true;
}

void
ConsumerSession::renegotiate() {
  if (!needs_offer_ || !ready_to_offer())
    return;
  needs_offer_ = false;
  renegotiating_ = true;
  renegotiating_since_us_ = g_get_monotonic_time();
  we_offered_ = true;
  GST_INFO_OBJECT(host_.bin(), "session %s connection %u: new offer (%s)",
      id_.c_str(), gen_, describe().c_str());
  create_offer<ConsumerSession>(webrtc_, &host_, id_, gen_,
      "could not create a renegotiation offer",
      [](ConsumerSession &s, GstWebRTCSessionDescription *offer) {
        s.on_offer_created(offer);
      });
}

} // namespace gws
