/* The congestion controller (plugins/webrtcsession/gws-bandwidth-
 * estimator.*) driven by synthetic traces: a sender that follows the
 * target (30 frames/s, 1200-byte packets) through a simulated bottleneck
 * (a FIFO with a capacity and a 100 ms queue, like tbf), feedback every
 * 50 ms. No clocks: simulated time only. */
#include "gws-bandwidth-estimator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using gws::BandwidthEstimator;

namespace {

class Link {
 public:
  explicit Link(BandwidthEstimator &bwe, int64_t capacity_bps)
      : bwe_(bwe), capacity_bps_(capacity_bps) {}

  void set_capacity(int64_t bps) { capacity_bps_ = bps; }
  void set_loss(double fraction) { loss_ = fraction; }
  /* How long the bottleneck's queue may get before it drops. */
  void set_queue_us(int64_t us) { queue_us_ = us; }
  /* Extra one-way delay added to arrivals (a pure delay ramp). */
  void set_extra_delay_us(int64_t us) { extra_delay_us_ = us; }

  /* Runs @seconds of simulated time; returns the mean target. */
  double run(double seconds) {
    int64_t end = now_ + static_cast<int64_t>(seconds * 1e6);
    double sum = 0;
    int n = 0;
    while (now_ < end) {
      send_frame();
      now_ += 33'333;
      if (now_ >= next_feedback_) {
        deliver_feedback();
        next_feedback_ = now_ + 50'000;
      }
      sum += bwe_.target_bps();
      n++;
    }
    return sum / std::max(n, 1);
  }
  int64_t now() const { return now_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void send_frame() {
    int64_t bytes = bwe_.target_bps() / 8 / 30;
    int packets = std::max<int64_t>(1, (bytes + 1199) / 1200);
    for (int i = 0; i < packets; i++) {
      int64_t send = now_ + i * 100; /* paced 0.1 ms apart */
      BandwidthEstimator::Packet p;
      p.send_us = send;
      p.size = 1200;
      int64_t tx = int64_t{1200} * 8 * 1'000'000 / capacity_bps_;
      int64_t start = std::max(send, link_free_);
      bool random_loss = std::uniform_real_distribution<>(0, 1)(rng_) < loss_;
      if (start - send > queue_us_) {
        p.arrival_us = -1; /* the queue is full: tail drop */
        dropped_++;
      } else {
        link_free_ = start + tx;
        p.arrival_us = random_loss ? -1 : link_free_ + extra_delay_us_;
      }
      pending_.push_back(p);
    }
  }
  void deliver_feedback() {
    std::vector<BandwidthEstimator::Packet> report;
    std::vector<BandwidthEstimator::Packet> later;
    for (const auto &p : pending_) {
      if (p.arrival_us < 0 ? p.send_us <= now_ : p.arrival_us <= now_)
        report.push_back(p);
      else
        later.push_back(p);
    }
    pending_ = later;
    if (!report.empty())
      bwe_.on_feedback(now_ + 20'000, report);
  }

  BandwidthEstimator &bwe_;
  int64_t capacity_bps_;
  double loss_ = 0;
  int64_t queue_us_ = 100'000;
  int64_t extra_delay_us_ = 0;
  int64_t now_ = 0;
  int64_t link_free_ = 0;
  int64_t next_feedback_ = 50'000;
  uint64_t dropped_ = 0;
  std::vector<BandwidthEstimator::Packet> pending_;
  std::mt19937 rng_{42};
};

BandwidthEstimator::Config
config(int64_t start) {
  BandwidthEstimator::Config c;
  c.min_bps = 50'000;
  c.start_bps = start;
  c.max_bps = 10'000'000;
  return c;
}

} // namespace

/* Overuse -> decrease: a 1 Mbit/s start behind 600 kbit/s with a queue
 * too long to overflow (no loss at all): only the delay trend can tell,
 * and it settles under the cap. */
TEST(BandwidthEstimator, OveruseDecreasesBelowCapacity) {
  BandwidthEstimator bwe(config(1'000'000));
  Link link(bwe, 600'000);
  link.set_queue_us(5'000'000);
  link.run(5);
  EXPECT_EQ(link.dropped(), 0u);
  EXPECT_GT(bwe.overuses(), 0u); /* the delay trend saw the queue */
  EXPECT_LT(bwe.target_bps(), 600'000);
  double settled = link.run(10);
  EXPECT_LT(settled, 650'000);
  EXPECT_GT(settled, 350'000); /* not starved either */
}

/* No link (a loopback path, set_delay_based(false)): a receiving process
 * that falls behind delays every arrival more and more (here 300 ms a
 * second for 2 s on a free 20 Mbit/s path, no loss). The delay-based
 * controller reads that as a queue and cuts; without a link the rate is
 * left alone. Loss still bounds it. */
TEST(BandwidthEstimator, NoDelayBasedCutWithoutLink) {
  auto backlog = [](BandwidthEstimator &bwe) {
    Link link(bwe, 20'000'000);
    link.run(1);
    int64_t before = bwe.target_bps();
    for (int i = 1; i <= 20; i++) {
      link.set_extra_delay_us(i * 30'000);
      link.run(0.1);
    }
    return before;
  };
  BandwidthEstimator with_link(config(1'000'000));
  int64_t before = backlog(with_link);
  EXPECT_GT(with_link.overuses(), 0u);
  EXPECT_LT(with_link.target_bps(), before);

  BandwidthEstimator no_link(config(1'000'000));
  no_link.set_delay_based(false);
  EXPECT_FALSE(no_link.delay_based());
  before = backlog(no_link);
  EXPECT_EQ(no_link.overuses(), 0u);
  EXPECT_GE(no_link.target_bps(), before);

  BandwidthEstimator lossy(config(1'000'000));
  lossy.set_delay_based(false);
  Link lossy_link(lossy, 20'000'000);
  lossy_link.set_loss(0.3);
  lossy_link.run(5);
  EXPECT_LT(lossy.target_bps(), 1'000'000);
}

/* Normal -> increase: a free path lets the estimate grow. */
TEST(BandwidthEstimator, NormalIncreases) {
  BandwidthEstimator bwe(config(300'000));
  Link link(bwe, 20'000'000);
  link.run(5);
  EXPECT_EQ(bwe.overuses(), 0u);
  EXPECT_GT(bwe.target_bps(), 600'000);
}

/* The start: from start-bitrate (300 kbit/s by default) the estimate
 * doubles each second until the first sign of a queue or loss, so a fast
 * path is found in seconds (25 %/s would take 10 s to 3 Mbit/s). */
TEST(BandwidthEstimator, StartRampsUp) {
  BandwidthEstimator bwe(config(300'000));
  Link link(bwe, 20'000'000);
  link.run(3);
  EXPECT_EQ(bwe.overuses(), 0u);
  EXPECT_GT(bwe.target_bps(), 1'500'000);
}

/* The estimate never exceeds the max nor falls below the min. */
TEST(BandwidthEstimator, Bounds) {
  BandwidthEstimator::Config c = config(500'000);
  c.max_bps = 800'000;
  BandwidthEstimator bwe(c);
  Link link(bwe, 50'000'000);
  link.run(10);
  EXPECT_EQ(bwe.target_bps(), 800'000);
  BandwidthEstimator::Config c2 = config(500'000);
  c2.min_bps = 400'000;
  BandwidthEstimator low(c2);
  Link slow(low, 100'000);
  slow.run(10);
  EXPECT_EQ(low.target_bps(), 400'000);
}

/* Underuse (a queue draining: arrivals come closer than sends) holds the
 * rate instead of increasing. */
TEST(BandwidthEstimator, UnderuseHolds) {
  BandwidthEstimator bwe(config(500'000));
  Link link(bwe, 20'000'000);
  link.run(2);
  /* A standing 200 ms of extra delay drains in 1 s: 20 ms every 100 ms. */
  link.set_extra_delay_us(200'000);
  link.run(0.5);
  bool saw_under = false;
  for (int i = 0; i < 10; i++) {
    bool under = bwe.usage() == BandwidthEstimator::Usage::Under;
    int64_t before = bwe.target_bps();
    link.set_extra_delay_us(200'000 - (i + 1) * 20'000);
    link.run(0.1);
    if (under && bwe.usage() == BandwidthEstimator::Usage::Under) {
      saw_under = true;
      EXPECT_LE(bwe.target_bps(), before) << "grew while the queue drained";
    }
  }
  EXPECT_TRUE(saw_under);
}

/* Loss bounds: heavy random loss without any queue lowers the estimate;
 * light loss (under 2 %) does not stop it growing. */
TEST(BandwidthEstimator, LossBounds) {
  BandwidthEstimator heavy(config(1'000'000));
  Link lossy(heavy, 50'000'000);
  lossy.set_loss(0.2);
  lossy.run(5);
  EXPECT_GT(heavy.loss(), 0.1);
  EXPECT_LT(heavy.target_bps(), 700'000);
  EXPECT_LT(heavy.loss_based_bps(), heavy.delay_based_bps());

  BandwidthEstimator light(config(500'000));
  Link ok(light, 50'000'000);
  ok.set_loss(0.01);
  ok.run(5);
  EXPECT_GT(light.target_bps(), 700'000);
}

/* The path shrinks then recovers: under the new cap within 3 s, and most
 * of the restored capacity reclaimed within 10 s. */
TEST(BandwidthEstimator, DropAndRecover) {
  BandwidthEstimator bwe(config(1'000'000));
  Link link(bwe, 3'000'000);
  link.run(10);
  EXPECT_GT(bwe.target_bps(), 2'000'000);
  link.set_capacity(600'000);
  link.run(3);
  EXPECT_LT(bwe.target_bps(), 600'000);
  link.run(5);
  link.set_capacity(3'000'000);
  link.run(10);
  EXPECT_GT(bwe.target_bps(), 0.8 * 3'000'000);
}
