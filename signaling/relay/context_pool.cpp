/* gst-webrtc-session: many small GMainContexts driven through one epoll set
 * (see context_pool.h). */
#include "context_pool.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gws::relay {

struct ContextPool::Group {
  GMainContext *ctx = nullptr;
  guint32 index = 0; /* in groups_; epoll events carry it */
  size_t members = 0;
  bool dirty = false;
  bool ready = false;
  gint64 deadline = -1; /* monotonic µs of the earliest timer; -1: none */
  std::vector<GPollFD> fds;
  std::unordered_map<int, guint32> registered;    /* fd -> epoll events */
  std::vector<std::pair<int, guint32>> ready_fds; /* from the last epoll */

  /* The context's own GWakeup descriptor. GLib signals it whenever a
   * source is added or removed (libsoup replaces a connection's input source
   * on every read), to interrupt a thread sleeping in poll(); no thread ever
   * sleeps on a group, so the pool does not watch it: every change made
   * outside the group's dispatch is announced with touch() instead. Watching
   * it cost a spurious iteration of the group per relayed message. */
  int wakeup_fd = -1;

  Group() : ctx(g_main_context_new()), fds(16) {
    gint priority = 0;
    gint timeout = -1;
    GPollFD only{};
    g_main_context_acquire(ctx);
    g_main_context_prepare(ctx, &priority);
    if (g_main_context_query(ctx, priority, &timeout, &only, 1) == 1)
      wakeup_fd = only.fd;
    g_main_context_release(ctx);
  }
  ~Group() { g_main_context_unref(ctx); }
};

struct ContextPool::PoolSource {
  GSource source;
  ContextPool *pool;
};

namespace {

gushort
gio_events(guint32 ev) {
  gushort gio = 0;
  if (ev & EPOLLIN)
    gio |= G_IO_IN;
  if (ev & EPOLLOUT)
    gio |= G_IO_OUT;
  if (ev & EPOLLPRI)
    gio |= G_IO_PRI;
  if (ev & EPOLLHUP)
    gio |= G_IO_HUP;
  if (ev & EPOLLERR)
    gio |= G_IO_ERR;
  return gio;
}

/* The group index that marks a descriptor watched with watch(). */
constexpr guint32 kDirect = G_MAXUINT32;

/* What an epoll event carries: the group's index and the descriptor. */
guint64
event_data(guint32 group, int fd) {
  return (guint64{group} << 32) | static_cast<guint32>(fd);
}

guint32
epoll_events(gushort gio) {
  guint32 ev = 0;
  if (gio & G_IO_IN)
    ev |= EPOLLIN;
  if (gio & G_IO_OUT)
    ev |= EPOLLOUT;
  if (gio & G_IO_PRI)
    ev |= EPOLLPRI;
  return ev;
}

} // namespace

ContextPool::Scope::Scope(Group *group) : ctx_(group->ctx) {
  g_main_context_push_thread_default(ctx_);
}

ContextPool::Scope::~Scope() {
  g_main_context_pop_thread_default(ctx_);
}

ContextPool::ContextPool(size_t group_size)
    : group_size_(std::max<size_t>(1, group_size)) {}

ContextPool::~ContextPool() {
  if (source_) {
    g_source_destroy(source_);
    g_source_unref(source_);
  }
  if (epoll_fd_ >= 0)
    ::close(epoll_fd_);
}

bool
ContextPool::start(GMainContext *parent, std::string &error) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error = std::string("epoll_create1: ") + strerror(errno);
    return false;
  }
  static GSourceFuncs funcs
      = {source_prepare, source_check, source_dispatch, nullptr, {}, {}};
  source_ = g_source_new(&funcs, sizeof(PoolSource));
  reinterpret_cast<PoolSource *>(source_)->pool = this;
  g_source_set_static_name(source_, "gws-relay connection groups");
  epoll_tag_ = g_source_add_unix_fd(source_, epoll_fd_, G_IO_IN);
  g_source_attach(source_, parent);
  return true;
}

ContextPool::Group *
ContextPool::take_slot() {
  if (with_room_.empty()) {
    groups_.push_back(std::make_unique<Group>());
    groups_.back()->index = static_cast<guint32>(groups_.size() - 1);
    with_room_.push_back(groups_.back().get());
  }
  Group *g = with_room_.back();
  if (++g->members >= group_size_)
    with_room_.pop_back();
  return g;
}

void
ContextPool::release_slot(Group *group) {
  if (group->members-- == group_size_)
    with_room_.push_back(group);
  touch(group);
}

void
ContextPool::touch(Group *group) {
  if (!group->dirty) {
    group->dirty = true;
    dirty_.push_back(group);
  }
}

void
ContextPool::forget_fd(int fd) {
  auto it = fd_owner_.find(fd);
  if (it == fd_owner_.end())
    return;
  it->second->registered.erase(fd);
  fd_owner_.erase(it);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); /* gone already: fine */
}

bool
ContextPool::watch(int fd, guint32 events, FdHandler *handler) {
  if (fd < 0)
    return false;
  forget_fd(fd); /* a group's stale record of this number */
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = event_data(kDirect, fd);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    g_warning("gws-relay: cannot watch descriptor %d: %s", fd, strerror(errno));
    return false;
  }
  if (static_cast<size_t>(fd) >= handlers_.size())
    handlers_.resize(static_cast<size_t>(fd) + 1, nullptr);
  handlers_[static_cast<size_t>(fd)] = handler;
  return true;
}

void
ContextPool::rewatch(int fd, guint32 events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = event_data(kDirect, fd);
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void
ContextPool::unwatch(int fd) {
  if (fd < 0)
    return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (static_cast<size_t>(fd) < handlers_.size())
    handlers_[static_cast<size_t>(fd)] = nullptr;
}

void
ContextPool::set_deadline(Group &group, gint64 deadline) {
  if (group.deadline == deadline)
    return;
  if (group.deadline >= 0)
    deadlines_.erase({group.deadline, &group});
  group.deadline = deadline;
  if (deadline >= 0)
    deadlines_.insert({deadline, &group});
}

gint64
ContextPool::next_deadline() const {
  return deadlines_.empty() ? -1 : deadlines_.begin()->first;
}

void
ContextPool::refresh(Group &g) {
  g.dirty = false;
  gint max_priority = 0;
  gint timeout = -1;
  gint n = 0;
  g_main_context_acquire(g.ctx);
  g_main_context_prepare(g.ctx, &max_priority);
  for (;;) {
    n = g_main_context_query(g.ctx, max_priority, &timeout, g.fds.data(),
        static_cast<gint>(g.fds.size()));
    if (n <= static_cast<gint>(g.fds.size()))
      break;
    g.fds.resize(static_cast<size_t>(n) * 2);
  }
  g_main_context_release(g.ctx);

  gint64 now = g_get_monotonic_time();
  if (timeout == 0) {
    /* Something is ready now; the descriptor list may be cut to the ready
     * priority, so leave the registrations alone until after dispatch. */
    set_deadline(g, now);
    return;
  }
  set_deadline(g, timeout < 0 ? -1 : now + gint64{timeout} * 1000);

  /* What the group wants watched, by descriptor (sorted, merged): a
   * vector reused across calls, not a map built per wake-up. */
  auto &wanted = wanted_;
  wanted.clear();
  for (gint i = 0; i < n; i++) {
    if (g.fds[i].fd != g.wakeup_fd)
      wanted.emplace_back(g.fds[i].fd, epoll_events(g.fds[i].events));
  }
  std::sort(wanted.begin(), wanted.end());
  size_t kept = 0;
  for (size_t i = 0; i < wanted.size(); i++) {
    if (kept > 0 && wanted[kept - 1].first == wanted[i].first)
      wanted[kept - 1].second |= wanted[i].second;
    else
      wanted[kept++] = wanted[i];
  }
  wanted.resize(kept);
  auto is_wanted = [&wanted](int fd) {
    auto it = std::lower_bound(
        wanted.begin(), wanted.end(), std::make_pair(fd, guint32{0}));
    return it != wanted.end() && it->first == fd;
  };

  for (auto it = g.registered.begin(); it != g.registered.end();) {
    if (is_wanted(it->first)) {
      ++it;
      continue;
    }
    auto owner = fd_owner_.find(it->first);
    if (owner != fd_owner_.end() && owner->second == &g) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
      fd_owner_.erase(owner);
    }
    it = g.registered.erase(it);
  }
  for (const auto &w : wanted) {
    auto reg = g.registered.find(w.first);
    auto owner = fd_owner_.find(w.first);
    bool mine = owner != fd_owner_.end() && owner->second == &g;
    if (mine && reg != g.registered.end() && reg->second == w.second)
      continue;
    epoll_event ev{};
    ev.events = w.second;
    ev.data.u64 = event_data(g.index, w.first);
    int op = mine || owner != fd_owner_.end() ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epoll_fd_, op, w.first, &ev) != 0) {
      /* Our record was stale (the descriptor was closed and its number
       * reused, or never registered): try the other operation. */
      op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
      if (epoll_ctl(epoll_fd_, op, w.first, &ev) != 0) {
        g_warning("gws-relay: cannot watch descriptor %d: %s", w.first,
            strerror(errno));
        continue;
      }
    }
    if (owner != fd_owner_.end() && owner->second != &g)
      owner->second->registered.erase(w.first);
    fd_owner_[w.first] = &g;
    g.registered[w.first] = w.second;
  }
}

void
ContextPool::refresh_dirty() {
  /* refresh() never touches, so the list cannot grow under us. */
  auto dirty = std::move(dirty_);
  dirty_.clear();
  for (Group *g : dirty) {
    if (g->dirty)
      refresh(*g);
  }
}

void
ContextPool::iterate(Group &g) {
  /* One main-loop iteration of the group, as g_main_context_iteration()
   * would do it, except that the readiness of its descriptors comes from the
   * pool's epoll_wait() rather than from a poll() of its own. That is exact
   * when epoll watches every descriptor of the group for this group (the
   * hot path); otherwise (a descriptor registered since the last refresh, or
   * watched for another group too) the group polls them itself. Sources
   * created while dispatching (a pong, a close timer, libsoup's next input
   * source) belong to the group too: it is the thread-default context. */
  g_main_context_push_thread_default(g.ctx);
  g_main_context_acquire(g.ctx);
  gint max_priority = 0;
  gint timeout = -1;
  g_main_context_prepare(g.ctx, &max_priority);
  gint n = 0;
  for (;;) {
    n = g_main_context_query(g.ctx, max_priority, &timeout, g.fds.data(),
        static_cast<gint>(g.fds.size()));
    if (n <= static_cast<gint>(g.fds.size()))
      break;
    g.fds.resize(static_cast<size_t>(n) * 2);
  }
  bool exact = true;
  for (gint i = 0; i < n; i++) {
    GPollFD &pfd = g.fds[i];
    pfd.revents = 0;
    if (pfd.fd == g.wakeup_fd)
      continue;
    auto reg = g.registered.find(pfd.fd);
    auto owner = fd_owner_.find(pfd.fd);
    if (reg == g.registered.end() || owner == fd_owner_.end()
        || owner->second != &g
        || (reg->second & epoll_events(pfd.events))
               != epoll_events(pfd.events)) {
      exact = false;
      break;
    }
    for (const auto &r : g.ready_fds) {
      if (r.first == pfd.fd)
        pfd.revents = static_cast<gushort>(
            gio_events(r.second) & (pfd.events | G_IO_HUP | G_IO_ERR));
    }
  }
  if (!exact)
    g_poll(g.fds.data(), static_cast<guint>(n), 0);
  g.ready_fds.clear();
  if (g_main_context_check(g.ctx, max_priority, g.fds.data(), n))
    g_main_context_dispatch(g.ctx);
  g_main_context_release(g.ctx);
  g_main_context_pop_thread_default(g.ctx);
  refresh(g);
}

void
ContextPool::run() {
  std::vector<Group *> ready;
  epoll_event events[256];
  int n = epoll_wait(epoll_fd_, events, 256, 0);
  for (int i = 0; i < n; i++) {
    guint32 index = static_cast<guint32>(events[i].data.u64 >> 32);
    int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
    if (index == kDirect) {
      /* Looked up now, not when the batch came: an earlier handler of this
       * batch may have unwatched it (a failed write closes a connection). */
      if (static_cast<size_t>(fd) < handlers_.size() && handlers_[fd])
        handlers_[fd]->fd_ready(events[i].events);
      continue;
    }
    if (index >= groups_.size())
      continue;
    Group *g = groups_[index].get();
    g->ready_fds.emplace_back(fd, guint32{events[i].events});
    if (!g->ready) {
      g->ready = true;
      ready.push_back(g);
    }
  }
  gint64 now = g_get_monotonic_time();
  for (const auto &d : deadlines_) {
    if (d.first > now)
      break;
    if (!d.second->ready) {
      d.second->ready = true;
      ready.push_back(d.second);
    }
  }
  for (Group *g : ready) {
    g->ready = false;
    iterate(*g);
  }
  refresh_dirty();
}

gboolean
ContextPool::source_prepare(GSource *source, gint *timeout) {
  ContextPool *self = reinterpret_cast<PoolSource *>(source)->pool;
  self->refresh_dirty();
  gint64 deadline = self->next_deadline();
  if (deadline < 0) {
    *timeout = -1;
    return FALSE;
  }
  gint64 now = g_source_get_time(source);
  if (deadline <= now) {
    *timeout = 0;
    return TRUE;
  }
  /* Round up: waking a little early only means another sleep. */
  *timeout = static_cast<gint>(
      std::min<gint64>(G_MAXINT, (deadline - now + 999) / 1000));
  return FALSE;
}

gboolean
ContextPool::source_check(GSource *source) {
  ContextPool *self = reinterpret_cast<PoolSource *>(source)->pool;
  if (g_source_query_unix_fd(source, self->epoll_tag_) & G_IO_IN)
    return TRUE;
  gint64 deadline = self->next_deadline();
  return deadline >= 0 && deadline <= g_get_monotonic_time();
}

gboolean
ContextPool::source_dispatch(GSource *source, GSourceFunc, gpointer) {
  reinterpret_cast<PoolSource *>(source)->pool->run();
  return G_SOURCE_CONTINUE;
}

} // namespace gws::relay
