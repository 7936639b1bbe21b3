/* gst-webrtc-session: webrtcsrc following a producer that adds or removes
 * streams inside the running session (session thread; see
 * gws-webrtc-src-private.h and gws-receive-renegotiation.cpp).
 *
 * A stream added appears as a new pad (the first stream of its kind this
 * connection feeds beyond the existing outputs), followed by no-more-pads
 * again once every new stream has its pad. A stream removed: its output's
 * pad gets EOS and is removed (pad-removed). The other outputs are not
 * touched: same pads, same chains, no flush. */
#include "gws-webrtc-src-private.h"

#define GST_CAT_DEFAULT gws_webrtc_src_debug

namespace gws {

void
SrcPrivate::on_renegotiated(
    guint gen, guint added, const std::vector<guint> &removed) {
  std::vector<Output *> gone;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &o : outputs) {
      for (const Chain &c : o->chains) {
        if (c.gen == gen && c.mline >= 0
            && std::find(
                   removed.begin(), removed.end(), static_cast<guint>(c.mline))
                   != removed.end())
          gone.push_back(o.get());
      }
    }
    if (added) {
      /* no-more-pads again once the new pads are there. */
      expected_streams
          = static_cast<guint>(outputs.size() - gone.size()) + added;
      no_more_pads = false;
    }
  }
  for (Output *o : gone)
    remove_output(o);
  if (!gone.empty() || added)
    post_restart_message(GST_ELEMENT(self), "gws-renegotiated",
        session() ? session()->id() : std::string(), "added", G_TYPE_UINT,
        added, "removed", G_TYPE_UINT, static_cast<guint>(gone.size()),
        nullptr);
}

} // namespace gws
