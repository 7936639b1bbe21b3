/* gst-webrtc-session: a peer's packet rhythm (see gws-packet-rhythm.h). */
#include "gws-packet-rhythm.h"

#include <algorithm>
#include <limits>

namespace gws {

namespace {

constexpr int64_t kUsPerSec = 1000000;
/* Gaps longer than this are outages, not the peer's rhythm: they must not
 * teach the monitor that long silences are normal. */
constexpr int64_t kMaxLearnedGapUs = 3 * kUsPerSec / 2;
/* The longest gap is remembered over the last 10-20 s. */
constexpr int64_t kWindowUs = 10 * kUsPerSec;
/* Until a connection has received packets for this long, its rhythm is
 * not known. */
constexpr int64_t kLearningUs = 3 * kUsPerSec;

constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

} // namespace

bool
PacketRhythm::on_packets(int64_t now_us, unsigned reports) {
  int64_t last = last_us_;
  last_us_ = now_us;
  if (reports) {
    if (last_report_us_)
      longest_report_gap_us_[0] = std::max(longest_report_gap_us_[0],
          std::min(now_us - last_report_us_, kMaxLearnedGapUs));
    last_report_us_ = now_us;
    reports_ += reports;
  }
  if (last == 0) {
    first_us_ = window_start_us_ = now_us;
    return false;
  }
  bool closed = false;
  if (now_us - window_start_us_ > kWindowUs) {
    longest_gap_us_[1] = longest_gap_us_[0];
    longest_gap_us_[0] = 0;
    longest_report_gap_us_[1] = longest_report_gap_us_[0];
    longest_report_gap_us_[0] = 0;
    arrivals_[1] = arrivals_[0];
    arrivals_[0] = 0;
    previous_window_us_ = now_us - window_start_us_;
    window_start_us_ = now_us;
    closed = true;
  }
  arrivals_[0]++;
  longest_gap_us_[0]
      = std::max(longest_gap_us_[0], std::min(now_us - last, kMaxLearnedGapUs));
  return closed;
}

bool
PacketRhythm::learning() const {
  return first_us_ && last_us_ - first_us_ < kLearningUs;
}

int64_t
PacketRhythm::longest_gap_us() const {
  return std::max(longest_gap_us_[0], longest_gap_us_[1]);
}

int64_t
PacketRhythm::longest_report_gap_us() const {
  return std::max(longest_report_gap_us_[0], longest_report_gap_us_[1]);
}

uint64_t
PacketRhythm::slow_threshold_ms(
    unsigned timeout_ms, unsigned learning_floor_ms) const {
  uint64_t limit = std::max<uint64_t>(timeout_ms, longest_gap_us() * 2 / 1000);
  /* The rhythm is not known yet: the first gaps are the DTLS handshake's
   * few milliseconds, and a browser's first receiver report may come 1.5 s
   * later. */
  if (learning())
    limit = std::max<uint64_t>(limit, learning_floor_ms);
  return limit;
}

uint64_t
PacketRhythm::fast_threshold_ms() const {
  if (!first_us_ || learning() || reports_ < kFastMinReports)
    return kNever;
  int64_t report_gap = longest_report_gap_us();
  /* The reports stopped while other packets went on: their rhythm says
   * nothing about this silence. */
  int64_t since_report = last_us_ - last_report_us_;
  if (report_gap <= 0 || since_report > report_gap)
    return kNever;
  /* In silence terms (counted from the last packet): the report bound
   * runs from the last report, since_report earlier. */
  int64_t us = std::max({static_cast<int64_t>(kFastFloorMs) * 1000,
      static_cast<int64_t>(kFastRhythmFactor) * longest_gap_us(),
      static_cast<int64_t>(kFastReportFactor) * report_gap - since_report});
  return static_cast<uint64_t>(us) / 1000;
}

uint64_t
PacketRhythm::threshold_ms(
    unsigned timeout_ms, unsigned learning_floor_ms) const {
  return std::min(
      slow_threshold_ms(timeout_ms, learning_floor_ms), fast_threshold_ms());
}

uint64_t
PacketRhythm::degraded_ms(unsigned learning_floor_ms) const {
  uint64_t limit = std::max<uint64_t>(150, longest_gap_us() * 3 / 2 / 1000);
  if (learning())
    limit = std::max<uint64_t>(limit, learning_floor_ms);
  return limit;
}

uint64_t
PacketRhythm::os_confirm_ms() const {
  uint64_t n = arrivals_[0] + arrivals_[1];
  int64_t span = (last_us_ - window_start_us_) + previous_window_us_;
  if (!first_us_ || learning() || n == 0 || span <= 0)
    return kOsConfirmMaxMs;
  uint64_t mean_ms = static_cast<uint64_t>(span) / n / 1000;
  return std::min<uint64_t>(kOsConfirmMaxMs,
      std::max<uint64_t>(kOsConfirmMinMs, kOsConfirmFactor * mean_ms));
}

} // namespace gws
