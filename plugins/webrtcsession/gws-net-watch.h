/* gst-webrtc-session: wake up when the operating system's network changes.
 *
 * The path checks (gws-restart.h check_path) ask the OS about each
 * connection's selected pair (gws-local-addresses.h, gws-route-lookup.h)
 * on the element's 50 ms tick. A link that goes down is known to the
 * kernel at once, and it says so on rtnetlink (RTM_NEWLINK with the flags
 * changed, RTM_DELADDR, RTM_DELROUTE): a NetWatch listens there and runs
 * the element's check as soon as a message arrives, instead of up to a
 * tick later, and makes the cached answers of those two files stale (they
 * are read again on the next question). The OS's word is confirmed by a
 * short silence (50-150 ms, gws-restart.h), so after a change the check
 * runs again every kNetFollowUpMs for kNetFollowUpCount times: the loss is
 * declared within 10 ms of the silence being long enough, not on the next
 * 50 ms tick.
 *
 * One rtnetlink socket per NetWatch (RTMGRP_LINK, RTMGRP_IPV4_IFADDR,
 * RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_ROUTE), watched by a
 * GSource on the element's session loop: @on_change runs on that loop's
 * thread, once per burst of messages. Linux only; elsewhere (or when the
 * socket cannot be opened) it does nothing and the tick alone checks. */
#pragma once

#include <glib.h>

#include <functional>

namespace gws {

constexpr guint kNetFollowUpMs = 10;
constexpr guint kNetFollowUpCount = 20;

/* Counts the network changes any NetWatch of this process has read (a
 * cache made before the count moved is stale). Thread-safe. */
guint64 net_change_count();

class NetWatch {
 public:
  /* Starts watching; @on_change runs on @context's thread. */
  NetWatch(GMainContext *context, std::function<void()> on_change);
  /* Stops (the GSource is destroyed: @on_change never runs after it
   * returns when called on the context's thread). */
  ~NetWatch();
  NetWatch(const NetWatch &) = delete;
  NetWatch &operator=(const NetWatch &) = delete;

 private:
  static gboolean on_readable(gint fd, GIOCondition cond, gpointer data);
  static gboolean on_follow_up(gpointer data);

  int fd_ = -1;
  GMainContext *context_ = nullptr;
  GSource *source_ = nullptr;
  GSource *follow_up_ = nullptr; /* the checks after a change, or NULL */
  guint follow_ups_left_ = 0;
  std::function<void()> on_change_;
};

} // namespace gws
