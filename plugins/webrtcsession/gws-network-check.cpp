/* gst-webrtc-session: will ICE find an address? (see gws-network-check.h) */
#include "gws-network-check.h"

#include <gio/gio.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <set>

namespace gws {

namespace {

struct Addresses {
  std::set<std::string> all;        /* every address of every interface */
  bool usable_non_loopback = false; /* one ICE would gather on */
};

Addresses
local_addresses() {
  Addresses out;
  struct ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0)
    return out;
  for (struct ifaddrs *i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
      continue;
    int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6)
      continue;
    socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
                                      : sizeof(struct sockaddr_in6);
    g_autoptr(GSocketAddress) sa
        = g_socket_address_new_from_native(i->ifa_addr, len);
    if (!sa || !G_IS_INET_SOCKET_ADDRESS(sa))
      continue;
    GInetAddress *ia
        = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
    g_autofree gchar *text = g_inet_address_to_string(ia);
    out.all.insert(text);
    if (!(i->ifa_flags & IFF_LOOPBACK) && !g_inet_address_get_is_loopback(ia)
        && !g_inet_address_get_is_link_local(ia))
      out.usable_non_loopback = true;
  }
  freeifaddrs(list);
  return out;
}

} // namespace

IceAddressCheck
check_ice_addresses(const IceConfig &ice) {
  IceAddressCheck out;
  Addresses local = local_addresses();
  if (ice.addresses.empty()) {
    if (local.usable_non_loopback || local.all.empty())
      return out;
    out.use_loopback = true;
    out.message = "this machine has no network interface but loopback, and "
                  "ICE skips loopback: using 127.0.0.1, so only peers on "
                  "this machine can connect. Set ice-addresses=127.0.0.1 to "
                  "say so (and on the peer; a Chromium peer also needs "
                  "--allow-loopback-in-peer-connection)";
    return out;
  }
  for (const auto &a : ice.addresses) {
    g_autoptr(GInetAddress) parsed = g_inet_address_new_from_string(a.c_str());
    if (!parsed)
      continue; /* make_webrtcbin() reports the syntax */
    g_autofree gchar *canonical = g_inet_address_to_string(parsed);
    if (!local.all.empty() && !local.all.count(canonical)) {
      out.message = "ice-addresses: " + a
                    + " is not an address of this machine: ICE cannot "
                      "gather there";
      return out;
    }
  }
  return out;
}

void
apply_ice_address_check(GstElement *element, std::mutex &lock, IceConfig &ice) {
  IceConfig now;
  {
    std::lock_guard<std::mutex> g(lock);
    now = ice;
  }
  IceAddressCheck check = check_ice_addresses(now);
  {
    std::lock_guard<std::mutex> g(lock);
    ice.loopback_fallback = check.use_loopback;
  }
  if (!check.message.empty())
    GST_ELEMENT_WARNING(
        element, RESOURCE, SETTINGS, ("%s", check.message.c_str()), (nullptr));
}

} // namespace gws
