/* The path monitor's silence rules (plugins/webrtcsession/
 * gws-packet-rhythm.*), driven by packet schedules with explicit times:
 * when does a silence count as a lost path, and which live peers must
 * never reach the threshold between two of their packets. */
#include "gws-packet-rhythm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

using gws::PacketRhythm;

namespace {

constexpr int64_t kMs = 1000;
constexpr unsigned kTimeout = 1000; /* path-timeout's default */

struct Packet {
  int64_t t_us;
  bool report;
};

/* RTP every @rtp_ms (0: none) and a report every @report_ms, from @from_ms
 * to @to_ms. */
std::vector<Packet>
schedule(int64_t from_ms, int64_t to_ms, int64_t rtp_ms, int64_t report_ms) {
  std::vector<Packet> out;
  for (int64_t t = from_ms; rtp_ms && t < to_ms; t += rtp_ms)
    out.push_back({t * kMs, false});
  for (int64_t t = from_ms; t < to_ms; t += report_ms)
    out.push_back({t * kMs + 1, true});
  std::sort(out.begin(), out.end(),
      [](const Packet &a, const Packet &b) { return a.t_us < b.t_us; });
  return out;
}

/* Feeds @packets; fails if any gap between two of them reached the
 * threshold that held when the gap began (a false lost path). */
void
feed_live(PacketRhythm &r, const std::vector<Packet> &packets,
    unsigned learning_floor_ms = 0) {
  for (const Packet &p : packets) {
    if (r.last_us()) {
      uint64_t gap_ms = static_cast<uint64_t>(p.t_us - r.last_us()) / 1000;
      ASSERT_LT(gap_ms, r.threshold_ms(kTimeout, learning_floor_ms))
          << "a live peer's gap at " << p.t_us / 1000 << " ms counted as "
          << "a lost path";
    }
    r.on_packets(p.t_us, p.report ? 1 : 0);
  }
}

} // namespace

TEST(PacketRhythm, RtpAndOurReportsAreJudgedSoonerThanTheTimeout) {
  /* A receiver of our sender: RTP at 30 fps, a report every 300 ms. */
  PacketRhythm r;
  feed_live(r, schedule(0, 6000, 33, 300));
  uint64_t t = r.threshold_ms(kTimeout, 0);
  EXPECT_LT(r.fast_threshold_ms(), r.slow_threshold_ms(kTimeout, 0));
  EXPECT_EQ(t, r.fast_threshold_ms());
  EXPECT_GE(t, gws::kFastFloorMs);
  EXPECT_LT(t, kTimeout);
  /* No report for twice their spacing, counted from the last one. */
  EXPECT_LE(t, 2u * 300u);
}

TEST(PacketRhythm, TheTimeoutHoldsWhileTheRhythmIsLearnt) {
  PacketRhythm r;
  feed_live(r, schedule(0, 2000, 33, 300));
  EXPECT_EQ(r.threshold_ms(kTimeout, 0), kTimeout);
  /* A sender's learning floor holds for the first 3 s too. */
  EXPECT_EQ(r.threshold_ms(kTimeout, 2500), 2500u);
}

TEST(PacketRhythm, ABrowsersReportsKeepTheTimeout) {
  /* A browser publishing: RTP at 30 fps, reports 0.5-1.5 s apart. */
  PacketRhythm r;
  std::vector<Packet> p = schedule(0, 20000, 33, 100000);
  int64_t t = 0;
  for (int i = 0; t < 20000; i++) {
    p.push_back({t * kMs + 1, true});
    t += i % 2 ? 1450 : 550;
  }
  std::sort(p.begin(), p.end(),
      [](const Packet &a, const Packet &b) { return a.t_us < b.t_us; });
  feed_live(r, p);
  EXPECT_EQ(r.threshold_ms(kTimeout, 0), kTimeout);
}

TEST(PacketRhythm, FeedbackAloneIsNotAReport) {
  /* A browser viewing, heard by our sender: transport-cc feedback every
   * 50 ms (not a report) and receiver reports 900 ms apart. Its feedback
   * stops when our source pauses: the reports alone then must not be
   * judged on the feedback's rhythm. (Reports more than path-timeout
   * apart would reach the slow rule's threshold there: its learnt gap is
   * the feedback's.) */
  PacketRhythm r;
  feed_live(r, schedule(0, 12000, 50, 900), 2500);
  EXPECT_EQ(r.threshold_ms(kTimeout, 2500), kTimeout);
  feed_live(r, schedule(12000, 20000, 0, 900), 2500);
}

TEST(PacketRhythm, ASourceThatPausesIsNotALostPath) {
  /* Our sender's source pauses: RTP stops, and the reports' spacing grows
   * with the falling bitrate (measured: ~480 ms -> ~760 ms), step by
   * step. */
  PacketRhythm r;
  feed_live(r, schedule(0, 8000, 33, 480));
  ASSERT_LT(r.threshold_ms(kTimeout, 0), kTimeout);
  int64_t t = 8000;
  for (int64_t step : {520, 580, 640, 700, 760, 760, 760, 760}) {
    t += step;
    feed_live(r, {{t * kMs, true}});
  }
  /* It resumes. */
  feed_live(r, schedule(t + 10, t + 4000, 33, 480));
}

TEST(PacketRhythm, ReportsThatStoppedLeaveTheSlowRule) {
  PacketRhythm r;
  feed_live(r, schedule(0, 6000, 33, 300));
  ASSERT_LT(r.threshold_ms(kTimeout, 0), kTimeout);
  /* RTP goes on, the reports stop. */
  feed_live(r, schedule(6010, 7000, 33, 100000));
  EXPECT_EQ(r.threshold_ms(kTimeout, 0), kTimeout);
}

TEST(PacketRhythm, ALatePeerIsGivenAsLongAgain) {
  /* A peer that once paused 250 ms (a busy machine) with reports every
   * 100 ms: the threshold covers four such gaps. */
  PacketRhythm r;
  feed_live(r, schedule(0, 4000, 33, 100));
  r.on_packets(4250 * kMs, 1);
  feed_live(r, schedule(4260, 6000, 33, 100));
  EXPECT_GE(r.threshold_ms(kTimeout, 0), 4u * 250u - 1);
}

TEST(PacketRhythm, TheSlowRuleFollowsTheLongestGap) {
  /* Only reports, 800 ms apart: the threshold is twice that. */
  PacketRhythm r;
  feed_live(r, schedule(0, 8000, 0, 800));
  EXPECT_EQ(r.threshold_ms(kTimeout, 0), 1600u);
  EXPECT_EQ(r.degraded_ms(0), 1200u);
}

TEST(PacketRhythm, TheOsWordIsConfirmedByAFewMissedArrivals) {
  /* RTP at 30 fps and reports: three mean gaps (the reports make the mean
   * a little shorter than 33 ms), within the 50-150 ms bounds. */
  PacketRhythm r;
  EXPECT_EQ(r.os_confirm_ms(), gws::kOsConfirmMaxMs); /* nothing known */
  feed_live(r, schedule(0, 2000, 33, 300));
  EXPECT_EQ(r.os_confirm_ms(), gws::kOsConfirmMaxMs); /* still learning */
  feed_live(r, schedule(2000, 25000, 33, 300));
  EXPECT_GE(r.os_confirm_ms(), gws::kOsConfirmMinMs);
  EXPECT_LE(r.os_confirm_ms(), 3u * 33u);
  /* A sender hearing only reports every 300 ms: the upper bound. */
  PacketRhythm s;
  feed_live(s, schedule(0, 25000, 0, 300));
  EXPECT_EQ(s.os_confirm_ms(), gws::kOsConfirmMaxMs);
  /* Packets every few ms: the lower bound. */
  PacketRhythm f;
  feed_live(f, schedule(0, 25000, 5, 300));
  EXPECT_EQ(f.os_confirm_ms(), gws::kOsConfirmMinMs);
}
