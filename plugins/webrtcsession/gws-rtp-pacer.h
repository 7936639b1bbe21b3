/* gst-webrtc-session: one consumer connection's RTP pacer in webrtcsink.
 *
 * The shared encoder hands a key frame to the payloader at once; without
 * pacing its packets leave as one burst at the speed of the machine, a
 * capped link's queue drops the tail, the consumer asks for another key
 * frame, and the burst looks like congestion to every estimate that saw
 * it. The pacer spreads each consumer's video packets at kPacingFactor
 * times that consumer's estimate (libwebrtc paces at 2.5 x its target), so
 * a key frame costs a few tens of milliseconds of queueing at the sender
 * instead of loss on the path.
 *
 * Where: a pad probe on the src pad of each of the connection's video
 * outputs' queue (gws-encoder-branch.h), installed before the RTP rewrite:
 * after the shared encoder, payloader and tee, before that consumer's
 * webrtcbin. Waiting blocks that queue's streaming thread only: the
 * shared encoder never waits for a slow consumer (the queue takes the
 * backlog, and stays leaky).
 *
 * Bounded backlog: when what waits (the queue's bytes plus what is
 * booked) would take more than kMaxBacklogUs to leave at the pacing rate,
 * the output drops packets up to the start of the next key frame and
 * @on_overflow asks for one (through the consumer's key-frame policy,
 * gws-keyframe-requests.h). After a key frame starts there is a grace
 * period, so a large key frame on a slow link is never itself dropped.
 * Dropped packets never get a transport-wide sequence number (the rewrite
 * comes after), so they do not look like loss to the estimator.
 *
 * A buffer list (payloaders push a frame's packets as one) is split: each
 * packet is pushed on its own through the same pad (and its probes).
 *
 * Threading: the probes run on the outputs' queue threads (one per
 * stream); set_rate(), stop() and stats() on any thread (the sink's
 * session thread). `lock_` (a leaf; nothing is called with it held)
 * guards the budget, the counters and `stopped_`; `cv_` wakes a waiting
 * queue thread on stop() or a flush. The per-output drop state belongs to
 * that output's queue thread alone. */
#pragma once

#include "gws-codecs.h"

#include <gst/gst.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace gws {

/* The schedule, a leaky bucket (pure; times in microseconds). */
class PacingBudget {
 public:
  /* Pacing rate in bit/s; 0 sends at once. */
  void set_rate(int64_t bps) { rate_bps_ = bps; }
  int64_t rate() const { return rate_bps_; }
  /* Books a packet of @bytes asked to leave at @now; returns when it may
   * leave (>= @now). Up to kCreditUs of unused time is kept as credit, so
   * a few small packets go back to back. */
  int64_t book(int64_t now, size_t bytes);
  /* How long @bytes still queued plus what is booked take to leave. */
  int64_t backlog_us(int64_t now, size_t queued_bytes) const;
  /* Time @bytes take at the pacing rate. */
  int64_t duration_us(size_t bytes) const;

  static constexpr int64_t kCreditUs = 5'000;

 private:
  int64_t rate_bps_ = 0;
  int64_t next_us_ = 0;
};

class RtpPacer : public std::enable_shared_from_this<RtpPacer> {
 public:
  /* The pacing rate is this multiple of the estimate. */
  static constexpr double kPacingFactor = 2.5;
  /* Never slower than this (bit/s), whatever the estimate. */
  static constexpr int64_t kMinRateBps = 100'000;
  /* Backlog bound, and the grace after a key frame starts. */
  static constexpr int64_t kMaxBacklogUs = 400'000;
  static constexpr int64_t kGraceUs = 1'000'000;

  struct Stats {
    int64_t rate_bps = 0;
    guint64 packets = 0;
    guint64 bytes = 0;
    guint64 dropped = 0;   /* packets dropped to bound the backlog */
    guint64 overflows = 0; /* times the bound was hit */
    int64_t max_wait_us = 0;
  };

  static std::shared_ptr<RtpPacer> create(std::string name);

  /* Paces the packets leaving through @pad (a consumer output's queue src
   * pad; video of @codec). @on_overflow runs on the queue thread, no lock
   * held. Session thread, before data flows. */
  void install(
      GstPad *pad, const CodecInfo &codec, std::function<void()> on_overflow);
  /* Follows the consumer's estimate (bit/s; <= 0: not paced). */
  void set_estimate(int64_t estimate_bps);
  /* Releases every waiting thread; packets then go unpaced. */
  void stop();
  Stats stats() const;

 private:
  explicit RtpPacer(std::string name) : name_(std::move(name)) {}
  struct Output;
  GstPadProbeReturn on_probe(Output &out, GstPad *pad, GstPadProbeInfo *info);
  GstPadProbeReturn on_buffer(Output &out, GstPad *pad, GstBuffer *buf);
  void wait_until(GstPad *pad, int64_t when_us);

  std::string name_;
  mutable std::mutex lock_; /* leaf; guards the fields below */
  std::condition_variable cv_;
  PacingBudget budget_;
  bool stopped_ = false;
  Stats stats_;
};

} // namespace gws
