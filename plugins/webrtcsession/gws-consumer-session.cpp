/* gst-webrtc-session: one consumer of webrtcsink (see
 * gws-consumer-session.h). */
#include "gws-consumer-session.h"

#include "gws-renditions.h"
#include "gws-restart.h"
#include "gws-session-promise.h"
#include "gws-twcc.h"
#include "gws-webrtcbin-events.h"
#include "gws-xr-rtt.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_sink_debug);
#define GST_CAT_DEFAULT gws_webrtc_sink_debug

namespace gws {

ConsumerSession::ConsumerSession(Host &host, std::string id,
    std::string peer_id, std::vector<StreamOffer> streams, guint gen)
    : host_(host), id_(std::move(id)), peer_id_(std::move(peer_id)), gen_(gen),
      offers_(std::move(streams)) {
  streams_.resize(offers_.size());
}

ConsumerSession::~ConsumerSession() {
  release_encoders();
  if (pacer_)
    pacer_->stop(); /* no queue thread waits on it while outputs go */
  if (bw_)
    bw_->unwatch();
  for (size_t i = 0; i < streams_.size(); i++) {
    if (streams_[i].output)
      host_.unlink_stream(i, *streams_[i].codec, streams_[i].output);
  }
  if (webrtc_) {
    gst_element_set_locked_state(webrtc_, TRUE);
    gst_element_set_state(webrtc_, GST_STATE_NULL);
    for (auto &s : streams_) {
      if (s.pad) {
        gst_element_release_request_pad(webrtc_, s.pad);
        gst_object_unref(s.pad);
      }
    }
    for (GstPad *pad : removed_pads_) {
      gst_element_release_request_pad(webrtc_, pad);
      gst_object_unref(pad);
    }
    gst_bin_remove(host_.bin(), webrtc_);
    gst_object_unref(webrtc_);
  }
  GST_INFO_OBJECT(host_.bin(), "session %s (peer %s) connection %u closed",
      id_.c_str(), peer_id_.c_str(), gen_);
}

bool
ConsumerSession::prepare(
    const IceConfig &ice, const LossRecovery &loss, GError **error) {
  loss_ = loss;
  webrtc_ = make_webrtcbin(webrtcbin_name(id_, gen_).c_str(), ice, error);
  if (!webrtc_)
    return false;
  gst_object_ref_sink(webrtc_);
  xr_rtt_attach(webrtc_);
  twcc_tune_receiver(webrtc_); /* webrtccall receives too */
  if (loss.fec)
    twcc_mend_red(webrtc_); /* 1.22.0's RED drops TWCC numbering */
  monitor_ = PathMonitor::attach(
      webrtc_, kHeartbeatRtcpIntervalMs, kSenderLearningFloorMs);
  bw_ = host_.make_bandwidth(id_, gen_);

  Host *host = &host_;
  std::string id = id_;
  guint gen = gen_;
  std::string name = webrtcbin_name(id_, gen_);
  if (bw_) {
    pacer_ = RtpPacer::create(name);
    pacer_->set_estimate(bw_->snapshot().estimate_bps);
  }
  /* A consumer's key-frame request goes to the rendition it watches. */
  keyframes_ = KeyframeRequests::create(name, [host, id, gen](size_t i) {
    host->with_connection(id, gen, [i](ConsumerSession &s) {
      if (i < s.streams_.size() && s.streams_[i].output)
        s.host_.request_keyframe(i, *s.streams_[i].codec, s.streams_[i].output);
    });
  });
  WebrtcbinEvents events;
  events.candidate = [host, id, gen](guint mline, const std::string &cand) {
    host->with_connection(id, gen, [mline, cand](ConsumerSession &s) {
      s.host_.send_ice(s.id_, mline, cand);
    });
  };
  events.state = [host, id, gen](GstWebRTCPeerConnectionState state) {
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
      host->fail_connection(id, gen, "the WebRTC connection failed");
    } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
      /* Whatever was sent before DTLS was up is lost: ask for a key frame
       * now so the consumer can start decoding at once. */
      host->with_connection(id, gen, [](ConsumerSession &s) {
        GST_INFO_OBJECT(s.host_.bin(), "session %s connection %u connected",
            s.id_.c_str(), s.gen_);
        s.connected_ = true;
        for (size_t i = 0; i < s.streams_.size(); i++) {
          if (s.streams_[i].output)
            s.keyframes_->request(i, true);
        }
      });
    }
  };
  for (const StreamOffer &o : offers_) {
    if (o.receive)
      events.src_pad
          = [host, id, gen](GstPad *pad) { host->on_src_pad(id, gen, pad); };
  }
  watch_webrtcbin(webrtc_, std::move(events));
  return true;
}

GstPad *
ConsumerSession::request_pad(size_t index, GstCaps *prefs) {
  GstPad *pad = gst_element_request_pad_simple(webrtc_, "sink_%u");
  if (!pad)
    return nullptr;
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_object_get(pad, "transceiver", &trans, nullptr);
  if (trans) {
    g_object_set(trans, "direction",
        offers_[index].receive ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                               : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
        "codec-preferences", prefs, nullptr);
    loss_recovery_configure(trans, offers_[index].kind, loss_);
    gst_object_unref(trans);
  }
  streams_[index].pad = pad;
  return pad;
}

void
ConsumerSession::start_offer() {
  we_offered_ = true;
  gst_bin_add(host_.bin(), webrtc_);
  for (size_t i = 0; i < offers_.size(); i++) {
    GstCaps *prefs = gst_caps_new_empty();
    for (const auto &[codec, pt] : offers_[i].codecs) {
      GstStructure *st = codec_rtp_structure(*codec, pt);
      gst_structure_set(st, "ssrc", G_TYPE_UINT, streams_[i].ssrc, nullptr);
      twcc_offer(st);
      gst_caps_append_structure(prefs, st);
    }
    GST_DEBUG_OBJECT(host_.bin(), "session %s: %s offers %" GST_PTR_FORMAT,
        id_.c_str(), offers_[i].name.c_str(), prefs);
    request_pad(i, prefs);
    gst_caps_unref(prefs);
  }
  gst_element_sync_state_with_parent(webrtc_);
  if (ready_hook_)
    ready_hook_();
  create_offer<ConsumerSession>(webrtc_, &host_, id_, gen_,
      "could not create an offer",
      [](ConsumerSession &s, GstWebRTCSessionDescription *offer) {
        s.on_offer_created(offer);
      });
}

void
ConsumerSession::on_offer_created(GstWebRTCSessionDescription *offer) {
  /* webrtcbin 1.22 gives only an m-line's first codec an rtx payload. */
  if (loss_.retransmission) {
    complete_rtx_in_offer(offer->sdp);
    xr_rtt_add_rrtr(offer->sdp);
  }
  assign_mlines(offer->sdp);
  dtls_certificate_fix_description(webrtc_, offer);
  GST_DEBUG_OBJECT(host_.bin(), "session %s: sending offer", id_.c_str());
  /* Send before setting it locally: our candidates then follow the offer. */
  host_.send_sdp(id_, offer);
  g_signal_emit_by_name(webrtc_, "set-local-description", offer, nullptr);
  /* Not before sending: the offer is not delayed. Posted, so whatever the
   * session thread has queued (our first candidates) goes first. */
  host_.with_connection(
      id_, gen_, [](ConsumerSession &s) { s.hold_encoders(); });
}

void
ConsumerSession::hold_encoders() {
  if (remote_set_)
    return; /* the answer came first: link_streams() made what it needs */
  for (size_t i = 0; i < streams_.size(); i++) {
    Stream &st = streams_[i];
    if (st.codec || st.held || offers_[i].kind != MediaKind::Video
        || offers_[i].codecs.empty())
      continue;
    const CodecInfo *first = offers_[i].codecs.front().first;
    if (host_.hold_stream(i, *first))
      st.held = first;
  }
}

void
ConsumerSession::release_encoders() {
  for (size_t i = 0; i < streams_.size(); i++) {
    if (const CodecInfo *held = std::exchange(streams_[i].held, nullptr))
      host_.release_stream(i, *held);
  }
}

void
ConsumerSession::start_answer(const GstWebRTCSessionDescription *offer) {
  we_offered_ = false;
  const GstSDPMessage *sdp = offer->sdp;
  gst_bin_add(host_.bin(), webrtc_);
  guint n_media = gst_sdp_message_medias_len(sdp);
  for (size_t i = 0; i < offers_.size(); i++) {
    const StreamOffer &so = offers_[i];
    const GstSDPMedia *media
        = i < n_media ? gst_sdp_message_get_media(sdp, i) : nullptr;
    if (!media
        || g_strcmp0(
            gst_sdp_media_get_media(media), media_kind_name(so.kind))) {
      host_.fail_connection(id_, gen_,
          "the consumer's offer has no " + std::string(media_kind_name(so.kind))
              + " m-line for " + so.name);
      return;
    }
    for (const auto &[codec, pt] : so.codecs) {
      std::vector<int> pts = codec_payloads_in_media(media, *codec);
      if (pts.empty())
        continue;
      streams_[i].codec = codec;
      streams_[i].pt = pt;
      streams_[i].remote_pt = pts.front();
      streams_[i].mline = static_cast<int>(i);
      break;
    }
    if (!streams_[i].codec) {
      std::vector<const CodecInfo *> ours;
      for (const auto &c : so.codecs)
        ours.push_back(c.first);
      host_.fail_connection(id_, gen_,
          "no common codec for " + so.name + ": we can send "
              + codec_names(ours) + ", the consumer's offer has none of them");
      return;
    }
    GstCaps *prefs = gst_caps_new_empty();
    GstStructure *st
        = codec_structure_from_media(media, streams_[i].remote_pt, so.kind);
    gst_structure_set(st, "ssrc", G_TYPE_UINT, streams_[i].ssrc, nullptr);
    streams_[i].twcc_id = twcc_answer(media, st);
    gst_caps_append_structure(prefs, st);
    request_pad(i, prefs);
    gst_caps_unref(prefs);
  }
  gst_element_sync_state_with_parent(webrtc_);
  if (ready_hook_)
    ready_hook_();

  answer_offer<ConsumerSession>(webrtc_, offer, &host_, id_, gen_,
      "the consumer's offer was refused", "could not create an answer",
      [](ConsumerSession &s, GstWebRTCSessionDescription *answer) {
        s.on_answer_created(answer);
      });
  remote_set_ = true;
  flush_candidates();
}

void
ConsumerSession::on_answer_created(GstWebRTCSessionDescription *answer) {
  /* A consumer that offered (a restart, a WHEP client, a caller) learns
   * the round trip too: Chromium's receiver follows `rrtr` in the answer
   * to its own offer (gws-xr-rtt.h). */
  if (loss_.retransmission)
    xr_rtt_add_rrtr(answer->sdp);
  dtls_certificate_fix_description(webrtc_, answer);
  host_.send_sdp(id_, answer);
  g_signal_emit_by_name(webrtc_, "set-local-description", answer, nullptr);
  if (!link_streams())
    host_.fail_connection(
        id_, gen_, "could not link the encoders to this consumer");
}

void
ConsumerSession::on_remote_description(
    const GstWebRTCSessionDescription *desc) {
  if (!we_offered_ || desc->type != GST_WEBRTC_SDP_TYPE_ANSWER) {
    GST_WARNING_OBJECT(host_.bin(), "session %s: ignoring unexpected %s",
        id_.c_str(), gst_webrtc_sdp_type_to_string(desc->type));
    return;
  }
  if (!choose_codecs_from_answer(desc->sdp))
    return;
  GstPromise *promise = session_promise<ConsumerSession>(&host_, id_, gen_,
      nullptr, [](ConsumerSession &s, DescPtr, const std::string &error) {
        if (!error.empty()) {
          s.host_.fail_connection(
              s.id_, s.gen_, "the consumer's answer was refused: " + error);
          return;
        }
        s.on_remote_answer_set();
      });
  g_signal_emit_by_name(webrtc_, "set-remote-description", desc, promise);
  gst_promise_unref(promise);
  remote_set_ = true;
  flush_candidates();
}

bool
ConsumerSession::choose_codecs_from_answer(const GstSDPMessage *sdp) {
  guint n_media = gst_sdp_message_medias_len(sdp);
  for (size_t i = 0; i < offers_.size(); i++) {
    const StreamOffer &so = offers_[i];
    if (streams_[i].codec)
      continue; /* negotiated before this renegotiation */
    guint m = static_cast<guint>(streams_[i].mline);
    const GstSDPMedia *media = streams_[i].mline >= 0 && m < n_media
                                   ? gst_sdp_message_get_media(sdp, m)
                                   : nullptr;
    if (media && media_accepts_sending(media)) {
      for (const auto &[codec, pt] : so.codecs) {
        std::vector<int> pts = codec_payloads_in_media(media, *codec);
        if (std::find(pts.begin(), pts.end(), pt) != pts.end()) {
          streams_[i].codec = codec;
          streams_[i].pt = pt;
          streams_[i].remote_pt = pt;
          streams_[i].twcc_id = twcc_ext_id_in_media(media);
          break;
        }
      }
    }
    if (!streams_[i].codec) {
      std::vector<const CodecInfo *> ours;
      for (const auto &c : so.codecs)
        ours.push_back(c.first);
      std::string why = "no common codec for " + so.name + ": we offered "
                        + codec_names(ours) + " and the consumer accepted none";
      if (renegotiating_) {
        /* A stream added later: the others go on without it. */
        GST_WARNING_OBJECT(
            host_.bin(), "session %s: %s", id_.c_str(), why.c_str());
        continue;
      }
      host_.fail_connection(id_, gen_, why);
      return false;
    }
  }
  return true;
}

void
ConsumerSession::on_remote_answer_set() {
  bool linked = link_streams();
  /* Linked to what the answer chose: a branch of another codec goes. */
  release_encoders();
  if (!linked) {
    host_.fail_connection(
        id_, gen_, "could not link the encoders to this consumer");
    return;
  }
  if (renegotiating_) {
    renegotiating_ = false;
    GST_INFO_OBJECT(host_.bin(), "session %s connection %u renegotiated: %s",
        id_.c_str(), gen_, describe().c_str());
    if (needs_offer_)
      renegotiate(); /* the inputs changed again meanwhile */
  }
}

bool
ConsumerSession::link_streams() {
  for (size_t i = 0; i < streams_.size(); i++) {
    Stream &st = streams_[i];
    if (st.output || !st.codec)
      continue; /* linked already, or refused in a renegotiation */
    /* The offer carried our fmtp (H264 profile-level-id 42e01f, ...). The
     * encoder's stream says what it really is (e.g. 42c00d), and webrtcbin
     * refuses input caps that do not match the codec preferences, so keep
     * only what identifies the codec once negotiation is done. */
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(st.pad, "transceiver", &trans, nullptr);
    if (trans) {
      GstCaps *loose = gst_caps_new_simple("application/x-rtp", "media",
          G_TYPE_STRING, media_kind_name(st.codec->kind), "encoding-name",
          G_TYPE_STRING, st.codec->name, "clock-rate", G_TYPE_INT,
          st.codec->clock_rate, nullptr);
      g_object_set(trans, "codec-preferences", loose, nullptr);
      gst_caps_unref(loose);
      gst_object_unref(trans);
    }
    RtpRewrite rw;
    rw.ssrc = st.ssrc;
    rw.from_pt = st.pt;
    rw.to_pt = st.remote_pt ? st.remote_pt : st.pt;
    rw.twcc_from_id = kTwccExtId;
    rw.twcc_to_id = st.twcc_id;
    rw.twcc_seq = twcc_seq_;
    rw.continuous = true; /* renditions may switch under it */
    if (st.codec->kind == MediaKind::Video) {
      std::shared_ptr<RtpPacer> pacer = pacer_;
      std::shared_ptr<KeyframeRequests> keyframes = keyframes_;
      const CodecInfo *codec = st.codec;
      rw.install_before = [pacer, keyframes, codec, i](GstPad *pad) {
        if (pacer) {
          std::weak_ptr<KeyframeRequests> weak = keyframes;
          pacer->install(pad, *codec, [weak, i]() {
            if (auto k = weak.lock())
              k->request(i, true); /* the backlog was dropped */
          });
        }
        keyframes->install(pad, i, *codec);
      };
      /* Packets lost after the payloader (leaky queue, pacer) leave no
       * gap for this consumer to NACK in vain: its output goes on at the
       * next key frame, asked for at once (gws-rtp-rewriter.h). */
      rw.starts_keyframe = [codec](GstBuffer *buf) {
        return rtp_starts_keyframe(buf, *codec);
      };
      std::weak_ptr<KeyframeRequests> weak = keyframes_;
      rw.gap_packets = gap_packets_;
      rw.on_gap = [weak, i]() {
        if (auto k = weak.lock())
          k->request(i, true);
      };
    }
    st.output = host_.link_stream(i, *st.codec, st.pad, rw, id_, gen_);
    if (!st.output)
      return false;
    linked_us_ = g_get_monotonic_time();
    if (bw_ && st.twcc_id)
      bw_->watch(st.pad); /* the feedback comes up through it */
    else if (st.twcc_id)
      twcc_drop_feedback(st.pad);
  }
  GST_INFO_OBJECT(host_.bin(), "session %s (peer %s): %s", id_.c_str(),
      peer_id_.c_str(), describe().c_str());
  return true;
}

void
ConsumerSession::on_remote_candidate(
    guint mline, const std::string &candidate) {
  pending_candidates_.emplace_back(mline, candidate);
  if (remote_set_)
    flush_candidates();
}

void
ConsumerSession::flush_candidates() {
  for (const auto &[mline, cand] : pending_candidates_) {
    if (cand.empty())
      continue; /* end of candidates: webrtcbin 1.22 has no use for it */
    g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline, cand.c_str());
  }
  pending_candidates_.clear();
}

int
ConsumerSession::stream_for_mid(const std::string &mid) const {
  for (size_t i = 0; i < streams_.size(); i++) {
    if (!streams_[i].pad)
      continue;
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(streams_[i].pad, "transceiver", &trans, nullptr);
    gchar *m = nullptr;
    if (trans) {
      g_object_get(trans, "mid", &m, nullptr);
      gst_object_unref(trans);
    }
    bool same = m && mid == m;
    g_free(m);
    if (same)
      return static_cast<int>(i);
  }
  return -1;
}

std::string
ConsumerSession::describe() const {
  std::string out;
  for (size_t i = 0; i < streams_.size(); i++) {
    if (!out.empty())
      out += " ";
    out += offers_[i].name + "="
           + (streams_[i].codec ? streams_[i].codec->name : "?");
  }
  return out;
}

} // namespace gws
