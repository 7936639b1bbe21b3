/* gst-webrtc-session: many small GMainContexts driven through one epoll set.
 *
 * GLib's main loop does work for every source of a context on every
 * wake-up: each source's prepare and check, and poll() over every
 * descriptor. With thousands of idle WebSocket connections on one context,
 * each relayed message pays for all of them. A ContextPool splits the
 * connections into groups of a few dozen, each group with its own
 * GMainContext that is never run by a thread of its own. One GSource on the
 * parent context watches an epoll descriptor holding every group's
 * descriptors; when one of them is ready (or a group's earliest timer is
 * due), only that group's context is iterated. A wake-up then costs the work
 * of the groups that have something to do, not of every connection. The
 * iteration takes the readiness of the group's descriptors from the pool's
 * epoll_wait() instead of polling them again, and the group's own GWakeup
 * descriptor is not watched (GLib signals it on every source added or
 * removed, which libsoup does on every read).
 *
 * Objects that attach their sources to the thread-default context at
 * construction (SoupWebsocketConnection does) are put in a group by
 * constructing them inside Scope. Whoever attaches or removes sources of a
 * group from outside its own dispatch calls touch() so that the pool
 * re-reads the group's descriptors and timers before the parent context
 * next sleeps: with the wake-up descriptor unwatched, touch() is the only
 * way such a change is noticed.
 *
 * Descriptors that need no GMainContext at all (the plain WebSocket
 * connections of plain_ws_link.h, framed by the relay itself) are watched in
 * the same epoll set through watch(): their readiness calls their FdHandler
 * straight from the pool's dispatch, with no GSource, no group and no main
 * loop iteration in between.
 *
 * Single-threaded: everything runs on the thread that owns the parent
 * context (FdHandler calls included). */
#pragma once

#include <glib.h>

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gws::relay {

class ContextPool {
 public:
  struct Group;

  /* A descriptor watched directly (see watch()). */
  class FdHandler {
   public:
    /* `events`: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR as epoll said. */
    virtual void fd_ready(guint32 events) = 0;

   protected:
    ~FdHandler() = default;
  };

  /* Puts `group` as the thread-default context for its lifetime. */
  class Scope {
   public:
    explicit Scope(Group *group);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

   private:
    GMainContext *ctx_;
  };

  explicit ContextPool(size_t group_size);
  ~ContextPool();

  ContextPool(const ContextPool &) = delete;
  ContextPool &operator=(const ContextPool &) = delete;

  /* Creates the epoll set and attaches the pool's source to `parent`. */
  bool start(GMainContext *parent, std::string &error);

  /* A group with a free slot (taking it), and giving the slot back. */
  Group *take_slot();
  void release_slot(Group *group);

  /* Re-read the group's descriptors and timers before the next sleep. */
  void touch(Group *group);

  /* A descriptor number was just handed out again by the kernel (a new
   * connection's socket): whatever the pool remembers of a previous holder
   * of that number is stale. */
  void forget_fd(int fd);

  size_t group_count() const { return groups_.size(); }

  /* Handles now whatever is ready (as the pool's own dispatch would), so
   * that a caller about to judge connections by what they sent (the reaper)
   * sees what has arrived, even when the thread was kept from running. */
  void dispatch_ready() { run(); }

  /* Watches `fd` for `events` (EPOLLIN, EPOLLOUT; level-triggered) and calls
   * `handler` when it is ready, until unwatch(). rewatch() changes the
   * events. Call unwatch() before closing the descriptor. */
  bool watch(int fd, guint32 events, FdHandler *handler);
  void rewatch(int fd, guint32 events);
  void unwatch(int fd);

 private:
  struct PoolSource;
  static gboolean source_prepare(GSource *source, gint *timeout);
  static gboolean source_check(GSource *source);
  static gboolean source_dispatch(
      GSource *source, GSourceFunc callback, gpointer user_data);

  void refresh(Group &group);
  void refresh_dirty();
  void run();
  void iterate(Group &group);
  void set_deadline(Group &group, gint64 deadline);
  gint64 next_deadline() const;

  size_t group_size_;
  int epoll_fd_ = -1;
  GSource *source_ = nullptr;
  gpointer epoll_tag_ = nullptr;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<Group *> with_room_; /* groups that have a free slot */
  std::vector<Group *> dirty_;
  std::set<std::pair<gint64, Group *>> deadlines_;
  std::unordered_map<int, Group *> fd_owner_;   /* what epoll holds, by fd */
  std::vector<std::pair<int, guint32>> wanted_; /* refresh()'s scratch */
  std::vector<FdHandler *> handlers_;           /* watch()ed, by fd */
};

} // namespace gws::relay
