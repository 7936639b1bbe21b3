/* gst-webrtc-session: new default routes (see gws-route-watch.h). */
#include "gws-route-watch.h"

#include <gst/gst.h>

#include <mutex>

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

GST_DEBUG_CATEGORY_STATIC(gws_route_debug);
#define GST_CAT_DEFAULT gws_route_debug

namespace gws {

namespace {

/* Guards everything below. A leaf lock: nothing is called with it held. */
std::mutex lock;
int fd = -2; /* -2: not opened yet; -1: could not be opened */
gint64 last_us = 0;

#ifdef __linux__
int
open_socket() {
  int s = socket(
      AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0)
    return -1;
  sockaddr_nl addr = {};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (bind(s, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
    close(s);
    return -1;
  }
  return s;
}

/* Reads what is queued; true when a new default route was among it. */
bool
drain() {
  bool seen = false;
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return seen; /* EAGAIN: empty; ENOBUFS (overrun): next time */
    for (auto *h = reinterpret_cast<nlmsghdr *>(buf);
         NLMSG_OK(h, static_cast<guint>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != RTM_NEWROUTE)
        continue;
      auto *rt = static_cast<rtmsg *>(NLMSG_DATA(h));
      if (rt->rtm_dst_len == 0 && rt->rtm_table != RT_TABLE_LOCAL
          && rt->rtm_type == RTN_UNICAST) {
        GST_INFO("new default route (%s)",
            rt->rtm_family == AF_INET6 ? "IPv6" : "IPv4");
        seen = true;
      }
    }
  }
}
#endif

} // namespace

gint64
last_new_default_route_us() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(
        gws_route_debug, "gws-route", 0, "gst-webrtc-session route watch");
    g_once_init_leave(&once, 1);
  }
  std::lock_guard<std::mutex> g(lock);
#ifdef __linux__
  if (fd == -2) {
    fd = open_socket();
    if (fd < 0)
      GST_INFO("no rtnetlink socket: new routes are not watched");
  }
  if (fd >= 0 && drain())
    last_us = g_get_monotonic_time();
#endif
  return last_us;
}

} // namespace gws
