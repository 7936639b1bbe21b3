/* gst-webrtc-session: webrtccall's restarts on a network change (session
 * thread; see gws-webrtc-call-private.h and docs/calls.md).
 *
 * The same make-before-break as webrtcsink's and webrtcsrc's sessions
 * (gws-restart.h), with the same pieces: the call's connections are a
 * ConnectionSet, each connection's PathMonitor says when its path is lost
 * (silence, the local address gone, a new default route), and the restart
 * is a second connection in the same call (a new webrtcbin, offered
 * through the same relay session), switched to once it carries media; the
 * old one retires a moment later. Either side may restart: the side that
 * sees the loss offers, the other answers. When both offer at once, the
 * callee's offer wins (it is the relay's producer, as webrtcsink's wins
 * over webrtcsrc's): the callee ignores the caller's, the caller follows
 * the callee's.
 *
 * What the other side sends switches at each remote pad on the new
 * connection's first decoded frame (CallPrivate::expose); what we send
 * goes out on both connections until the old one closes (each a branch
 * output of the shared encoders); the data channels move with
 * DataChannels' queue (nothing lost or sent twice). */
#include "gws-webrtc-call-private.h"

#define GST_CAT_DEFAULT gws_webrtc_call_debug

namespace gws {

bool
CallPrivate::start_restart(const char *reason) {
  if (!call || !call->conn())
    return false;
  Call &c = *call;
  gint64 now = g_get_monotonic_time();
  if (c.conns.pending() || !c.conn()->has_remote()
      || !c.conns.restart.may_attempt(now)) {
    GST_DEBUG_OBJECT(self, "call %s: no restart now (%s)", c.id.c_str(),
        c.conns.pending() ? "one is under way"
                          : "rate limit or not negotiated");
    return false;
  }
  if (!signaller_carries_restarts(G_OBJECT(signaller))) {
    GST_INFO_OBJECT(
        self, "call %s: the signaller cannot carry a restart", c.id.c_str());
    return false;
  }
  std::string error;
  auto conn = make_connection(c, c.conn(), &error);
  guint attempt = c.conns.restart.begin_attempt(now);
  GST_INFO_OBJECT(
      self, "call %s: restart attempt %u (%s)", c.id.c_str(), attempt, reason);
  post_restart_message(GST_ELEMENT(self), "gws-restart-started", c.id,
      "attempt", G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, reason,
      nullptr);
  if (!conn) {
    restart_failed(error, now);
    return false;
  }
  c.conns.begin_pending(std::move(conn), true);
  c.conns.pending()->start_offer();
  return true;
}

void
CallPrivate::restart_failed(const std::string &why, gint64 now) {
  if (!call)
    return;
  Call &c = *call;
  guint attempt = c.conns.restart.failures + 1;
  c.conns.close_pending();
  guint max_failures;
  {
    std::lock_guard<std::mutex> g(lock);
    max_failures = restart.max_failures;
  }
  bool give_up = c.conns.restart.attempt_failed(now, max_failures);
  GST_WARNING_OBJECT(self, "call %s: restart attempt %u failed: %s",
      c.id.c_str(), attempt, why.c_str());
  post_restart_message(GST_ELEMENT(self), "gws-restart-failed", c.id, "attempt",
      G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, why.c_str(), nullptr);
  if (give_up) {
    std::string reason = "call failed: gave up restarting after "
                         + std::to_string(c.conns.restart.failures)
                         + " failed attempts (last: " + why + ")";
    GST_ELEMENT_WARNING(self, STREAM, FAILED,
        ("call with %s: %s", c.peer.c_str(), reason.c_str()), (nullptr));
    end_call(reason, true, true);
  }
}

void
CallPrivate::on_connection_failed(guint gen, const std::string &reason) {
  if (!call)
    return;
  Call &c = *call;
  using Failure = ConnectionSet<ConsumerSession>::Failure;
  switch (c.conns.on_failed(gen)) {
    case Failure::Stale:
    case Failure::Retiring:
      return;
    case Failure::Pending:
      restart_failed(
          c.conns.failure_reason(reason, "other side"), g_get_monotonic_time());
      return;
    case Failure::DuringRestart:
      GST_INFO_OBJECT(self,
          "call %s: connection %u failed during a restart (%s); the new one "
          "takes over",
          c.id.c_str(), gen, reason.c_str());
      return;
    case Failure::Current:
      break;
  }
  bool auto_restart;
  {
    std::lock_guard<std::mutex> g(lock);
    auto_restart = restart.auto_restart;
  }
  if (c.conns.may_restart_after_failure(auto_restart)
      && start_restart("path-lost"))
    return;
  GST_ELEMENT_WARNING(self, STREAM, FAILED,
      ("call with %s failed: %s", c.peer.c_str(), reason.c_str()), (nullptr));
  end_call("call failed: " + reason, true, true);
}

void
CallPrivate::on_restart_offer(DescPtr offer) {
  Call &c = *call;
  bool replaces_ours = false;
  if (c.conns.pending() && c.conns.pending_ours()) {
    if (!c.outgoing) {
      GST_INFO_OBJECT(self,
          "call %s: both sides restarted at once; ours wins (the callee's "
          "offer does), ignoring the caller's",
          c.id.c_str());
      return;
    }
    replaces_ours = true;
    GST_INFO_OBJECT(self,
        "call %s: both sides restarted at once; the callee's offer replaces "
        "ours",
        c.id.c_str());
  }
  c.conns.close_pending(); /* ours, or the other side's earlier attempt */
  /* The offer carries the other side's idea of the call's streams: ours
   * are answered on its m-lines as far as the kinds match (a stream we
   * added since its last offer is offered again afterwards,
   * renegotiate_inputs()). */
  size_t fit = inputs_fitting(c.inputs, offer->sdp);
  std::string error;
  auto conn = make_connection(c, c.conn(), &error, fit);
  if (!conn) {
    GST_WARNING_OBJECT(self,
        "call %s: cannot follow the other side's restart: %s", c.id.c_str(),
        error.c_str());
    return;
  }
  /* Replacing our own attempt continues it: no new attempt begins. */
  if (!replaces_ours) {
    guint attempt = c.conns.restart.begin_attempt(g_get_monotonic_time());
    post_restart_message(GST_ELEMENT(self), "gws-restart-started", c.id,
        "attempt", G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, "remote",
        nullptr);
  }
  GST_INFO_OBJECT(self, "call %s: the other side restarts it", c.id.c_str());
  c.conns.begin_pending(std::move(conn), false);
  c.conns.pending()->start_answer(offer.get());
}

void
CallPrivate::tick() {
  if (!call || !call->conn())
    return;
  Call &c = *call;
  RestartSettings cfg;
  {
    std::lock_guard<std::mutex> g(lock);
    cfg = restart;
  }
  gint64 now = g_get_monotonic_time();
  c.conns.retire_due(now);
  if (ConsumerSession *p = c.conns.pending()) {
    /* Carries media: connected, and the other side's packets arrive. */
    if (p->connected() && p->monitor().packets() > 0) {
      /* Each remote pad switched (or switches) on the new connection's
       * first decoded frame; the old path, if alive, still feeds the
       * ones that did not yet. */
      c.conns.promote(now + 2 * G_USEC_PER_SEC);
      guint64 ms = c.conns.restart.switched(now);
      GST_INFO_OBJECT(self,
          "call %s: restarted in %" G_GUINT64_FORMAT " ms (connection %u)",
          c.id.c_str(), ms, c.conn()->gen());
      post_restart_message(GST_ELEMENT(self), "gws-session-restarted", c.id,
          "restarts", G_TYPE_UINT, c.conns.restart.restarts, "switch-ms",
          G_TYPE_UINT64, ms, nullptr);
    } else if (now - c.conns.restart.started_us > kRestartAttemptTimeoutUs) {
      restart_failed(
          std::string(
              c.conns.pending_ours() ? "" : "the other side's restart: ")
              + "no media on the new connection within 10 s",
          now);
    }
    return;
  }
  renegotiate_inputs(); /* what waited for a stable connection */
  if (!call)
    return;
  /* Both sides receive media, so both may see a loss at once: the callee
   * gives the OS's word a moment (as a sender does), so that the caller's
   * restart comes first and there is one, not two crossing. */
  if (check_path(GST_ELEMENT(self),
          gws_webrtc_call_signals[CALL_SIGNAL_PATH_LOST], c.id, c.conns.restart,
          c.conn()->monitor(), cfg, now, c.outgoing ? 0 : kSenderOsGraceMs))
    start_restart("path-lost");
}

} // namespace gws
