/* gst-webrtc-session: the session of webrtcsrc with one producer.
 *
 * Owns the webrtcbin and answers the producer's offer: for every offered
 * m-line it adds a recvonly transceiver whose codec-preferences list the
 * offered payloads of the codecs we accept, in our order, so webrtcbin's
 * answer names our preferred codec. No acceptable codec on an m-line ends
 * the session with an error that says what was offered.
 *
 * Threading: methods run on the element's session thread. webrtcbin's
 * pad-added runs on a streaming thread and goes straight to the host, which
 * builds the output chain there (as demuxer users do). */
#pragma once

#include "gws-codecs.h"
#include "gws-ice.h"
#include "gws-loss-recovery.h"
#include "gws-path-monitor.h"
#include "gws-promise.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gws {

class ReceiveSession {
 public:
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
    /* Runs @fn on the session thread if connection @gen of the session
     * still exists. */
    virtual void with_connection(const std::string &session_id, guint gen,
        std::function<void(ReceiveSession &)> fn)
        = 0;
    /* Connection @gen failed (callable from any thread): the host restarts
     * or ends the session. */
    virtual void fail_connection(
        const std::string &session_id, guint gen, const std::string &reason)
        = 0;
    /* A new RTP stream left connection @gen's webrtcbin (streaming
     * thread). */
    virtual void on_stream_pad(guint gen, GstPad *pad) = 0;
    /* How many streams the answer accepted (session thread). */
    virtual void set_expected_streams(guint n) = 0;
    /* A renegotiation of connection @gen was applied (session thread):
     * @added new streams will appear as pads; the producer stopped
     * sending on m-lines @removed. */
    virtual void on_renegotiated(
        guint gen, guint added, const std::vector<guint> &removed)
        = 0;
  };

  /* @gen numbers the connections of one session: 0 is the first, each
   * restart makes the next. */
  ReceiveSession(Host &host, std::string id, std::string peer_id,
      std::vector<const CodecInfo *> video_codecs,
      std::vector<const CodecInfo *> audio_codecs, guint gen = 0);
  ~ReceiveSession();

  ReceiveSession(const ReceiveSession &) = delete;
  ReceiveSession &operator=(const ReceiveSession &) = delete;

  /* Creates the webrtcbin with jitterbuffer @latency_ms and adds it to the
   * host's bin. */
  bool prepare(const IceConfig &ice, const LossRecovery &loss, guint latency_ms,
      GError **error);
  /* For protocols where the consumer offers (a WHEP client, whose
   * signaller has "consumer-offers" TRUE): one recvonly transceiver per
   * media kind we accept, listing our codecs in order; the offer goes out
   * through the host and the producer's answer comes back through
   * on_remote_description(). */
  void start_offer();
  /* A restart that we start: offers one recvonly m-line per kind in
   * @kinds, in that order (the layout of the connection it replaces, so
   * the producer can map them to its streams). */
  void start_offer(const std::vector<MediaKind> &kinds);
  /* The producer's offer (we answer), or its answer to start_offer(). A
   * second offer on this connection (same ICE credentials: see
   * is_renegotiation()) is a renegotiation: renegotiate(). */
  void on_remote_description(const GstWebRTCSessionDescription *desc);
  void on_remote_candidate(guint mline, const std::string &candidate);

  const std::string &id() const { return id_; }
  guint gen() const { return gen_; }
  const std::string &peer_id() const { return peer_id_; }
  bool has_remote() const { return remote_set_; }
  bool awaiting_answer() const { return offering_ && !remote_set_; }
  /* Media kinds of the negotiated m-lines, in order. */
  const std::vector<MediaKind> &kinds() const { return kinds_; }
  const PathMonitor &monitor() const { return *monitor_; }
  /* Whether @offer, arriving once this connection is negotiated, is a
   * renegotiation of it (the ICE credentials of its current remote
   * description) rather than a restart (new ones: a new connection). */
  bool is_renegotiation(const GstWebRTCSessionDescription *offer) const;
  GstElement *webrtcbin() const { return webrtc_; }

 private:
  /* A recvonly transceiver of @kind preferring @prefs (taken); records
   * the m-line's kind. */
  void add_recvonly(MediaKind kind, GstCaps *prefs);
  void on_answer_created(GstWebRTCSessionDescription *answer);
  /* Sets the producer's offer and answers it. */
  void answer(const GstWebRTCSessionDescription *offer);
  static bool media_kind_of(const GstSDPMedia *media, MediaKind *kind);
  /* What we accept of @media, in our order; nullptr with @why set when
   * nothing. */
  GstCaps *accepted_prefs(
      const GstSDPMedia *media, MediaKind kind, std::string *why) const;
  /* A second offer from the producer on this connection
   * (gws-receive-renegotiation.cpp): new m-lines get recvonly
   * transceivers, m-lines turned inactive are reported to the host. */
  void renegotiate(const GstWebRTCSessionDescription *offer);
  void on_remote_answer(const GstWebRTCSessionDescription *answer);
  void flush_candidates();

  Host &host_;
  std::string id_;
  std::string peer_id_;
  guint gen_ = 0;
  std::shared_ptr<PathMonitor> monitor_;
  std::vector<MediaKind> kinds_;
  std::vector<const CodecInfo *> video_codecs_;
  std::vector<const CodecInfo *> audio_codecs_;
  /* Codecs the remote description says will come (fast_start_preload). */
  std::vector<const CodecInfo *> coming_;
  GstElement *webrtc_ = nullptr;
  bool remote_set_ = false;
  guint remote_mlines_ = 0; /* m-lines of the producer's last offer */
  bool offering_ = false;   /* start_offer() ran: we wait for an answer */
  LossRecovery loss_;
  std::vector<std::pair<guint, std::string>> pending_candidates_;
};

} // namespace gws
