/* gst-webrtc-session: webrtcsrc's session with its producer, its restarts,
 * and the signaller's callbacks (session thread; see
 * gws-webrtc-src-private.h). */
#include "gws-webrtc-src-private.h"

#define GST_CAT_DEFAULT gws_webrtc_src_debug

namespace gws {

bool
SrcPrivate::signaller_wants_our_offer() {
  /* Protocols where the consumer offers (WHEP) say so with a boolean
   * "consumer-offers" property on their signaller. */
  GwsSignaller *sig = ref_signaller();
  if (!sig)
    return false;
  gboolean offers = FALSE;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(sig), "consumer-offers"))
    g_object_get(sig, "consumer-offers", &offers, nullptr);
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
  guint latency_ms;
  {
    std::lock_guard<std::mutex> g(lock);
    video = codecs_from_value(&video_codecs, MediaKind::Video, &rejected);
    audio = codecs_from_value(&audio_codecs, MediaKind::Audio, &rejected);
    ice_now = ice;
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
  if (!conn->prepare(ice_now, latency_ms, &err)) {
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
  conn.reset(); /* stops and removes its webrtcbin */
  remove_chains(gen);
}

void
SrcPrivate::start_session(const std::string &id, const std::string &peer) {
  if (!accepting)
    return;
  if (session && session->id() == id)
    return;
  if (session)
    end_session(session->id(), "a new session replaces it", true);

  std::string error;
  session = make_connection(id, peer, 0, &error);
  if (!session) {
    GST_ELEMENT_ERROR(
        self, RESOURCE, SETTINGS, ("%s", error.c_str()), (nullptr));
    return;
  }
  next_gen = 1;
  restart_state = RestartTracker();
  /* webrtcbin carries a sink (nicesink): this bin is still a source only. */
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
  if (signaller_wants_our_offer())
    session->start_offer();
  GST_INFO_OBJECT(
      self, "session %s with producer %s", id.c_str(), peer.c_str());
}

void
SrcPrivate::end_session(
    const std::string &id, const std::string &reason, bool tell_remote) {
  if (!session || session->id() != id)
    return;
  GST_INFO_OBJECT(self, "session %s ended: %s", id.c_str(), reason.c_str());
  if (tell_remote) {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session(sig, id.c_str());
      g_object_unref(sig);
    }
  }
  close_connection(std::move(pending));
  close_connection(std::move(retiring));
  send_eos();
  session.reset();
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SINK);
}

/* ---- restart ---- */

bool
SrcPrivate::start_restart(const char *reason) {
  gint64 now = g_get_monotonic_time();
  if (!session || pending || !session->has_remote()
      || !restart_state.may_attempt(now)) {
    GST_DEBUG_OBJECT(self, "no restart now (%s)",
        pending ? "one is under way" : "rate limit or not negotiated");
    return false;
  }
  GwsSignaller *sig = ref_signaller();
  bool carries = signaller_carries_restarts(G_OBJECT(sig));
  if (sig)
    g_object_unref(sig);
  if (!carries) {
    GST_INFO_OBJECT(self, "the signaller cannot carry a restart");
    return false;
  }
  const std::string id = session->id();
  std::vector<MediaKind> kinds = session->kinds();
  std::string error;
  auto conn = make_connection(id, session->peer_id(), next_gen++, &error);
  guint attempt = restart_state.begin_attempt(now);
  GST_INFO_OBJECT(
      self, "session %s: restart attempt %u (%s)", id.c_str(), attempt, reason);
  post_restart_message(GST_ELEMENT(self), "gws-restart-started", id, "attempt",
      G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, reason, nullptr);
  if (!conn) {
    restart_failed(error, now);
    return false;
  }
  pending = std::move(conn);
  pending_ours = true;
  pending->start_offer(kinds);
  return true;
}

void
SrcPrivate::restart_failed(const std::string &why, gint64 now) {
  if (!session)
    return;
  guint attempt = restart_state.failures + 1;
  close_connection(std::move(pending));
  guint max_failures;
  {
    std::lock_guard<std::mutex> g(lock);
    max_failures = restart.max_failures;
  }
  bool give_up = restart_state.attempt_failed(now, max_failures);
  std::string id = session->id();
  GST_WARNING_OBJECT(self, "session %s: restart attempt %u failed: %s",
      id.c_str(), attempt, why.c_str());
  post_restart_message(GST_ELEMENT(self), "gws-restart-failed", id, "attempt",
      G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, why.c_str(), nullptr);
  if (give_up) {
    std::string reason = "gave up restarting the session with "
                         + session->peer_id() + " after "
                         + std::to_string(restart_state.failures)
                         + " failed attempts (last: " + why + ")";
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("%s", reason.c_str()), (nullptr));
    end_session(id, reason, true);
  }
}

void
SrcPrivate::on_connection_failed(
    const std::string &id, guint gen, const std::string &reason) {
  if (!session || session->id() != id)
    return;
  if (pending && pending->gen() == gen) {
    /* Whoever started it, a failed attempt counts towards giving up. */
    restart_failed(pending_ours ? reason : "the producer's restart: " + reason,
        g_get_monotonic_time());
    return;
  }
  if (retiring && retiring->gen() == gen) {
    close_connection(std::move(retiring));
    return;
  }
  if (session->gen() != gen)
    return;
  bool auto_restart;
  {
    std::lock_guard<std::mutex> g(lock);
    auto_restart = restart.auto_restart;
  }
  if (auto_restart && session->has_remote() && restart_state.failures == 0
      && start_restart("path-lost"))
    return;
  GST_ELEMENT_ERROR(self, STREAM, FAILED, ("%s", reason.c_str()), (nullptr));
  end_session(id, reason, true);
}

void
SrcPrivate::on_description(const std::string &id, DescPtr desc) {
  /* Tolerate a signaller that skips "session-started". */
  if (!session)
    start_session(id, "");
  if (!session || session->id() != id)
    return;
  if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER) {
    if (pending && pending->awaiting_answer())
      pending->on_remote_description(desc.get());
    else
      session->on_remote_description(desc.get());
    return;
  }
  if (desc->type != GST_WEBRTC_SDP_TYPE_OFFER || !session->has_remote()) {
    session->on_remote_description(desc.get());
    return;
  }
  /* An offer inside a running session: the producer restarts it. Its
   * offer wins over one of ours that crossed it. */
  bool replaces_ours = pending && pending_ours;
  if (pending)
    GST_INFO_OBJECT(self, "session %s: the producer's restart replaces %s",
        id.c_str(), replaces_ours ? "ours" : "its previous attempt");
  close_connection(std::move(pending));
  std::string error;
  auto conn = make_connection(id, session->peer_id(), next_gen++, &error);
  if (!conn) {
    GST_WARNING_OBJECT(self,
        "session %s: cannot follow the producer's "
        "restart: %s",
        id.c_str(), error.c_str());
    return;
  }
  gint64 now = g_get_monotonic_time();
  /* Replacing our own attempt continues it: no new attempt begins. */
  if (!replaces_ours) {
    guint attempt = restart_state.begin_attempt(now);
    post_restart_message(GST_ELEMENT(self), "gws-restart-started", id,
        "attempt", G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, "remote",
        nullptr);
  }
  GST_INFO_OBJECT(self, "session %s: the producer restarts it", id.c_str());
  pending = std::move(conn);
  pending_ours = false;
  pending->on_remote_description(desc.get());
}

void
SrcPrivate::on_candidate(
    const std::string &id, guint mline, const std::string &candidate) {
  if (!session || session->id() != id)
    return;
  /* After a restart offer or answer, candidates are the new connection's
   * (docs/protocol.md). */
  ReceiveSession *c = pending ? pending.get() : session.get();
  c->on_remote_candidate(mline, candidate);
}

void
SrcPrivate::on_output_flowing(guint gen) {
  gint64 now = g_get_monotonic_time();
  if (pending && pending->gen() == gen) {
    /* The new connection delivers: it is the session's connection now. */
    close_connection(std::move(retiring));
    retiring = std::move(session);
    session = std::move(pending);
    retire_at_us = now + 2 * G_USEC_PER_SEC;
    guint64 ms = restart_state.switched(now);
    GST_INFO_OBJECT(self,
        "session %s: restarted in %" G_GUINT64_FORMAT " ms (connection %u)",
        session->id().c_str(), ms, gen);
    post_restart_message(GST_ELEMENT(self), "gws-session-restarted",
        session->id(), "restarts", G_TYPE_UINT, restart_state.restarts,
        "switch-ms", G_TYPE_UINT64, ms, nullptr);
  }
  /* Every output on the new connection: the old one has no more use. */
  if (retiring && session && session->gen() == gen && outputs_switched_to(gen))
    close_connection(std::move(retiring));
}

void
SrcPrivate::tick() {
  if (!session)
    return;
  RestartSettings cfg;
  {
    std::lock_guard<std::mutex> g(lock);
    cfg = restart;
  }
  gint64 now = g_get_monotonic_time();
  if (retiring && now >= retire_at_us)
    close_connection(std::move(retiring));
  if (pending) {
    if (now - restart_state.started_us > kRestartAttemptTimeoutUs)
      restart_failed(std::string(pending_ours ? "" : "the producer's restart: ")
                         + "no media on the new connection within 10 s",
          now);
    return;
  }
  if (check_path(GST_ELEMENT(self), gws_webrtc_src_signals[SIGNAL_PATH_LOST],
          session->id(), restart_state, session->monitor(), cfg, now))
    start_restart("path-lost");
}

GstStructure *
SrcPrivate::make_stats() {
  GstStructure *st = gst_structure_new_empty("webrtcsrc-stats");
  guint n_outputs;
  {
    std::lock_guard<std::mutex> g(lock);
    n_outputs = outputs.size();
  }
  gst_structure_set(st, "streams", G_TYPE_UINT, n_outputs, nullptr);
  GValue sess = G_VALUE_INIT;
  gst_value_list_init(&sess, 0);
  if (session) {
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
  loop.run_sync([this]() { accepting = true; });
  ticker = loop.every(100, [this]() { tick(); });
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
  loop.run_sync([this]() {
    accepting = false;
    close_connection(std::move(pending));
    close_connection(std::move(retiring));
    session.reset();
    remove_outputs();
  });
}

} // namespace gws
