/* gst-webrtc-session: what one consumer's RTP looks like.
 *
 * webrtcsink's payloaders are shared by every consumer of a (stream,
 * codec). Between the shared tee and a consumer's webrtcbin each output
 * gets its own identity: its own SSRC (signalled in that consumer's SDP,
 * so no two peers ever see the same one and each connection's
 * retransmission history and RTCP are its own), and the payload type that
 * consumer negotiated when it offered its own numbering.
 *
 * The shared payloader also writes a transport-wide congestion control
 * header extension (gws-twcc.h) with a placeholder number. TWCC numbers
 * every packet of a connection, across its streams, so each output writes
 * the next number of its consumer's counter (shared by that consumer's
 * streams), under the id that consumer negotiated; a consumer that did not
 * negotiate TWCC gets the extension blanked out (padding).
 *
 * Threading: the rewrite runs in a pad probe on the consumer's queue
 * streaming thread (one thread: the continuity state is that thread's
 * alone); the values are fixed before data flows. The TWCC
 * counter is atomic (one consumer's streams run on several threads). */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>

namespace gws {

struct RtpRewrite {
  guint32 ssrc = 0;        /* 0: keep the payloader's */
  int from_pt = -1;        /* payload type of the shared payloader */
  int to_pt = -1;          /* payload type this consumer uses; -1: keep */
  guint8 twcc_from_id = 0; /* the payloader's TWCC extension id; 0: none */
  guint8 twcc_to_id = 0;   /* the consumer's; 0: not negotiated */
  /* The consumer's transport-wide sequence (one per connection). */
  std::shared_ptr<std::atomic<guint16>> twcc_seq;
  /* The output may switch between renditions (several payloaders, each
   * with its own SSRC, sequence and timestamp base): when the incoming
   * SSRC changes, sequence numbers go on from the last one sent and
   * timestamps from the last one plus the time between the two buffers
   * (their PTS), so the consumer sees one stream. The payloaders'
   * seqnum-offset and timestamp-offset leave the caps. */
  bool continuous = false;
  /* Video (with `continuous`): the first packet of a key frame. When set,
   * packets lost between the shared payloader and this rewrite (the
   * output's leaky queue, the pacer's backlog bound: gws-rtp-pacer.h)
   * leave no gap in the consumer's sequence numbers. Such a packet was
   * never in the consumer's webrtcbin, so no retransmission can replace
   * it: a gap only makes the receiver ask for it in vain (6690 NACKs in
   * 20 s under overload) before it gives up and asks for a key frame.
   * Instead the output drops up to the next key frame (a delta frame
   * after a lost one would decode against a missing reference),
   * numbering on as if those packets had never been, and calls
   * `on_gap` once per gap so the key frame is asked for at once. */
  std::function<bool(GstBuffer *)> starts_keyframe;
  std::function<void()> on_gap;
  /* Counts the packets not forwarded so (lost before, skipped here). */
  std::shared_ptr<std::atomic<guint64>> gap_packets;
  /* Called (session thread, before data flows) with the pad the rewrite
   * goes on, so that probes it adds run before the rewrite: the
   * consumer's pacer and key-frame requests (gws-rtp-pacer.h,
   * gws-keyframe-requests.h). */
  std::function<void(GstPad *)> install_before;
};

/* A fresh random SSRC (never 0). */
guint32 random_ssrc();

/* Installs the rewrite on @pad (buffers, buffer lists and caps events);
 * the probe owns its copy of @rw. Nothing is installed when @rw changes
 * nothing. */
void install_rtp_rewrite(GstPad *pad, const RtpRewrite &rw);

} // namespace gws
