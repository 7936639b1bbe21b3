/* gst-webrtc-session: can this machine still send to a peer's address, as
 * the operating system sees it?
 *
 * The other end of the OS's word on a path (gws-local-addresses.h asks
 * about the local address of the selected ICE pair): the kernel's route to
 * the pair's remote address. A pair's packets need not leave through the
 * interface its local address is on: with two links between the same two
 * hosts (the restart rig, tests/restart/netpaths.py; a host on two LANs of
 * one peer) a pair "local on B, remote on A" is sent over A, and the peer's
 * packets come back over A too. When A goes down its routes go with it:
 * the address on B is still there, but the route to the remote is gone or
 * leaves through an interface that is down (no carrier: a cable pulled, a
 * peer interface gone), and nothing of the pair gets through.
 *
 * Linux: one RTM_GETROUTE request on a process-wide rtnetlink socket (as
 * `ip route get ADDRESS`), the answer's output interface then checked for
 * IFF_UP and IFF_RUNNING. Elsewhere, or when the kernel cannot be asked,
 * the route counts as usable (never a false alarm).
 *
 * Thread-safe; answers are cached per address for 50 ms, whatever the
 * number of sessions asking, and asked again at once after a network
 * change (gws-net-watch.h). */
#pragma once

#include <string>

namespace gws {

/* FALSE when the kernel has no route to @remote_ip (numeric, v4 or v6),
 * an unreachable/blackhole/prohibit one, or one through an interface that
 * is not up and running; @why (may be NULL) then says which, e.g.
 * "no route to 10.99.1.1". TRUE otherwise, and when it cannot tell. */
bool route_usable(const std::string &remote_ip, std::string *why = nullptr);

} // namespace gws
