/* gst-webrtc-session: will ICE find an address on this machine?
 *
 * libnice gathers host candidates on every interface but loopback. On a
 * machine whose only interface is loopback (a container, a CI box, a
 * `unshare -n` namespace) it gathers nothing, and both peers wait
 * "negotiating" forever. The elements check when they start (NULL->READY):
 * there they use 127.0.0.1 (IceConfig::loopback_fallback) and post a
 * warning saying so and naming the property. */
#pragma once

#include "gws-ice.h"

#include <gst/gst.h>

#include <mutex>
#include <string>

namespace gws {

struct IceAddressCheck {
  std::string message;       /* for the user; empty: nothing to say */
  bool use_loopback = false; /* no address but loopback: ICE gets 127.0.0.1 */
};

/* Checks @ice against this machine's interfaces (getifaddrs): with no
 * `ice-addresses` and no interface but loopback, ICE would gather nothing,
 * so the answer is to use 127.0.0.1 (the only peers there can be are on
 * this machine), with a message saying so; a listed address that is not
 * this machine's gets a message too. Call it without a lock held. */
IceAddressCheck check_ice_addresses(const IceConfig &ice);

/* What an element does at NULL->READY: checks its @ice (read and updated
 * under @lock, the check itself outside it) and posts the message as a
 * warning on @element with no lock held. */
void apply_ice_address_check(
    GstElement *element, std::mutex &lock, IceConfig &ice);

} // namespace gws
