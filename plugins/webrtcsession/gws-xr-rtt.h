/* gst-webrtc-session: a receive-only peer's round-trip time, in webrtcsink:
 * `rrtr` in our offers, and RTCP XR Receiver Reference Time (RRTR) blocks
 * answered with DLRR (RFC 3611 4.4, 4.5).
 *
 * Why: a peer that only receives cannot measure the round trip from sender
 * and receiver reports (those only tell the sender); it sends an RRTR and
 * takes the round trip from the sender's DLRR answer. Chromium's video
 * receiver does that when the offer carries `a=rtcp-fb:PT rrtr` (it leaves
 * it out of its answer but follows it), and libwebrtc senders answer;
 * webrtcbin 1.22 neither offers it nor answers. Without a round trip a
 * Chromium viewer falls back on 100 ms, which is how long it waits before
 * asking again for a packet whose NACK or retransmission was lost: at 5 %
 * loss each way that held a frame back long enough to count as a freeze
 * about once per 20 s, where Chromium -> Chromium never froze (measured:
 * docs/benchmarks.md "The 5% freeze gap to Chromium, measured").
 *
 * What: xr_rtt_add_rrtr() adds `rrtr` next to each video payload's `nack` in
 * our offer, and in our answer when the consumer offered (a restart, a WHEP
 * client): Chromium's receiver follows the answer's `rrtr` to its own offer
 * too. Every RRTR block arriving in a consumer's RTCP is remembered
 * (the middle 32 bits of its NTP timestamp, per reporting SSRC, with the
 * local arrival time); the next RTCP packet of each of our SSRCs that
 * consumer's webrtcbin sends carries one XR packet with a DLRR block
 * answering each (the delay since arrival in 1/65536 s), once per SSRC.
 *
 * Where: the `on-receiving-rtcp` and `on-sending-rtcp` signals of each
 * RTPSession of the consumer's webrtcbin (found on deep-element-added).
 *
 * Threading: on-receiving-rtcp runs on the thread receiving the
 * consumer's RTCP, on-sending-rtcp on rtpsession's RTCP thread. A Dlrr's
 * `lock_` (a leaf; nothing is called with it held) guards its pending
 * answers. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace gws {

/* The pending answers of one RTP session (pure: no GStreamer object). */
class Dlrr {
 public:
  struct Block {
    guint32 ssrc; /* the receiver that sent the RRTR */
    guint32 lrr;  /* the middle 32 bits of its NTP timestamp */
    guint32 dlrr; /* delay since it arrived, 1/65536 s */
  };
  /* An RRTR with NTP timestamp @ntp arrived from @ssrc at @now_us. */
  void on_rrtr(guint32 ssrc, guint64 ntp, gint64 now_us);
  /* The answers due at @now_us in the report of our @sender_ssrc: each
   * RRTR once per sender SSRC. Once per sender, not once in all: a peer
   * keeps the round trip per media stream, under the SSRC that sent the XR
   * packet (Chromium's receivers of audio and video both report as SSRC 1,
   * so the RRTR does not say which of our streams it was for), and
   * webrtcbin sends each of our SSRCs' reports in its own RTCP packet
   * (audio, video): answered only in whichever came first, the video
   * receiver missed about half of the answers when audio was there too. */
  std::vector<Block> take(guint32 sender_ssrc, gint64 now_us);

 private:
  struct Pending {
    guint32 lrr;
    gint64 arrival_us;
    std::vector<guint32> answered_by; /* our SSRCs that answered it */
  };
  std::mutex lock_; /* leaf; guards pending_ */
  std::map<guint32, Pending> pending_;
};

/* The bytes of an RTCP XR packet from @sender_ssrc with one DLRR block
 * holding @blocks (at least one). */
std::vector<guint8> dlrr_packet(
    guint32 sender_ssrc, const std::vector<Dlrr::Block> &blocks);

/* Adds `a=rtcp-fb:PT rrtr` for every video payload of @sdp (our offer,
 * or our answer to a consumer's offer) that has `nack` feedback and no
 * `rrtr` yet. Returns how many were added. */
guint xr_rtt_add_rrtr(GstSDPMessage *sdp);

/* Answers the RRTRs of every RTP session @webrtcbin has or will have.
 * Call before negotiation. */
void xr_rtt_attach(GstElement *webrtcbin);

} // namespace gws
