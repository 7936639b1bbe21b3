/* gst-webrtc-session: session restart policy (see gws-restart.h). */
#include "gws-restart.h"

#include "gws-debug.h"
#include "gws-signaller.h"
#include "gws-route-watch.h"

#include <algorithm>
#include <cstdarg>
#include <utility>

GWS_DEBUG_CATEGORY(gws_restart_debug, "gws-restart", "session restart policy")
#define GST_CAT_DEFAULT gws_restart_debug()

namespace gws {

GstDebugCategory *
restart_debug_category() {
  return gws_restart_debug();
}

void
restart_install_properties(GObjectClass *klass, guint prop_path_timeout,
    guint prop_auto_restart, guint prop_max_failures) {
  const auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(klass, prop_path_timeout,
      g_param_spec_uint("path-timeout", "Path timeout",
          "Milliseconds without any packet from the peer after which its "
          "network path counts as lost (path-lost signal, gws-path-lost "
          "message, and a restart if auto-restart). Never less than 2x the "
          "longest recent gap between the peer's packets (browsers send "
          "RTCP 0.5-1.5 s apart); sooner, but not under 400 ms, when the "
          "peer's RTP and RTCP reports come often enough to prove a loss "
          "(as from webrtcsink/webrtcsrc); not under 10 s before the DTLS "
          "handshake is done. 0 disables detection",
          0, 600000, 1000, rw));
  g_object_class_install_property(klass, prop_auto_restart,
      g_param_spec_boolean("auto-restart", "Auto restart",
          "Restart a session whose path is lost: a new connection in the "
          "same session, switched to once it carries media",
          TRUE, rw));
  g_object_class_install_property(klass, prop_max_failures,
      g_param_spec_uint("max-restart-failures", "Max restart failures",
          "Consecutive failed restart attempts (no media on the new "
          "connection within 10 s) after which the session ends (an error "
          "for a client webrtcsrc, a warning for the other sessions)",
          1, 1000, 3, rw));
}

bool
signaller_carries_restarts(GObject *signaller) {
  if (!signaller)
    return false;
  if (!GWS_IS_SIGNALLER(signaller))
    return false;
  return gws_signaller_get_session_restarts(GWS_SIGNALLER(signaller));
}

bool
signaller_carries_renegotiations(GObject *signaller) {
  if (!signaller || !GWS_IS_SIGNALLER(signaller))
    return false;
  GParamSpec *spec = g_object_class_find_property(
      G_OBJECT_GET_CLASS(signaller), "renegotiations");
  if (spec && spec->value_type == G_TYPE_BOOLEAN
      && (spec->flags & G_PARAM_READABLE)) {
    gboolean yes = FALSE;
    g_object_get(signaller, "renegotiations", &yes, nullptr);
    return yes;
  }
  return signaller_carries_restarts(signaller);
}

guint
RestartTracker::begin_attempt(gint64 now_us) {
  started_us = now_us;
  path = Path::Restarting;
  /* At most one attempt per second, whatever asks for it. */
  next_allowed_us_ = now_us + static_cast<gint64>(backoff_ms_) * 1000;
  return failures + 1;
}

bool
RestartTracker::attempt_failed(gint64 now_us, guint max_failures) {
  failures++;
  backoff_ms_ = std::min<guint>(backoff_ms_ * 2, 30000);
  next_allowed_us_ = now_us + static_cast<gint64>(backoff_ms_) * 1000;
  path = Path::Lost;
  return failures >= max_failures;
}

guint64
RestartTracker::switched(gint64 now_us) {
  restarts++;
  failures = 0;
  backoff_ms_ = 1000;
  path = Path::Ok;
  return started_us ? static_cast<guint64>(now_us - started_us) / 1000 : 0;
}

const char *
path_state_name(RestartTracker::Path path) {
  switch (path) {
    case RestartTracker::Path::Ok:
      return "ok";
    case RestartTracker::Path::Lost:
      return "lost";
    case RestartTracker::Path::Restarting:
      return "restarting";
  }
  return "ok";
}

bool
check_path(GstElement *element, guint path_lost_signal,
    const std::string &session_id, RestartTracker &tracker,
    const PathMonitor &monitor, const RestartSettings &settings, gint64 now_us,
    guint os_grace_ms) {
  /* Nothing to judge before the first packet or with detection off. */
  if (settings.path_timeout_ms == 0 || monitor.packets() == 0)
    return false;
  /* This process did not run since the last check: judged a tick later
   * (kLateCheckUs; seen: a receiver stopped for 2.5 s with packets
   * waiting for it called its path lost on waking, 1 run in ~10). A
   * check right after the late one (another trigger on waking) waits
   * too: what was read meanwhile is not through our threads yet. */
  gint64 last = std::exchange(tracker.last_check_us, now_us);
  if (last && now_us - last > kLateCheckUs && !tracker.skipped_late) {
    tracker.skipped_late = true;
    tracker.judge_from_us = now_us + kPathCheckIntervalMs * 1000;
    GST_DEBUG_OBJECT(element,
        "session %s: checked %" G_GINT64_FORMAT " ms after the last check "
        "(this process was not running, or the path was not checked during "
        "a restart): judged a tick later",
        session_id.c_str(), (now_us - last) / 1000);
  }
  if (now_us < tracker.judge_from_us)
    return false;
  tracker.skipped_late = false;
  guint64 silence = monitor.silence_ms(now_us);
  /* The OS's word first: the local end of the path went away, or the
   * route to its remote end did. */
  PathMonitor::OsWord os = monitor.os_word();
  if (!os.any())
    tracker.address_gone_us = 0;
  else if (!tracker.address_gone_us)
    tracker.address_gone_us = now_us;
  /* Neither word alone proves the pair dead: libnice pins each host
   * socket to its address's interface (IP_UNICAST_IF; the kernel then
   * sends on-link through it whatever the routes say), and the peer may
   * send over a pair of its own choosing, so packets can keep coming over
   * another link (seen in the restart rig: local 10.99.2.2 on a downed
   * veth, media flowing; a pair 10.99.1.1 -> 10.99.2.2 carrying media
   * with the route to 10.99.2.2 through a downed veth). Each counts
   * together with a silence of three of the peer's usual gaps between
   * arrivals (os_confirm_ms(), 50-150 ms). The route counts only when the
   * peer's packets come that often (a receiver of video, not a sender
   * hearing only RTCP, whose usual gaps are silences too). Both at once
   * (the pair's own link is gone on this side: our socket cannot send,
   * and the peer's subnet is unreachable) need no confirmation: a restart
   * is make-before-break, so even a wrong one shows nothing. */
  guint64 os_silence = monitor.os_confirm_ms();
  if (os.route_gone && !os.local_gone && os_silence >= kOsConfirmMaxMs)
    os.route_gone = false;
  if (os.route_gone && os.local_gone)
    os_silence = 0;
  bool act_on_os = os.any() && silence >= os_silence
                   && now_us - tracker.address_gone_us
                          >= static_cast<gint64>(os_grace_ms) * 1000;
  if (tracker.path == RestartTracker::Path::Ok && act_on_os) {
    tracker.path = RestartTracker::Path::Lost;
    const char *reason = os.local_gone ? "local-address-gone" : "route-gone";
    GST_WARNING_OBJECT(element,
        "session %s: path lost (%s; pair %s -> %s, %" G_GUINT64_FORMAT
        " ms without a packet)",
        session_id.c_str(), os.why.c_str(), os.local.c_str(), os.remote.c_str(),
        silence);
    post_restart_message(element, "gws-path-lost", session_id, "silence-ms",
        G_TYPE_UINT64, silence, "reason", G_TYPE_STRING, reason,
        "local-address", G_TYPE_STRING, os.local.c_str(), "remote-address",
        G_TYPE_STRING, os.remote.c_str(), "local-address-gone", G_TYPE_BOOLEAN,
        os.local_gone, "route-gone", G_TYPE_BOOLEAN, os.route_gone, nullptr);
    g_signal_emit(element, path_lost_signal, 0, session_id.c_str(), silence);
    return settings.auto_restart && tracker.may_attempt(now_us);
  }
  if (tracker.path == RestartTracker::Path::Lost && act_on_os)
    return settings.auto_restart && tracker.may_attempt(now_us);
  /* The OS's other word: a new default route (another network came up)
   * while this path is degraded: move now rather than wait for the
   * silence to reach the threshold. */
  gint64 route_us = last_new_default_route_us();
  if (tracker.path == RestartTracker::Path::Ok && route_us
      && route_us > tracker.route_acted_us
      && now_us - route_us <= kRouteWindowMs * 1000
      && silence >= monitor.degraded_ms()
      && now_us - route_us >= static_cast<gint64>(os_grace_ms) * 1000) {
    tracker.route_acted_us = route_us;
    tracker.path = RestartTracker::Path::Lost;
    GST_WARNING_OBJECT(element,
        "session %s: path lost (a new default route appeared and nothing "
        "was received for %" G_GUINT64_FORMAT " ms)",
        session_id.c_str(), silence);
    post_restart_message(element, "gws-path-lost", session_id, "silence-ms",
        G_TYPE_UINT64, silence, "reason", G_TYPE_STRING, "new-default-route",
        "new-default-route", G_TYPE_BOOLEAN, TRUE, nullptr);
    g_signal_emit(element, path_lost_signal, 0, session_id.c_str(), silence);
    return settings.auto_restart && tracker.may_attempt(now_us);
  }
  guint64 threshold = monitor.threshold_ms(settings.path_timeout_ms);
  guint64 after_handshake = monitor.post_handshake_packets();
  bool in_handshake = after_handshake == 0;
  if (in_handshake)
    threshold = MAX(threshold, kHandshakeSilenceMs);
  if (silence < threshold) {
    if (tracker.path == RestartTracker::Path::Lost)
      tracker.path = RestartTracker::Path::Ok; /* it came back by itself */
    return false;
  }
  /* Packets wait in the socket: we are behind (a process starved of CPU
   * reads late), the path is not silent. Restarting then would only add
   * work (seen: 120 restarts with 96 consumers on 2 cores). Not forever:
   * a reader that never catches up is stuck (seen: one of 128 consumers,
   * its receive thread stopped after 4 RTP packets, excused for 146 s). */
  if (tracker.path == RestartTracker::Path::Ok && silence < kBacklogExcuseMaxMs
      && monitor.receive_backlog()) {
    GST_DEBUG_OBJECT(element,
        "session %s: %" G_GUINT64_FORMAT " ms without a packet read, but "
        "packets wait in the socket: behind, not lost",
        session_id.c_str(), silence);
    return false;
  }
  if (tracker.path == RestartTracker::Path::Ok) {
    tracker.path = RestartTracker::Path::Lost;
    bool fast = !in_handshake && monitor.fast_rule(settings.path_timeout_ms);
    GST_WARNING_OBJECT(element,
        "session %s: path lost (nothing received for %" G_GUINT64_FORMAT
        " ms; threshold %" G_GUINT64_FORMAT " ms, %s; %" G_GUINT64_FORMAT
        " packets received, %" G_GUINT64_FORMAT
        " of them after the DTLS handshake)",
        session_id.c_str(), silence, threshold,
        in_handshake ? "during the DTLS handshake"
        : fast       ? "from the peer's rhythm"
                     : "path-timeout",
        monitor.packets(), after_handshake);
    post_restart_message(element, "gws-path-lost", session_id, "silence-ms",
        G_TYPE_UINT64, silence, "reason", G_TYPE_STRING, "silence",
        "threshold-ms", G_TYPE_UINT64, threshold, "fast-rule", G_TYPE_BOOLEAN,
        fast, nullptr);
    g_signal_emit(element, path_lost_signal, 0, session_id.c_str(), silence);
  }
  return settings.auto_restart && tracker.may_attempt(now_us);
}

bool
path_is_over(const RestartTracker &tracker, const PathMonitor &monitor,
    const RestartSettings &settings, gint64 now_us) {
  return settings.path_timeout_ms != 0 && monitor.packets() > 0
         && tracker.path == RestartTracker::Path::Lost
         && monitor.silence_ms(now_us) >= kUncarriedPathEndMs;
}

void
post_restart_message(GstElement *element, const char *name,
    const std::string &session_id, const char *first_field, ...) {
  GstStructure *s = gst_structure_new(
      name, "session-id", G_TYPE_STRING, session_id.c_str(), nullptr);
  if (first_field) {
    va_list args;
    va_start(args, first_field);
    gst_structure_set_valist(s, first_field, args);
    va_end(args);
  }
  gst_element_post_message(
      element, gst_message_new_element(GST_OBJECT(element), s));
}

} // namespace gws
