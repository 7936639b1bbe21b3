/* gst-webrtc-session: is a local address still usable, as the operating
 * system sees it?
 *
 * A link that goes down (Wi-Fi lost, a cable pulled, a modem gone) is known
 * to the OS at once: its interface loses IFF_RUNNING, or the address goes.
 * The path monitor asks this on every tick (50 ms) for the local end of a
 * connection's selected ICE pair, so such a loss starts a restart without
 * waiting for a silence to be long enough.
 *
 * Thread-safe; the interface list is read (getifaddrs) at most every 50 ms
 * per process, whatever the number of sessions asking, and again at once
 * after a network change (gws-net-watch.h). */
#pragma once

#include <string>

namespace gws {

/* TRUE when @ip (numeric, v4 or v6) is assigned to an interface that is up
 * and running. An unreadable interface list counts as present (never a
 * false alarm). */
bool local_address_present(const std::string &ip);

} // namespace gws
