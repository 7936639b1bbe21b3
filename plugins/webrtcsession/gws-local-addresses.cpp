/* gst-webrtc-session: local address liveness (see gws-local-addresses.h). */
#include "gws-local-addresses.h"

#include "gws-net-watch.h"

#include <glib.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <mutex>
#include <set>

namespace gws {

namespace {

constexpr gint64 kRefreshUs = 50000;

struct Cache {
  std::mutex lock; /* leaf; guards the rest */
  gint64 read_us = 0;
  guint64 changes = 0; /* net_change_count() when read */
  bool ok = false;
  std::set<std::string> usable; /* addresses on up + running interfaces */
};

std::string
numeric(const struct sockaddr *sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(sa)->sin_addr,
        buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 *>(sa)->sin6_addr,
        buf, sizeof buf);
  return buf;
}

} // namespace

bool
local_address_present(const std::string &ip) {
  static Cache cache;
  gint64 now = g_get_monotonic_time();
  guint64 changes = net_change_count();
  std::lock_guard<std::mutex> g(cache.lock);
  if (now - cache.read_us >= kRefreshUs || changes != cache.changes) {
    cache.read_us = now;
    cache.changes = changes;
    cache.usable.clear();
    struct ifaddrs *list = nullptr;
    cache.ok = getifaddrs(&list) == 0;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)
          || !(i->ifa_flags & IFF_RUNNING))
        continue;
      std::string a = numeric(i->ifa_addr);
      if (!a.empty())
        cache.usable.insert(a);
    }
    if (list)
      freeifaddrs(list);
  }
  return !cache.ok || cache.usable.count(ip) > 0;
}

} // namespace gws
