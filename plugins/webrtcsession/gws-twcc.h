/* gst-webrtc-session: transport-wide congestion control (TWCC) plumbing.
 *
 * A sender can only adapt its rate if the receiver tells it when each
 * packet arrived. TWCC (draft-holmer-rmcat-transport-wide-cc-extensions)
 * does that: the sender numbers every RTP packet of a connection in a
 * header extension, the receiver's rtpsession answers with RTCP
 * `transport-cc` feedback listing each number's arrival time, and the
 * sender's rtpsession turns that feedback into an upstream custom event
 * "RTPTWCCPackets" (one structure per packet: seqnum, local-ts, remote-ts,
 * size, lost). webrtcbin 1.22 adds the `transport-cc` RTCP feedback to
 * every offer by itself but the header extension only when the codec
 * preferences carry an `extmap-N` field, and keeps it in an answer only
 * when the answerer's preferences carry the same id. So:
 *  - our offers (webrtcsink and webrtcsrc) put `extmap-<kTwccExtId>` in
 *    every codec preference (twcc_offer());
 *  - our answers copy the id the peer offered (twcc_answer());
 *  - webrtcsink's shared payloaders carry the extension (the payloader
 *    writes a placeholder); each consumer's RTP rewrite
 *    (gws-rtp-rewriter.h) renumbers it per connection with that
 *    consumer's id, so the numbering is transport-wide and per peer even
 *    though the payloader is shared;
 *  - webrtcsrc's rtpsession sees the extension in the negotiated caps and
 *    generates the feedback itself, every kTwccFeedbackIntervalMs
 *    (twcc_tune_receiver()).
 *
 * Threading: the SDP helpers run on the session threads; parse_feedback()
 * on the sender rtpsession's RTCP thread (a pad probe); tune_receiver()'s
 * handlers on whatever thread adds an element or pad inside the
 * webrtcbin, its probe on the receiver's streaming threads (the jitter
 * buffer's for requests, the receive path's for packets; atomics, and
 * the RTP session's own property setter). */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <cstdint>
#include <vector>

namespace gws {

constexpr const char *kTwccUri
    = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-"
      "extensions-01";
/* The id our offers and our payloaders use. */
constexpr guint8 kTwccExtId = 3;

/* How often a receiver of ours sends transport-wide feedback while it
 * asks for no retransmission. rtpsession 1.22 otherwise sends one after
 * every frame's last packet (the marker bit): 30 RTCP packets a second
 * per connection, each encrypted, sent, decrypted and parsed, most of a
 * receiver's RTCP thread and of the sender's RTCP work at 96 consumers.
 * libwebrtc's receivers send it every 100 ms by default (50-250 ms by
 * rate), the rhythm the estimator (gws-bandwidth-estimator.h) already
 * gets from browsers.
 *
 * But those per-frame reports are also what carries a NACK out in time:
 * rtpsession sends a NACK in the next RTCP packet, early feedback is
 * allowed once per regular interval (~200 ms at these rates), and a NACK
 * whose deadline passes first is dropped. With feedback every 100 ms the
 * `network/delay` case (3 % loss, 60 ms each way) sent 29-30 NACKs
 * instead of 61 and recovered 19-20 losses instead of 50. So a session
 * goes back to feedback after every frame as soon as its jitter buffer
 * asks for a retransmission, for 5 s after the last request: a clean
 * path (most viewers of a fan-out) gets the interval, a lossy one the
 * per-frame rhythm it had. */
constexpr guint kTwccFeedbackIntervalMs = 100;

/* The TWCC extension id an SDP media section negotiates, 0 if none. */
guint8 twcc_ext_id_in_media(const GstSDPMedia *media);

/* Adds `extmap-<kTwccExtId>` to a codec preference of an offer. */
void twcc_offer(GstStructure *codec_pref);

/* Adds the extension @media (the peer's offer) negotiates, if any, to a
 * codec preference of our answer. Returns its id, 0 if none. */
guint8 twcc_answer(const GstSDPMedia *media, GstStructure *codec_pref);

/* Adds the TWCC header extension with kTwccExtId to an RTP payloader.
 * False if rtphdrexttwcc is missing (then nothing is numbered). */
bool twcc_add_to_payloader(GstElement *payloader);

/* Makes @webrtcbin's RTP sessions (a receiver's) send transport-wide
 * feedback every kTwccFeedbackIntervalMs instead of after every frame,
 * but after every frame again while retransmissions are asked for (a pad
 * probe on each rtpsession's recv_rtp_src: the jitter buffer's upstream
 * requests, and a time check per packet). Call before it negotiates (the
 * sessions appear then). */
void twcc_tune_receiver(GstElement *webrtcbin);

/* The TWCC extension id a caps structure names (`extmap-N` with the TWCC
 * URI, as a string or as webrtcbin's (direction, uri, attributes) array),
 * 0 if none. */
guint8 twcc_ext_id_in_caps(const GstStructure *s);

/* Mends what GStreamer 1.22.0's rtpredenc (Debian 12's) does to TWCC when
 * FEC is on: every packet of such a stream leaves wrapped in a RED packet
 * whose TWCC element has id 1 whatever id was negotiated (fixed upstream
 * in 1.22.1, commit 2048a0a4d9). rtpsession, which numbers the elements
 * with the negotiated id, numbers none of them; the receiver has nothing
 * to report, and the sender's congestion control gets no feedback at all
 * and keeps its start rate. A probe on each rtpredenc @webrtcbin makes
 * moves that element to the id the stream's caps name, before rtpsession
 * numbers it; a no-op on a fixed GStreamer (the element already has that
 * id). Call before negotiation, for a webrtcbin that sends with FEC.
 * Threading: the handler runs on whatever thread adds the FEC encoder (a
 * streaming or the session thread), the probe on the encoder's streaming
 * thread (the id is an atomic the caps event sets). */
void twcc_mend_red(GstElement *webrtcbin);

/* One packet of transport-wide feedback, as the sender's rtpsession
 * reports it. Times in nanoseconds on the sender's (local) and the
 * receiver's (remote) clocks; remote is -1 when the packet was lost. */
struct TwccPacket {
  guint16 seqnum = 0;
  gint64 local_ns = -1;
  gint64 remote_ns = -1;
  guint size = 0; /* payload bytes */
  bool lost = false;
};

/* Parses an "RTPTWCCPackets" event. False if @event is not one. */
bool twcc_parse_feedback(GstEvent *event, std::vector<TwccPacket> &out);

/* Whether @event is rtpsession's "RTPTWCCPackets" feedback report: ours
 * to read at the consumer's webrtcbin, never to travel further upstream
 * (through the shared branch into the application's pipeline). */
bool twcc_is_feedback(GstEvent *event);

/* Drops the feedback reports coming up through @pad (a consumer's
 * webrtcbin sink pad) when nothing reads them there (congestion control
 * off). Streaming thread; the probe goes with the pad. */
void twcc_drop_feedback(GstPad *pad);

} // namespace gws
