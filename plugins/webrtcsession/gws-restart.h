/* gst-webrtc-session: session restart policy, shared by both elements.
 *
 * webrtcbin 1.22 cannot ICE-restart, so a restart is make-before-break at
 * our layer: a second peer connection in the same session (new webrtcbin,
 * new gathering, new offer/answer through the same signaller), switched to
 * once it carries media; then the old one is closed. The elements own the
 * connections; this file owns the rules both apply:
 *  - the settings (path-timeout, auto-restart, max-restart-failures) and
 *    their property specs;
 *  - per session: path state, counters, and the rate limit (one attempt
 *    per second, doubling after every failed attempt);
 *  - the bus messages that report it.
 * See docs/protocol.md (restart on the wire) and docs/elements.md. */
#pragma once

#include "gws-net-watch.h"
#include "gws-path-monitor.h"

#include <gst/gst.h>

#include <string>

namespace gws {

struct RestartSettings {
  guint path_timeout_ms = 1000; /* 0: no detection */
  bool auto_restart = true;
  guint max_failures = 3;
};

/* A new connection that has not carried media after this long failed. */
constexpr gint64 kRestartAttemptTimeoutUs = 10 * G_USEC_PER_SEC;
/* How often each element's tick checks its sessions' paths (ms): a lost
 * path is declared at most this long after its silence passed the
 * threshold. The check reads a few atomics and the ICE agent's selected
 * pair per session. */
constexpr guint kPathCheckIntervalMs = 50;
/* RTCP interval our webrtcbins use, so RTCP is a heartbeat (ms): the
 * floor of rtpsession's interval, which follows the media bitrate above it
 * (gws-path-monitor.h). */
constexpr guint kHeartbeatRtcpIntervalMs = 250;
/* A sender hears only RTCP, which browsers send 0.5-1.5 s apart: until it
 * has learnt its peer's rhythm, it waits this long before a path counts as
 * lost (ms). */
constexpr guint kSenderLearningFloorMs = 2500;
/* Before the first SRTP, SRTCP or DTLS application-data packet (the data
 * channel's) a connection is in its DTLS handshake, whose flights may
 * come a retransmission timer apart (1 s, then 2 s, 4 s): a silence counts
 * as a lost path only past this (ms). Measured: 128 consumers starting at
 * once on 2 cores, 15-64 of them called their path lost 1.0-1.4 s into a
 * handshake (6-12 DTLS packets, no media) and restarted, more work for
 * the same busy machine. */
constexpr guint kHandshakeSilenceMs = 10000;
/* A silence while received packets wait in the socket is the process
 * being behind, not the path (PathMonitor::receive_backlog()), up to
 * this long (ms): past it the reader is not starved but stopped. */
constexpr guint kBacklogExcuseMaxMs = 5000;

/* The `gws-restart` debug category (also for gws-restart-steps.h). */
GstDebugCategory *restart_debug_category();

void restart_install_properties(GObjectClass *klass, guint prop_path_timeout,
    guint prop_auto_restart, guint prop_max_failures);

/* TRUE when @signaller's protocol carries restarts: its "session-restarts"
 * capability (GwsSignaller interface) is TRUE (the relay protocol's is;
 * WHIP and WHEP cannot). */
bool signaller_carries_restarts(GObject *signaller);

/* TRUE when @signaller's protocol carries a renegotiation (a second offer
 * on the same connection, e.g. for an input added or released): its own
 * boolean "renegotiations" property where it has one (an optional
 * capability, outside the interface: the Janus signaller's is TRUE, as
 * Janus takes a publisher's new offer in a `configure` but no restart),
 * else "session-restarts". */
bool signaller_carries_renegotiations(GObject *signaller);

class RestartTracker {
 public:
  enum class Path { Ok, Lost, Restarting };

  bool may_attempt(gint64 now_us) const { return now_us >= next_allowed_us_; }
  /* Returns the attempt number (1 for the first after a success). */
  guint begin_attempt(gint64 now_us);
  /* The attempt failed; TRUE when no further attempt is allowed. */
  bool attempt_failed(gint64 now_us, guint max_failures);
  /* The new connection took over; returns ms since the attempt began. */
  guint64 switched(gint64 now_us);

  Path path = Path::Ok;
  guint restarts = 0; /* successful, in total */
  guint failures = 0; /* consecutive failed attempts */
  gint64 started_us = 0;
  /* When the OS first said the path's local address was gone (0: not). */
  gint64 address_gone_us = 0;
  /* The newest default route this session acted on
   * (gws-route-watch.h): one route, at most one restart. */
  gint64 route_acted_us = 0;
  /* When check_path() last ran for this session; whether it passed over
   * a late check (kLateCheckUs) and judges nothing before
   * judge_from_us. */
  gint64 last_check_us = 0;
  bool skipped_late = false;
  gint64 judge_from_us = 0;

 private:
  gint64 next_allowed_us_ = 0;
  guint backoff_ms_ = 1000;
};

const char *path_state_name(RestartTracker::Path path);

/* Checks a live connection's path (session thread, from the element's
 * tick and at once on a network change, gws-net-watch.h): updates
 * @tracker's path state; on the first check of a loss it reports it (a
 * warning, the `gws-path-lost` message with its "reason", and the
 * element's "path-lost" signal @path_lost_signal). A loss is one of:
 *  - "local-address-gone": the pair's local address is gone or its
 *    interface down (gws-local-addresses.h);
 *  - "route-gone": the OS has no route to the selected pair's remote
 *    address, or one through an interface that is down
 *    (gws-route-lookup.h), and the peer's packets come often enough to
 *    confirm it (PathMonitor::os_confirm_ms() under its 150 ms maximum);
 *    each confirmed by a silence of os_confirm_ms() (50-150 ms: the
 *    pair's packets may come in over another link), both together at
 *    once;
 *  - "new-default-route": a new default route (gws-route-watch.h, at most
 *    kRouteWindowMs old) while the path is degraded
 *    (PathMonitor::degraded_ms());
 *  - "silence": a silence past the threshold (PathMonitor::threshold_ms();
 *    kHandshakeSilenceMs before the first packet that follows the DTLS
 *    handshake: SRTP, SRTCP or the data channel's), unless
 *    packets wait in the socket (for up to kBacklogExcuseMaxMs).
 * The OS's words are acted on after @os_grace_ms: the sender
 * waits a little (kSenderOsGraceMs) so that, when both ends see the same
 * link go down, the receiver's restart comes first and there is one
 * restart, not two crossing. Returns TRUE when a restart should be
 * attempted now. */
bool check_path(GstElement *element, guint path_lost_signal,
    const std::string &session_id, RestartTracker &tracker,
    const PathMonitor &monitor, const RestartSettings &settings, gint64 now_us,
    guint os_grace_ms = 0);

constexpr guint kSenderOsGraceMs = 500;

/* A check this long after the session's previous one (four ticks) finds
 * a process that did not run meanwhile (stopped, or starved of CPU): the
 * silence it measures is ours, and the packets that came meanwhile may be
 * read already but not yet through our threads (so the socket shows no
 * backlog either). check_path() then judges nothing for a tick
 * (kPathCheckIntervalMs); the first check after that does, late or not. (The
 * first check after a restart's switch is late too, the path not being checked
 * meanwhile: one tick later, no harm.) */
constexpr gint64 kLateCheckUs = 4 * kPathCheckIntervalMs * 1000;

/* With a signaller that carries no restart (WHIP, WHEP, Janus, offline),
 * a lost path cannot be mended, and webrtcbin 1.22 never reports a peer
 * that is gone: a path silent this long ends its session (ms). 30 s is
 * the consent lifetime of RFC 7675: a live peer that stopped hearing us
 * would have stopped sending by then too. */
constexpr guint64 kUncarriedPathEndMs = 30000;

/* TRUE when a session whose signaller carries no restart is over: path
 * detection is on (path-timeout), the connection received packets once,
 * its path is lost and nothing arrived for kUncarriedPathEndMs. The caller
 * checks the signaller (signaller_carries_restarts). */
bool path_is_over(const RestartTracker &tracker, const PathMonitor &monitor,
    const RestartSettings &settings, gint64 now_us);
/* A new default route is news for this long. */
constexpr gint64 kRouteWindowMs = 10000;

/* Posts an element message @name with session-id and the given fields
 * (NULL-terminated, as gst_structure_new). */
void post_restart_message(GstElement *element, const char *name,
    const std::string &session_id, const char *first_field,
    ...) G_GNUC_NULL_TERMINATED;

} // namespace gws
