/* gst-webrtc-session: one LATENCY message for many latency changes (see
 * gws-latency-coalescer.h). */
#include "gws-latency-coalescer.h"

#include "gws-debug.h"

GWS_DEBUG_CATEGORY(gws_latency_coalescer_debug, "gws-latency-coalescer",
    "webrtcsink: its consumers' LATENCY messages, coalesced")
#define GST_CAT_DEFAULT gws_latency_coalescer_debug()

namespace gws {

void
LatencyCoalescer::changed() {
  gint64 now = g_get_monotonic_time();
  {
    std::lock_guard<std::mutex> g(lock_);
    if (pending_)
      return; /* the post already due covers this change */
    gint64 wait_us = last_post_us_ + interval_us_ - now;
    if (last_post_us_ && wait_us > 0) {
      guint ms = static_cast<guint>((wait_us + 999) / 1000);
      pending_ = loop_.timeout(ms, [this]() {
        {
          std::lock_guard<std::mutex> g2(lock_);
          if (pending_) {
            g_source_unref(pending_);
            pending_ = nullptr;
          }
        }
        post();
      });
      GST_LOG_OBJECT(element_, "latency message in %u ms", ms);
      return;
    }
    last_post_us_ = now;
    posted_++;
  }
  gst_element_post_message(
      element_, gst_message_new_latency(GST_OBJECT(element_)));
}

void
LatencyCoalescer::post() {
  {
    std::lock_guard<std::mutex> g(lock_);
    last_post_us_ = g_get_monotonic_time();
    posted_++;
  }
  GST_LOG_OBJECT(element_, "posting the coalesced latency message");
  gst_element_post_message(
      element_, gst_message_new_latency(GST_OBJECT(element_)));
}

void
LatencyCoalescer::reset() {
  GSource *pending = nullptr;
  {
    std::lock_guard<std::mutex> g(lock_);
    pending = pending_;
    pending_ = nullptr;
    last_post_us_ = 0;
  }
  if (pending) {
    g_source_destroy(pending);
    g_source_unref(pending);
  }
}

guint64
LatencyCoalescer::posted() const {
  std::lock_guard<std::mutex> g(lock_);
  return posted_;
}

} // namespace gws
