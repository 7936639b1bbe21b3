/* gst-webrtc-session: webrtccall's private state, shared by the element
 * (gws-webrtc-call.cpp: properties, pads, state changes, signals) and its
 * call (gws-webrtc-call-session.cpp: the signaller, the one peer
 * connection, the received streams). Not installed. */
#pragma once

#include "gws-input-slots.h"

#include "gws-codecs.h"
#include "gws-connection-set.h"
#include "gws-consumer-session.h"
#include "gws-data-channels.h"
#include "gws-encoder-branch.h"
#include "gws-ice.h"
#include "gws-promise.h"
#include "gws-restart-steps.h"
#include "gws-restart.h"
#include "gws-session-loop.h"
#include "gws-signaller-link.h"
#include "gws-signaller.h"
#include "gws-start-wait.h"
#include "gws-stats-snapshot.h"
#include "gws-webrtc-call.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_call_debug);

enum {
  CALL_SIGNAL_INCOMING_CALL,
  CALL_SIGNAL_ANSWER_CALL,
  CALL_SIGNAL_REFUSE_CALL,
  CALL_SIGNAL_HANG_UP,
  CALL_SIGNAL_SEND_DATA_STRING,
  CALL_SIGNAL_SEND_DATA_BYTES,
  CALL_SIGNAL_DATA_RECEIVED,
  CALL_SIGNAL_PATH_LOST,
  CALL_N_SIGNALS,
};

extern guint gws_webrtc_call_signals[CALL_N_SIGNALS];

namespace gws {

/* One input (request sink pad): ghost -> tee -> one EncoderBranch per
 * codec a call negotiated (the branches stay between calls). */
struct CallInput {
  std::string name; /* video_0 */
  MediaKind kind = MediaKind::Video;
  GstPad *ghost = nullptr;              /* owned by the element */
  GstElement *tee = nullptr;            /* our reference; a child of the bin */
  std::map<const CodecInfo *, int> pts; /* fixed payload type per codec */
  /* Guarded by CallPrivate::lock. */
  GstCaps *caps = nullptr;
  bool eos = false;
  /* Session thread only. */
  std::map<const CodecInfo *, std::unique_ptr<EncoderBranch>> branches;
  ~CallInput() {
    branches.clear();
    if (tee)
      gst_object_unref(tee);
    if (caps)
      gst_caps_unref(caps);
  }
};

/* One received stream of one connection of the current (or last) call:
 * webrtcbin src pad -> depayloader -> decodebin -> our sometimes pad. */
struct CallOutput {
  guint gen = 0;                      /* the connection's number */
  std::vector<GstElement *> elements; /* depayloader, decodebin */
};

/* A sometimes pad (remote_video_k, remote_audio_k): a ghost pad whose
 * target is the decodebin pad of the newest connection that feeds it. */
struct RemotePad {
  GstPad *ghost = nullptr; /* our reference */
  guint gen = 0;           /* the connection feeding it */
};

/* The call, at most one at a time (session thread only). */
struct Call {
  std::string id;   /* the relay's session id */
  std::string peer; /* the other side's peer id */
  bool outgoing = false;
  bool answered = false; /* we accepted, or the callee sent its offer */
  guint gen = 0;         /* counts calls: late callbacks of an old one */
  DescPtr offer;         /* the offer we answer (the caller's side) */
  /* The inputs in m-line order (the ConsumerSession's stream indexes).
   * Declared before `conns`, which unlink from them when they go. */
  std::vector<std::shared_ptr<CallInput>> inputs;
  /* The call's connections: the current one and, during a restart
   * (make-before-break, gws-restart.h), the pending and the retiring one.
   * Numbered element-wide (CallPrivate::connections), so the received
   * streams of every connection of every call are told apart. */
  ConnectionSet<ConsumerSession> conns;
  explicit Call(ConnectionSet<ConsumerSession>::Close close)
      : conns(std::move(close)) {}
  ConsumerSession *conn() const { return conns.current(); }
  /* The call's data channels (gws-webrtc-call-data.cpp); made with its
   * first connection, let go before the connection closes. */
  std::shared_ptr<DataChannels> data;
  std::vector<std::pair<guint, std::string>> early_candidates;
};

/* Lock order: `lock` is a leaf; nothing is called out with it held. The
 * call and the bin's children change on the session thread, except the
 * received streams' chains, built on the streaming thread that reveals
 * them (webrtcbin's pad-added). */
struct CallPrivate : public ConsumerSession::Host {
  explicit CallPrivate(GwsWebRTCCall *s) : self(s), loop("webrtccall") {}
  ~CallPrivate() override;

  GwsWebRTCCall *self;
  std::mutex lock;
  /* Settings (lock). */
  std::string uri = "ws://127.0.0.1:8443";
  std::string peer_id; /* ours */
  std::string call_peer;
  GwsCallIncoming incoming = GWS_CALL_INCOMING_ACCEPT;
  IceConfig ice;
  RestartSettings restart; /* path-timeout, auto-restart, max-restart-... */
  /* `data-channels`: the value as set, and as parsed. */
  GValue data_channels = G_VALUE_INIT;
  std::vector<ChannelSpec> channel_specs;
  /* Inputs (lock for the vector and the guarded fields). */
  std::vector<std::shared_ptr<CallInput>> inputs;
  InputSlots slots; /* input pad names, payload types (gws-input-slots.h) */
  /* Received streams (lock). */
  std::vector<CallOutput> outputs;
  /* Per connection: its video and audio streams revealed so far. */
  std::map<guint, std::pair<guint, guint>> next_out;
  /* The sometimes pads, kept across calls and connections: the k-th
   * video (audio) stream of every connection of every call feeds
   * remote_video_k, so a pipeline linked once takes call after call, and
   * a restart switches behind pads that stay (lock). */
  std::vector<RemotePad> pads_video, pads_audio;
  /* The call's webrtcbins and their connection numbers, to route their
   * messages (lock). */
  std::map<GstElement *, guint> call_webrtcbins;

  SessionLoop loop;
  SignallerLink link;
  /* Session thread only. */
  GwsSignaller *signaller = nullptr;
  std::shared_ptr<StartWait> start_wait;
  std::unique_ptr<Call> call;
  /* The call end_call() is closing: its connection unlinks from the
   * encoders after `call` is cleared. */
  Call *closing = nullptr;
  /* The call whose connection the Host methods serve. */
  Call *linked_call() { return call ? call.get() : closing; }
  guint calls = 0;       /* calls so far; numbers them */
  guint connections = 0; /* connections so far; numbers them */
  guint ticker = 0;      /* the restart tick (loop.every) */
  /* Runs the tick at once on a network change (session thread). */
  std::unique_ptr<NetWatch> net_watch;
  /* An input added during a call that cannot be sent (no encoder). */
  std::shared_ptr<CallInput> unsendable;
  /* `stats` as the session thread last published it (after every burst of
   * work; its own lock). */
  StatsSnapshot stats_snapshot;
  bool done = false; /* a caller whose call is over */

  std::vector<std::shared_ptr<CallInput>> inputs_now() {
    std::lock_guard<std::mutex> g(lock);
    return inputs;
  }
  std::shared_ptr<CallInput> input_at(size_t i) {
    std::lock_guard<std::mutex> g(lock);
    return i < inputs.size() ? inputs[i] : nullptr;
  }

  /* ConsumerSession::Host (session thread, on_src_pad excepted) */
  GstBin *bin() override { return GST_BIN(self); }
  void send_sdp(
      const std::string &id, const GstWebRTCSessionDescription *desc) override;
  void send_ice(const std::string &id, guint mline,
      const std::string &candidate) override;
  void with_connection(const std::string &id, guint gen,
      std::function<void(ConsumerSession &)> fn) override;
  guint link_stream(size_t index, const CodecInfo &codec, GstPad *pad,
      const RtpRewrite &rw, const std::string &session_id, guint gen) override;
  void unlink_stream(
      size_t index, const CodecInfo &codec, guint output) override;
  void request_keyframe(
      size_t index, const CodecInfo &codec, guint output) override;
  void fail_connection(
      const std::string &id, guint gen, const std::string &reason) override;
  std::shared_ptr<ConsumerBandwidth> make_bandwidth(
      const std::string &, guint) override {
    return nullptr;
  }
  void on_src_pad(const std::string &id, guint gen, GstPad *pad) override;

  /* Session thread (gws-webrtc-call-session.cpp). */
  void on_session_requested(
      const std::string &id, const std::string &peer, DescPtr offer);
  void on_session_started(const std::string &id, const std::string &peer);
  void on_description(const std::string &id, DescPtr desc);
  void on_candidate(
      const std::string &id, guint mline, const std::string &candidate);
  /* Answers the ringing call @id (an empty id: whichever rings). */
  bool answer(const std::string &id);
  /* Refuses the ringing call @id (empty: whichever rings). */
  bool refuse(const std::string &id, const std::string &reason);
  /* Ends the call: @by_us says who ended it; @tell_remote sends endSession
   * with @reason. */
  void end_call(const std::string &reason, bool by_us, bool tell_remote);
  /* Starts the peer connection of the answered call once every input has
   * caps; nothing yet otherwise (called again on each caps event). */
  void connect_call();
  /* The call's inputs as StreamOffers (sendrecv); a restart (@like) keeps
   * each stream's codec. FALSE with @error when one cannot be sent. */
  bool make_offers(const std::vector<std::shared_ptr<CallInput>> &ins,
      const ConsumerSession *like, std::vector<StreamOffer> *offers,
      std::string *error);
  /* How many of @ins (from the first) an answer to @offer can send: the
   * offer's i-th m-line is of inputs[i]'s kind. */
  static size_t inputs_fitting(
      const std::vector<std::shared_ptr<CallInput>> &ins,
      const GstSDPMessage *offer);
  /* A new connection of call @c (its webrtcbin made, not yet negotiated),
   * with the data channels attached; nullptr with @error. */
  std::unique_ptr<ConsumerSession> make_connection(Call &c,
      const ConsumerSession *like, std::string *error,
      size_t max_streams = G_MAXSIZE);
  /* Closes a restart's pending or retiring connection (ConnectionSet's
   * Close): its channels, its webrtcbin, its received chains. */
  void close_connection(std::unique_ptr<ConsumerSession> conn);
  /* Removes connection @gen's received chains. */
  void remove_chains(guint gen);

  /* Restarts (gws-webrtc-call-restart.cpp; session thread). */
  /* The shared restart steps (gws-restart-steps.h) over the call (there
   * must be one); its new connections carry at most @max_streams of the
   * inputs. */
  RestartSteps<ConsumerSession> restart_steps(size_t max_streams = G_MAXSIZE);
  bool start_restart(const char *reason);
  void on_connection_failed(guint gen, const std::string &reason);
  /* An offer inside the running call: the other side restarts it. */
  void on_restart_offer(DescPtr offer);
  /* Every kPathCheckIntervalMs: path checks, promotion of a restart's
   * connection, retirement of the old one, inputs waiting to be offered. */
  void tick();

  /* Renegotiation inside a call (gws-webrtc-call-renegotiate.cpp; session
   * thread): offers the inputs added since the call began, once the
   * connection is stable; answers the other side's renegotiation offer
   * (FALSE: @offer is not one, but a restart). */
  void renegotiate_inputs();
  bool on_renegotiation_offer(DescPtr offer);
  void post_call_message(const char *name, const Call &c, const char *extra,
      const std::string &value);
  /* A call, its connections closed by close_connection(). */
  std::unique_ptr<Call> new_call() {
    return std::make_unique<Call>([this](std::unique_ptr<ConsumerSession> c) {
      close_connection(std::move(c));
    });
  }
  /* Decodebin pad @dpad of connection @gen's received stream: shown on
   * the next remote pad of its kind (streaming thread). */
  void expose(GstPad *dpad, guint gen, bool video);
  void remove_outputs();
  /* Removes the sometimes pads (teardown). */
  void remove_pads();
  /* We stay a sink (our EOS: the call is over), never a source. */
  void keep_sink_flag();
  void teardown();
  /* Data channels (gws-webrtc-call-data.cpp; session thread): the
   * call's DataChannels, its attachment to a connection (channels created
   * just before the offer or answer), what arrives. */
  void make_data(Call &c);
  void attach_data(Call &c, ConsumerSession &conn);
  void on_data_message(const std::string &id, const DataChannels::Message &m);
  /* The send-data-* action signals (any thread). */
  gboolean send_data(
      const gchar *session_id, const gchar *label, GBytes *data, bool text);
  /* `webrtccall-stats` (session thread, or no thread running). */
  GstStructure *make_stats();

  /* Any thread. */
  bool start_signaller();
  void stop_signaller();
};

} // namespace gws
