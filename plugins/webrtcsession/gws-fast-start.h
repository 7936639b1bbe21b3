/* gst-webrtc-session: the first frame without waiting for it (webrtcsrc;
 * the transport preload for webrtcsink too).
 *
 * Two things between a connected session and its first decoded frame that
 * cost time without buying anything on the first frame:
 *  - the jitter buffer holds the first packet of every stream for its whole
 *    `latency` (a deadline timer) before pushing anything, because it
 *    cannot know whether an earlier packet is still on its way. Its
 *    `faststart-min-packets` (GStreamer >= 1.18) starts it instead as soon
 *    as a few consecutive packets are in: a key frame is many packets sent
 *    back to back, so that is at once. Later packets are held as before
 *    (gaps still wait for retransmission within the latency); a sink that
 *    synchronises still shows the frame at its timestamp plus the
 *    pipeline latency.
 *  - the depayloader and the decoder are made, and their plugins loaded
 *    from disk, only when the first packet leaves the jitter buffer.
 *    fast_start_preload() loads them (and makes their classes) on a GLib
 *    pool thread as soon as the answer is out (the remote description says
 *    which codecs will come), while ICE and DTLS run. Not earlier: plugin
 *    loading is serialised process-wide, and webrtcbin loads its own
 *    plugins while it applies the offer.
 *
 * The same goes, for both elements, for the plugins webrtcbin itself loads
 * on first use (srtp, nice, rtp, sctp, app, ...: ~10 ms of a fresh
 * process's first offer, more on a busy machine):
 * fast_start_preload_transport() loads them on the DTLS warm-up thread
 * (gws-ice.h) that the elements start in NULL->READY, while the signaller
 * connects and waits for a session.
 *
 * And, for every webrtcbin of ours (both elements, webrtccall), ICE's own
 * waits: libnice sends one connectivity check per tick of its pacing timer
 * (Ta, 20 ms by default), and on a direct path the connection takes four
 * ticks one after the other (the controlled side's first check, the
 * controlling side's triggered check, its nomination decision, the check
 * carrying USE-CANDIDATE): ~70 ms of ICE on loopback where the round
 * trips take microseconds. fast_start_tune_ice() paces at
 * kFastStartIceCheckMs (RFC 8445's floor for Ta) until the first
 * component is ready, then puts libnice's default back (see there).
 *
 * Threading: fast_start_tune_receiver() runs on the session thread; its
 * `new-jitterbuffer` handler on webrtcbin's streaming thread only sets a
 * property of the new element. fast_start_preload() returns at once; the
 * loading runs on a thread of GLib's shared pool (GTask) and touches only
 * the registry (which has its own lock), never an element of ours.
 * fast_start_tune_ice() runs where the webrtcbin is made; its
 * `component-state-changed` handler runs on libnice's thread (libnice
 * emits it with its agent lock released) and only sets the agent's pacing
 * property. */
#pragma once

#include "gws-codecs.h"

#include <gst/gst.h>

#include <vector>

namespace gws {

/* Consecutive packets a receiver's jitter buffer needs to start. */
constexpr guint kFastStartPackets = 2;

/* libnice's connectivity check pacing (Ta) while a webrtcbin of ours
 * connects: RFC 8445 section 14 allows down to 5 ms. */
constexpr guint kFastStartIceCheckMs = 5;

/* Sets @webrtcbin's NiceAgent to pace its checks at kFastStartIceCheckMs
 * until its first component is ready (nominated), then back to the
 * agent's own setting, so that later checks (consent, late candidates)
 * and libnice's post-check idle timer (it ticks every Ta for 5 s) cost
 * what they did. Nothing when webrtcbin's agent is not libnice. Call
 * before negotiation, on any thread. */
void fast_start_tune_ice(GstElement *webrtcbin);

/* Makes every jitter buffer @webrtcbin creates start on its first
 * kFastStartPackets consecutive packets. Call before negotiation. */
void fast_start_tune_receiver(GstElement *webrtcbin);

/* Loads, in the background, the plugins that will handle @codecs: the
 * depayloader, the parser, decodebin and the decoder decodebin would pick
 * for the codec's encoded caps. Each factory is loaded once per process. */
void fast_start_preload(const std::vector<const CodecInfo *> &codecs);

/* Loads the plugins webrtcbin uses and makes their element classes, once
 * per process; blocks (call it on a thread of its own). */
void fast_start_preload_transport();

} // namespace gws
