/* gst-webrtc-session: webrtccall's renegotiation inside a call (session
 * thread; see gws-webrtc-call-private.h and docs/calls.md).
 *
 * An input added while a call runs is offered on the call's connection,
 * as webrtcsink offers an input added while PLAYING to each consumer
 * (ConsumerSession::add_stream / renegotiate, gws-consumer-renegotiation.cpp):
 * same webrtcbin, same ICE and DTLS, the other streams untouched; the
 * answer picks its codec and the shared encoder branch is linked. Either
 * side may do it (the caller, who answered the call, offers too). The
 * other side tells such an offer from a restart by its ICE credentials
 * (gws-renegotiation.h) and answers it on the same connection
 * (ConsumerSession::answer_renegotiation): the new stream arrives on a
 * new remote pad (remote_audio_1...). */
#include "gws-webrtc-call-private.h"

#include <algorithm>

#define GST_CAT_DEFAULT gws_webrtc_call_debug

namespace gws {

void
CallPrivate::renegotiate_inputs() {
  if (!call || !call->conn() || call->conns.pending())
    return; /* no call, or a restart under way: after it */
  Call &c = *call;
  ConsumerSession *conn = c.conn();
  /* New inputs join the call's list once they have caps (in pad order;
   * their caps events call us again). */
  for (auto &in : inputs_now()) {
    if (std::find(c.inputs.begin(), c.inputs.end(), in) != c.inputs.end())
      continue;
    std::lock_guard<std::mutex> g(lock);
    if (!in->caps)
      break;
    c.inputs.push_back(in);
  }
  /* Stream i of every connection is c.inputs[i]: the connection lacks the
   * tail it was not offered (an input added since, or a restart answered
   * with fewer m-lines than we have inputs). */
  /* Negotiated, connected, and what we send already flowing into
   * webrtcbin (ConsumerSession::ready_to_offer()): an offer right after
   * our answer (a caller with more inputs than the callee's m-lines)
   * failed in webrtcbin, and the failure restarted the call. */
  if (!conn->ready_to_offer() || !conn->connected())
    return; /* the tick calls us again */
  for (size_t i = conn->n_streams(); i < c.inputs.size(); i++) {
    const auto &in = c.inputs[i];
    if (in == unsendable)
      return;
    std::vector<StreamOffer> offers;
    std::string error;
    if (!make_offers({in}, nullptr, &offers, &error)) {
      /* Once: the inputs after it wait (stream i must be inputs[i]). */
      unsendable = in;
      GST_ELEMENT_WARNING(self, STREAM, FORMAT,
          ("input %s is not sent in the call: %s", in->name.c_str(),
              error.c_str()),
          (nullptr));
      return;
    }
    GST_INFO_OBJECT(self, "call %s: offering input %s on connection %u",
        c.id.c_str(), in->name.c_str(), conn->gen());
    conn->add_stream(std::move(offers[0]));
  }
  if (conn->needs_offer()) {
    post_restart_message(GST_ELEMENT(self), "gws-renegotiation-started", c.id,
        "streams", G_TYPE_UINT, static_cast<guint>(conn->n_streams()), nullptr);
    conn->renegotiate();
  }
}

bool
CallPrivate::on_renegotiation_offer(DescPtr offer) {
  ConsumerSession *conn = call->conn();
  if (!conn || call->conns.pending() || !conn->is_renegotiation(offer.get()))
    return false;
  if (conn->renegotiating()) {
    /* Both sides renegotiate at once: the callee's offer wins, as for a
     * restart; the caller's own inputs are offered again afterwards. */
    if (!call->outgoing) {
      GST_INFO_OBJECT(self,
          "call %s: both sides renegotiate at once; ignoring the caller's "
          "offer",
          call->id.c_str());
      return true;
    }
    GST_WARNING_OBJECT(self,
        "call %s: both sides renegotiate at once; not supported yet, the "
        "callee's offer is answered and ours may be lost",
        call->id.c_str());
  }
  post_restart_message(GST_ELEMENT(self), "gws-renegotiation-started", call->id,
      "remote", G_TYPE_BOOLEAN, TRUE, nullptr);
  conn->answer_renegotiation(offer.get());
  return true;
}

} // namespace gws
