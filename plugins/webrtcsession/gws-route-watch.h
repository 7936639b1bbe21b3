/* gst-webrtc-session: has a new default route appeared?
 *
 * The other half of the operating system's word on a path (the first is
 * gws-local-addresses.h, an address or interface gone): when a network
 * comes up while the current one fails (Wi-Fi fading as the phone's
 * cellular link comes up, a second uplink plugged in), the OS adds a
 * default route. webrtcbin 1.22 cannot restart ICE, and its host sockets
 * are bound to their interfaces, so such a route never moves a session by
 * itself; a session whose path is degraded should restart at once rather
 * than wait for its silence to reach path-timeout.
 *
 * A process-wide rtnetlink socket (RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_ROUTE),
 * non-blocking, drained by whoever asks (the path monitors' 50 ms ticks):
 * no thread of its own. Opened on the first call; routes added before it
 * are not news. Thread-safe (one mutex around the socket). Linux only;
 * elsewhere (or when the socket cannot be opened) nothing ever appears. */
#pragma once

#include <glib.h>

namespace gws {

/* Monotonic time (us) at which the last new default route (IPv4 or IPv6,
 * any table but local) was seen, or 0 when none since the first call. */
gint64 last_new_default_route_us();

} // namespace gws
