/* gst-webrtc-session: will ICE find an address on this machine?
 *
 * libnice gathers host candidates on every interface but loopback. On a
 * machine whose only interface is loopback (a container, a CI box, a
 * `unshare -n` namespace) it gathers nothing, and both peers wait
 * "negotiating" forever. The elements check when they start (NULL->READY)
 * and post a warning naming the property to set. */
#pragma once

#include "gws-ice.h"

#include <string>

namespace gws {

/* Returns a message for the user when @ice cannot give ICE any address
 * (no `ice-addresses` and no interface but loopback has one, or a listed
 * address that is not this machine's), else "". Reads the interfaces
 * (getifaddrs); call it without a lock held. */
std::string ice_address_problem(const IceConfig &ice);

} // namespace gws
