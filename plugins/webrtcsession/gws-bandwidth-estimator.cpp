/* gst-webrtc-session: GCC-family congestion controller (see
 * gws-bandwidth-estimator.h). */
#include "gws-bandwidth-estimator.h"

#include <algorithm>
#include <cmath>

namespace gws {

namespace {

constexpr int64_t kBurstUs = 5'000;      /* one group: sent within 5 ms */
constexpr size_t kTrendWindow = 20;      /* groups in the linear fit */
constexpr double kSmoothing = 0.9;       /* of the accumulated delay */
constexpr double kTrendGain = 4.0;       /* scales the slope */
constexpr double kOveruseTimeMs = 10.0;  /* trend above threshold this long */
constexpr double kThresholdUp = 0.0087;  /* |trend| above threshold */
constexpr double kThresholdDown = 0.039; /* |trend| below threshold */
constexpr double kBeta = 0.85;           /* multiplicative decrease */
constexpr double kIncreasePerSecond = 1.08;
constexpr double kProbeIncreasePerSecond = 1.25;
/* From the start until the first overuse: the estimate starts low
 * (start-bitrate, 300 kbit/s by default, what libwebrtc starts at) so a
 * slow or shared path is not flooded before any feedback, and doubles
 * each second until the path first shows a queue or loss (3 s from 300
 * kbit/s to 3 Mbit/s), standing in for libwebrtc's initial probes. */
constexpr double kStartIncreasePerSecond = 2.0;
constexpr int64_t kAckedWindowUs = 500'000;
constexpr uint32_t kLossWindowPackets = 50;
constexpr int64_t kLossWindowUs = 1'000'000;
constexpr int64_t kLossHoldUs = 500'000;

} // namespace

BandwidthEstimator::BandwidthEstimator(const Config &config)
    : config_(config), delay_bps_(config.start_bps), loss_bps_(config.max_bps),
      target_bps_(config.start_bps) {
  clamp_target();
}

void
BandwidthEstimator::on_rtt(int64_t rtt_us) {
  if (rtt_us > 0)
    rtt_us_ = std::min<int64_t>(rtt_us, 2'000'000);
}

void
BandwidthEstimator::on_feedback(
    int64_t now_us, const std::vector<Packet> &packets) {
  update_acked(packets);
  update_loss(now_us, packets);
  for (const Packet &p : packets) {
    if (p.arrival_us < 0)
      continue;
    if (cur_.first_send_us < 0) {
      cur_ = Group{p.send_us, p.send_us, p.arrival_us, p.arrival_us, p.size};
      continue;
    }
    if (p.send_us < cur_.first_send_us)
      continue; /* sent before the group being built: reordered */
    if (p.send_us - cur_.first_send_us <= kBurstUs) {
      cur_.last_send_us = std::max(cur_.last_send_us, p.send_us);
      cur_.last_arrival_us = std::max(cur_.last_arrival_us, p.arrival_us);
      cur_.size += p.size;
      continue;
    }
    if (prev_.first_send_us >= 0)
      on_group(prev_, cur_, now_us);
    prev_ = cur_;
    cur_ = Group{p.send_us, p.send_us, p.arrival_us, p.arrival_us, p.size};
  }
  update_rate(now_us);
}

void
BandwidthEstimator::on_group(
    const Group &prev, const Group &cur, int64_t now_us) {
  double send_ms = (cur.last_send_us - prev.last_send_us) / 1000.0;
  double arrival_ms = (cur.last_arrival_us - prev.last_arrival_us) / 1000.0;
  if (arrival_ms < 0 || send_ms < 0)
    return; /* reordered groups say nothing about the queue */
  update_trend(arrival_ms - send_ms, cur.last_arrival_us);
  detect(send_ms, now_us);
}

void
BandwidthEstimator::update_trend(double delta_ms, int64_t arrival_us) {
  num_deltas_ = std::min<uint32_t>(num_deltas_ + 1, 1000);
  accumulated_ms_ += delta_ms;
  smoothed_ms_ = kSmoothing * smoothed_ms_ + (1 - kSmoothing) * accumulated_ms_;
  if (first_arrival_us_ < 0)
    first_arrival_us_ = arrival_us;
  window_.emplace_back((arrival_us - first_arrival_us_) / 1000.0, smoothed_ms_);
  if (window_.size() > kTrendWindow)
    window_.pop_front();
  if (window_.size() < kTrendWindow)
    return;
  double xm = 0, ym = 0;
  for (const auto &[x, y] : window_) {
    xm += x;
    ym += y;
  }
  xm /= window_.size();
  ym /= window_.size();
  double num = 0, den = 0;
  for (const auto &[x, y] : window_) {
    num += (x - xm) * (y - ym);
    den += (x - xm) * (x - xm);
  }
  double slope = den > 0 ? num / den : 0;
  prev_trend_ = trend_;
  trend_ = std::min<uint32_t>(num_deltas_, 60) * slope * kTrendGain;
}

void
BandwidthEstimator::detect(double send_delta_ms, int64_t now_us) {
  if (window_.size() < kTrendWindow)
    return;
  double t = trend_;
  if (t > threshold_) {
    time_over_ms_
        = time_over_ms_ < 0 ? send_delta_ms / 2 : time_over_ms_ + send_delta_ms;
    overuse_count_++;
    if (time_over_ms_ > kOveruseTimeMs && overuse_count_ > 1
        && t >= prev_trend_) {
      time_over_ms_ = 0;
      overuse_count_ = 0;
      usage_ = Usage::Over;
    }
  } else if (t < -threshold_) {
    time_over_ms_ = -1;
    overuse_count_ = 0;
    usage_ = Usage::Under;
  } else {
    time_over_ms_ = -1;
    overuse_count_ = 0;
    usage_ = Usage::Normal;
  }
  /* Adaptive threshold: follows |trend| slowly up and faster down, so
   * that a competing flow's standing queue does not starve us; outliers
   * do not move it. */
  if (last_threshold_update_us_ < 0)
    last_threshold_update_us_ = now_us;
  double abs_t = std::fabs(t);
  if (abs_t > threshold_ + 15) {
    last_threshold_update_us_ = now_us;
    return;
  }
  double k = abs_t < threshold_ ? kThresholdDown : kThresholdUp;
  double dt_ms
      = std::min<double>((now_us - last_threshold_update_us_) / 1000.0, 100);
  threshold_ += k * (abs_t - threshold_) * dt_ms;
  threshold_ = std::clamp(threshold_, 6.0, 600.0);
  last_threshold_update_us_ = now_us;
}

void
BandwidthEstimator::update_acked(const std::vector<Packet> &packets) {
  for (const Packet &p : packets) {
    if (p.arrival_us < 0)
      continue;
    /* Arrival times that go back by more than the window (a receiver
     * that reset its reference time, or one that lies) start the window
     * again: it is pruned from its front, so it must stay (nearly) in
     * order; a reordered packet or two is fine. */
    if (!acked_.empty() && p.arrival_us < acked_newest_us_ - kAckedWindowUs)
      acked_.clear();
    if (acked_.empty() || p.arrival_us > acked_newest_us_)
      acked_newest_us_ = p.arrival_us;
    acked_.emplace_back(p.arrival_us, p.size);
  }
  if (acked_.empty())
    return;
  int64_t newest = acked_newest_us_;
  bool full = newest - acked_.front().first >= kAckedWindowUs;
  while (!acked_.empty() && acked_.front().first < newest - kAckedWindowUs)
    acked_.pop_front();
  if (!full && acked_bps_ == 0)
    return;
  uint64_t bytes = 0;
  for (const auto &a : acked_)
    bytes += a.second;
  acked_bps_ = static_cast<int64_t>(bytes * 8 * 1'000'000 / kAckedWindowUs);
}

void
BandwidthEstimator::update_loss(
    int64_t now_us, const std::vector<Packet> &packets) {
  for (const Packet &p : packets) {
    latest_send_us_ = std::max(latest_send_us_, p.send_us);
    /* Losses of packets sent before the last loss decrease were already
     * acted on: counting them again would cut the rate twice. */
    if (p.send_us <= loss_cut_send_us_)
      continue;
    window_sent_++;
    if (p.arrival_us < 0)
      window_lost_++;
  }
  if (last_loss_update_us_ < 0)
    last_loss_update_us_ = now_us;
  int64_t dt = now_us - last_loss_update_us_;
  if (window_sent_ < kLossWindowPackets
      && !(window_sent_ >= 20 && dt >= kLossWindowUs))
    return;
  loss_ = static_cast<double>(window_lost_) / window_sent_;
  window_sent_ = window_lost_ = 0;
  last_loss_update_us_ = now_us;
  if (loss_ < 0.02) {
    /* Grows back as fast as the delay side may; lifted once it no longer
     * binds. */
    double secs = std::min(dt / 1e6, 1.0);
    int64_t grown = static_cast<int64_t>(
                        loss_bps_ * std::pow(kProbeIncreasePerSecond, secs))
                    + 1000;
    loss_bps_ = grown >= delay_bps_ ? config_.max_bps : grown;
  } else if (loss_ > 0.10) {
    loss_bps_ = static_cast<int64_t>(target_bps_ * (1 - 0.5 * loss_));
    /* The sender needs a round trip to hear of the cut and its encoder
     * a moment more to act on it: what is sent meanwhile is lost for the
     * same reason. */
    loss_cut_send_us_ = latest_send_us_ + rtt_us_ + kLossHoldUs;
  }
  clamp_target();
}

void
BandwidthEstimator::update_rate(int64_t now_us) {
  double dt_s = last_rate_update_us_ < 0
                    ? 0
                    : std::min((now_us - last_rate_update_us_) / 1e6, 1.0);
  last_rate_update_us_ = now_us;
  if (!delay_based_)
    usage_ = Usage::Normal; /* no link: a delay is the receiver's CPU */
  switch (usage_) {
    case Usage::Over: {
      if (last_decrease_us_ >= 0 && now_us - last_decrease_us_ < rtt_us_)
        break; /* one decrease per round trip */
      double base = acked_bps_ > 0 ? acked_bps_ : delay_bps_;
      delay_bps_ = std::min<int64_t>(delay_bps_, base * kBeta);
      /* Remember where the path gave out: increases near it go slowly. */
      if (acked_bps_ > 0) {
        double a = acked_bps_ / 1000.0; /* kbit/s, as the variance is */
        double avg = capacity_bps_ / 1000.0;
        double std_kbps = std::sqrt(capacity_var_ * std::max(avg, 1.0));
        if (capacity_bps_ < 0 || a < avg - 3 * std_kbps) {
          capacity_bps_ = acked_bps_; /* the path shrank: start over */
        } else {
          capacity_var_ = 0.95 * capacity_var_
                          + 0.05 * (avg - a) * (avg - a) / std::max(avg, 1.0);
          capacity_var_ = std::clamp(capacity_var_, 0.4, 2.5);
          capacity_bps_ = (0.95 * avg + 0.05 * a) * 1000;
        }
      }
      last_decrease_us_ = now_us;
      overuses_++;
      state_ = State::Hold;
      usage_ = Usage::Normal; /* acted on */
      break;
    }
    case Usage::Under:
      state_ = State::Hold; /* let the queue drain */
      break;
    case Usage::Normal: {
      if (state_ == State::Hold) {
        state_ = State::Increase;
        break;
      }
      double rate = delay_bps_;
      double increased = rate;
      double std_bps
          = std::sqrt(capacity_var_ * capacity_bps_ / 1000.0) * 1000.0;
      if (capacity_bps_ > 0 && acked_bps_ > capacity_bps_ + 3 * std_bps)
        capacity_bps_ = -1; /* the path grew: forget the old capacity */
      bool near = capacity_bps_ > 0
                  && std::fabs(acked_bps_ - capacity_bps_) <= 3 * std_bps;
      if (near) {
        double response_s = (rtt_us_ + 100'000) / 1e6;
        double bits_per_frame = rate / 30;
        double packets = std::ceil(bits_per_frame / (1200 * 8));
        double packet_bits = bits_per_frame / std::max(packets, 1.0);
        increased = rate + std::max(4000.0, packet_bits / response_s) * dt_s;
      } else if (capacity_bps_ > 0 && acked_bps_ > capacity_bps_) {
        increased = rate * std::pow(kIncreasePerSecond, dt_s);
      } else {
        /* Well below where the path last gave out (it carried that much
         * recently), or no capacity known (the start, or the path grew
         * past it): ramp faster, standing in for probes. */
        bool starting = overuses_ == 0 && capacity_bps_ < 0
                        && loss_cut_send_us_ < 0 && window_lost_ == 0
                        && loss_ < 0.02;
        increased = rate
                    * std::pow(starting ? kStartIncreasePerSecond
                                        : kProbeIncreasePerSecond,
                        dt_s);
      }
      if (acked_bps_ > 0) {
        double upper = 1.5 * acked_bps_ + 10'000;
        if (rate < upper)
          delay_bps_ = static_cast<int64_t>(std::min(increased, upper));
      } else {
        delay_bps_ = static_cast<int64_t>(increased);
      }
      break;
    }
  }
  clamp_target();
}

void
BandwidthEstimator::clamp_target() {
  delay_bps_ = std::clamp(delay_bps_, config_.min_bps, config_.max_bps);
  loss_bps_ = std::clamp(loss_bps_, config_.min_bps, config_.max_bps);
  target_bps_ = std::min(delay_bps_, loss_bps_);
}

} // namespace gws
