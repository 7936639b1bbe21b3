/* gst-webrtc-session: one consumer's bandwidth estimate (see
 * gws-consumer-bandwidth.h). */
#include "gws-consumer-bandwidth.h"

#include "gws-twcc.h"

#include <algorithm>
#include <cstdlib>

GST_DEBUG_CATEGORY_STATIC(gws_bwe_debug);
#define GST_CAT_DEFAULT gws_bwe_debug

namespace gws {

namespace {

constexpr double kReportChange = 0.05;
constexpr gint64 kReportIntervalUs = 1'000'000;

} // namespace

std::shared_ptr<ConsumerBandwidth>
ConsumerBandwidth::create(
    const BandwidthEstimator::Config &config, std::function<void()> on_change) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_bwe_debug, "gws-bwe", 0,
        "webrtcsink per-consumer bandwidth estimation");
    g_once_init_leave(&once, 1);
  }
  return std::shared_ptr<ConsumerBandwidth>(
      new ConsumerBandwidth(config, std::move(on_change)));
}

ConsumerBandwidth::ConsumerBandwidth(
    const BandwidthEstimator::Config &config, std::function<void()> on_change)
    : on_change_(std::move(on_change)), estimator_(config) {}

ConsumerBandwidth::~ConsumerBandwidth() {
  unwatch();
}

void
ConsumerBandwidth::watch(GstPad *pad) {
  auto *weak = new std::weak_ptr<ConsumerBandwidth>(shared_from_this());
  gulong id = gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      [](GstPad *, GstPadProbeInfo *info, gpointer data) {
        auto self
            = static_cast<std::weak_ptr<ConsumerBandwidth> *>(data)->lock();
        if (!self)
          return twcc_is_feedback(GST_PAD_PROBE_INFO_EVENT(info))
                     ? GST_PAD_PROBE_DROP
                     : GST_PAD_PROBE_OK;
        return self->on_event(GST_PAD_PROBE_INFO_EVENT(info));
      },
      weak,
      [](gpointer data) {
        delete static_cast<std::weak_ptr<ConsumerBandwidth> *>(data);
      });
  probes_.emplace_back(GST_PAD(gst_object_ref(pad)), id);
}

void
ConsumerBandwidth::unwatch() {
  for (auto &[pad, id] : probes_) {
    gst_pad_remove_probe(pad, id);
    gst_object_unref(pad);
  }
  probes_.clear();
}

GstPadProbeReturn
ConsumerBandwidth::on_event(GstEvent *event) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  std::vector<TwccPacket> packets;
  if (!twcc_parse_feedback(event, packets))
    return GST_PAD_PROBE_OK;
  /* Read here, dropped here: the report is this consumer's, and upstream
   * is the shared encoder and the application's pipeline. */
  bool report = false;
  {
    std::lock_guard<std::mutex> guard(lock_);
    guint32 seqnum = gst_event_get_seqnum(event);
    if (std::find(seen_events_.begin(), seen_events_.end(), seqnum)
        != seen_events_.end())
      return GST_PAD_PROBE_DROP; /* the same report through another pad */
    seen_events_.push_back(seqnum);
    if (seen_events_.size() > 16)
      seen_events_.pop_front();
    std::vector<BandwidthEstimator::Packet> in;
    in.reserve(packets.size());
    for (const TwccPacket &p : packets) {
      if (p.local_ns < 0)
        continue; /* not one we sent (or already forgotten) */
      BandwidthEstimator::Packet b;
      b.send_us = p.local_ns / 1000;
      b.arrival_us = p.lost ? -1 : p.remote_ns / 1000;
      b.size = p.size;
      in.push_back(b);
    }
    gint64 now = g_get_monotonic_time();
    reports_++;
    packets_ += packets.size();
    if (!in.empty())
      estimator_.on_feedback(now, in);
    int64_t target = estimator_.target_bps();
    if (reports_ == 1 || now - last_report_us_ >= kReportIntervalUs
        || std::llabs(target - last_reported_bps_)
               >= kReportChange * last_reported_bps_) {
      report = true;
      last_reported_bps_ = target;
      last_report_us_ = now;
    }
    GST_LOG("%p feedback: %zu packets, target %" G_GINT64_FORMAT
            " acked %" G_GINT64_FORMAT " trend %.2f / %.2f loss %.3f",
        static_cast<void *>(this), packets.size(), target,
        estimator_.acked_bps(), estimator_.trend(), estimator_.threshold(),
        estimator_.loss());
  }
  if (report && on_change_)
    on_change_();
  return GST_PAD_PROBE_DROP;
}

ConsumerBandwidth::Snapshot
ConsumerBandwidth::snapshot() const {
  std::lock_guard<std::mutex> guard(lock_);
  Snapshot s;
  s.has_feedback = reports_ > 0;
  s.estimate_bps = estimator_.target_bps();
  s.acked_bps = estimator_.acked_bps();
  s.loss = estimator_.loss();
  s.rtt_us = estimator_.rtt_us();
  s.feedback_reports = reports_;
  s.feedback_packets = packets_;
  s.overuses = estimator_.overuses();
  s.delay_based = estimator_.delay_based();
  return s;
}

bool
ConsumerBandwidth::path_judged() const {
  std::lock_guard<std::mutex> guard(lock_);
  return path_judged_;
}

void
ConsumerBandwidth::judge_path(bool loopback) {
  std::lock_guard<std::mutex> guard(lock_);
  if (path_judged_)
    return;
  path_judged_ = true;
  estimator_.set_delay_based(!loopback);
}

void
ConsumerBandwidth::set_rtt(int64_t rtt_us) {
  std::lock_guard<std::mutex> guard(lock_);
  estimator_.on_rtt(rtt_us);
}

} // namespace gws
