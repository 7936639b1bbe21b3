/* gst-webrtc-session: one LATENCY message for many latency changes.
 *
 * Every consumer of webrtcsink brings a webrtcbin whose sinks (nicesink,
 * the data channels' appsinks) each post a LATENCY message as they start,
 * and linking a consumer posts one more. An application answers each with
 * gst_bin_recalculate_latency() (gst-launch-1.0 and GstPipeline's default
 * do), which queries every sink of the pipeline and sends the result
 * upstream from each: work in proportion to the number of consumers, for
 * each message. With N consumers joining that is N^2 work on the
 * application's thread (with 64 consumers it was still busy with it, at
 * ~18% of a core, seconds after the last one joined).
 *
 * The element hands its children's LATENCY messages here instead of
 * passing them up; this posts one from the element at once when none was
 * posted in the last interval, otherwise one at the interval's end, so a
 * change is never lost and the application recalculates at most once per
 * interval whatever the number of consumers joining.
 *
 * Threading: changed() from any thread (a child's streaming or state
 * thread, the session thread); the delayed post runs on the element's
 * session thread (gws::Worker), with no lock held. */
#pragma once

#include "common/gws-worker.h"

#include <gst/gst.h>

#include <mutex>

namespace gws {

class LatencyCoalescer {
 public:
  /* @element (not owned) posts the messages; @loop runs the delayed
   * ones. */
  LatencyCoalescer(GstElement *element, Worker &loop, guint interval_ms)
      : element_(element), loop_(loop), interval_us_(interval_ms * 1000) {}
  ~LatencyCoalescer() { reset(); }

  LatencyCoalescer(const LatencyCoalescer &) = delete;
  LatencyCoalescer &operator=(const LatencyCoalescer &) = delete;

  /* The latency inside the element may have changed. */
  void changed();
  /* Drops a pending post (the element stops). */
  void reset();
  /* Messages posted so far. */
  guint64 posted() const;

 private:
  void post();

  GstElement *element_;
  Worker &loop_;
  const gint64 interval_us_;
  mutable std::mutex lock_;    /* guards the fields below; leaf lock */
  GSource *pending_ = nullptr; /* the delayed post, if one is due */
  gint64 last_post_us_ = 0;
  guint64 posted_ = 0;
};

} // namespace gws
