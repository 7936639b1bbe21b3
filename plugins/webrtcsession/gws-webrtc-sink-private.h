/* gst-webrtc-session: webrtcsink's private state, shared by the element
 * (gws-webrtc-sink.cpp: properties, pads, state changes) and its session
 * bookkeeping (gws-webrtc-sink-sessions.cpp: consumers, restarts, stats,
 * signaller). Not installed. */
#pragma once

#include "gws-input-slots.h"

#include "gws-codecs.h"
#include "gws-connection-set.h"
#include "gws-restart-steps.h"
#include "gws-congestion-settings.h"
#include "gws-consumer-session.h"
#include "gws-data-channels.h"
#include "gws-element-settings.h"
#include "gws-encoder-branch.h"
#include "gws-ice.h"
#include "gws-restart.h"
#include "gws-latency-coalescer.h"
#include "gws-session-loop.h"
#include "gws-signaller-link.h"
#include "gws-signaller.h"
#include "gws-webrtc-sink.h"
#include "gws-webrtcbin-events.h"

#include "gws-embedded-relay.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_sink_debug);

enum {
  SIGNAL_CONSUMER_ADDED,
  SIGNAL_CONSUMER_REMOVED,
  SIGNAL_PATH_LOST,
  SIGNAL_RESTART_SESSION,
  SIGNAL_ENCODER_SETUP,
  SIGNAL_PAYLOADER_SETUP,
  SIGNAL_GET_SESSIONS,
  SIGNAL_SEND_DATA_STRING,
  SIGNAL_SEND_DATA_BYTES,
  SIGNAL_DATA_RECEIVED,
  N_SIGNALS,
};

/* webrtcsink's own properties, after the shared ones: one list, so that
 * no two share an id (the congestion-control ones take
 * kCongestionPropCount ids from PROP_CONGESTION_FIRST,
 * gws-congestion-settings.h). */
enum : guint {
  PROP_VIDEO_ENCODERS = gws::PROP_COMMON_LAST,
  PROP_RUN_RELAY,
  PROP_RELAY_ADDRESS,
  PROP_RELAY_PORT,
  PROP_WEB_ROOT,
  PROP_META,
  PROP_ENABLE_CONTROL_CHANNEL,
  PROP_CONGESTION_FIRST,
};

extern guint gws_webrtc_sink_signals[N_SIGNALS];

namespace gws {

/* One input stream (request pad). */
struct InputStream {
  std::string name;
  MediaKind kind = MediaKind::Video;
  GstPad *ghost = nullptr;     /* owned by the element */
  GstElement *tee = nullptr;   /* our reference; a child of the bin */
  GstElement *pacer = nullptr; /* before the tee (gws-input-pacer.h); ditto */
  std::map<const CodecInfo *, int> pts; /* fixed payload type per codec */
  /* Guarded by SinkPrivate::lock. */
  GstCaps *caps = nullptr;
  bool eos = false;
  /* Session thread only. */
  std::map<const CodecInfo *, std::unique_ptr<EncoderBranch>> branches;
  /* Sessions holding a branch before they link to it (hold_stream()).
   * Session thread only. */
  std::map<const CodecInfo *, guint> holds;
  /* Lower renditions of each branch (gws-renditions.h), highest first:
   * entry k - 1 is rendition k. Session thread only. */
  std::map<const CodecInfo *, std::vector<std::unique_ptr<EncoderBranch>>>
      renditions;
  /* A lower rendition's encoder failed (an ERROR from one of its
   * elements, any thread): this input runs its top rendition only from
   * then on; the failed ones are emptied and removed by apply_estimates(). */
  std::atomic<bool> rendition_failed{false};
  /* Warned that it cannot be added to the running sessions (session
   * thread, gws-webrtc-sink-renegotiate.cpp). */
  bool refused = false;

  ~InputStream() {
    branches.clear();
    if (tee)
      gst_object_unref(tee);
    if (pacer)
      gst_object_unref(pacer);
    if (caps)
      gst_caps_unref(caps);
  }
};

struct PendingSession {
  std::string id;
  std::string peer;
  DescPtr offer;
};

/* One consumer's session: its connections (the live one, and during a
 * restart the next one and the one being closed), numbered from 0. */
struct SinkSession {
  SinkSession(std::string p, ConnectionSet<ConsumerSession>::Close close)
      : peer(std::move(p)), conns(std::move(close)) {}
  std::string peer;
  ConnectionSet<ConsumerSession> conns;
  /* Its data channels, across its connections. Declared after `conns`:
   * destroyed first, it lets go of the connections' channels before they
   * close. */
  std::shared_ptr<DataChannels> data;
  bool control = false; /* the `control` channel is ours to answer */
};

/* Lock order: `lock` is a leaf. Nothing is called out (signaller, GStreamer
 * element or pad operations, signal emission) with it held. Sessions,
 * branches and bin children change only on the session thread. */
/* At most one LATENCY message per this interval (gws-latency-coalescer.h). */
constexpr guint kLatencyIntervalMs = 500;

struct SinkPrivate : public ConsumerSession::Host, public ElementSettings {
  explicit SinkPrivate(GwsWebRTCSink *s)
      : ElementSettings(GWS_SIGNALLER_ROLE_PRODUCER), self(s),
        loop("webrtcsink") {}

  GwsWebRTCSink *self;
  /* Inputs (lock for the vector and the guarded fields). */
  std::vector<std::shared_ptr<InputStream>> streams;
  InputSlots slots; /* input pad names, payload types (gws-input-slots.h) */
  /* webrtcbin (or output queue) -> session id and connection, to route
   * child messages (lock). */
  std::map<GstElement *, std::pair<std::string, guint>> webrtcbins;

  /* Settings (lock). */
  bool enable_control = true;

  SessionLoop loop;
  /* The consumers' LATENCY messages, one per interval (any thread). */
  LatencyCoalescer latency{GST_ELEMENT(self), loop, kLatencyIntervalMs};
  SignallerLink link;
  /* `video-encoders`: factories preferred over rank (lock). */
  std::vector<std::string> video_encoders;
  /* run-relay, relay-address, relay-port, web-root (lock). */
  bool run_relay = false;
  EmbeddedRelayConfig relay_config{
      "127.0.0.1", 8443, EmbeddedRelay::default_web_root()};
  /* `meta` (lock). */
  GstStructure *meta = nullptr;
  /* The in-process relay: state changes only. */
  EmbeddedRelay relay;
  /* The signaller's uri before start_relay() pointed it at the relay, and
   * the relay's; stop_relay() puts the first back (state changes only). */
  std::string relay_prior_uri, relay_target_uri;
  /* Session thread only. */
  bool accepting = false;
  std::map<std::string, SinkSession> sessions;
  std::vector<PendingSession> pending;
  guint ticker = 0;
  /* Runs the tick at once on a network change (session thread). */
  std::unique_ptr<NetWatch> net_watch;

  /* Input stream @index, or nullptr (any thread). */
  std::shared_ptr<InputStream> stream_at(size_t index) {
    std::lock_guard<std::mutex> g(lock);
    return index < streams.size() ? streams[index] : nullptr;
  }
  /* The inputs as they are now (any thread). */
  std::vector<std::shared_ptr<InputStream>> inputs() {
    std::lock_guard<std::mutex> g(lock);
    return streams;
  }
  guint restart_max_failures() {
    std::lock_guard<std::mutex> g(lock);
    return restart.max_failures;
  }

  /* ConsumerSession::Host */
  GstBin *bin() override { return GST_BIN(self); }
  void send_sdp(
      const std::string &id, const GstWebRTCSessionDescription *desc) override {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_send_sdp(sig, id.c_str(), desc);
      g_object_unref(sig);
    }
  }
  void send_ice(const std::string &id, guint mline,
      const std::string &candidate) override {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_add_ice(sig, id.c_str(),
          candidate.empty() ? nullptr : candidate.c_str(), mline, nullptr);
      g_object_unref(sig);
    }
  }
  void with_connection(const std::string &id, guint gen,
      std::function<void(ConsumerSession &)> fn) override {
    loop.post([this, id, gen, fn]() {
      auto it = sessions.find(id);
      ConsumerSession *c
          = it != sessions.end() ? it->second.conns.find(gen) : nullptr;
      if (c)
        fn(*c);
    });
  }
  BranchSetup branch_setup(
      const std::string &stream_name, const CodecInfo &codec);
  guint link_stream(size_t index, const CodecInfo &codec, GstPad *pad,
      const RtpRewrite &rw, const std::string &session_id, guint gen) override;
  void unlink_stream(
      size_t index, const CodecInfo &codec, guint output) override;
  bool hold_stream(size_t index, const CodecInfo &codec) override;
  void release_stream(size_t index, const CodecInfo &codec) override;
  /* The branch of @codec in @s, made if there is none; nullptr on
   * failure (warned). */
  EncoderBranch *branch_for(InputStream &s, const CodecInfo &codec);
  /* Drops the branch of @codec when nobody watches or holds it. */
  void drop_branch_if_unused(InputStream &s, const CodecInfo &codec);
  /* gws-webrtc-sink-congestion.cpp */
  void request_keyframe(
      size_t index, const CodecInfo &codec, guint output) override;
  void fail_connection(
      const std::string &id, guint gen, const std::string &reason) override {
    loop.post(
        [this, id, gen, reason]() { on_connection_failed(id, gen, reason); });
  }
  /* gws-webrtc-sink-congestion.cpp */
  std::shared_ptr<ConsumerBandwidth> make_bandwidth(
      const std::string &id, guint gen) override;

  /* Congestion control (gws-webrtc-sink-congestion.cpp). Settings guarded
   * by lock. */
  CongestionSettings congestion;
  /* Session thread: a consumer's estimate moved; the encoders it uses
   * follow. */
  void on_estimate(ConsumerSession &conn);
  /* Session thread: sets every encoder to what its consumers' estimates
   * allow. */
  void apply_estimates();
  /* Whether @src (an element posting an ERROR) belongs to a lower
   * rendition of an input; if so that input stops using renditions and
   * TRUE is returned: the error is that rendition's, not the element's.
   * Any thread. */
  bool rendition_failed(GstObject *src);
  /* Session thread: per-session and per-branch congestion fields. */
  void congestion_session_stats(const ConsumerSession &conn, GstStructure *s);
  void congestion_branch_stats(const EncoderBranch &b, GstStructure *s);
  /* Session thread: the lower renditions for `stats` (appended to the
   * branches list; counted in @encoders). */
  void congestion_rendition_stats(GValue *branches, guint *encoders);
  /* Session thread: consumers of @s in @codec watching @rendition now. */
  guint rendition_viewers(
      InputStream &s, const CodecInfo &codec, int rendition);
  /* Session thread: stops the lower renditions of @codec on @s. */
  void drop_renditions(InputStream &s, const CodecInfo &codec);

  /* Session thread. */
  void on_session_requested(
      const std::string &id, const std::string &peer, DescPtr offer);
  void create_session(const PendingSession &p);
  void end_session(const std::string &id, const std::string &reason,
      bool tell_remote, bool is_error);
  void process_pending();
  void teardown();
  std::unique_ptr<ConsumerSession> make_connection(const std::string &id,
      const std::string &peer, guint gen, const ConsumerSession *like,
      std::string *error);
  void forget_connection(std::unique_ptr<ConsumerSession> conn);
  void on_connection_failed(
      const std::string &id, guint gen, const std::string &reason);
  void on_description(const std::string &id, DescPtr desc);
  void on_candidate(
      const std::string &id, guint mline, const std::string &candidate);
  bool start_restart(const std::string &id, const char *reason);
  /* A new session's connection set: closes through forget_connection. */
  SinkSession new_session(const std::string &peer) {
    return SinkSession(peer, [this](std::unique_ptr<ConsumerSession> c) {
      forget_connection(std::move(c));
    });
  }
  /* Data channels and remote control (gws-webrtc-sink-data.cpp). */
  void make_data(SinkSession &s, const std::string &id);
  void attach_data(SinkSession &s, ConsumerSession &c) {
    if (!s.data)
      return;
    s.data->attach(c.webrtcbin(), c.gen(), false);
    std::weak_ptr<DataChannels> weak = s.data;
    guint gen = c.gen();
    c.set_ready_hook([weak, gen]() {
      if (auto d = weak.lock())
        d->create_channels(gen);
    });
  }
  void on_data_message(const std::string &id, const DataChannels::Message &m);
  void on_control_request(
      SinkSession &s, const std::string &id, const DataChannels::Message &m);
  /* The send-data-* action signals (any thread). */
  gboolean send_data(
      const gchar *session_id, const gchar *label, GBytes *data, bool text);
  /* Inputs changing while PLAYING (gws-webrtc-sink-renegotiate.cpp):
   * offers the running sessions the inputs they lack (once an input has
   * caps) and renegotiates connections whose streams changed; removes an
   * input from every connection, then from `streams`. */
  void renegotiate_inputs();
  void remove_input(const std::shared_ptr<InputStream> &s);
  /* @answer answers the current connection's renegotiation (its ICE
   * ufrag), not a restart's new connection begun meanwhile. */
  bool answers_renegotiation(
      SinkSession &s, const GstWebRTCSessionDescription &answer);
  /* The shared restart steps (gws-restart-steps.h) over session @id. */
  RestartSteps<ConsumerSession> restart_steps(
      SinkSession &s, const std::string &id);
  /* Ends each session whose path is over (path_is_over) when the
   * signaller carries no restart: that consumer's failure (a warning and
   * gws-session-failed), the consumer told if it can be (session
   * thread, from tick). */
  void end_gone_sessions(gint64 now, const RestartSettings &cfg);
  void tick();
  bool streams_ready();
  std::vector<const CodecInfo *> stream_codecs(
      InputStream &s, std::string *why);
  GstStructure *make_stats();

  /* Any thread. */
  void start_signaller();
  /* run-relay (gws-webrtc-sink-relay.cpp; NULL->READY, READY->NULL): start
   * the in-process relay and point a ws:// signaller at it; hand `meta` to
   * a signaller that has a "meta" property. FALSE after posting an
   * element error. */
  bool start_relay();
  void stop_relay();
  void apply_meta();
  void stop_signaller();
};

} // namespace gws
