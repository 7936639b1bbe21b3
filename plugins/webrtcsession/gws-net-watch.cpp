/* gst-webrtc-session: network change wake-ups (see gws-net-watch.h). */
#include "gws-net-watch.h"

#include <gst/gst.h>

#include <atomic>

#ifdef __linux__
#include <cerrno>
#include <glib-unix.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

GST_DEBUG_CATEGORY_STATIC(gws_net_watch_debug);
#define GST_CAT_DEFAULT gws_net_watch_debug

namespace gws {

namespace {

std::atomic<guint64> changes{0};

} // namespace

guint64
net_change_count() {
  return changes.load();
}

NetWatch::NetWatch(GMainContext *context, std::function<void()> on_change)
    : context_(context), on_change_(std::move(on_change)) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_net_watch_debug, "gws-net-watch", 0,
        "gst-webrtc-session network change wake-ups");
    g_once_init_leave(&once, 1);
  }
#ifdef __linux__
  fd_ = socket(
      AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) {
    GST_INFO("no rtnetlink socket: network changes are seen on the tick");
    return;
  }
  sockaddr_nl addr = {};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR
                   | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
    GST_INFO("rtnetlink bind failed: network changes are seen on the tick");
    close(fd_);
    fd_ = -1;
    return;
  }
  source_ = g_unix_fd_source_new(fd_, G_IO_IN);
  g_source_set_callback(
      source_, G_SOURCE_FUNC(&NetWatch::on_readable), this, nullptr);
  g_source_attach(source_, context);
#else
  (void)context;
#endif
}

NetWatch::~NetWatch() {
  if (follow_up_) {
    g_source_destroy(follow_up_);
    g_source_unref(follow_up_);
  }
  if (source_) {
    g_source_destroy(source_);
    g_source_unref(source_);
  }
#ifdef __linux__
  if (fd_ >= 0)
    close(fd_);
#endif
}

gboolean
NetWatch::on_readable(gint, GIOCondition, gpointer data) {
  auto *self = static_cast<NetWatch *>(data);
#ifdef __linux__
  guint n = 0;
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t got = recv(self->fd_, buf, sizeof(buf), 0);
    if (got < 0 && errno == ENOBUFS) {
      n++; /* overrun: messages lost, a change all the same */
      continue;
    }
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      /* Not to be polled again and again: the tick alone checks now. */
      GST_WARNING("rtnetlink socket failed (%s): network changes are seen "
                  "on the tick only",
          g_strerror(errno));
      return G_SOURCE_REMOVE;
    }
    if (got <= 0)
      break; /* EAGAIN: all read */
    for (auto *h = reinterpret_cast<nlmsghdr *>(buf);
         NLMSG_OK(h, static_cast<guint>(got)); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK
          || h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR
          || h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE)
        n++;
    }
  }
  if (n == 0)
    return G_SOURCE_CONTINUE;
  changes.fetch_add(1);
  GST_DEBUG("%u network change message(s): checking the paths now", n);
#endif
  self->follow_ups_left_ = kNetFollowUpCount;
  if (!self->follow_up_) {
    self->follow_up_ = g_timeout_source_new(kNetFollowUpMs);
    g_source_set_callback(
        self->follow_up_, &NetWatch::on_follow_up, self, nullptr);
    g_source_attach(self->follow_up_, self->context_);
  }
  self->on_change_();
  return G_SOURCE_CONTINUE;
}

gboolean
NetWatch::on_follow_up(gpointer data) {
  auto *self = static_cast<NetWatch *>(data);
  if (self->follow_ups_left_ == 0) {
    g_source_unref(self->follow_up_);
    self->follow_up_ = nullptr;
    return G_SOURCE_REMOVE;
  }
  self->follow_ups_left_--;
  self->on_change_();
  return G_SOURCE_CONTINUE;
}

} // namespace gws
