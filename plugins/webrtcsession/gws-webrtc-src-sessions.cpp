/* gst-webrtc-session: webrtcsrc's session with its producer, its restarts,
 * and the signaller's callbacks (session thread; see
 * gws-webrtc-src-private.h). */
#include "gws-webrtc-src-private.h"

#define GST_CAT_DEFAULT gws_webrtc_src_debug

namespace gws {

bool
SrcPrivate::signaller_wants_our_offer() {
  /* Protocols where the consumer offers (WHEP) say so with the interface's
   * "consumer-offers" capability. */
  GwsSignaller *sig = ref_signaller();
  if (!sig)
    return false;
  gboolean offers = gws_signaller_get_consumer_offers(sig);
  g_object_unref(sig);
  return offers;
}

void
SrcPrivate::send_sdp(
    const std::string &id, const GstWebRTCSessionDescription *desc) {
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    gws_signaller_send_sdp(sig, id.c_str(), desc);
    g_object_unref(sig);
  }
}

void
SrcPrivate::send_ice(
    const std::string &id, guint mline, const std::string &candidate) {
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    gws_signaller_add_ice(sig, id.c_str(),
        candidate.empty() ? nullptr : candidate.c_str(), mline, nullptr);
    g_object_unref(sig);
  }
}

std::unique_ptr<ReceiveSession>
SrcPrivate::make_connection(const std::string &id, const std::string &peer,
    guint gen, std::string *error) {
  std::vector<const CodecInfo *> video, audio;
  std::vector<std::string> rejected;
  IceConfig ice_now;
  LossRecovery loss_now;
  guint latency_ms;
  {
    std::lock_guard<std::mutex> g(lock);
    video = codecs_from_value(&video_codecs, MediaKind::Video, &rejected);
    audio = codecs_from_value(&audio_codecs, MediaKind::Audio, &rejected);
    ice_now = ice;
    loss_now = loss;
    latency_ms = latency;
  }
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    ice_config_add_signaller_servers(ice_now, G_OBJECT(sig));
    g_object_unref(sig);
  }
  auto receivable = [](std::vector<const CodecInfo *> &list, MediaKind k) {
    if (list.empty()) {
      list = default_receive_order(k);
      return;
    }
    std::vector<const CodecInfo *> out;
    for (const CodecInfo *c : list) {
      if (codec_can_receive(*c))
        out.push_back(c);
    }
    list = out;
  };
  receivable(video, MediaKind::Video);
  receivable(audio, MediaKind::Audio);

  auto conn
      = std::make_unique<ReceiveSession>(*this, id, peer, video, audio, gen);
  GError *err = nullptr;
  if (!conn->prepare(ice_now, loss_now, latency_ms, &err)) {
    *error = err->message;
    g_clear_error(&err);
    return nullptr;
  }
  return conn;
}

void
SrcPrivate::close_connection(std::unique_ptr<ReceiveSession> conn) {
  if (!conn)
    return;
  guint gen = conn->gen();
  if (data && data->session_id() == conn->id())
    data->detach(gen);
  conn.reset(); /* stops and removes its webrtcbin */
  remove_chains(gen);
}

void
SrcPrivate::start_session(const std::string &id, const std::string &peer) {
  if (!accepting)
    return;
  if (session() && session()->id() == id)
    return;
  /* A new session right behind the old one: its streams continue on the
   * same pads, so no EOS in between. */
  if (session())
    end_session(session()->id(), "a new session replaces it", true, false);

  std::string error;
  auto first = make_connection(id, peer, conns.next_gen(), &error);
  if (!first) {
    session_failed(id, peer, error);
    return;
  }
  make_data(id);
  attach_data(*first);
  conns.start(std::move(first));
  /* webrtcbin carries a sink (nicesink): this bin is still a source only. */
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
  if (signaller_wants_our_offer())
    session()->start_offer();
  GST_INFO_OBJECT(
      self, "session %s with producer %s", id.c_str(), peer.c_str());
}

void
SrcPrivate::end_session(const std::string &id, const std::string &reason,
    bool tell_remote, bool eos) {
  if (!session() || session()->id() != id)
    return;
  GST_INFO_OBJECT(self, "session %s ended: %s", id.c_str(), reason.c_str());
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &o : outputs)
      o->meter->reset_interval();
  }
  if (tell_remote) {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session_with_reason(sig, id.c_str(), reason.c_str());
      g_object_unref(sig);
    }
  }
  /* A client's one session ended: EOS, so a recording is closed. A
   * server's outputs wait for the next client instead: no EOS, no
   * buffers until its media arrives, on the same pads. */
  bool drain = eos && !serving;
  conns.close_pending();
  conns.close_retiring();
  if (drain) {
    /* The EOS crosses each decoder's queue on its own thread: the chains
     * stay (until the element stops) so it reaches the pads. */
    send_eos();
    conns.take_current().reset();
  } else {
    /* Closing removes each connection's chains: nothing of the session
     * stays in the bin. */
    conns.close_current();
  }
  data.reset();
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SINK);
}

void
SrcPrivate::session_failed(
    const std::string &id, const std::string &peer, const std::string &reason) {
  if (!serving) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("%s", reason.c_str()), (nullptr));
  } else {
    post_session_failed(GST_ELEMENT(self), id, peer, reason);
  }
  if (session() && session()->id() == id) {
    end_session(id, reason, true);
    return;
  }
  /* It never started: only the remote side has to know. */
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    gws_signaller_end_session_with_reason(sig, id.c_str(), reason.c_str());
    g_object_unref(sig);
  }
}

/* ---- restart ---- */

RestartSteps<ReceiveSession>
SrcPrivate::restart_steps() {
  ReceiveSession *live = session();
  const std::string id = live->id();
  const std::string peer = live->peer_id();
  guint max_failures;
  {
    std::lock_guard<std::mutex> g(lock);
    max_failures = restart.max_failures;
  }
  RestartSteps<ReceiveSession>::Hooks h;
  h.what = "session";
  h.peer_kind = "producer";
  h.peer = peer;
  h.make = [this, id, peer](std::string *error) {
    auto conn = make_connection(id, peer, conns.next_gen(), error);
    if (conn)
      attach_data(*conn);
    return conn;
  };
  std::vector<MediaKind> kinds = live->kinds();
  h.offer = [kinds](ReceiveSession &c) { c.start_offer(kinds); };
  h.carries = [this]() { return signaller_carries_restarts(); };
  h.end = [this, id, peer](
              const std::string &reason) { session_failed(id, peer, reason); };
  h.max_failures = max_failures;
  return RestartSteps<ReceiveSession>(
      GST_ELEMENT(self), conns, id, std::move(h));
}

bool
SrcPrivate::start_restart(const char *reason) {
  if (!session())
    return false;
  return restart_steps().start(reason);
}

void
SrcPrivate::on_connection_failed(
    const std::string &id, guint gen, const std::string &reason) {
  if (!session() || session()->id() != id)
    return;
  bool auto_restart;
  {
    std::lock_guard<std::mutex> g(lock);
    auto_restart = restart.auto_restart;
  }
  restart_steps().connection_failed(gen, reason, auto_restart);
}

void
SrcPrivate::on_description(const std::string &id, DescPtr desc) {
  /* Tolerate a signaller that skips "session-started". */
  if (!session())
    start_session(id, "");
  ReceiveSession *live = session();
  if (!live || live->id() != id)
    return;
  if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER) {
    if (conns.pending() && conns.pending()->awaiting_answer())
      conns.pending()->on_remote_description(desc.get());
    else
      live->on_remote_description(desc.get());
    return;
  }
  if (desc->type != GST_WEBRTC_SDP_TYPE_OFFER || !live->has_remote()) {
    live->on_remote_description(desc.get());
    return;
  }
  /* The same connection's offer again: the producer renegotiates
   * (streams added or removed; gws-receive-renegotiation.cpp). */
  if (live->is_renegotiation(desc.get())) {
    live->on_remote_description(desc.get());
    return;
  }
  /* An offer inside a running session: the producer restarts it. Its
   * offer wins over one of ours that crossed it. */
  restart_steps().follow_offer(false,
      [&desc](ReceiveSession &c) { c.on_remote_description(desc.get()); });
}

void
SrcPrivate::on_candidate(
    const std::string &id, guint mline, const std::string &candidate) {
  if (!session() || session()->id() != id)
    return;
  /* After a restart offer or answer, candidates are the new connection's
   * (docs/protocol.md). */
  ReceiveSession *c = conns.pending() ? conns.pending() : session();
  c->on_remote_candidate(mline, candidate);
}

void
SrcPrivate::on_output_flowing(guint gen) {
  gint64 now = g_get_monotonic_time();
  /* The new connection delivers: it is the session's connection now. */
  if (conns.is_pending(gen))
    restart_steps().switched(now, 2 * G_USEC_PER_SEC);
  /* Every output on the new connection: the old one has no more use. */
  if (conns.retiring() && conns.is_current(gen) && outputs_switched_to(gen))
    conns.close_retiring();
}

void
SrcPrivate::tick() {
  if (!session())
    return;
  RestartSettings cfg;
  {
    std::lock_guard<std::mutex> g(lock);
    cfg = restart;
  }
  gint64 now = g_get_monotonic_time();
  conns.retire_due(now);
  if (conns.pending()) {
    restart_steps().check_timeout(now);
    return;
  }
  if (check_path(GST_ELEMENT(self), gws_webrtc_src_signals[SIGNAL_PATH_LOST],
          session()->id(), conns.restart, session()->monitor(), cfg, now)
      && start_restart("path-lost"))
    return;
  end_if_gone(now, cfg);
}

void
SrcPrivate::end_if_gone(gint64 now, const RestartSettings &cfg) {
  if (!path_is_over(conns.restart, session()->monitor(), cfg, now))
    return;
  bool carries = signaller_carries_restarts();
  if (carries)
    return; /* restarts go on until max-restart-failures */
  const std::string id = session()->id();
  const std::string peer = session()->peer_id();
  const std::string reason = "nothing received from the producer for "
                             + std::to_string(kUncarriedPathEndMs / 1000)
                             + " s, and this signaller cannot carry a "
                               "restart: the producer is gone";
  if (!serving)
    GST_ELEMENT_WARNING(
        self, STREAM, FAILED, ("%s", reason.c_str()), (nullptr));
  else
    post_session_failed(GST_ELEMENT(self), id, peer, reason);
  end_session(id, reason, true, true);
}

GstStructure *
SrcPrivate::make_stats() {
  GstStructure *st = gst_structure_new_empty("webrtcsrc-stats");
  guint n_outputs;
  FreezeMeter::Figures video;
  {
    std::lock_guard<std::mutex> g(lock);
    n_outputs = outputs.size();
    for (auto &o : outputs) {
      if (o->kind != MediaKind::Video)
        continue;
      FreezeMeter::Figures f = o->meter->figures();
      video.frames += f.frames;
      video.freezes += f.freezes;
      video.freeze_ms += f.freeze_ms;
      video.longest_ms = MAX(video.longest_ms, f.longest_ms);
    }
  }
  /* Counted at the video pads, over every session so far. */
  gst_structure_set(st, "streams", G_TYPE_UINT, n_outputs, "frames",
      G_TYPE_UINT64, video.frames, "freezes", G_TYPE_UINT64, video.freezes,
      "freeze-duration-ms", G_TYPE_UINT64, video.freeze_ms, "longest-freeze-ms",
      G_TYPE_UINT64, video.longest_ms, nullptr);
  GValue sess = G_VALUE_INIT;
  gst_value_list_init(&sess, 0);
  if (ReceiveSession *session = conns.current()) {
    const RestartTracker &restart_state = conns.restart;
    gint64 now = g_get_monotonic_time();
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    GstStructure *ss = gst_structure_new("session", "id", G_TYPE_STRING,
        session->id().c_str(), "peer-id", G_TYPE_STRING,
        session->peer_id().c_str(), "connection", G_TYPE_UINT, session->gen(),
        "restarts", G_TYPE_UINT, restart_state.restarts, "path-state",
        G_TYPE_STRING, path_state_name(restart_state.path), "last-packet-ms",
        G_TYPE_UINT64, session->monitor().silence_ms(now), "packets-received",
        G_TYPE_UINT64, session->monitor().packets(), nullptr);
    gst_value_set_structure(&v, ss);
    gst_structure_free(ss);
    gst_value_list_append_and_take_value(&sess, &v);
  }
  gst_structure_take_value(st, "sessions", &sess);
  return st;
}

/* ---- signaller ---- */

void
SrcPrivate::start_signaller() {
  GwsSignaller *sig = ref_signaller();
  if (!sig)
    return;
  SignallerCallbacks cb;
  cb.session_started = [this](std::string id, std::string peer) {
    loop.post([this, id, peer]() { start_session(id, peer); });
  };
  cb.session_description = [this](std::string id, DescPtr desc) {
    loop.post([this, id, desc]() { on_description(id, desc); });
  };
  cb.handle_ice = [this](std::string id, guint mline, std::string cand) {
    loop.post([this, id, mline, cand]() { on_candidate(id, mline, cand); });
  };
  cb.session_ended = [this](std::string id, std::string reason) {
    loop.post([this, id, reason]() {
      end_session(id,
          reason.empty() ? std::string("the producer ended it") : reason,
          false);
    });
  };
  report_signaller_state(cb, GST_ELEMENT(self));
  watch_mdns_candidates(cb, GST_ELEMENT(self));
  gint wait_s;
  {
    std::lock_guard<std::mutex> g(lock);
    wait_s = wait_timeout_s;
  }
  auto wait = StartWait::attach(cb, GST_ELEMENT(self), loop, sig, wait_s);
  loop.run_sync([this, wait]() { start_wait = wait; });
  link.connect(sig, std::move(cb));
  bool serves = sig && gws_signaller_get_accepts_sessions(sig);
  loop.run_sync([this, serves]() {
    accepting = true;
    serving = serves;
  });
  ticker = loop.every(kPathCheckIntervalMs, [this]() { tick(); });
  loop.run_sync([this]() {
    net_watch
        = std::make_unique<NetWatch>(loop.context(), [this]() { tick(); });
  });
  gws_signaller_start(sig);
  g_object_unref(sig);
}

void
SrcPrivate::stop_signaller() {
  /* First, so that no restart of the start-order policy races the stop. */
  loop.run_sync([this]() {
    if (start_wait)
      start_wait->cancel();
    start_wait.reset();
  });
  GwsSignaller *sig = ref_signaller();
  link.disconnect();
  if (sig) {
    gws_signaller_stop(sig);
    g_object_unref(sig);
  }
  loop.cancel(ticker);
  ticker = 0;
  loop.run_sync([this]() { net_watch.reset(); });
  loop.run_sync([this]() {
    accepting = false;
    conns.close_all();
    data.reset();
    remove_outputs();
  });
}

} // namespace gws
