/* gst-webrtc-session: a congestion controller of the GCC family for one
 * peer connection, in plain C++ (no GStreamer), driven by transport-wide
 * feedback (gws-twcc.h) and round-trip time.
 *
 * How it decides (the behaviour follows draft-ietf-rmcat-gcc and
 * libwebrtc's goog_cc as published; the code is ours):
 *  - Delay: packets sent within a 5 ms burst form a group. For two
 *    consecutive groups, d = (arrival gap) - (send gap) is how much the
 *    path's queue grew. The accumulated d, smoothed, is fitted by a line
 *    over the last 20 groups; its slope (scaled) is the trend. A trend
 *    above an adaptive threshold for more than 10 ms is *overuse* (a queue
 *    is building), below minus the threshold *underuse* (a queue drains),
 *    else *normal*.
 *  - Rate (AIMD): on overuse the rate drops to 0.85 x what the receiver
 *    actually got (the acknowledged rate) and holds; on underuse it holds
 *    (let the queue drain); on normal it grows: by 25 % a second well
 *    below the capacity last seen at an overuse (the path carried it) or
 *    when none is known (the start, or once the path proved larger), by
 *    about one packet per response time (RTT + 100 ms) near it, and by
 *    8 % a second just above it. It never exceeds 1.5 x
 * the acknowledged rate + 10 kbit/s: an encoder that is not using its budget
 * does not lead the estimate into a void.
 *  - Loss: the fraction of packets the feedback reports missing, per
 *    window of at least 20 packets. Over 10 % the loss bound drops to
 *    rate x (1 - loss / 2), once: losses of packets sent before that cut
 *    are not counted again; between 2 and 10 % it holds; under 2 % it
 *    grows back (25 % a second) and is lifted once it no longer binds.
 *  - target = clamp(min(delay-based, loss-based), min, max).
 *  - Without a link (set_delay_based(false): a loopback path, where the
 *    only queue is the receiving process's own backlog, i.e. CPU), the
 *    delay detector still runs and reports but never changes the rate:
 *    loss and the acknowledged-rate cap still do.
 *
 * Not done (yet): active probing or padding to find spare capacity; the
 * faster ramp while no capacity is known stands in for it.
 *
 * Threading: not thread-safe; the owner serialises calls. */
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace gws {

class BandwidthEstimator {
 public:
  struct Config {
    int64_t min_bps = 100'000;
    int64_t start_bps = 300'000;
    int64_t max_bps = 8'000'000;
  };
  /* One packet as the feedback reports it (microseconds; any origin,
   * only differences are used). arrival_us < 0: lost. */
  struct Packet {
    int64_t send_us = 0;
    int64_t arrival_us = -1;
    uint32_t size = 0; /* bytes */
  };
  enum class Usage { Normal, Over, Under };

  explicit BandwidthEstimator(const Config &config);

  /* A feedback report: its packets in transport-sequence order. @now_us
   * is the time it arrived (the sender's clock). */
  void on_feedback(int64_t now_us, const std::vector<Packet> &packets);
  void on_rtt(int64_t rtt_us);
  /* Whether a delay trend may change the rate (default true). */
  void set_delay_based(bool on) { delay_based_ = on; }
  bool delay_based() const { return delay_based_; }

  int64_t target_bps() const { return target_bps_; }
  int64_t delay_based_bps() const { return delay_bps_; }
  int64_t loss_based_bps() const { return loss_bps_; }
  /* What the receiver got over the last ~500 ms, 0 before it is known. */
  int64_t acked_bps() const { return acked_bps_; }
  /* Loss fraction of the last complete window, 0..1. */
  double loss() const { return loss_; }
  int64_t rtt_us() const { return rtt_us_; }
  Usage usage() const { return usage_; }
  /* The trend (scaled slope) and threshold the detector compares. */
  double trend() const { return trend_; }
  double threshold() const { return threshold_; }
  uint64_t overuses() const { return overuses_; }

 private:
  struct Group {
    int64_t first_send_us = -1;
    int64_t last_send_us = -1;
    int64_t last_arrival_us = -1;
    int64_t complete_us = -1; /* first arrival */
    uint32_t size = 0;
  };
  void on_group(const Group &prev, const Group &cur, int64_t now_us);
  void update_trend(double delta_ms, int64_t arrival_us);
  void detect(double delta_ms, int64_t now_us);
  void update_acked(const std::vector<Packet> &packets);
  void update_loss(int64_t now_us, const std::vector<Packet> &packets);
  void update_rate(int64_t now_us);
  void clamp_target();

  Config config_;
  /* groups */
  Group cur_;
  Group prev_;
  /* trend */
  double accumulated_ms_ = 0;
  double smoothed_ms_ = 0;
  int64_t first_arrival_us_ = -1;
  std::deque<std::pair<double, double>> window_; /* (arrival ms, smoothed) */
  uint32_t num_deltas_ = 0;
  double trend_ = 0;
  double prev_trend_ = 0;
  /* detector */
  double threshold_ = 12.5;
  int64_t last_threshold_update_us_ = -1;
  double time_over_ms_ = -1;
  int overuse_count_ = 0;
  Usage usage_ = Usage::Normal;
  uint64_t overuses_ = 0;
  /* acked rate: (arrival us, bytes) over the last 500 ms */
  std::deque<std::pair<int64_t, uint32_t>> acked_;
  int64_t acked_newest_us_ = 0; /* the latest arrival in acked_ */
  int64_t acked_bps_ = 0;
  /* loss window */
  uint32_t window_sent_ = 0;
  uint32_t window_lost_ = 0;
  double loss_ = 0;
  int64_t last_loss_update_us_ = -1;
  int64_t latest_send_us_ = -1;
  int64_t loss_cut_send_us_ = -1; /* losses sent up to here acted on */
  /* rate control */
  enum class State { Hold, Increase, Decrease } state_ = State::Increase;
  int64_t delay_bps_;
  int64_t loss_bps_;
  int64_t target_bps_;
  int64_t last_rate_update_us_ = -1;
  int64_t last_decrease_us_ = -1;
  double capacity_bps_ = -1;  /* average rate at past overuses */
  double capacity_var_ = 0.4; /* normalised variance, kbit/s units */
  int64_t rtt_us_ = 100'000;
  bool delay_based_ = true;
};

} // namespace gws
