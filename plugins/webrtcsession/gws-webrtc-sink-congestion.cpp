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
#include "gws-encoder-bitrate.h"
#include "gws-webrtc-sink-private.h"

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
  ConsumerBandwidth::Snapshot snap = bw->snapshot();
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

void
SinkPrivate::apply_estimates() {
  CongestionSettings cfg;
  {
    std::lock_guard<std::mutex> g(lock);
    cfg = congestion;
  }
  std::map<EncoderBranch *, int64_t> want;
  for (auto &kv : sessions) {
    ConsumerSession *c = kv.second.conns.current();
    if (!c || !c->bandwidth())
      continue;
    ConsumerBandwidth::Snapshot snap = c->bandwidth()->snapshot();
    if (!snap.has_feedback)
      continue;
    for (size_t i = 0; i < c->n_streams(); i++) {
      const CodecInfo *codec = c->stream_codec(i);
      std::shared_ptr<InputStream> in = stream_at(i);
      if (!codec || codec->kind != MediaKind::Video || !in)
        continue;
      auto it = in->branches.find(codec);
      if (it == in->branches.end())
        continue;
      EncoderBranch *b = it->second.get();
      auto w = want.find(b);
      if (w == want.end())
        want[b] = snap.estimate_bps;
      else
        w->second = std::min(w->second, snap.estimate_bps);
    }
  }
  for (const auto &[b, estimate] : want) {
    const char *factory = b->encoder_factory().c_str();
    if (!b->encoder() || !encoder_bitrate_supported(factory))
      continue;
    int64_t bps
        = std::clamp<int64_t>(static_cast<int64_t>(estimate * kVideoShare),
            cfg.min_bps, std::max(cfg.max_bps, cfg.min_bps));
    int64_t now = encoder_get_bitrate(b->encoder(), factory);
    if (now > 0 && std::llabs(bps - now) < kMinChange * now)
      continue;
    encoder_set_bitrate(b->encoder(), factory, bps);
    GST_INFO_OBJECT(self,
        "%s encoder %s: %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
        " bit/s (%u consumer(s))",
        b->codec().name, factory, now, bps, b->outputs());
  }
}

void
SinkPrivate::congestion_session_stats(
    const ConsumerSession &conn, GstStructure *s) {
  const ConsumerBandwidth *bw = conn.bandwidth();
  if (!bw)
    return;
  ConsumerBandwidth::Snapshot snap = bw->snapshot();
  guint64 target = 0;
  for (size_t i = 0; i < conn.n_streams(); i++) {
    const CodecInfo *codec = conn.stream_codec(i);
    std::shared_ptr<InputStream> in = stream_at(i);
    if (!codec || codec->kind != MediaKind::Video || !in)
      continue;
    auto it = in->branches.find(codec);
    if (it != in->branches.end() && it->second->encoder())
      target += encoder_get_bitrate(
          it->second->encoder(), it->second->encoder_factory().c_str());
  }
  gst_structure_set(s, "estimate-bps", G_TYPE_UINT64,
      static_cast<guint64>(snap.has_feedback ? snap.estimate_bps : 0),
      "received-bps", G_TYPE_UINT64, static_cast<guint64>(snap.acked_bps),
      "loss-fraction", G_TYPE_DOUBLE, snap.loss, "rtt-ms", G_TYPE_DOUBLE,
      snap.rtt_us / 1000.0, "target-bps", G_TYPE_UINT64, target,
      "twcc-feedback-reports", G_TYPE_UINT64, snap.feedback_reports,
      "twcc-feedback-packets", G_TYPE_UINT64, snap.feedback_packets, "overuses",
      G_TYPE_UINT64, snap.overuses, nullptr);
}

void
SinkPrivate::congestion_branch_stats(const EncoderBranch &b, GstStructure *s) {
  if (!b.encoder())
    return;
  gst_structure_set(s, "bitrate", G_TYPE_UINT64,
      static_cast<guint64>(
          encoder_get_bitrate(b.encoder(), b.encoder_factory().c_str())),
      nullptr);
}

} // namespace gws
