/* gst-webrtc-session: renditions: a small ladder of shared encoders per
 * (input stream, codec), consumers spread over them by estimate.
 *
 * The first encoder branch of a (stream, codec) holds every consumer's
 * output (a funnel, then the consumer's queue and RTP rewrite, then its
 * webrtcbin). Each lower rendition is another EncoderBranch on the same
 * input, at a lower bitrate; its tee feeds every output's funnel too,
 * behind a gate (OutputGate) that lets through one rendition per output.
 * A switch is make-before-break: the gate keeps passing the old rendition
 * until the new one starts a key frame (asked for at the switch), then
 * passes only the new one. The RTP rewrite (gws-rtp-rewriter.h,
 * `continuous`) keeps the consumer's SSRC, sequence numbers and
 * timestamps going across the switch: no renegotiation, the viewer sees a
 * quality step.
 *
 * plan_renditions() decides (pure function): consumers sorted by
 * estimate, a new rendition starts where an estimate is under 0.7 x the
 * lowest estimate of the rendition above, at most @max renditions (the
 * last takes everyone below), each rendition's rate the lowest estimate of
 * its consumers. The number of encoders depends on how many distinct
 * rates are needed, never on the number of consumers. A rendition whose
 * rate is too low for its picture encodes a smaller one (and at the very
 * bottom fewer frames): gws-picture-scaler.h. A consumer without
 * feedback yet counts at its start estimate, so it starts on the
 * rendition that suits start-bitrate.
 *
 * Threading: the gates run in pad probes on the renditions' streaming
 * threads (atomics only); the rest on the sink's session thread. */
#pragma once

#include "gws-codecs.h"

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace gws {

/* Whether @buf (an RTP packet of @codec) is the first packet of a key
 * frame: VP8 (start of partition 0, P bit clear), VP9 (B set, P clear),
 * H264 (IDR or SPS, alone, in a STAP-A or starting an FU-A). */
bool rtp_starts_keyframe(GstBuffer *buf, const CodecInfo &codec);

/* Which rendition one output passes. */
class OutputGate {
 public:
  explicit OutputGate(const CodecInfo &codec) : codec_(codec) {}
  /* Asks for @rendition from its next key frame on. */
  void switch_to(int rendition);
  int active() const { return active_.load(); }
  int pending() const { return pending_.load(); }
  guint64 switches() const { return switches_.load(); }
  /* The probe of rendition @rendition's link into the output. */
  GstPadProbeReturn filter(int rendition, GstPadProbeInfo *info);

 private:
  const CodecInfo &codec_;
  std::atomic<int> active_{0};
  std::atomic<int> pending_{-1};
  std::atomic<guint64> switches_{0};
};

/* Installs @gate on @pad (a tee src pad linked into the output) for
 * rendition @rendition; returns the probe id. */
gulong install_gate(
    GstPad *pad, std::shared_ptr<OutputGate> gate, int rendition);

/* Groups @estimates (bit/s, any order) into at most @max renditions.
 * Returns the rendition of each estimate (0 = highest) and sets @rates
 * (one per rendition, highest first). */
std::vector<int> plan_renditions(const std::vector<int64_t> &estimates,
    guint max, std::vector<int64_t> *rates);

} // namespace gws
