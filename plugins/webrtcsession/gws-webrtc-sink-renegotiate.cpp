/* gst-webrtc-session: webrtcsink's inputs changing while sessions run
 * (session thread; see gws-webrtc-sink-private.h).
 *
 * Invariant: stream i of every connection of every session is the sink's
 * input i (priv->streams[i]). A new input is appended to priv->streams at
 * once (request pad) and to the connections once its caps are known (the
 * codecs to offer depend on them); a removed input is erased from every
 * connection and from priv->streams in one go on this thread. The offers
 * themselves go out from renegotiate_inputs(), run after each input's caps
 * and on every tick, so a connection busy negotiating (or a session in the
 * middle of a restart) is offered to once it is stable. */
#include "gws-webrtc-sink-private.h"

#include "gws-renegotiation.h"

#define GST_CAT_DEFAULT gws_webrtc_sink_debug

using namespace gws;

void
SinkPrivate::renegotiate_inputs() {
  if (sessions.empty())
    return;
  std::vector<std::shared_ptr<InputStream>> ins = inputs();
  /* Every tick: most of the time there is nothing to do. */
  bool work = false;
  for (auto &kv : sessions) {
    const ConsumerSession *c = kv.second.conns.current();
    work = work
           || (c
               && (c->n_streams() != ins.size() || c->needs_offer()
                   || c->renegotiating()));
  }
  if (!work)
    return;
  /* A second offer in a running session: a signaller without them
   * (WHIP/WHEP, offline) cannot carry it. Removed inputs then just stop;
   * added ones go to later sessions. */
  bool carries = signaller_carries_renegotiations();
  if (!carries)
    return;
  std::vector<std::string> ids;
  for (auto &kv : sessions)
    ids.push_back(kv.first);
  for (const auto &id : ids) {
    auto it = sessions.find(id);
    if (it == sessions.end())
      continue;
    SinkSession &s = it->second;
    ConsumerSession *c = s.conns.current();
    if (c && !s.conns.pending() && c->renegotiating()
        && g_get_monotonic_time() - c->renegotiating_since()
               > kRestartAttemptTimeoutUs) {
      /* A consumer that never answers (one that does not know the
       * extension may ignore the offer): a restart brings it the streams
       * on a new connection; failing that, the session ends. */
      GST_WARNING_OBJECT(self,
          "session %s: no answer to the renegotiation within 10 s", id.c_str());
      if (!start_restart(id, "renegotiation-timeout"))
        end_session(
            id, "the consumer did not answer the renegotiation", true, true);
      continue;
    }
    /* During a restart the new connection is made with today's inputs;
     * the old one goes away. Once it is promoted it is brought up to
     * date here. */
    if (!c || s.conns.pending() || !c->ready_to_offer())
      continue;
    for (size_t i = c->n_streams(); i < ins.size(); i++) {
      InputStream &in = *ins[i];
      std::string why;
      StreamOffer so{in.name, in.kind, {}};
      for (const CodecInfo *codec : stream_codecs(in, &why))
        so.codecs.emplace_back(codec, in.pts.at(codec));
      if (so.codecs.empty()) {
        /* No caps yet (then we come back), or nothing to encode to. */
        bool has_caps;
        {
          std::lock_guard<std::mutex> g(lock);
          has_caps = in.caps != nullptr;
        }
        if (has_caps && !in.refused)
          GST_ELEMENT_WARNING(self, STREAM, FORMAT,
              ("input %s cannot be sent: %s", in.name.c_str(), why.c_str()),
              (nullptr));
        in.refused = has_caps;
        break; /* streams are added in order */
      }
      c->add_stream(std::move(so));
    }
    if (c->needs_offer()) {
      post_restart_message(GST_ELEMENT(self), "gws-renegotiation-started", id,
          "streams", G_TYPE_UINT, static_cast<guint>(c->n_streams()), nullptr);
      c->renegotiate();
    }
  }
}

void
SinkPrivate::remove_input(const std::shared_ptr<InputStream> &s) {
  size_t index = 0;
  {
    std::lock_guard<std::mutex> g(lock);
    while (index < streams.size() && streams[index] != s)
      index++;
    if (index == streams.size())
      return;
  }
  for (auto &kv : sessions) {
    SinkSession &ss = kv.second;
    for (ConsumerSession *c :
        {ss.conns.current(), ss.conns.pending(), ss.conns.retiring()}) {
      if (c && index < c->n_streams())
        c->remove_stream(index);
    }
  }
  s->renditions.clear();
  s->branches.clear();
  {
    std::lock_guard<std::mutex> g(lock);
    streams.erase(streams.begin() + static_cast<std::ptrdiff_t>(index));
  }
  GST_INFO_OBJECT(self, "input %s removed; %zu session(s) renegotiate",
      s->name.c_str(), sessions.size());
  renegotiate_inputs();
}

bool
SinkPrivate::answers_renegotiation(
    SinkSession &s, const GstWebRTCSessionDescription &answer) {
  ConsumerSession *c = s.conns.current();
  return c && c->renegotiating()
         && description_matches_remote(c->webrtcbin(), &answer);
}
