/* gst-webrtc-session: the kernel's route to a peer (see gws-route-lookup.h).
 */
#include "gws-route-lookup.h"

#include "gws-net-watch.h"

#include <glib.h>

#include <map>
#include <mutex>

#ifdef __linux__
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace gws {

namespace {

constexpr gint64 kRefreshUs = 50000;

struct Answer {
  gint64 read_us = 0;
  guint64 changes = 0; /* net_change_count() when read */
  bool usable = true;
  std::string why;
};

/* Guards everything below. A leaf lock: nothing is called with it held
 * but the kernel. */
std::mutex lock;
std::map<std::string, Answer> answers;
#ifdef __linux__
int nl_fd = -2; /* -2: not opened yet; -1: could not be opened */
int dgram_fd = -1;
guint32 seq = 0;

bool
interface_running(int index, std::string *name) {
  char buf[IF_NAMESIZE] = {0};
  if (!if_indextoname(static_cast<unsigned>(index), buf)) {
    *name = "#" + std::to_string(index);
    return false; /* the interface itself is gone */
  }
  *name = buf;
  if (dgram_fd < 0)
    dgram_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq req;
  memset(&req, 0, sizeof req);
  g_strlcpy(req.ifr_name, buf, sizeof req.ifr_name);
  if (dgram_fd < 0 || ioctl(dgram_fd, SIOCGIFFLAGS, &req) != 0)
    return true; /* cannot tell */
  return (req.ifr_flags & IFF_UP) && (req.ifr_flags & IFF_RUNNING);
}

/* Asks the kernel; fills @a. */
void
lookup(const std::string &ip, Answer *a) {
  a->usable = true;
  a->why.clear();
  unsigned char addr[16];
  int family = AF_INET;
  size_t len = 4;
  if (inet_pton(AF_INET, ip.c_str(), addr) != 1) {
    if (inet_pton(AF_INET6, ip.c_str(), addr) != 1)
      return;
    family = AF_INET6;
    len = 16;
    /* A link-local address means nothing without its interface (the
     * pair's scope), which the lookup has not: cannot tell. */
    if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
      return;
  }
  if (nl_fd == -2) {
    nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (nl_fd >= 0) {
      struct timeval tv = {0, 200000}; /* the kernel answers at once */
      setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
  }
  if (nl_fd < 0)
    return;
  struct {
    nlmsghdr h;
    rtmsg r;
    alignas(NLMSG_ALIGNTO) char attrs[RTA_SPACE(16)];
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = ++seq;
  req.r.rtm_family = static_cast<unsigned char>(family);
  req.r.rtm_dst_len = static_cast<unsigned char>(len * 8);
  auto *rta = reinterpret_cast<rtattr *>(
      reinterpret_cast<char *>(&req) + NLMSG_ALIGN(req.h.nlmsg_len));
  rta->rta_type = RTA_DST;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  memcpy(RTA_DATA(rta), addr, len);
  req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_SPACE(len);
  if (send(nl_fd, &req, req.h.nlmsg_len, 0) < 0)
    return;
  alignas(nlmsghdr) char buf[4096];
  for (;;) {
    ssize_t n = recv(nl_fd, buf, sizeof buf, 0);
    if (n <= 0)
      return; /* no answer: cannot tell */
    for (auto *h = reinterpret_cast<nlmsghdr *>(buf);
         NLMSG_OK(h, static_cast<guint>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq)
        continue; /* an answer to an earlier request that timed out */
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto *err = static_cast<nlmsgerr *>(NLMSG_DATA(h));
        int e = -err->error;
        if (e == ENETUNREACH || e == EHOSTUNREACH) {
          a->usable = false;
          a->why = "no route to " + ip;
        }
        return;
      }
      if (h->nlmsg_type != RTM_NEWROUTE)
        continue;
      auto *rt = static_cast<rtmsg *>(NLMSG_DATA(h));
      if (rt->rtm_type == RTN_UNREACHABLE || rt->rtm_type == RTN_BLACKHOLE
          || rt->rtm_type == RTN_PROHIBIT) {
        a->usable = false;
        a->why = "no route to " + ip;
        return;
      }
      int attrs_len = static_cast<int>(RTM_PAYLOAD(h));
      for (auto *at = RTM_RTA(rt); RTA_OK(at, attrs_len);
           at = RTA_NEXT(at, attrs_len)) {
        if (at->rta_type != RTA_OIF)
          continue;
        int index = 0;
        memcpy(&index, RTA_DATA(at), sizeof index);
        std::string name;
        if (!interface_running(index, &name)) {
          a->usable = false;
          a->why = "the route to " + ip + " leaves through " + name
                   + ", which is down";
        }
        return;
      }
      return;
    }
  }
}
#endif

} // namespace

bool
route_usable(const std::string &remote_ip, std::string *why) {
  if (remote_ip.empty())
    return true;
  gint64 now = g_get_monotonic_time();
  guint64 changes = net_change_count();
  std::lock_guard<std::mutex> g(lock);
  Answer &a = answers[remote_ip];
  if (now - a.read_us >= kRefreshUs || changes != a.changes) {
    a.read_us = now;
    a.changes = changes;
#ifdef __linux__
    lookup(remote_ip, &a);
#endif
    /* Forget the addresses nobody asked about for a while. */
    if (answers.size() > 256) {
      for (auto it = answers.begin(); it != answers.end();)
        it = now - it->second.read_us > 10 * kRefreshUs ? answers.erase(it)
                                                        : std::next(it);
    }
  }
  if (!a.usable && why)
    *why = a.why;
  return a.usable;
}

} // namespace gws
