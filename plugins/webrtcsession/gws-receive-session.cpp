/* gst-webrtc-session: webrtcsrc's session (see gws-receive-session.h). */
#include "gws-receive-session.h"

#include "gws-fast-start.h"
#include "gws-restart.h"
#include "gws-session-promise.h"
#include "gws-twcc.h"
#include "gws-webrtcbin-events.h"

#include <gst/sdp/sdp.h>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_src_debug);
#define GST_CAT_DEFAULT gws_webrtc_src_debug

namespace gws {

ReceiveSession::ReceiveSession(Host &host, std::string id, std::string peer_id,
    std::vector<const CodecInfo *> video_codecs,
    std::vector<const CodecInfo *> audio_codecs, guint gen)
    : host_(host), id_(std::move(id)), peer_id_(std::move(peer_id)), gen_(gen),
      video_codecs_(std::move(video_codecs)),
      audio_codecs_(std::move(audio_codecs)) {}

ReceiveSession::~ReceiveSession() {
  if (webrtc_) {
    gst_element_set_locked_state(webrtc_, TRUE);
    gst_element_set_state(webrtc_, GST_STATE_NULL);
    gst_bin_remove(host_.bin(), webrtc_);
    gst_object_unref(webrtc_);
  }
}

bool
ReceiveSession::prepare(const IceConfig &ice, const LossRecovery &loss,
    guint latency_ms, GError **error) {
  loss_ = loss;
  webrtc_ = make_webrtcbin(webrtcbin_name(id_, gen_).c_str(), ice, error);
  if (!webrtc_)
    return false;
  gst_object_ref_sink(webrtc_);
  monitor_ = PathMonitor::attach(webrtc_,
      loss.retransmission ? kFeedbackRtcpIntervalMs : kHeartbeatRtcpIntervalMs);
  g_object_set(webrtc_, "latency", latency_ms, nullptr);
  if (loss.retransmission)
    loss_recovery_tune_receiver(webrtc_);
  fast_start_tune_receiver(webrtc_);
  twcc_tune_receiver(webrtc_);

  Host *host = &host_;
  std::string id = id_;
  guint gen = gen_;
  WebrtcbinEvents events;
  events.candidate = [host, id, gen](guint mline, const std::string &cand) {
    host->with_connection(id, gen, [mline, cand](ReceiveSession &s) {
      s.host_.send_ice(s.id_, mline, cand);
    });
  };
  events.state = [host, id, gen](GstWebRTCPeerConnectionState state) {
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
      host->fail_connection(id, gen, "the WebRTC connection failed");
  };
  events.src_pad = [host, gen](GstPad *pad) { host->on_stream_pad(gen, pad); };
  watch_webrtcbin(webrtc_, std::move(events));

  gst_bin_add(host_.bin(), webrtc_);
  gst_element_sync_state_with_parent(webrtc_);
  return true;
}

void
ReceiveSession::add_recvonly(MediaKind kind, GstCaps *prefs) {
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_signal_emit_by_name(webrtc_, "add-transceiver",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, prefs, &trans);
  gst_caps_unref(prefs);
  if (trans) {
    loss_recovery_configure(trans, kind, loss_);
    gst_object_unref(trans);
  }
  kinds_.push_back(kind);
}

void
ReceiveSession::start_offer() {
  std::vector<MediaKind> kinds;
  if (!video_codecs_.empty())
    kinds.push_back(MediaKind::Video);
  if (!audio_codecs_.empty())
    kinds.push_back(MediaKind::Audio);
  start_offer(kinds);
}

void
ReceiveSession::start_offer(const std::vector<MediaKind> &wanted) {
  offering_ = true;
  int pt = 96; /* unique across the bundle: webrtcbin does not renumber */
  guint kinds = 0;
  for (MediaKind kind : wanted) {
    const auto *list
        = kind == MediaKind::Video ? &video_codecs_ : &audio_codecs_;
    if (list->empty())
      continue;
    GstCaps *prefs = gst_caps_new_empty();
    for (const CodecInfo *codec : *list) {
      GstStructure *st = codec_rtp_structure(*codec, pt++);
      twcc_offer(st); /* our rtpsession then sends transport-cc feedback */
      gst_caps_append_structure(prefs, st);
    }
    add_recvonly(kind, prefs);
    kinds++;
  }
  if (kinds == 0) {
    host_.fail_connection(id_, gen_,
        "no codec to receive: video-codecs and "
        "audio-codecs leave nothing this machine decodes");
    return;
  }
  create_offer<ReceiveSession>(webrtc_, &host_, id_, gen_,
      "could not create an offer",
      [](ReceiveSession &s, GstWebRTCSessionDescription *offer) {
        if (s.loss_.retransmission)
          complete_rtx_in_offer(offer->sdp);
        dtls_certificate_fix_description(s.webrtc_, offer);
        GST_DEBUG_OBJECT(
            s.host_.bin(), "session %s: sending our offer", s.id_.c_str());
        s.host_.send_sdp(s.id_, offer);
        g_signal_emit_by_name(
            s.webrtc_, "set-local-description", offer, nullptr);
      });
}

void
ReceiveSession::on_remote_answer(const GstWebRTCSessionDescription *answer) {
  /* A stream the producer will send: not rejected (port 0), and not
   * inactive or recvonly (a WHEP server without audio answers our audio
   * line "inactive"); counting those would hold back no-more-pads, which
   * playbin waits for. */
  guint accepted = 0;
  for (guint i = 0; i < gst_sdp_message_medias_len(answer->sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media(answer->sdp, i);
    bool sends = gst_sdp_media_get_port(m) != 0;
    for (guint a = 0; sends && a < gst_sdp_media_attributes_len(m); a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute(m, a);
      sends = g_strcmp0(attr->key, "inactive") != 0
              && g_strcmp0(attr->key, "recvonly") != 0;
    }
    if (sends)
      accepted++;
  }
  if (accepted == 0) {
    host_.fail_connection(
        id_, gen_, "producer " + peer_id_ + " accepted no stream");
    return;
  }
  host_.set_expected_streams(accepted);
  remote_mlines_ = gst_sdp_message_medias_len(answer->sdp);
  GstPromise *promise = session_promise<ReceiveSession>(&host_, id_, gen_,
      nullptr, [](ReceiveSession &s, DescPtr, const std::string &error) {
        if (!error.empty())
          s.host_.fail_connection(
              s.id_, s.gen_, "the producer's answer was refused: " + error);
      });
  g_signal_emit_by_name(webrtc_, "set-remote-description", answer, promise);
  gst_promise_unref(promise);
  remote_set_ = true;
  flush_candidates();
  for (guint i = 0; i < gst_sdp_message_medias_len(answer->sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media(answer->sdp, i);
    for (const auto *list : {&video_codecs_, &audio_codecs_}) {
      for (const CodecInfo *c : *list) {
        if (!codec_payloads_in_media(m, *c).empty())
          coming_.push_back(c);
      }
    }
  }
  fast_start_preload(coming_);
}

void
ReceiveSession::on_remote_description(const GstWebRTCSessionDescription *desc) {
  if (offering_ && remote_set_ && desc->type == GST_WEBRTC_SDP_TYPE_OFFER
      && is_renegotiation(desc)) {
    renegotiate(desc); /* the producer offers on our connection */
    return;
  }
  if (offering_) {
    if (desc->type != GST_WEBRTC_SDP_TYPE_ANSWER || remote_set_) {
      GST_WARNING_OBJECT(host_.bin(),
          "session %s: ignoring a remote %s: we offered", id_.c_str(),
          gst_webrtc_sdp_type_to_string(desc->type));
      return;
    }
    on_remote_answer(desc);
    return;
  }
  if (desc->type != GST_WEBRTC_SDP_TYPE_OFFER) {
    GST_WARNING_OBJECT(host_.bin(),
        "session %s: ignoring a remote %s: producers offer", id_.c_str(),
        gst_webrtc_sdp_type_to_string(desc->type));
    return;
  }
  if (remote_set_) {
    renegotiate(desc); /* gws-receive-renegotiation.cpp */
    return;
  }
  guint n_accepted = 0;
  const GstSDPMessage *sdp = desc->sdp;
  for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(sdp, i);
    MediaKind kind;
    if (!media_kind_of(media, &kind))
      continue; /* data channels: not ours */
    /* What will arrive: its plugins are loaded while ICE runs
     * (gws-fast-start.h). */
    for (const CodecInfo *c :
        kind == MediaKind::Video ? video_codecs_ : audio_codecs_) {
      if (!codec_payloads_in_media(media, *c).empty())
        coming_.push_back(c);
    }
    std::string why;
    GstCaps *prefs = accepted_prefs(media, kind, &why);
    if (!prefs) {
      host_.fail_connection(id_, gen_, why);
      return;
    }
    GST_DEBUG_OBJECT(host_.bin(),
        "session %s: m-line %u accepts %" GST_PTR_FORMAT, id_.c_str(), i,
        prefs);
    add_recvonly(kind, prefs);
    n_accepted++;
  }
  remote_mlines_ = gst_sdp_message_medias_len(sdp);
  host_.set_expected_streams(n_accepted);
  answer(desc);
}

bool
ReceiveSession::media_kind_of(const GstSDPMedia *media, MediaKind *kind) {
  const char *kind_name = gst_sdp_media_get_media(media);
  if (g_strcmp0(kind_name, "video") == 0)
    *kind = MediaKind::Video;
  else if (g_strcmp0(kind_name, "audio") == 0)
    *kind = MediaKind::Audio;
  else
    return false;
  return true;
}

GstCaps *
ReceiveSession::accepted_prefs(
    const GstSDPMedia *media, MediaKind kind, std::string *why) const {
  const char *kind_name = media_kind_name(kind);
  const auto &accepted
      = kind == MediaKind::Video ? video_codecs_ : audio_codecs_;
  GstCaps *prefs = gst_caps_new_empty();
  std::vector<const CodecInfo *> offered;
  for (const auto &c : codec_table()) {
    if (c.kind == kind && !codec_payloads_in_media(media, c).empty())
      offered.push_back(&c);
  }
  for (const CodecInfo *c : accepted) {
    for (int pt : codec_payloads_in_media(media, *c)) {
      GstStructure *st = codec_structure_from_media(media, pt, kind);
      twcc_answer(media, st); /* so we send transport-cc feedback */
      gst_caps_append_structure(prefs, st);
    }
  }
  if (gst_caps_is_empty(prefs)) {
    gst_caps_unref(prefs);
    *why = std::string("no common ") + kind_name + " codec with producer "
           + peer_id_ + ": it offers " + codec_names(offered) + ", we accept "
           + codec_names(accepted);
    return nullptr;
  }
  return prefs;
}

void
ReceiveSession::answer(const GstWebRTCSessionDescription *desc) {
  answer_offer<ReceiveSession>(webrtc_, desc, &host_, id_, gen_,
      "the producer's offer was refused", "could not create an answer",
      [](ReceiveSession &s, GstWebRTCSessionDescription *answer) {
        s.on_answer_created(answer);
      });
  remote_set_ = true;
  flush_candidates();
}

void
ReceiveSession::on_answer_created(GstWebRTCSessionDescription *answer) {
  dtls_certificate_fix_description(webrtc_, answer);
  GST_DEBUG_OBJECT(host_.bin(), "session %s: sending answer", id_.c_str());
  host_.send_sdp(id_, answer);
  g_signal_emit_by_name(webrtc_, "set-local-description", answer, nullptr);
  /* After webrtcbin's own plugins are in: plugin loading is serialised. */
  fast_start_preload(coming_);
}

void
ReceiveSession::on_remote_candidate(guint mline, const std::string &candidate) {
  pending_candidates_.emplace_back(mline, candidate);
  if (remote_set_)
    flush_candidates();
}

void
ReceiveSession::flush_candidates() {
  for (const auto &[mline, cand] : pending_candidates_) {
    if (!cand.empty())
      g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline, cand.c_str());
  }
  pending_candidates_.clear();
}

} // namespace gws
