/* gst-webrtc-session: a consumer connection's RTP pacer (see
 * gws-rtp-pacer.h). */
#include "gws-rtp-pacer.h"

#include "gws-renditions.h"

#include <algorithm>
#include <chrono>

GST_DEBUG_CATEGORY_STATIC(gws_pacer_debug);
#define GST_CAT_DEFAULT gws_pacer_debug

namespace gws {

namespace {

/* A waiting thread looks at its pad's flushing flag at least this often
 * (a pad deactivated without a flush event wakes nobody). */
constexpr int64_t kWaitSliceUs = 20'000;

} // namespace

int64_t
PacingBudget::duration_us(size_t bytes) const {
  if (rate_bps_ <= 0)
    return 0;
  return static_cast<int64_t>(bytes) * 8 * 1'000'000 / rate_bps_;
}

int64_t
PacingBudget::book(int64_t now, size_t bytes) {
  if (rate_bps_ <= 0) {
    next_us_ = now;
    return now;
  }
  int64_t start = std::max(next_us_, now - kCreditUs);
  next_us_ = start + duration_us(bytes);
  return std::max(start, now);
}

int64_t
PacingBudget::backlog_us(int64_t now, size_t queued_bytes) const {
  if (rate_bps_ <= 0)
    return 0;
  return std::max<int64_t>(next_us_ - now, 0) + duration_us(queued_bytes);
}

/* One paced output; its fields belong to its queue thread. */
struct RtpPacer::Output {
  std::weak_ptr<RtpPacer> pacer;
  const CodecInfo *codec;
  std::function<void()> on_overflow;
  bool dropping = false;
  int64_t grace_until_us = 0;
};

std::shared_ptr<RtpPacer>
RtpPacer::create(std::string name) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(
        gws_pacer_debug, "gws-pacer", 0, "webrtcsink per-consumer RTP pacer");
    g_once_init_leave(&once, 1);
  }
  return std::shared_ptr<RtpPacer>(new RtpPacer(std::move(name)));
}

void
RtpPacer::install(
    GstPad *pad, const CodecInfo &codec, std::function<void()> on_overflow) {
  auto *out = new Output{weak_from_this(), &codec, std::move(on_overflow)};
  gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER
                                   | GST_PAD_PROBE_TYPE_BUFFER_LIST
                                   | GST_PAD_PROBE_TYPE_EVENT_FLUSH),
      [](GstPad *pad, GstPadProbeInfo *info, gpointer data) {
        auto *out = static_cast<Output *>(data);
        std::shared_ptr<RtpPacer> self = out->pacer.lock();
        if (!self)
          return GST_PAD_PROBE_OK;
        return self->on_probe(*out, pad, info);
      },
      out, [](gpointer data) { delete static_cast<Output *>(data); });
}

void
RtpPacer::set_estimate(int64_t estimate_bps) {
  int64_t rate
      = estimate_bps > 0 ? std::max<int64_t>(
            static_cast<int64_t>(estimate_bps * kPacingFactor), kMinRateBps)
                         : 0;
  std::lock_guard<std::mutex> g(lock_);
  budget_.set_rate(rate);
  stats_.rate_bps = rate;
}

void
RtpPacer::stop() {
  {
    std::lock_guard<std::mutex> g(lock_);
    stopped_ = true;
  }
  cv_.notify_all();
}

RtpPacer::Stats
RtpPacer::stats() const {
  std::lock_guard<std::mutex> g(lock_);
  return stats_;
}

void
RtpPacer::wait_until(GstPad *pad, int64_t when_us) {
  std::unique_lock<std::mutex> g(lock_);
  for (;;) {
    int64_t now = g_get_monotonic_time();
    if (now >= when_us || stopped_ || GST_PAD_IS_FLUSHING(pad))
      return;
    int64_t slice = std::min(when_us - now, kWaitSliceUs);
    cv_.wait_for(g, std::chrono::microseconds(slice));
  }
}

GstPadProbeReturn
RtpPacer::on_probe(Output &out, GstPad *pad, GstPadProbeInfo *info) {
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_FLUSH) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_FLUSH_START)
      cv_.notify_all(); /* the pad is flushing already: waiters return */
    else
      out.dropping = false;
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    return on_buffer(out, pad, GST_PAD_PROBE_INFO_BUFFER(info));
  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST))
    return GST_PAD_PROBE_OK;
  /* Each packet through the pad on its own: this probe paces it, the
   * rewrite (installed after us) rewrites it. */
  GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
  GstFlowReturn ret = GST_FLOW_OK;
  guint n = gst_buffer_list_length(list);
  for (guint i = 0; i < n && ret == GST_FLOW_OK; i++)
    ret = gst_pad_push(pad, gst_buffer_ref(gst_buffer_list_get(list, i)));
  gst_buffer_list_unref(list);
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = ret;
  return GST_PAD_PROBE_HANDLED;
}

GstPadProbeReturn
RtpPacer::on_buffer(Output &out, GstPad *pad, GstBuffer *buf) {
  int64_t now = g_get_monotonic_time();
  size_t size = gst_buffer_get_size(buf);
  bool key = rtp_starts_keyframe(buf, *out.codec);
  if (out.dropping) {
    if (!key) {
      std::lock_guard<std::mutex> g(lock_);
      stats_.dropped++;
      return GST_PAD_PROBE_DROP;
    }
    out.dropping = false;
    GST_DEBUG("%s: key frame, sending again", name_.c_str());
  }
  if (key)
    out.grace_until_us = now + kGraceUs;
  /* What still waits in the queue before us (the queue does not hold its
   * lock while it pushes). */
  guint queued = 0;
  if (GstObject *parent = gst_pad_get_parent(pad)) {
    if (g_object_class_find_property(
            G_OBJECT_GET_CLASS(parent), "current-level-bytes"))
      g_object_get(parent, "current-level-bytes", &queued, nullptr);
    gst_object_unref(parent);
  }
  int64_t when = now;
  bool overflow = false;
  {
    std::lock_guard<std::mutex> g(lock_);
    if (stopped_)
      return GST_PAD_PROBE_OK;
    if (now >= out.grace_until_us
        && budget_.backlog_us(now, queued) > kMaxBacklogUs) {
      overflow = true;
      stats_.overflows++;
      stats_.dropped++;
    } else {
      when = budget_.book(now, size);
      stats_.packets++;
      stats_.bytes += size;
      stats_.max_wait_us = std::max(stats_.max_wait_us, when - now);
    }
  }
  if (overflow) {
    GST_INFO("%s: backlog over %" G_GINT64_FORMAT
             " ms at the pacing rate (%u bytes queued): dropping to the "
             "next key frame",
        name_.c_str(), kMaxBacklogUs / 1000, queued);
    out.dropping = true;
    if (out.on_overflow)
      out.on_overflow();
    return GST_PAD_PROBE_DROP;
  }
  if (when > now)
    wait_until(pad, when);
  return GST_PAD_PROBE_OK;
}

} // namespace gws
