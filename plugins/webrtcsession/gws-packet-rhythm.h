/* gst-webrtc-session: the rhythm of a peer's packets, and how long a
 * silence must be before it means a lost path (the rules behind
 * PathMonitor, gws-path-monitor.h; pure C++, times given by the caller).
 *
 * Two rules; the threshold is the shorter one that applies.
 *
 * The slow rule: max(timeout, 2 x the longest gap between packets in the
 * last 10-20 s), and at least @learning_floor_ms during a connection's
 * first 3 s of packets, before its rhythm is known (a sender hears only
 * RTCP, which a browser sends 0.5-1.5 s apart).
 *
 * The fast rule, for a peer whose rhythm proves a silence sooner: after
 * 3 s of packets and at least kFastMinReports RTCP reports (SR or RR: the
 * regular RTCP, sent on a timer whether or not media flows; feedback alone
 * is not counted, a browser sends it only while it receives), a silence is
 * a lost path once
 *  - it lasted kFastFloorMs, and kFastRhythmFactor x the longest recent
 *    gap between any packets (RTP at the frame rate: ~33 ms; a peer that
 *    was late before is given as long again), and
 *  - no report came for kFastReportFactor x the longest recent gap between
 *    reports (counted from the last report, which may be older than the
 *    last packet).
 * A source that pauses stops RTP but not the reports; the reports' own
 * spacing grows when it does (rtpsession derives the RTCP interval from
 * the media bitrate: measured 100-580 ms between our reports while video
 * flows, up to ~760 ms paused), but gradually, so each new gap stays under
 * twice the longest before it. A browser's reports, 0.5-1.5 s apart, put
 * the second bound above the timeout: the slow rule stays. A peer whose
 * reports stopped while packets went on (the last report older than the
 * longest gap between reports) is judged by the slow rule only.
 *
 * Not thread-safe: PathMonitor holds it under a lock. */
#pragma once

#include <cstdint>

namespace gws {

/* The fast rule's parameters (see above). */
constexpr unsigned kFastFloorMs = 400;
constexpr unsigned kFastRhythmFactor = 4;
constexpr unsigned kFastReportFactor = 2;
constexpr unsigned kFastMinReports = 8;
/* The silence that confirms the OS's word that a path's local address is
 * gone (os_confirm_ms()): kOsConfirmFactor x the mean gap between arrivals,
 * within [kOsConfirmMinMs, kOsConfirmMaxMs]. */
constexpr unsigned kOsConfirmFactor = 3;
constexpr unsigned kOsConfirmMinMs = 50;
constexpr unsigned kOsConfirmMaxMs = 150;

class PacketRhythm {
 public:
  /* @n packets arrived at @now_us (monotonic), @reports of them RTCP
   * reports. Returns TRUE when a 10 s window closed (its figures are then
   * closed_window()'s). */
  bool on_packets(int64_t now_us, unsigned reports);

  /* The silence (ms, from the last packet) that means a lost path, for a
   * configured @timeout_ms. */
  uint64_t threshold_ms(unsigned timeout_ms, unsigned learning_floor_ms) const;
  uint64_t slow_threshold_ms(
      unsigned timeout_ms, unsigned learning_floor_ms) const;
  /* UINT64_MAX when the fast rule does not apply. */
  uint64_t fast_threshold_ms() const;
  /* A degraded path: silent longer than 1.5 x the longest recent gap (the
   * learning floor while it is not known), at least 150 ms. */
  uint64_t degraded_ms(unsigned learning_floor_ms) const;
  /* The OS says the path's local address is gone, but its packets may
   * still come in over another link (gws-restart.h): a silence this long
   * (ms) confirms the loss. Three mean gaps between arrivals over the last
   * 10-20 s (RTP at 30 fps: ~25-35 ms each), within 50-150 ms; 150 while
   * the rhythm is not known. */
  uint64_t os_confirm_ms() const;

  int64_t last_us() const { return last_us_; }
  uint64_t reports() const { return reports_; }
  /* The window that closed last: its longest gaps (us). */
  void closed_window(int64_t *gap_us, int64_t *report_gap_us) const {
    *gap_us = longest_gap_us_[1];
    *report_gap_us = longest_report_gap_us_[1];
  }

 private:
  bool learning() const;
  int64_t longest_gap_us() const;
  int64_t longest_report_gap_us() const;

  int64_t first_us_ = 0;
  int64_t last_us_ = 0;
  int64_t window_start_us_ = 0;
  /* The longest gaps in the current ([0]) and the previous 10 s window. */
  int64_t longest_gap_us_[2] = {0, 0};
  int64_t last_report_us_ = 0;
  uint64_t reports_ = 0;
  int64_t longest_report_gap_us_[2] = {0, 0};
  /* Arrivals (on_packets calls) in the current ([0]) and previous window,
   * and the previous window's length. */
  uint64_t arrivals_[2] = {0, 0};
  int64_t previous_window_us_ = 0;
};

} // namespace gws
