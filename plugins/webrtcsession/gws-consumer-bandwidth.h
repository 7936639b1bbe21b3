/* gst-webrtc-session: one consumer's bandwidth estimate in webrtcsink.
 *
 * Watches the consumer's webrtcbin sink pads for the transport-wide
 * feedback its rtpsession sends upstream ("RTPTWCCPackets", gws-twcc.h)
 * and feeds it to that consumer's congestion controller
 * (gws-bandwidth-estimator.h). With BUNDLE one feedback event reaches
 * every stream's pad; it is counted once (by event seqnum).
 *
 * When the estimate has moved (5 % or more) or a second has passed since
 * the last report, @on_change is called, on the RTCP thread, without any
 * lock held: the sink posts from there to its session thread, which
 * reads the RTT, sets the encoder's bitrate and republishes `stats`.
 *
 * Threading: the pad probes run on webrtcbin's RTCP thread; snapshot()
 * and set_rtt() on any thread. `lock_` (a leaf) guards the estimator and
 * the counters. */
#pragma once

#include "gws-bandwidth-estimator.h"

#include <gst/gst.h>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace gws {

class ConsumerBandwidth
    : public std::enable_shared_from_this<ConsumerBandwidth> {
 public:
  struct Snapshot {
    bool has_feedback = false;
    int64_t estimate_bps = 0;
    int64_t acked_bps = 0; /* what the receiver got */
    double loss = 0;       /* fraction, last window */
    int64_t rtt_us = 0;
    guint64 feedback_reports = 0;
    guint64 feedback_packets = 0;
    guint64 overuses = 0;
    bool delay_based = true;
  };

  static std::shared_ptr<ConsumerBandwidth> create(
      const BandwidthEstimator::Config &config,
      std::function<void()> on_change);
  ~ConsumerBandwidth();

  /* Watches @pad (a webrtcbin sink pad) for feedback. */
  void watch(GstPad *pad);
  /* Removes every probe (before the pads go). */
  void unwatch();

  Snapshot snapshot() const;
  void set_rtt(int64_t rtt_us);
  /* Whether the connection's path was judged yet (judge_path()). */
  bool path_judged() const;
  /* The connection's selected path is known: on a loopback path there is
   * no link whose queue a delay could measure (only the receiving
   * process's backlog when this host's CPU is short), so its delay trend
   * stops changing the rate (BandwidthEstimator::set_delay_based). Once. */
  void judge_path(bool loopback);

 private:
  ConsumerBandwidth(const BandwidthEstimator::Config &config,
      std::function<void()> on_change);
  GstPadProbeReturn on_event(GstEvent *event);

  std::function<void()> on_change_;
  std::vector<std::pair<GstPad *, gulong>> probes_; /* session thread */

  mutable std::mutex lock_; /* leaf; guards the fields below */
  BandwidthEstimator estimator_;
  std::deque<guint32> seen_events_;
  guint64 reports_ = 0;
  guint64 packets_ = 0;
  int64_t last_reported_bps_ = 0;
  gint64 last_report_us_ = 0;
  bool path_judged_ = false;
};

} // namespace gws
