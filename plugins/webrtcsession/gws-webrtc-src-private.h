/* gst-webrtc-session: webrtcsrc's private state, shared by the element
 * (gws-webrtc-src.cpp: properties, state changes), its sessions
 * (gws-webrtc-src-sessions.cpp: the producer's session, restarts, the
 * signaller) and its outputs (gws-webrtc-src-outputs.cpp: the exposed pads
 * and the switch between connections). Not installed. */
#pragma once

#include "gws-freeze-meter.h"
#include "gws-codecs.h"
#include "gws-connection-set.h"
#include "gws-restart-steps.h"
#include "gws-data-channels.h"
#include "gws-element-settings.h"
#include "gws-ice.h"
#include "gws-receive-session.h"
#include "gws-restart.h"
#include "gws-session-loop.h"
#include "gws-signaller-link.h"
#include "gws-signaller.h"
#include "gws-webrtc-src.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_src_debug);

/* Jitterbuffer latency. webrtcbin's 200 ms delays the first frame and every
 * frame by 200 ms; with 0 a LAN stream starts ~10 ms after connection but
 * any reordering or jitter becomes a glitch. 50 ms absorbs LAN and Wi-Fi
 * jitter (a few ms, spikes of tens) and keeps glass-to-glass low. */
#define DEFAULT_LATENCY_MS 50

enum {
  SIGNAL_PATH_LOST,
  SIGNAL_RESTART_SESSION,
  SIGNAL_SEND_DATA_STRING,
  SIGNAL_SEND_DATA_BYTES,
  SIGNAL_DATA_RECEIVED,
  N_SIGNALS,
};

extern guint gws_webrtc_src_signals[N_SIGNALS];

namespace gws {

/* One connection's chain into an output: webrtcbin src pad -> depay
 * [-> parse | -> decodebin] -> the output's input-selector. */
struct Chain {
  guint gen = 0;
  std::vector<GstElement *> elements; /* depay first */
  GstPad *selector_pad = nullptr;     /* requested from the selector */
  bool flowing = false;               /* a buffer reached the selector */
  int mline = -1; /* the m-line of the webrtcbin pad it takes */
};

/* One exposed stream (video_0, audio_0...). Its ghost pad targets an
 * input-selector, so a restart switches connections behind a pad that
 * never changes: same caps when the new decoder's are the same, running
 * timestamps continue. */
struct Output {
  GstPad *ghost = nullptr;
  GstElement *selector = nullptr; /* replaced under SrcPrivate::lock */
  MediaKind kind = MediaKind::Video;
  guint kind_index = 0; /* video_<kind_index> */
  /* The connection whose stream last picked this output (lock): two
   * streams of one connection, revealed on two streaming threads at
   * once, never pick the same output. */
  guint claimed_gen = G_MAXUINT;
  /* All three guarded by SrcPrivate::lock (written on streaming threads,
   * read on others); `encoded` is set before the output is published. */
  bool encoded = false;
  guint active_gen = 0;
  std::vector<Chain> chains;
  /* EOS went out (a client's session ended); a later session's stream
   * restarts the output (new selector, flush) before it feeds it. */
  bool ended = false;
  /* Frames and freezes at the pad (video; its own lock). */
  std::shared_ptr<FreezeMeter> meter = std::make_shared<FreezeMeter>();
};

/* Lock order: `lock`, then an output's FreezeMeter lock (a leaf); nothing
 * is called out with either held. The
 * sessions and the bin's children change on the session thread, except the
 * output chains, which are built on the streaming thread that reveals
 * them. */
struct SrcPrivate : public ReceiveSession::Host, public ElementSettings {
  explicit SrcPrivate(GwsWebRTCSrc *s)
      : ElementSettings(GWS_SIGNALLER_ROLE_CONSUMER), self(s),
        loop("webrtcsrc") {}

  GwsWebRTCSrc *self;
  /* Settings (lock). */
  guint latency = DEFAULT_LATENCY_MS;
  /* Outputs (lock). */
  std::vector<std::unique_ptr<Output>> outputs;
  /* Outputs being built outside the lock (kind, kind_index): a stream
   * revealed meanwhile takes the next index, never the same pad name. */
  std::vector<std::pair<MediaKind, guint>> reserved_outputs;
  guint expected_streams = 0; /* 0: not known yet */
  bool no_more_pads = false;

  SessionLoop loop;
  SignallerLink link;
  guint ticker = 0;
  /* Runs the tick at once on a network change (session thread). */
  std::unique_ptr<NetWatch> net_watch;
  /* Session thread only. */
  bool accepting = false;
  /* The signaller is a server ("accepts-sessions", a WHIP endpoint):
   * publishers come and go, a session's failure is that publisher's. */
  bool serving = false;
  /* The live session's data channels (across its connections), and the
   * next control request id. Declared before `conns`: its
   * connections let go of their channels as they close. */
  std::shared_ptr<DataChannels> data;
  gint64 next_control_id = 0;
  /* The session's connections (current = the live one). One set for the
   * element's life: sessions follow one another (publishers on a WHIP
   * endpoint) and connection numbers keep counting, so the outputs tell
   * every connection apart. Declared after the outputs: it closes its
   * connections (removing their chains) when destroyed. */
  ConnectionSet<ReceiveSession> conns{
      [this](std::unique_ptr<ReceiveSession> c) {
        close_connection(std::move(c));
      }};
  /* The live session's connection, if any. */
  ReceiveSession *session() const { return conns.current(); }

  bool signaller_wants_our_offer();
  ReceiveSession *find(const std::string &id, guint gen) {
    ReceiveSession *c = conns.find(gen);
    return c && c->id() == id ? c : nullptr;
  }

  /* ReceiveSession::Host */
  GstBin *bin() override { return GST_BIN(self); }
  void send_sdp(
      const std::string &id, const GstWebRTCSessionDescription *desc) override;
  void send_ice(const std::string &id, guint mline,
      const std::string &candidate) override;
  void with_connection(const std::string &id, guint gen,
      std::function<void(ReceiveSession &)> fn) override {
    loop.post([this, id, gen, fn]() {
      if (ReceiveSession *c = find(id, gen))
        fn(*c);
    });
  }
  void fail_connection(
      const std::string &id, guint gen, const std::string &reason) override {
    loop.post(
        [this, id, gen, reason]() { on_connection_failed(id, gen, reason); });
  }
  void on_stream_pad(guint gen, GstPad *pad) override;
  void set_expected_streams(guint n) override;
  /* gws-webrtc-src-renegotiate.cpp */
  void on_renegotiated(
      guint gen, guint added, const std::vector<guint> &removed) override;
  /* Removes @out (its chains, selector and pad: pad-removed), after EOS
   * on its pad (session thread). */
  void remove_output(Output *out);

  /* Session thread (gws-webrtc-src-sessions.cpp). */
  void start_session(const std::string &id, const std::string &peer);
  /* Ends session @id (closing its connections and their chains); @eos:
   * a client's outputs get EOS (a server's never do: the next publisher
   * continues on them). */
  void end_session(const std::string &id, const std::string &reason,
      bool tell_remote, bool eos = true);
  std::unique_ptr<ReceiveSession> make_connection(const std::string &id,
      const std::string &peer, guint gen, std::string *error);
  void close_connection(std::unique_ptr<ReceiveSession> conn);
  /* Session @id (the live one, or one that could not start) failed: an
   * element error when it was ours to have (a client's one session), a
   * warning and the client told why when we serve (see `serving`). */
  void session_failed(const std::string &id, const std::string &peer,
      const std::string &reason);
  void on_connection_failed(
      const std::string &id, guint gen, const std::string &reason);
  void on_description(const std::string &id, DescPtr desc);
  void on_candidate(
      const std::string &id, guint mline, const std::string &candidate);
  bool start_restart(const char *reason);
  /* The shared restart steps (gws-restart-steps.h) over the session
   * (there must be one). */
  RestartSteps<ReceiveSession> restart_steps();
  /* The live session's path is over (path_is_over) and the signaller
   * carries no restart: the session ends, as if the producer had ended it
   * (a client's EOS), with a warning; the producer is told if it can be
   * (session thread). */
  void end_if_gone(gint64 now, const RestartSettings &cfg);
  void on_output_flowing(guint gen);
  void tick();
  GstStructure *make_stats();

  /* Data channels and navigation (gws-webrtc-src-data.cpp). */
  void make_data(const std::string &id);
  void attach_data(ReceiveSession &c) {
    if (data && data->session_id() == c.id())
      data->attach(c.webrtcbin(), c.gen());
  }
  void on_data_message(const std::string &id, const DataChannels::Message &m);
  /* A navigation event reached output pad @pad from downstream (any
   * thread). */
  void forward_navigation(GstPad *pad, GstEvent *event);
  /* The mid of the m-line feeding output pad @pad now, or "" (session
   * thread). */
  std::string output_mid(GstPad *pad);
  /* The send-data-* action signals (any thread). */
  gboolean send_data(
      const gchar *session_id, const gchar *label, GBytes *bytes, bool text);

  /* Outputs (gws-webrtc-src-outputs.cpp). */
  /* EOS on every output (a client's session ended: nothing follows). */
  void send_eos();
  void remove_outputs();
  /* Removes connection @gen's chains (session thread). */
  void remove_chains(guint gen);
  /* Every output that connection @gen feeds has switched to it. */
  bool outputs_switched_to(guint gen);

  /* Any thread. */
  void start_signaller();
  void stop_signaller();
};

} // namespace gws
