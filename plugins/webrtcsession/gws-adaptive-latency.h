/* gst-webrtc-session: a receiver's jitter-buffer latency that grows when
 * retransmissions come too late.
 *
 * A retransmission repairs a loss only if it arrives before the jitter
 * buffer gives the packet up, `latency` after it was due. It needs the gap
 * to show (for the last packet of a frame: the next frame, 33 ms at 30
 * frames/s), a NACK, one round trip and the sender's pacing. webrtcsrc's
 * 50 ms default keeps the first frame and every frame early on a clean
 * link, and is too short for that on a lossy one: measured with Chromium
 * sending 320x240 under 3% loss each way (tests/browser/test_loss.mjs),
 * of 20-30 retransmissions Chromium sent per 15 s, a third to a half
 * arrived after their deadline at 50 ms and nearly all in time at 100 ms.
 * libwebrtc's receivers adapt their playout delay the same way (a late
 * retransmission raises the jitter estimate).
 *
 * So each video jitter buffer of a receiver that asks for retransmissions
 * starts at the configured latency (the floor) and, when a packet it asked
 * for is given up while retransmissions arrived too late since the last
 * step, raises its latency by kStepMs, at most once per kMinStepGapMs and
 * up to the floor + kHeadroomMs. It never lowers it again during the
 * connection (a lower latency would drop the frames already held back; a
 * restart begins at the floor again). The jitter buffer posts a LATENCY
 * message on each change, so the pipeline re-computes its latency and the
 * sinks play the later frames in time (one pause of kStepMs).
 *
 * Threading: the probe runs on the jitter buffer's source pad streaming
 * thread (its one output task), which alone touches the adapter's state:
 * no lock. Setting `latency` takes the jitter buffer's own lock, which it
 * does not hold while it pushes an event. */
#pragma once

#include <gst/gst.h>

namespace gws {

constexpr guint kAdaptiveLatencyStepMs = 25;
constexpr guint kAdaptiveLatencyHeadroomMs = 150;

/* Watches @jitterbuffer (an rtpjitterbuffer, as rtpbin's
 * `new-jitterbuffer` hands it out) and raises its latency as above. */
void adaptive_latency_attach(GstElement *jitterbuffer);

} // namespace gws
