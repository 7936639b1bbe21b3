/* gst-webrtc-session: webrtcsink's sessions: consumers joining and
 * leaving, session restarts, statistics, and the signaller's callbacks
 * (session thread; see gws-webrtc-sink-private.h). */
#include "gws-webrtc-sink-private.h"

#define GST_CAT_DEFAULT gws_webrtc_sink_debug

using namespace gws;

/* ---- sessions (session thread) ---- */

bool
SinkPrivate::streams_ready() {
  std::lock_guard<std::mutex> g(lock);
  if (streams.empty())
    return false;
  for (auto &s : streams) {
    if (!s->caps)
      return false;
  }
  return true;
}

std::vector<const CodecInfo *>
SinkPrivate::stream_codecs(InputStream &s, std::string *why) {
  GstCaps *caps = nullptr;
  std::vector<const CodecInfo *> wanted;
  std::vector<std::string> rejected;
  {
    std::lock_guard<std::mutex> g(lock);
    caps = s.caps ? gst_caps_ref(s.caps) : nullptr;
    wanted = codecs_from_value(
        s.kind == MediaKind::Video ? &video_codecs : &audio_codecs, s.kind,
        &rejected);
  }
  std::vector<const CodecInfo *> out;
  if (!caps)
    return out;
  const GstStructure *st = gst_caps_get_structure(caps, 0);
  bool raw = gst_structure_has_name(st, "video/x-raw")
             || gst_structure_has_name(st, "audio/x-raw");
  if (raw) {
    std::vector<const CodecInfo *> avail = default_encode_order(s.kind);
    if (wanted.empty()) {
      out = avail;
    } else {
      for (const CodecInfo *c : wanted) {
        if (std::find(avail.begin(), avail.end(), c) != avail.end())
          out.push_back(c);
      }
    }
    if (out.empty() && why)
      *why
          = "no encoder installed for "
            + (wanted.empty() ? std::string("any codec") : codec_names(wanted));
  } else {
    const CodecInfo *c = codec_for_encoded_caps(caps);
    if (c
        && (wanted.empty()
            || std::find(wanted.begin(), wanted.end(), c) != wanted.end()))
      out.push_back(c);
    else if (why)
      *why = std::string("the pre-encoded input is ")
             + (c ? c->name : "of an unknown codec") + ", which is not in "
             + (s.kind == MediaKind::Video ? "video-codecs" : "audio-codecs");
  }
  gst_caps_unref(caps);
  return out;
}

void
SinkPrivate::on_session_requested(
    const std::string &id, const std::string &peer, DescPtr offer) {
  if (!accepting) {
    GST_DEBUG_OBJECT(self, "not running: refusing session %s", id.c_str());
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session(sig, id.c_str());
      g_object_unref(sig);
    }
    return;
  }
  if (sessions.count(id))
    return;
  for (const auto &q : pending) {
    if (q.id == id)
      return;
  }
  PendingSession p{id, peer, std::move(offer)};
  if (!streams_ready()) {
    GST_INFO_OBJECT(self, "session %s from %s waits for caps on every input",
        id.c_str(), peer.c_str());
    pending.push_back(std::move(p));
    return;
  }
  create_session(p);
}

void
SinkPrivate::process_pending() {
  if (!accepting || pending.empty() || !streams_ready())
    return;
  std::vector<PendingSession> todo;
  todo.swap(pending);
  for (const auto &p : todo)
    create_session(p);
}

std::unique_ptr<ConsumerSession>
SinkPrivate::make_connection(const std::string &id, const std::string &peer,
    guint gen, const ConsumerSession *like, std::string *error) {
  std::vector<std::shared_ptr<InputStream>> streams_now = inputs();
  IceConfig ice_now;
  LossRecovery loss_now;
  {
    std::lock_guard<std::mutex> g(lock);
    ice_now = ice;
    loss_now = loss;
  }
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    ice_config_add_signaller_servers(ice_now, G_OBJECT(sig));
    g_object_unref(sig);
  }
  std::vector<StreamOffer> offers;
  for (size_t i = 0; i < streams_now.size(); i++) {
    InputStream &s = *streams_now[i];
    std::string why;
    StreamOffer so{s.name, s.kind, {}};
    /* A restart keeps each stream's codec: the shared encoder goes on and
     * the consumer's decoder sees the same stream. */
    const CodecInfo *keep = like ? like->stream_codec(i) : nullptr;
    for (const CodecInfo *c : stream_codecs(s, &why)) {
      if (!keep || c == keep)
        so.codecs.emplace_back(c, s.pts.at(c));
    }
    if (so.codecs.empty()) {
      *error = "cannot serve consumer " + peer + ": " + s.name
               + " has no codec to offer (" + why + ")";
      return nullptr;
    }
    offers.push_back(std::move(so));
  }
  auto conn = std::make_unique<ConsumerSession>(*this, id, peer, offers, gen);
  GError *err = nullptr;
  if (!conn->prepare(ice_now, loss_now, &err)) {
    *error = err->message;
    g_clear_error(&err);
    return nullptr;
  }
  std::lock_guard<std::mutex> g(lock);
  webrtcbins[conn->webrtcbin()] = {id, gen};
  return conn;
}

void
SinkPrivate::forget_connection(std::unique_ptr<ConsumerSession> conn) {
  if (!conn)
    return;
  auto it = sessions.find(conn->id());
  if (it != sessions.end() && it->second.data)
    it->second.data->detach(conn->gen());
  {
    std::lock_guard<std::mutex> g(lock);
    webrtcbins.erase(conn->webrtcbin());
  }
  conn.reset(); /* unlinks it from the shared branches, stops webrtcbin */
}

void
SinkPrivate::create_session(const PendingSession &p) {
  SinkSession session = new_session(p.peer);
  std::string error;
  auto conn = make_connection(
      p.id, p.peer, session.conns.next_gen(), nullptr, &error);
  if (conn) {
    make_data(session, p.id);
    attach_data(session, *conn);
  }
  if (!conn) {
    post_session_failed(GST_ELEMENT(self), p.id, p.peer, error);
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session_with_reason(sig, p.id.c_str(), error.c_str());
      g_object_unref(sig);
    }
    return;
  }
  session.conns.start(std::move(conn));
  auto [it, inserted] = sessions.emplace(p.id, std::move(session));
  if (!inserted) {
    GST_WARNING_OBJECT(
        self, "session %s requested twice: ignored", p.id.c_str());
    return;
  }
  SinkSession &s = it->second;
  GST_INFO_OBJECT(self, "new consumer %s (session %s)%s", p.peer.c_str(),
      p.id.c_str(), p.offer ? ", it offered" : "");
  /* webrtcbin carries a source (nicesrc): this bin is still a sink only. */
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
  /* Before negotiation, so a handler can still configure the webrtcbin
   * (session thread, no lock held). */
  GstElement *webrtc
      = GST_ELEMENT(gst_object_ref(s.conns.current()->webrtcbin()));
  g_signal_emit(self, gws_webrtc_sink_signals[SIGNAL_CONSUMER_ADDED], 0,
      p.peer.c_str(), p.id.c_str(), webrtc);
  gst_object_unref(webrtc);
  auto again = sessions.find(p.id);
  if (again == sessions.end() || !again->second.conns.current())
    return; /* ended meanwhile */
  if (p.offer)
    again->second.conns.current()->start_answer(p.offer.get());
  else
    again->second.conns.current()->start_offer();
}

void
SinkPrivate::end_session(const std::string &id, const std::string &reason,
    bool tell_remote, bool is_error) {
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    if (it->id == id) {
      pending.erase(it);
      return;
    }
  }
  auto it = sessions.find(id);
  if (it == sessions.end())
    return;
  SinkSession session = std::move(it->second);
  sessions.erase(it);
  std::string peer = session.peer;
  if (is_error) {
    /* One consumer's failure: never the pipeline's error. */
    post_session_failed(GST_ELEMENT(self), id, peer, reason);
  } else {
    GST_INFO_OBJECT(self, "session %s with %s ended: %s", id.c_str(),
        peer.c_str(), reason.c_str());
  }
  if (tell_remote) {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session_with_reason(sig, id.c_str(), reason.c_str());
      g_object_unref(sig);
    }
  }
  /* The channels let go before their connections close (the session is
   * no longer in `sessions`, so forget_connection cannot detach them). */
  session.data.reset();
  session.conns.close_all();
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
  g_signal_emit(self, gws_webrtc_sink_signals[SIGNAL_CONSUMER_REMOVED], 0,
      peer.c_str(), id.c_str(), reason.c_str());
}

/* ---- session restart (session thread) ---- */

RestartSteps<ConsumerSession>
SinkPrivate::restart_steps(SinkSession &s, const std::string &id) {
  RestartSteps<ConsumerSession>::Hooks h;
  h.what = "session";
  h.peer_kind = "consumer";
  h.peer = s.peer;
  h.make = [this, &s, id](std::string *error) {
    auto conn = make_connection(
        id, s.peer, s.conns.next_gen(), s.conns.current(), error);
    if (conn)
      attach_data(s, *conn);
    return conn;
  };
  h.offer = [](ConsumerSession &c) { c.start_offer(); };
  h.carries = [this]() { return signaller_carries_restarts(); };
  h.end = [this, id](const std::string &reason) {
    end_session(id, reason, true, true);
  };
  h.max_failures = restart_max_failures();
  return RestartSteps<ConsumerSession>(
      GST_ELEMENT(self), s.conns, id, std::move(h));
}

bool
SinkPrivate::start_restart(const std::string &id, const char *reason) {
  auto it = sessions.find(id);
  if (it == sessions.end())
    return false;
  return restart_steps(it->second, id).start(reason);
}

void
SinkPrivate::on_connection_failed(
    const std::string &id, guint gen, const std::string &reason) {
  auto it = sessions.find(id);
  if (it == sessions.end())
    return;
  bool auto_restart;
  {
    std::lock_guard<std::mutex> g(lock);
    auto_restart = restart.auto_restart;
  }
  restart_steps(it->second, id).connection_failed(gen, reason, auto_restart);
}

void
SinkPrivate::on_description(const std::string &id, DescPtr desc) {
  auto it = sessions.find(id);
  if (it == sessions.end())
    return;
  SinkSession &s = it->second;
  if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER) {
    if (answers_renegotiation(s, *desc)) /* gws-webrtc-sink-renegotiate.cpp */
      s.conns.current()->on_remote_description(desc.get());
    else if (s.conns.pending() && s.conns.pending()->awaiting_answer())
      s.conns.pending()->on_remote_description(desc.get());
    else if (s.conns.current())
      s.conns.current()->on_remote_description(desc.get());
    return;
  }
  if (desc->type != GST_WEBRTC_SDP_TYPE_OFFER || !s.conns.current())
    return;
  /* An offer inside a running session: the consumer restarts it. Ours,
   * if one crossed it, wins (the producer's offer does). */
  restart_steps(s, id).follow_offer(
      true, [&desc](ConsumerSession &c) { c.start_answer(desc.get()); });
}

void
SinkPrivate::on_candidate(
    const std::string &id, guint mline, const std::string &candidate) {
  auto it = sessions.find(id);
  if (it == sessions.end())
    return;
  /* After a restart offer or answer, candidates are the new connection's
   * (docs/protocol.md). */
  SinkSession &s = it->second;
  ConsumerSession *c
      = s.conns.pending() ? s.conns.pending() : s.conns.current();
  if (c)
    c->on_remote_candidate(mline, candidate);
}

void
SinkPrivate::tick() {
  RestartSettings cfg;
  {
    std::lock_guard<std::mutex> g(lock);
    cfg = restart;
  }
  gint64 now = g_get_monotonic_time();
  std::vector<std::pair<std::string, const char *>> to_restart;
  std::vector<std::string> ids;
  for (auto &kv : sessions)
    ids.push_back(kv.first);
  for (const auto &id : ids) {
    auto it = sessions.find(id);
    if (it == sessions.end())
      continue;
    SinkSession &s = it->second;
    s.conns.retire_due(now);
    if (ConsumerSession *p = s.conns.pending()) {
      /* Carries media: connected, and the consumer's RTCP arrives. The
       * consumer switches when it decodes the new connection's first
       * frame; until then the old path (if alive) still feeds it. */
      if (p->connected() && p->monitor().packets() > 0)
        restart_steps(s, id).switched(now, G_USEC_PER_SEC);
      else
        restart_steps(s, id).check_timeout(now);
      continue;
    }
    if (s.conns.current()
        && check_path(GST_ELEMENT(self),
            gws_webrtc_sink_signals[SIGNAL_PATH_LOST], id, s.conns.restart,
            s.conns.current()->monitor(), cfg, now, kSenderOsGraceMs))
      to_restart.emplace_back(id, "path-lost");
  }
  for (const auto &[id, reason] : to_restart)
    start_restart(id, reason);
  end_gone_sessions(now, cfg);
  renegotiate_inputs(); /* what waited for a connection to be stable */
}

void
SinkPrivate::end_gone_sessions(gint64 now, const RestartSettings &cfg) {
  std::vector<std::string> gone;
  for (auto &kv : sessions) {
    SinkSession &s = kv.second;
    if (!s.conns.pending() && s.conns.current()
        && path_is_over(
            s.conns.restart, s.conns.current()->monitor(), cfg, now))
      gone.push_back(kv.first);
  }
  if (gone.empty())
    return;
  bool carries = signaller_carries_restarts();
  if (carries)
    return; /* restarts go on until max-restart-failures */
  const std::string reason = "nothing received from the consumer for "
                             + std::to_string(kUncarriedPathEndMs / 1000)
                             + " s, and this signaller cannot carry a "
                               "restart: the consumer is gone";
  for (const auto &id : gone)
    end_session(id, reason, true, true);
}

/* Our say and the application's over a new branch of @stream_name in
 * @codec (the first, or a lower rendition): `video-encoders`, and the
 * encoder-setup / payloader-setup signals (emitted on the session thread,
 * no lock held). */
BranchSetup
SinkPrivate::branch_setup(
    const std::string &stream_name, const CodecInfo &codec) {
  BranchSetup setup;
  {
    std::lock_guard<std::mutex> g(lock);
    if (codec.kind == MediaKind::Video)
      setup.preferred_encoders = video_encoders;
  }
  /* The application's say (session thread, no lock held). */
  std::string stream = stream_name;
  const char *codec_name = codec.name;
  GwsWebRTCSink *sink = self;
  setup.encoder = [sink, stream, codec_name](GstElement *enc) {
    gboolean handled = FALSE;
    g_signal_emit(sink, gws_webrtc_sink_signals[SIGNAL_ENCODER_SETUP], 0, enc,
        stream.c_str(), codec_name, &handled);
    GST_DEBUG_OBJECT(sink, "encoder-setup %s/%s: %s", stream.c_str(),
        codec_name, handled ? "handled" : "not handled");
  };
  setup.payloader = [sink, stream, codec_name](GstElement *pay) {
    gboolean handled = FALSE;
    g_signal_emit(sink, gws_webrtc_sink_signals[SIGNAL_PAYLOADER_SETUP], 0, pay,
        stream.c_str(), codec_name, &handled);
  };
  return setup;
}

EncoderBranch *
SinkPrivate::branch_for(InputStream &s, const CodecInfo &codec) {
  auto it = s.branches.find(&codec);
  if (it != s.branches.end())
    return it->second.get();
  GstCaps *caps = nullptr;
  {
    std::lock_guard<std::mutex> g(lock);
    caps = s.caps ? gst_caps_ref(s.caps) : nullptr;
  }
  bool encoded = caps && codec_for_encoded_caps(caps) != nullptr;
  if (caps)
    gst_caps_unref(caps);
  GError *err = nullptr;
  BranchSetup setup = branch_setup(s.name, codec);
  auto branch = EncoderBranch::create(GST_BIN(self), s.tee, codec,
      s.pts.at(&codec), encoded, s.name, setup, &err);
  if (!branch) {
    GST_ELEMENT_WARNING(
        self, CORE, NEGOTIATION, ("%s", err->message), (nullptr));
    g_clear_error(&err);
    return nullptr;
  }
  return s.branches.emplace(&codec, std::move(branch)).first->second.get();
}

void
SinkPrivate::drop_branch_if_unused(InputStream &s, const CodecInfo &codec) {
  auto it = s.branches.find(&codec);
  if (it == s.branches.end() || it->second->outputs() > 0
      || s.holds.count(&codec))
    return;
  /* No viewer left for this codec: stop encoding it. */
  drop_renditions(s, codec);
  s.branches.erase(it);
}

guint
SinkPrivate::link_stream(size_t index, const CodecInfo &codec, GstPad *pad,
    const RtpRewrite &rw, const std::string &session_id, guint gen) {
  std::shared_ptr<InputStream> s = stream_at(index);
  if (!s)
    return 0;
  EncoderBranch *branch = branch_for(*s, codec);
  if (!branch)
    return 0;
  /* Unique per connection: a restart links a second one meanwhile. */
  guint out = branch->attach(pad, connection_name(session_id, gen), rw);
  if (out) {
    std::lock_guard<std::mutex> g(lock);
    webrtcbins[branch->output_queue(out)] = {session_id, gen};
  }
  /* New webrtcbins need the pipeline latency to time their RTCP. */
  latency.changed();
  /* Its rendition, once the caller has recorded the output (the
   * consumer's first key frame, at DTLS, comes from there). */
  if (out && codec.kind == MediaKind::Video)
    loop.post([this]() { apply_estimates(); });
  return out;
}

void
SinkPrivate::unlink_stream(size_t index, const CodecInfo &codec, guint output) {
  std::shared_ptr<InputStream> s = stream_at(index);
  if (!s)
    return;
  auto it = s->branches.find(&codec);
  if (it == s->branches.end())
    return;
  {
    std::lock_guard<std::mutex> g(lock);
    webrtcbins.erase(it->second->output_queue(output));
  }
  it->second->detach(output);
  drop_branch_if_unused(*s, codec);
}

/* A connection that offered @codec first starts its encoder while ICE and
 * DTLS run (the first viewer of a codec no longer waits for libvpx's
 * start-up after DTLS); a branch that exists already is just held. */
bool
SinkPrivate::hold_stream(size_t index, const CodecInfo &codec) {
  std::shared_ptr<InputStream> s = stream_at(index);
  if (!s || !branch_for(*s, codec))
    return false;
  s->holds[&codec]++;
  GST_DEBUG_OBJECT(self, "%s: %s branch held before the answer",
      s->name.c_str(), codec.name);
  return true;
}

void
SinkPrivate::release_stream(size_t index, const CodecInfo &codec) {
  std::shared_ptr<InputStream> s = stream_at(index);
  if (!s)
    return;
  auto it = s->holds.find(&codec);
  if (it == s->holds.end())
    return;
  if (--it->second == 0)
    s->holds.erase(it);
  drop_branch_if_unused(*s, codec);
}

void
SinkPrivate::teardown() {
  accepting = false;
  pending.clear();
  std::vector<std::string> ids;
  for (auto &kv : sessions)
    ids.push_back(kv.first);
  for (const auto &id : ids)
    end_session(id, "webrtcsink stopped", false, false);
  for (auto &s : inputs()) {
    s->holds.clear();
    s->branches.clear();
    s->renditions.clear();
  }
}

GstStructure *
SinkPrivate::make_stats() {
  GstStructure *st = gst_structure_new("webrtcsink-stats", "consumers",
      G_TYPE_UINT, static_cast<guint>(sessions.size()), nullptr);
  GValue branches = G_VALUE_INIT;
  gst_value_list_init(&branches, 0);
  guint encoders = 0;
  for (auto &s : inputs()) {
    for (auto &kv : s->branches) {
      const EncoderBranch &b = *kv.second;
      if (!b.encoder_factory().empty())
        encoders++;
      GValue v = G_VALUE_INIT;
      g_value_init(&v, GST_TYPE_STRUCTURE);
      GstStructure *bs = gst_structure_new("branch", "stream", G_TYPE_STRING,
          s->name.c_str(), "codec", G_TYPE_STRING, b.codec().name, "encoder",
          G_TYPE_STRING, b.encoder_factory().c_str(), "consumers", G_TYPE_UINT,
          b.outputs(), "keyframe-requests-forwarded", G_TYPE_UINT64,
          b.keyframes_forwarded(), "keyframe-requests-dropped", G_TYPE_UINT64,
          b.keyframes_dropped(), nullptr);
      congestion_branch_stats(b, bs);
      gst_value_set_structure(&v, bs);
      gst_structure_free(bs);
      gst_value_list_append_and_take_value(&branches, &v);
    }
  }
  congestion_rendition_stats(&branches, &encoders);
  gst_structure_set(st, "encoders", G_TYPE_UINT, encoders, nullptr);
  gst_structure_take_value(st, "branches", &branches);
  GValue sess = G_VALUE_INIT;
  gst_value_list_init(&sess, 0);
  gint64 now = g_get_monotonic_time();
  for (auto &kv : sessions) {
    const SinkSession &s = kv.second;
    if (!s.conns.current())
      continue;
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    GstStructure *ss = gst_structure_new("session", "id", G_TYPE_STRING,
        kv.first.c_str(), "peer-id", G_TYPE_STRING, s.peer.c_str(), "codecs",
        G_TYPE_STRING, s.conns.current()->describe().c_str(), "connection",
        G_TYPE_UINT, s.conns.current()->gen(), "restarts", G_TYPE_UINT,
        s.conns.restart.restarts, "path-state", G_TYPE_STRING,
        path_state_name(s.conns.restart.path), "last-packet-ms", G_TYPE_UINT64,
        s.conns.current()->monitor().silence_ms(now), "packets-received",
        G_TYPE_UINT64, s.conns.current()->monitor().packets(), nullptr);
    congestion_session_stats(*s.conns.current(), ss);
    gst_value_set_structure(&v, ss);
    gst_structure_free(ss);
    gst_value_list_append_and_take_value(&sess, &v);
  }
  gst_structure_take_value(st, "sessions", &sess);
  return st;
}

/* ---- signaller ---- */

void
SinkPrivate::start_signaller() {
  GwsSignaller *sig = ref_signaller();
  if (!sig)
    return;
  SignallerCallbacks cb;
  cb.session_requested = [this](
                             std::string id, std::string peer, DescPtr offer) {
    loop.post(
        [this, id, peer, offer]() { on_session_requested(id, peer, offer); });
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
          reason.empty() ? std::string("the consumer left") : reason, false,
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
  ticker = loop.every(kPathCheckIntervalMs, [this]() { tick(); });
  loop.run_sync([this]() {
    net_watch
        = std::make_unique<NetWatch>(loop.context(), [this]() { tick(); });
  });
  gws_signaller_start(sig);
  g_object_unref(sig);
}

void
SinkPrivate::stop_signaller() {
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
  /* No new consumer from here on; the running ones are torn down once the
   * bin's children are in READY (see change_state). */
  loop.cancel(ticker);
  ticker = 0;
  loop.run_sync([this]() { net_watch.reset(); });
  loop.run_sync([this]() {
    accepting = false;
    pending.clear();
  });
}
