/* gst-webrtc-session: one consumer connection's key-frame requests in
 * webrtcsink.
 *
 * A consumer's PLI or FIR reaches its webrtcbin sink pad as an upstream
 * GstForceKeyUnit event. Left alone it would travel up the output's
 * funnel into every rendition feeding it, and each shared encoder would
 * make a key frame for everybody on it: one lossy consumer would set the
 * key-frame rate (and the bursts) of all the others. Instead each video
 * output's queue src pad stops those events here, and a per-consumer
 * policy (KeyframePolicy, pure) decides which become a request, which the
 * sink then sends to the one rendition that output shows (or is switching
 * to), where the branch's own limiter (gws-encoder-branch.h, 500 ms)
 * merges the requests of its consumers.
 *
 * The policy, per output:
 *  - absorbed: a request arriving within max(kInFlightUs, RTT) of the
 *    start of a key frame this consumer was sent (the consumer sent it
 *    before that key frame could reach it). Not longer: a key frame that
 *    arrived broken must be asked for again at once (measured: with a
 *    150 ms window the `fec` case at 3 % loss lost frames);
 *  - forwarded: otherwise, at most one per max(kMinIntervalUs, 3 x RTT);
 *  - held: a request inside that interval waits; it is forwarded when the
 *    interval ends (checked as the output's packets pass), unless a key
 *    frame reaches the consumer first (then it is absorbed).
 *  - backoff: while the consumer's estimate is low (under
 *    kLowEstimateBps) every request forwarded doubles that interval, up
 *    to kMaxIntervalUs (0.5, 1, 2, 4 s); it is back to kMinIntervalUs once
 *    the consumer has not asked for kCalmUs, or its estimate is no longer
 *    low. Behind a slow, lossy link each key frame is large for the link
 *    (a 640x480 VP8 key frame is tens of KB: most of a second at
 *    300 kbit/s), so answering every request keeps the link congested and
 *    the consumer asking (measured: 294 requests, 107 key frames in 60 s,
 *    the estimate at the floor); without congestion control there is no
 *    estimate and no backoff.
 * Retransmission first: both our webrtcsrc and browsers ask with NACK and
 * send PLI only when retransmission could not repair (or at the start);
 * this limit keeps a consumer whose repairs fail from asking faster than
 * once per interval (500 ms: what the shared encoder took from all its
 * consumers together before; a longer one stalled a lossy consumer). The first
 * request of a connection always goes.
 *
 * Threading: the probes run on the output's queue thread; set_rtt() and
 * stats() on any thread. `lock_` (a leaf) guards the policies; the
 * callback runs with no lock held (the sink only posts to its session
 * thread from it). */
#pragma once

#include "gws-codecs.h"

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace gws {

/* One output's decisions (pure; times in microseconds). */
class KeyframePolicy {
 public:
  static constexpr int64_t kMinIntervalUs = 500'000;
  static constexpr int64_t kMaxIntervalUs = 4'000'000;
  static constexpr int64_t kInFlightUs = 20'000;
  static constexpr int64_t kCalmUs = 5'000'000;
  static constexpr int64_t kLowEstimateBps = 500'000;

  /* The consumer asked at @now: true when a request should go now. */
  bool on_request(int64_t now);
  /* The consumer was sent the start of a key frame at @now. */
  void on_keyframe_sent(int64_t now);
  /* True when a held request should go now. */
  bool poll(int64_t now);
  /* The request made on the consumer's behalf (connection up, rendition
   * switch, backlog dropped): counts for the interval. */
  void on_forced(int64_t now);
  void set_rtt(int64_t rtt_us) { rtt_us_ = rtt_us; }
  /* The consumer's bandwidth estimate (0: none, congestion control off). */
  void set_estimate(int64_t bps);
  /* The current interval between forwarded requests. */
  int64_t interval() const;

  guint64 received = 0;
  guint64 forwarded = 0;
  guint64 absorbed = 0;

 private:
  void forward(int64_t now);
  bool low() const;
  int64_t rtt_us_ = 0;
  int64_t estimate_bps_ = 0;
  int backoff_ = 0; /* the interval is kMinIntervalUs << backoff_ */
  int64_t last_request_ = -1;
  int64_t last_forward_ = -1;
  int64_t last_key_ = -1;
  bool held_ = false;
};

class KeyframeRequests : public std::enable_shared_from_this<KeyframeRequests> {
 public:
  struct Stats {
    guint64 received = 0;  /* PLI/FIR from the consumer */
    guint64 forwarded = 0; /* requests sent to its rendition */
    guint64 absorbed = 0;  /* answered by a key frame already sent */
    guint64 keyframes = 0; /* key frames the consumer was sent */
  };

  /* @request(stream) asks stream @stream's rendition for a key frame. */
  static std::shared_ptr<KeyframeRequests> create(
      std::string name, std::function<void(size_t)> request);

  /* Handles the requests coming up through @pad (video output @stream's
   * queue src pad) and watches the key frames going down. Session thread,
   * before data flows. */
  void install(GstPad *pad, size_t stream, const CodecInfo &codec);
  /* A request on the consumer's behalf for @stream, subject to the
   * interval unless @force. Any thread. */
  void request(size_t stream, bool force);
  void set_rtt(int64_t rtt_us);
  void set_estimate(int64_t bps);
  Stats stats() const;

 private:
  KeyframeRequests(std::string name, std::function<void(size_t)> request)
      : name_(std::move(name)), request_(std::move(request)) {}
  KeyframePolicy &policy(size_t stream);

  std::string name_;
  std::function<void(size_t)> request_;
  mutable std::mutex lock_; /* leaf; guards the fields below */
  std::vector<KeyframePolicy> policies_;
  guint64 keyframes_ = 0;
  int64_t rtt_us_ = 0;
  int64_t estimate_bps_ = 0;
};

} // namespace gws
