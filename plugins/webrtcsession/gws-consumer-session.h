/* gst-webrtc-session: one consumer of webrtcsink.
 *
 * Owns the consumer's webrtcbin (max-bundle, one sendonly transceiver per
 * input stream) and drives its negotiation:
 *  - we offer: every stream's m-line lists the codecs we can send, in our
 *    order, each with the stream's fixed payload type; the answer picks.
 *  - the consumer offered: per stream we take the first codec in our order
 *    that the offer lists, and answer with that one.
 * Once the codec of a stream is known, the host links the shared encoder
 * branch of that codec into our webrtcbin. A failure here ends this
 * session only. When we offer, the branch of each video stream's first
 * offered codec is held from just after the offer is sent until the
 * answer is linked, so its encoder starts while ICE and DTLS run.
 *
 * Threading: every method runs on the sink's session thread. webrtcbin
 * callbacks (promises, candidates, state) run on webrtcbin's threads; they
 * only post work to the session thread, naming the session by id, so a
 * session that is gone by then is simply not found. */
#pragma once

#include "gws-codecs.h"
#include "gws-consumer-bandwidth.h"
#include "gws-ice.h"
#include "gws-keyframe-requests.h"
#include "gws-loss-recovery.h"
#include "gws-path-monitor.h"
#include "gws-rtp-pacer.h"
#include "gws-rtp-rewriter.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gws {

/* What the sink can send on one input stream. */
struct StreamOffer {
  std::string name; /* video_0 */
  MediaKind kind;
  std::vector<std::pair<const CodecInfo *, int>> codecs; /* codec, pt */
  /* sendrecv instead of sendonly: the peer's media on this m-line comes
   * back through Host::on_src_pad (webrtccall, docs/calls.md). */
  bool receive = false;
};

/* How long ConsumerSession::ready_to_offer() waits for a linked stream's
 * caps to reach webrtcbin (they come with its first buffer, in a few ms
 * when the input flows). */
constexpr gint64 kCapsWaitUs = 3 * G_USEC_PER_SEC;

class ConsumerSession {
 public:
  /* The sink, as seen by a session. All calls on the session thread. */
  class Host {
   public:
    virtual ~Host() = default;
    virtual GstBin *bin() = 0;
    virtual void send_sdp(
        const std::string &session_id, const GstWebRTCSessionDescription *desc)
        = 0;
    virtual void send_ice(const std::string &session_id, guint mline,
        const std::string &candidate)
        = 0;
    /* Runs @fn on the session thread with connection @gen of the session
     * named @session_id, if it still exists. Callable from any thread. */
    virtual void with_connection(const std::string &session_id, guint gen,
        std::function<void(ConsumerSession &)> fn)
        = 0;
    /* Links the shared branch of @codec for stream @index into @pad.
     * Returns an output id, 0 on failure. */
    virtual guint link_stream(size_t index, const CodecInfo &codec, GstPad *pad,
        const RtpRewrite &rw, const std::string &session_id, guint gen)
        = 0;
    virtual void unlink_stream(
        size_t index, const CodecInfo &codec, guint output)
        = 0;
    /* Holds the shared branch of @codec for stream @index, making it now
     * if there is none, so that its encoder starts before a consumer is
     * linked (docs/elements.md "Fast start"); release_stream() lets go of
     * it (a branch nobody holds and nobody watches goes). A host without
     * warm branches does nothing. False: not held. */
    virtual bool hold_stream(size_t index, const CodecInfo &codec) {
      return false;
    }
    virtual void release_stream(size_t index, const CodecInfo &codec) {}
    /* Asks the shared encoder of stream @index / @codec that branch output
     * @output shows (or is switching to; the top one when @output is 0)
     * for a key frame (rate-limited per encoder). */
    virtual void request_keyframe(
        size_t index, const CodecInfo &codec, guint output)
        = 0;
    /* Connection @gen failed (later, on the session thread, the host
     * decides: restart, or end the session). */
    virtual void fail_connection(
        const std::string &session_id, guint gen, const std::string &reason)
        = 0;
    /* The bandwidth estimate of connection @gen, or nullptr when
     * congestion control is off (gws-consumer-bandwidth.h). */
    virtual std::shared_ptr<ConsumerBandwidth> make_bandwidth(
        const std::string &session_id, guint gen)
        = 0;
    /* A stream the peer sends on a `receive` m-line appeared (webrtcbin's
     * pad-added, on a streaming thread). */
    virtual void on_src_pad(
        const std::string &session_id, guint gen, GstPad *pad) {}
  };

  /* @gen numbers the connections of one session: 0 is the first, each
   * restart makes the next. */
  ConsumerSession(Host &host, std::string id, std::string peer_id,
      std::vector<StreamOffer> streams, guint gen = 0);
  ~ConsumerSession();

  ConsumerSession(const ConsumerSession &) = delete;
  ConsumerSession &operator=(const ConsumerSession &) = delete;

  /* Creates the webrtcbin; false with @error set on failure. @loss says
   * which loss recovery to negotiate. */
  bool prepare(const IceConfig &ice, const LossRecovery &loss, GError **error);
  /* Runs @fn once the webrtcbin is in the bin and started, just before
   * the offer or answer is made (where data channels are created). */
  void set_ready_hook(std::function<void()> fn) { ready_hook_ = std::move(fn); }
  /* We offer. */
  void start_offer();
  /* The consumer offered: answer it. */
  void start_answer(const GstWebRTCSessionDescription *offer);
  void on_remote_description(const GstWebRTCSessionDescription *desc);
  void on_remote_candidate(guint mline, const std::string &candidate);

  const std::string &id() const { return id_; }
  guint gen() const { return gen_; }
  const std::string &peer_id() const { return peer_id_; }
  /* webrtcbin reported "connected" (DTLS included). */
  bool connected() const { return connected_; }
  /* We offered and no answer has been applied yet. */
  bool awaiting_answer() const { return we_offered_ && !remote_set_; }
  bool has_remote() const { return remote_set_; }
  const PathMonitor &monitor() const { return *monitor_; }
  GstElement *webrtcbin() const { return webrtc_; }
  /* The codec negotiated for input stream @index, nullptr before. */
  const CodecInfo *stream_codec(size_t index) const {
    return index < streams_.size() ? streams_[index].codec : nullptr;
  }
  /* The input stream whose m-line has mid @mid, or -1. */
  int stream_for_mid(const std::string &mid) const;
  /* This connection's bandwidth estimate, nullptr when off. */
  const ConsumerBandwidth *bandwidth() const { return bw_.get(); }
  ConsumerBandwidth *bandwidth() { return bw_.get(); }
  /* This connection's pacer, nullptr when congestion control is off. */
  RtpPacer *pacer() const { return pacer_.get(); }
  /* This connection's key-frame request policy. */
  KeyframeRequests *keyframes() const { return keyframes_.get(); }
  /* Video packets of this connection lost between the shared payloader
   * and its webrtcbin, or skipped up to the next key frame after such a
   * loss (gws-rtp-rewriter.h); any thread. */
  guint64 packets_lost_before_send() const { return gap_packets_->load(); }
  size_t n_streams() const { return streams_.size(); }
  /* The shared branch output of stream @index, 0 before it is linked. */
  guint stream_output(size_t index) const {
    return index < streams_.size() ? streams_[index].output : 0;
  }
  /* The TWCC header extension id stream @index negotiated, 0: none. */
  guint8 stream_twcc_id(size_t index) const {
    return index < streams_.size() ? streams_[index].twcc_id : 0;
  }
  /* "video_0=VP8 audio_0=OPUS" once negotiated. */
  std::string describe() const;

  /* Renegotiation in the running connection (gws-consumer-renegotiation.cpp):
   * an input added or removed while PLAYING. Stream @index always names
   * the sink's input @index: add_stream() appends, remove_stream() erases
   * (its m-line stays, inactive: webrtcbin 1.22 cannot reactivate or stop
   * a transceiver). Both only change this connection; renegotiate() (or
   * the sink's tick, through needs_offer()) sends the new offer on the
   * same webrtcbin: same ICE and DTLS, other m-lines copied unchanged. */
  void add_stream(StreamOffer offer);
  void remove_stream(size_t index);
  /* Offers again if ready_to_offer(); otherwise does nothing
   * (needs_offer() stays true and the caller's tick comes back). */
  void renegotiate();
  bool needs_offer() const { return needs_offer_; }
  bool renegotiating() const { return renegotiating_; }
  /* When the renegotiation under way began (monotonic us). */
  gint64 renegotiating_since() const { return renegotiating_since_us_; }
  /* Negotiated (an answer applied) and not renegotiating: safe to add a
   * stream. */
  bool stable() const { return remote_set_ && !renegotiating_; }
  /* Stable, and the caps of every stream linked so far have reached
   * webrtcbin. webrtcbin 1.22 builds each m-line of a new offer from its
   * sink pad's caps; a pad linked but still without caps (the first
   * buffer not through yet, just after the answer) gives caps without a
   * payload type, and the offer fails ("Could not reuse transceiver"),
   * which ends the connection. A pad still without caps kCapsWaitUs after
   * its link is not waited for any longer. */
  bool ready_to_offer() const;

  /* The peer renegotiates this connection (webrtccall: the other side of
   * a call added a stream; gws-consumer-renegotiation-answer.cpp). */
  /* @offer belongs to this connection (its ICE credentials), so it is a
   * renegotiation, not a restart. */
  bool is_renegotiation(const GstWebRTCSessionDescription *offer) const;
  /* Answers it on the same webrtcbin: each new m-line gets a recvonly
   * transceiver (we have nothing to send on it; what arrives comes
   * through Host::on_src_pad), the streams we send stay as they are.
   * Returns the number of new m-lines we can receive. */
  guint answer_renegotiation(const GstWebRTCSessionDescription *offer);

 private:
  struct Stream {
    GstPad *pad = nullptr; /* webrtcbin request sink pad */
    const CodecInfo *codec = nullptr;
    int pt = 0;        /* payload type of our shared payloader */
    int remote_pt = 0; /* payload type the consumer's offer gave, if any */
    guint output = 0;  /* shared branch output id */
    guint32 ssrc = random_ssrc();    /* this consumer's, signalled in SDP */
    guint8 twcc_id = 0;              /* negotiated TWCC extension id, 0: none */
    int mline = -1;                  /* its m-line, once offered or answered */
    const CodecInfo *held = nullptr; /* Host::hold_stream() of ours */
  };

  /* Our offer's m-lines for streams that have none yet. */
  void assign_mlines(const GstSDPMessage *offer);

  void on_offer_created(GstWebRTCSessionDescription *offer);
  void on_answer_created(GstWebRTCSessionDescription *answer);
  void on_remote_answer_set();
  bool choose_codecs_from_answer(const GstSDPMessage *sdp);
  bool link_streams();
  /* After our offer is sent: holds the branch of each unnegotiated video
   * stream's first offered codec (Host::hold_stream), so its encoder
   * starts while ICE and DTLS run; released once the answer is linked or
   * with the connection. */
  void hold_encoders();
  void release_encoders();
  void flush_candidates();
  GstPad *request_pad(size_t index, GstCaps *prefs);

  Host &host_;
  std::string id_;
  std::string peer_id_;
  guint gen_ = 0;
  bool connected_ = false;
  std::shared_ptr<PathMonitor> monitor_;
  std::vector<StreamOffer> offers_;
  std::vector<Stream> streams_;
  GstElement *webrtc_ = nullptr;
  bool remote_set_ = false;
  bool we_offered_ = false;
  LossRecovery loss_;
  std::vector<std::pair<guint, std::string>> pending_candidates_;
  std::function<void()> ready_hook_;
  /* Renegotiation: webrtcbin pads of removed streams (released with the
   * connection), whether an offer is due or under way. */
  std::vector<GstPad *> removed_pads_;
  bool needs_offer_ = false;
  bool renegotiating_ = false;
  gint64 renegotiating_since_us_ = 0;
  gint64 linked_us_ = 0; /* when link_streams() last linked a stream */
  std::shared_ptr<ConsumerBandwidth> bw_;
  std::shared_ptr<RtpPacer> pacer_;
  std::shared_ptr<KeyframeRequests> keyframes_;
  /* This connection's transport-wide sequence (gws-twcc.h). */
  std::shared_ptr<std::atomic<guint16>> twcc_seq_
      = std::make_shared<std::atomic<guint16>>(0);
  std::shared_ptr<std::atomic<guint64>> gap_packets_
      = std::make_shared<std::atomic<guint64>>(0);
};

} // namespace gws
