/* A consumer's pacing schedule and key-frame request policy
 * (plugins/webrtcsession/gws-rtp-pacer.*, gws-keyframe-requests.*): pure
 * decisions with the time passed in, no clock. */
#include "gws-keyframe-requests.h"
#include "gws-rtp-pacer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using gws::KeyframePolicy;
using gws::PacingBudget;

TEST(PacingBudget, UnpacedSendsAtOnce) {
  PacingBudget b;
  EXPECT_EQ(b.book(1000, 1200), 1000);
  EXPECT_EQ(b.book(1000, 1200), 1000);
  EXPECT_EQ(b.backlog_us(1000, 100000), 0);
}

TEST(PacingBudget, SpreadsABurstAtTheRate) {
  PacingBudget b;
  b.set_rate(1'000'000); /* 1 Mbit/s: 1000 bytes take 8 ms */
  const int64_t t0 = 10'000'000;
  int64_t last = 0;
  /* A 20-packet key frame arriving at once. */
  for (int i = 0; i < 20; i++)
    last = b.book(t0, 1000);
  /* The first few go on the credit, the rest 8 ms apart. */
  EXPECT_EQ(last, t0 - PacingBudget::kCreditUs + 19 * 8'000);
  EXPECT_EQ(b.duration_us(1000), 8'000);
  /* What is booked counts as backlog, and so do queued bytes. */
  EXPECT_EQ(b.backlog_us(t0, 0), 20 * 8'000 - PacingBudget::kCreditUs);
  EXPECT_EQ(
      b.backlog_us(t0, 1000), 20 * 8'000 - PacingBudget::kCreditUs + 8'000);
}

TEST(PacingBudget, IdleTimeIsNotSavedUp) {
  PacingBudget b;
  b.set_rate(1'000'000);
  b.book(0, 1000);
  /* A second later: only kCreditUs of credit, not a second's worth. */
  const int64_t t = 1'000'000;
  /* 5 ms of credit: the first packet (8 ms) goes now, the next when
   * the credit's remainder has run out, then every 8 ms. */
  EXPECT_EQ(b.book(t, 1000), t);
  EXPECT_EQ(b.book(t, 1000), t + 3'000);
  EXPECT_EQ(b.book(t, 1000), t + 11'000);
}

TEST(KeyframePolicy, FirstRequestGoesThenOnePerInterval) {
  KeyframePolicy p;
  EXPECT_TRUE(p.on_request(0));
  /* A lossy consumer asking every 100 ms: held, one more per interval. */
  int sent = 1;
  for (int64_t t = 100'000; t <= 3'000'000; t += 100'000) {
    if (p.on_request(t))
      sent++;
    if (p.poll(t + 1))
      sent++;
  }
  EXPECT_EQ(sent, 7); /* every 500 ms from 0 to 3 s */
  EXPECT_EQ(p.received, 31u);
  EXPECT_EQ(p.forwarded, 7u);
}

TEST(KeyframePolicy, KeyFrameInFlightAbsorbsRequests) {
  KeyframePolicy p;
  p.set_rtt(100'000);
  p.on_keyframe_sent(5'000'000);
  /* Within one RTT: sent before the key frame could arrive. */
  EXPECT_FALSE(p.on_request(5'050'000));
  EXPECT_EQ(p.absorbed, 1u);
  /* Later: the key frame arrived broken, ask again at once. */
  EXPECT_TRUE(p.on_request(5'150'000));
}

TEST(KeyframePolicy, HeldRequestAnsweredByAKeyFrame) {
  KeyframePolicy p;
  EXPECT_TRUE(p.on_request(0));
  EXPECT_FALSE(p.on_request(200'000)); /* held */
  p.on_keyframe_sent(300'000);         /* someone else's key frame */
  EXPECT_FALSE(p.poll(2'000'000));     /* nothing left to ask */
  EXPECT_EQ(p.absorbed, 1u);
  EXPECT_EQ(p.forwarded, 1u);
}

TEST(KeyframePolicy, IntervalFollowsTheRoundTrip) {
  KeyframePolicy p;
  p.set_rtt(500'000); /* 3 x RTT = 1.5 s */
  EXPECT_TRUE(p.on_request(0));
  EXPECT_FALSE(p.on_request(1'200'000));
  EXPECT_FALSE(p.poll(1'400'000));
  EXPECT_TRUE(p.poll(1'500'000));
}

TEST(KeyframePolicy, ForcedRequestStartsTheInterval) {
  KeyframePolicy p;
  p.on_forced(0);
  EXPECT_FALSE(p.on_request(300'000));
  EXPECT_FALSE(p.poll(400'000));
  EXPECT_TRUE(p.poll(500'000));
}

/* A consumer asking every 100 ms, its requests forwarded by poll() as
 * the output's packets pass every 10 ms: the times requests went. */
static std::vector<int64_t>
asking(KeyframePolicy &p, int64_t from, int64_t until) {
  std::vector<int64_t> went;
  for (int64_t t = from; t < until; t += 10'000) {
    if ((t - from) % 100'000 == 0 && p.on_request(t))
      went.push_back(t);
    else if (p.poll(t))
      went.push_back(t);
  }
  return went;
}

TEST(KeyframePolicy, BackoffWhileTheEstimateIsLowAndRequestsKeepComing) {
  KeyframePolicy p;
  p.set_estimate(250'000);
  std::vector<int64_t> went = asking(p, 0, 12'000'000);
  /* 0, 0.5, 1.5, 3.5, 7.5, 11.5 s: the interval doubles up to 4 s. */
  ASSERT_EQ(went.size(), 6u);
  EXPECT_EQ(went[0], 0);
  for (size_t i = 1; i < went.size(); i++) {
    int64_t gap = went[i] - went[i - 1];
    EXPECT_EQ(gap, std::min(KeyframePolicy::kMinIntervalUs << (i - 1),
                       KeyframePolicy::kMaxIntervalUs))
        << "request " << i;
  }
  EXPECT_EQ(p.interval(), KeyframePolicy::kMaxIntervalUs);
  EXPECT_EQ(p.received, 120u);
}

TEST(KeyframePolicy, NoBackoffWithAHighEstimateOrNone) {
  for (int64_t estimate : {int64_t{0}, int64_t{2'000'000}}) {
    KeyframePolicy p;
    p.set_estimate(estimate);
    std::vector<int64_t> went = asking(p, 0, 3'000'000);
    EXPECT_EQ(went.size(), 6u) << estimate; /* every 500 ms */
    EXPECT_EQ(p.interval(), KeyframePolicy::kMinIntervalUs);
  }
}

TEST(KeyframePolicy, BackoffEndsAfterACalmPeriod) {
  KeyframePolicy p;
  p.set_estimate(250'000);
  asking(p, 0, 12'000'000);
  ASSERT_EQ(p.interval(), KeyframePolicy::kMaxIntervalUs);
  /* No request for kCalmUs (packets still pass: the last held request
   * goes when its interval ends): the next goes at once, and the one
   * after it only waits the shortest interval. */
  const int64_t t = 12'000'000 + KeyframePolicy::kCalmUs;
  for (int64_t u = 12'000'000; u < t; u += 10'000)
    p.poll(u);
  EXPECT_TRUE(p.on_request(t));
  EXPECT_FALSE(p.on_request(t + 100'000));
  EXPECT_FALSE(p.poll(t + KeyframePolicy::kMinIntervalUs - 1));
  EXPECT_TRUE(p.poll(t + KeyframePolicy::kMinIntervalUs));
}

TEST(KeyframePolicy, BackoffEndsWhenTheEstimateRecovers) {
  KeyframePolicy p;
  p.set_estimate(250'000);
  asking(p, 0, 12'000'000);
  ASSERT_EQ(p.interval(), KeyframePolicy::kMaxIntervalUs);
  p.set_estimate(1'500'000);
  EXPECT_EQ(p.interval(), KeyframePolicy::kMinIntervalUs);
  std::vector<int64_t> went = asking(p, 12'000'000, 14'000'000);
  EXPECT_EQ(went.size(), 4u); /* every 500 ms again */
}
