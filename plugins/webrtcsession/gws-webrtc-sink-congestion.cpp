/* gst-webrtc-session: webrtcsink's congestion control: each consumer's
 * estimate (gws-consumer-bandwidth.h) drives the shared encoders it uses.
 *
 * Until renditions exist, a shared encoder runs at the lowest estimate
 * among the consumers it feeds (with one consumer: that consumer's
 * estimate), times kVideoShare to leave room for RTP/RTX overhead and
 * audio, within [min-bitrate, max-bitrate]. Pre-encoded input is never
 * re-encoded: each estimate is posted as an element message
 * "gws-bandwidth-estimate" so the application can act on it.
 *
 * Threading: make_bandwidth's callback runs on webrtcbin's RTCP thread and
 * only posts to the session thread; everything else here runs on the
 * session thread. */
#include "gws-encoder-settings.h"
#include "gws-renditions.h"
#include "gws-webrtc-sink-private.h"

#include <gio/gio.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#define GST_CAT_DEFAULT gws_webrtc_sink_debug

namespace gws {

namespace {

/* Of a consumer's estimate, what its video encoder may use. */
constexpr double kVideoShare = 0.85;
/* Smaller changes are not worth an encoder reconfiguration. */
constexpr double kMinChange = 0.03;

bool
is_loopback_address(const std::string &ip) {
  GInetAddress *a = g_inet_address_new_from_string(ip.c_str());
  if (!a)
    return false;
  bool loopback = g_inet_address_get_is_loopback(a);
  g_object_unref(a);
  return loopback;
}

/* The round-trip time rtpsession measured from receiver reports (RFC 3550
 * LSR/DLSR), in microseconds; 0 when not known yet. */
int64_t
read_rtt_us(GstElement *webrtcbin) {
  if (!webrtcbin)
    return 0;
  g_autoptr(GstElement) rtpbin
      = gst_bin_get_by_name(GST_BIN(webrtcbin), "rtpbin");
  if (!rtpbin)
    return 0;
  GObject *session = nullptr;
  g_signal_emit_by_name(rtpbin, "get-internal-session", 0u, &session);
  if (!session)
    return 0;
  GstStructure *stats = nullptr;
  g_object_get(session, "stats", &stats, nullptr);
  g_object_unref(session);
  if (!stats)
    return 0;
  int64_t rtt = 0;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  const GValue *arr = gst_structure_get_value(stats, "source-stats");
  if (arr && G_VALUE_HOLDS(arr, g_value_array_get_type())) {
    GValueArray *sources = static_cast<GValueArray *>(g_value_get_boxed(arr));
    for (guint i = 0; sources && i < sources->n_values; i++) {
      const GstStructure *s
          = gst_value_get_structure(g_value_array_get_nth(sources, i));
      gboolean have_rb = FALSE;
      guint rt = 0;
      if (gst_structure_get_boolean(s, "have-rb", &have_rb) && have_rb
          && gst_structure_get_uint(s, "rb-round-trip", &rt) && rt > 0)
        rtt = std::max<int64_t>(rtt, int64_t{rt} * 1'000'000 / 65536);
    }
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  gst_structure_free(stats);
  return rtt;
}

} // namespace

std::shared_ptr<ConsumerBandwidth>
SinkPrivate::make_bandwidth(const std::string &id, guint gen) {
  BandwidthEstimator::Config config;
  {
    std::lock_guard<std::mutex> g(lock);
    if (!congestion.enabled())
      return nullptr;
    config = congestion.estimator_config();
  }
  return ConsumerBandwidth::create(config, [this, id, gen]() {
    with_connection(id, gen, [this](ConsumerSession &c) { on_estimate(c); });
  });
}

void
SinkPrivate::on_estimate(ConsumerSession &conn) {
  ConsumerBandwidth *bw = conn.bandwidth();
  if (!bw)
    return;
  if (int64_t rtt = read_rtt_us(conn.webrtcbin()))
    bw->set_rtt(rtt);
  if (!bw->path_judged()) {
    /* Known once ICE selected a pair: 127.0.0.1 or ::1 is no link. At 96
     * loopback consumers a starved consumer process delayed every
     * consumer's packets together and the delay detector read it as
     * congestion: all estimates to the floor and a second encoder. */
    std::string local = conn.monitor().local_address();
    if (!local.empty()) {
      bool loopback = is_loopback_address(local);
      bw->judge_path(loopback);
      GST_INFO_OBJECT(self, "session %s: %s path (%s)%s", conn.id().c_str(),
          loopback ? "loopback" : "network", local.c_str(),
          loopback ? ": delay trend does not change the rate" : "");
    }
  }
  ConsumerBandwidth::Snapshot snap = bw->snapshot();
  if (conn.pacer())
    conn.pacer()->set_estimate(snap.estimate_bps);
  conn.keyframes()->set_rtt(snap.rtt_us);
  if (snap.has_feedback)
    conn.keyframes()->set_estimate(snap.estimate_bps);
  GST_DEBUG_OBJECT(self,
      "session %s: estimate %" G_GINT64_FORMAT
      " bit/s, received %" G_GINT64_FORMAT ", loss %.3f, rtt %" G_GINT64_FORMAT
      " us",
      conn.id().c_str(), snap.estimate_bps, snap.acked_bps, snap.loss,
      snap.rtt_us);
  apply_estimates();
  gst_element_post_message(GST_ELEMENT(self),
      gst_message_new_element(GST_OBJECT(self),
          gst_structure_new("gws-bandwidth-estimate", "session-id",
              G_TYPE_STRING, conn.id().c_str(), "estimate-bps", G_TYPE_UINT64,
              static_cast<guint64>(snap.estimate_bps), "received-bps",
              G_TYPE_UINT64, static_cast<guint64>(snap.acked_bps),
              "loss-fraction", G_TYPE_DOUBLE, snap.loss, nullptr)));
}

namespace {

/* One consumer output of a top branch with its estimate. */
struct Viewer {
  guint output;
  int64_t estimate;
  /* Its connection is up: a move asks for a key frame now (before, the
   * key frame asked for when DTLS is up comes from the new rendition). */
  bool connected;
};

void
set_rate(GstElement *self, EncoderBranch &b, int64_t estimate,
    const CongestionSettings &cfg) {
  const char *factory = b.encoder_factory().c_str();
  if (!b.encoder() || !encoder_bitrate_runtime(factory))
    return;
  int64_t bps
      = std::clamp<int64_t>(static_cast<int64_t>(estimate * kVideoShare),
          cfg.min_bps, std::max(cfg.max_bps, cfg.min_bps));
  /* The picture first: a smaller one starts with a key frame anyway. */
  if (b.picture())
    b.picture()->update(bps);
  int64_t now = encoder_get_bitrate(b.encoder());
  if (now > 0 && std::llabs(bps - now) < kMinChange * now)
    return;
  encoder_set_bitrate(b.encoder(), static_cast<guint>(bps), TRUE);
  GST_INFO_OBJECT(self,
      "%s encoder %s: %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT " bit/s",
      b.codec().name, factory, now, bps);
}

} // namespace

void
SinkPrivate::request_keyframe(
    size_t index, const CodecInfo &codec, guint output) {
  std::shared_ptr<InputStream> s = stream_at(index);
  if (!s)
    return;
  auto it = s->branches.find(&codec);
  if (it == s->branches.end())
    return;
  EncoderBranch *top = it->second.get();
  /* The rendition it is moving to: the move waits for that one's key
   * frame, which also repairs the consumer. */
  int r = output ? top->output_pending_rendition(output) : -1;
  if (r < 0)
    r = output ? std::max(top->output_rendition(output), 0) : 0;
  auto lit = s->renditions.find(&codec);
  if (r > 0 && lit != s->renditions.end()
      && static_cast<size_t>(r) <= lit->second.size())
    lit->second[r - 1]->request_keyframe();
  else
    top->request_keyframe();
}

void
SinkPrivate::drop_renditions(InputStream &s, const CodecInfo &codec) {
  auto lit = s.renditions.find(&codec);
  if (lit == s.renditions.end())
    return;
  auto bit = s.branches.find(&codec);
  for (auto &lower : lit->second) {
    if (bit != s.branches.end())
      bit->second->remove_source(*lower);
  }
  s.renditions.erase(lit);
}

bool
SinkPrivate::rendition_failed(GstObject *src) {
  /* The bin's child the message comes from: a branch's elements are
   * children of the bin named "<stream>-r<k>-..." for rendition k. */
  GstObject *child = src;
  while (child && GST_OBJECT_PARENT(child)
         && GST_OBJECT_PARENT(child) != GST_OBJECT(self))
    child = GST_OBJECT_PARENT(child);
  if (!child || GST_OBJECT_PARENT(child) != GST_OBJECT(self))
    return false;
  g_autofree gchar *name = gst_object_get_name(child);
  for (auto &in : inputs()) {
    std::string prefix = in->name + "-r";
    if (!g_str_has_prefix(name, prefix.c_str()))
      continue;
    const char *rest = name + prefix.size();
    if (!g_ascii_isdigit(*rest))
      continue;
    if (!in->rendition_failed.exchange(true)) {
      /* Its viewers move back to the top rendition on its next key
       * frame; the failed rungs go once nobody is on them. */
      loop.post([this]() { apply_estimates(); });
    }
    return true;
  }
  return false;
}

void
SinkPrivate::apply_estimates() {
  CongestionSettings cfg;
  {
    std::lock_guard<std::mutex> g(lock);
    cfg = congestion;
  }
  /* Who watches what: per (stream, top branch), the outputs with an
   * estimate. */
  std::map<std::pair<size_t, EncoderBranch *>, std::vector<Viewer>> viewers;
  for (auto &kv : sessions) {
    ConsumerSession *c = kv.second.conns.current();
    if (!c || !c->bandwidth())
      continue;
    /* A consumer without feedback yet counts at its start estimate: it
     * starts on the rendition that suits start-bitrate (its first key
     * frame comes from there), not on the top one, which on a slow or
     * shared path flooded it before its first feedback. One that did not
     * negotiate TWCC never gets feedback: left out, as before. */
    ConsumerBandwidth::Snapshot snap = c->bandwidth()->snapshot();
    for (size_t i = 0; i < c->n_streams(); i++) {
      const CodecInfo *codec = c->stream_codec(i);
      std::shared_ptr<InputStream> in = stream_at(i);
      if (!codec || codec->kind != MediaKind::Video || !in
          || !c->stream_output(i))
        continue;
      if (!snap.has_feedback && !c->stream_twcc_id(i))
        continue;
      auto it = in->branches.find(codec);
      if (it == in->branches.end())
        continue;
      viewers[{i, it->second.get()}].push_back(
          {c->stream_output(i), snap.estimate_bps, c->connected()});
    }
  }
  for (auto &[key, list] : viewers) {
    auto [index, top] = key;
    std::shared_ptr<InputStream> in = stream_at(index);
    const CodecInfo &codec = top->codec();
    if (!in || !top->encoder()
        || !encoder_bitrate_runtime(top->encoder_factory().c_str()))
      continue; /* pre-encoded or fixed-rate: reported only */
    std::vector<int64_t> estimates;
    for (const Viewer &v : list)
      estimates.push_back(v.estimate);
    std::vector<int64_t> rates;
    std::vector<int> plan = plan_renditions(
        estimates, in->rendition_failed ? 1u : cfg.max_renditions, &rates);
    auto &ladder = in->renditions[&codec];
    /* Grow the ladder: each new rendition feeds every output (gated). */
    while (ladder.size() + 1 < rates.size()) {
      GError *err = nullptr;
      std::string name = in->name + "-r" + std::to_string(ladder.size() + 1);
      auto b = EncoderBranch::create(GST_BIN(self), in->tee, codec,
          in->pts.at(&codec), false, name, branch_setup(in->name, codec), &err);
      if (!b) {
        GST_WARNING_OBJECT(self, "no lower rendition: %s", err->message);
        g_clear_error(&err);
        break;
      }
      GST_INFO_OBJECT(self, "%s: rendition %zu started", in->name.c_str(),
          ladder.size() + 1);
      ladder.push_back(std::move(b));
    }
    /* Shrink it from the bottom once nobody is on (or moving to) it. */
    while (ladder.size() + 1 > rates.size()) {
      int k = static_cast<int>(ladder.size());
      bool used = false;
      for (const Viewer &v : list) {
        used |= top->output_rendition(v.output) == k
                || top->output_pending_rendition(v.output) == k;
      }
      if (used)
        break;
      top->remove_source(*ladder.back());
      ladder.pop_back();
      GST_INFO_OBJECT(self, "%s: rendition %d stopped", in->name.c_str(), k);
    }
    for (size_t k = 0; k < ladder.size(); k++) {
      for (const Viewer &v : list) {
        if (!top->has_source(v.output, *ladder[k]))
          top->add_source(v.output, *ladder[k], static_cast<int>(k + 1));
      }
    }
    /* Rates: each rendition at the lowest estimate of its consumers. */
    set_rate(GST_ELEMENT(self), *top, rates[0], cfg);
    for (size_t k = 0; k < ladder.size() && k + 1 < rates.size(); k++)
      set_rate(GST_ELEMENT(self), *ladder[k], rates[k + 1], cfg);
    /* Moves: on the target's next key frame, asked for now. */
    for (size_t j = 0; j < list.size(); j++) {
      int want = std::min<int>(plan[j], static_cast<int>(ladder.size()));
      if (top->output_rendition(list[j].output) == want) {
        if (top->output_pending_rendition(list[j].output) != -1)
          top->switch_output(list[j].output, want); /* a stale move */
        continue;
      }
      /* Already moving there: its key frame was asked for when the move
       * began. Asking again on every feedback report (several a second)
       * kept the encoders making key frames, whose bursts looked like
       * congestion to the estimator: the estimates fell to the minimum. */
      if (top->output_pending_rendition(list[j].output) == want)
        continue;
      top->switch_output(list[j].output, want);
      if (!list[j].connected)
        continue;
      if (want == 0)
        top->request_keyframe();
      else
        ladder[want - 1]->request_keyframe();
    }
  }
}

void
SinkPrivate::congestion_rendition_stats(GValue *branches, guint *encoders) {
  for (auto &s : inputs()) {
    for (auto &[codec, ladder] : s->renditions) {
      for (size_t k = 0; k < ladder.size(); k++) {
        const EncoderBranch &b = *ladder[k];
        (*encoders)++;
        GValue v = G_VALUE_INIT;
        g_value_init(&v, GST_TYPE_STRUCTURE);
        GstStructure *bs = gst_structure_new("branch", "stream", G_TYPE_STRING,
            s->name.c_str(), "codec", G_TYPE_STRING, codec->name, "encoder",
            G_TYPE_STRING, b.encoder_factory().c_str(), "rendition",
            G_TYPE_UINT, static_cast<guint>(k + 1), "consumers", G_TYPE_UINT,
            rendition_viewers(*s, *codec, static_cast<int>(k + 1)), nullptr);
        congestion_branch_stats(b, bs);
        gst_value_set_structure(&v, bs);
        gst_structure_free(bs);
        gst_value_list_append_and_take_value(branches, &v);
      }
    }
  }
}

void
SinkPrivate::congestion_session_stats(
    const ConsumerSession &conn, GstStructure *s) {
  if (const KeyframeRequests *kf = conn.keyframes()) {
    KeyframeRequests::Stats k = kf->stats();
    gst_structure_set(s, "keyframe-requests-received", G_TYPE_UINT64,
        k.received, "keyframe-requests-sent", G_TYPE_UINT64, k.forwarded,
        "keyframe-requests-absorbed", G_TYPE_UINT64, k.absorbed,
        "keyframes-sent", G_TYPE_UINT64, k.keyframes, nullptr);
  }
  gst_structure_set(s, "packets-lost-before-send", G_TYPE_UINT64,
      conn.packets_lost_before_send(), nullptr);
  const ConsumerBandwidth *bw = conn.bandwidth();
  if (!bw)
    return;
  ConsumerBandwidth::Snapshot snap = bw->snapshot();
  guint64 target = 0;
  gint rendition = -1;
  guint64 switches = 0;
  for (size_t i = 0; i < conn.n_streams(); i++) {
    const CodecInfo *codec = conn.stream_codec(i);
    std::shared_ptr<InputStream> in = stream_at(i);
    if (!codec || codec->kind != MediaKind::Video || !in)
      continue;
    auto it = in->branches.find(codec);
    if (it == in->branches.end())
      continue;
    EncoderBranch *b = it->second.get();
    int r = b->output_rendition(conn.stream_output(i));
    switches += b->output_switches(conn.stream_output(i));
    if (rendition < 0)
      rendition = r;
    auto lit = in->renditions.find(codec);
    if (r > 0 && lit != in->renditions.end()
        && static_cast<size_t>(r) <= lit->second.size())
      b = lit->second[r - 1].get();
    if (b->encoder())
      target += encoder_get_bitrate(b->encoder());
  }
  if (rendition >= 0)
    gst_structure_set(s, "rendition", G_TYPE_INT, rendition,
        "rendition-switches", G_TYPE_UINT64, switches, nullptr);
  gst_structure_set(s, "estimate-bps", G_TYPE_UINT64,
      static_cast<guint64>(snap.has_feedback ? snap.estimate_bps : 0),
      "received-bps", G_TYPE_UINT64, static_cast<guint64>(snap.acked_bps),
      "loss-fraction", G_TYPE_DOUBLE, snap.loss, "rtt-ms", G_TYPE_DOUBLE,
      snap.rtt_us / 1000.0, "target-bps", G_TYPE_UINT64, target,
      "twcc-feedback-reports", G_TYPE_UINT64, snap.feedback_reports,
      "twcc-feedback-packets", G_TYPE_UINT64, snap.feedback_packets, "overuses",
      G_TYPE_UINT64, snap.overuses, "delay-based", G_TYPE_BOOLEAN,
      static_cast<gboolean>(snap.delay_based), nullptr);
  if (const RtpPacer *pacer = conn.pacer()) {
    RtpPacer::Stats p = pacer->stats();
    gst_structure_set(s, "pacing-bps", G_TYPE_UINT64,
        static_cast<guint64>(p.rate_bps), "paced-packets", G_TYPE_UINT64,
        p.packets, "pacer-dropped", G_TYPE_UINT64, p.dropped, "pacer-overflows",
        G_TYPE_UINT64, p.overflows, "pacer-max-wait-ms", G_TYPE_DOUBLE,
        p.max_wait_us / 1000.0, nullptr);
  }
}

guint
SinkPrivate::rendition_viewers(
    InputStream &s, const CodecInfo &codec, int rendition) {
  auto it = s.branches.find(&codec);
  if (it == s.branches.end())
    return 0;
  guint n = 0;
  for (auto &kv : sessions) {
    ConsumerSession *c = kv.second.conns.current();
    if (!c)
      continue;
    for (size_t i = 0; i < c->n_streams(); i++) {
      if (c->stream_codec(i) == &codec && stream_at(i).get() == &s
          && c->stream_output(i)
          && it->second->output_rendition(c->stream_output(i)) == rendition)
        n++;
    }
  }
  return n;
}

void
SinkPrivate::congestion_branch_stats(const EncoderBranch &b, GstStructure *s) {
  if (!b.encoder())
    return;
  gst_structure_set(s, "bitrate", G_TYPE_UINT64,
      static_cast<guint64>(encoder_get_bitrate(b.encoder())), nullptr);
  if (b.codec().kind != MediaKind::Video)
    return;
  Picture p = b.picture() ? b.picture()->current() : Picture{};
  if (!b.picture()) {
    /* No scaler (hardware converter): what the encoder gets. */
    g_autoptr(GstPad) sink = gst_element_get_static_pad(b.encoder(), "sink");
    g_autoptr(GstCaps) caps = sink ? gst_pad_get_current_caps(sink) : nullptr;
    GstVideoInfo info;
    if (caps && gst_video_info_from_caps(&info, caps)) {
      p.width = GST_VIDEO_INFO_WIDTH(&info);
      p.height = GST_VIDEO_INFO_HEIGHT(&info);
      if (GST_VIDEO_INFO_FPS_D(&info) > 0)
        p.fps
            = double(GST_VIDEO_INFO_FPS_N(&info)) / GST_VIDEO_INFO_FPS_D(&info);
    }
  }
  gst_structure_set(s, "width", G_TYPE_UINT, static_cast<guint>(p.width),
      "height", G_TYPE_UINT, static_cast<guint>(p.height), "framerate",
      G_TYPE_DOUBLE, p.fps, "picture-level", G_TYPE_UINT,
      static_cast<guint>(b.picture() ? b.picture()->level() : 0), nullptr);
}

} // namespace gws
