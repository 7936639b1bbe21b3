/* gst-webrtc-session: loss recovery (NACK + RTX, RED + ULPFEC) for both
 * elements.
 *
 * webrtcbin 1.22 has the pieces (a transceiver's `do-nack` and `fec-type`,
 * an rtprtxsend with a 500-packet history per connection, the jitter
 * buffer's retransmission requests, rtpulpfecenc/dec, rtpredenc/dec); this
 * file turns them on the same way for webrtcsink's consumers and
 * webrtcsrc's sessions and mends what 1.22 leaves out:
 *  - its offers carry an rtx payload (and `nack` feedback) for the FIRST
 *    codec of an m-line only, so a peer that picks another codec (a browser
 *    choosing H264 from "VP8, H264, VP9") could never ask for a
 *    retransmission. complete_rtx_in_offer() adds the missing rtx payloads,
 *    with their `apt=`, before the offer is sent and set locally.
 *  - counters for `stats`: webrtcbin has no NACK/RTX/FEC figures of its
 *    own beyond the RTCP source stats; collect_* walk its children.
 *
 * Each webrtcbin is one consumer's connection, so the retransmission
 * history (rtprtxsend) is per consumer by construction; the shared encoder
 * never sees it.
 *
 * Threading: the transceiver and SDP work runs on the element's session
 * thread; the `new-jitterbuffer` handler and the decoder tuning run on
 * webrtcbin's streaming threads and only set properties of the new
 * element; the collectors run on the `stats` caller's thread and only read
 * element properties. */
#pragma once

#include "gws-codecs.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

namespace gws {

/* RTCP interval floor of a receiver that asks for retransmissions. RFC 4585
 * lets an early feedback packet (a NACK) follow the previous one only after
 * the regular interval, and rtpsession uses its minimum interval for that:
 * at the 250 ms heartbeat (gws-restart.h) a second loss within a quarter
 * second would be asked for too late for any jitter buffer latency we use.
 * The regular interval then follows the RTCP bandwidth (about 50 ms at
 * 1 Mbit/s: ~16 kbit/s of receiver reports). */
constexpr guint kFeedbackRtcpIntervalMs = 20;

struct LossRecovery {
  bool retransmission = true; /* NACK + RTX for video */
  bool fec = false;           /* RED + ULPFEC for video */
  guint fec_percentage = 20;  /* protection added when fec is on */
};

/* Installs `do-retransmission` and `do-fec` with ids @retransmission_id and
 * @fec_id. */
void loss_recovery_install_properties(
    GObjectClass *klass, guint retransmission_id, guint fec_id);

/* Turns NACK/RTX and FEC on or off on a transceiver of @kind before
 * negotiation (audio gets neither: Opus carries its own in-band FEC). */
void loss_recovery_configure(
    GstWebRTCRTPTransceiver *trans, MediaKind kind, const LossRecovery &config);

/* Tunes every jitter buffer @webrtcbin makes (call before negotiation):
 * with retransmission, only a gap in the sequence numbers is asked for
 * (`rtx-next-seqnum` off). Guessing when the next packet is due, the
 * default, turns a sender's pause (a burst of a key frame, a busy CPU) into
 * NACKs for packets not sent yet and then into packets declared lost a few
 * milliseconds before they arrive: measured here, VP8 on a clean link lost
 * 80 of 1330 packets that way. */
void loss_recovery_tune_receiver(GstElement *webrtcbin);

/* Sets up a decoder the receiver's decodebin made (deep-element-added, a
 * streaming thread): opusdec uses in-band FEC and concealment. */
void loss_recovery_tune_decoder(GstElement *element);

/* Adds to every video m-line of @sdp (an offer webrtcbin made) an rtx
 * payload with `apt=` for each codec payload that has none yet, and `nack`
 * feedback for it. The new payload types are free ones across the whole
 * BUNDLE group (96-127, then 35-63). Returns how many were added. */
guint complete_rtx_in_offer(GstSDPMessage *sdp);

/* Loss-recovery counters of one connection, summed over its streams. */
struct LossCounters {
  /* receiving side */
  guint64 packets_received = 0;
  guint64 packets_lost = 0; /* lost for good (jitter buffer gave up) */
  guint64 packets_late = 0;
  guint64 nacks_sent = 0;
  guint64 rtx_requests = 0;  /* retransmissions asked for (jitter buffer) */
  guint64 rtx_recovered = 0; /* of those, arrived in time */
  guint64 rtx_received = 0;  /* rtx packets that arrived */
  guint64 fec_recovered = 0;
  guint64 fec_unrecovered = 0;
  guint64 plis_sent = 0;
  guint64 firs_sent = 0;
  guint latency_ms = 0; /* the longest jitter-buffer latency now (it grows:
                         * gws-adaptive-latency.h) */
  /* sending side */
  guint64 packets_sent = 0;
  guint64 nacks_received = 0;
  guint64 rtx_requests_received = 0; /* packets asked for again (each one
                                      * per request, answerable or not) */
  guint64 rtx_packets_sent = 0;
  guint64 fec_packets_sent = 0; /* media packets FEC protected */
  guint64 plis_received = 0;
  guint64 firs_received = 0;
  gint64 remote_packets_lost = 0; /* the peer's receiver reports */
};

/* Reads the counters of @webrtcbin's rtpsession, rtprtxsend/receive,
 * jitter buffers and FEC elements. */
LossCounters collect_loss_counters(GstElement *webrtcbin);

/* Sets the receive-side (@receiving) or send-side fields of @counters into
 * @s. */
void loss_counters_to_structure(
    const LossCounters &counters, bool receiving, GstStructure *s);

} // namespace gws
