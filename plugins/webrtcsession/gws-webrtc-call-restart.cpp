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

RestartSteps<ConsumerSession>
CallPrivate::restart_steps(size_t max_streams) {
  Call &c = *call;
  guint max_failures;
  {
    std::lock_guard<std::mutex> g(lock);
    max_failures = restart.max_failures;
  }
  RestartSteps<ConsumerSession>::Hooks h;
  h.what = "call";
  h.peer_kind = "other side";
  h.peer = c.peer;
  h.make = [this, &c, max_streams](std::string *error) {
    return make_connection(c, c.conn(), error, max_streams);
  };
  h.offer = [](ConsumerSession &conn) { conn.start_offer(); };
  h.carries
      = [this]() { return signaller_carries_restarts(G_OBJECT(signaller)); };
  std::string peer = c.peer;
  h.end = [this, peer](const std::string &reason) {
    GST_ELEMENT_WARNING(self, STREAM, FAILED,
        ("call with %s failed: %s", peer.c_str(), reason.c_str()), (nullptr));
    end_call("call failed: " + reason, true, true);
  };
  h.max_failures = max_failures;
  return RestartSteps<ConsumerSession>(
      GST_ELEMENT(self), c.conns, c.id, std::move(h));
}

bool
CallPrivate::start_restart(const char *reason) {
  if (!call || !call->conn())
    return false;
  return restart_steps().start(reason);
}

void
CallPrivate::on_connection_failed(guint gen, const std::string &reason) {
  if (!call)
    return;
  bool auto_restart;
  {
    std::lock_guard<std::mutex> g(lock);
    auto_restart = restart.auto_restart;
  }
  restart_steps().connection_failed(gen, reason, auto_restart);
}

void
CallPrivate::on_restart_offer(DescPtr offer) {
  /* The callee's offer wins when both restarted at once (it is the
   * relay's producer, as webrtcsink's wins over webrtcsrc's). The offer
   * carries the other side's idea of the call's streams: ours are
   * answered on its m-lines as far as the kinds match (a stream we added
   * since its last offer is offered again afterwards,
   * renegotiate_inputs()). */
  size_t fit = inputs_fitting(call->inputs, offer->sdp);
  restart_steps(fit).follow_offer(!call->outgoing,
      [&offer](ConsumerSession &conn) { conn.start_answer(offer.get()); });
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
    /* Carries media: connected, and the other side's packets arrive. Each
     * remote pad switched (or switches) on the new connection's first
     * decoded frame; the old path, if alive, still feeds the ones that
     * did not yet. */
    if (p->connected() && p->monitor().packets() > 0)
      restart_steps().switched(now, 2 * G_USEC_PER_SEC);
    else
      restart_steps().check_timeout(now);
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
