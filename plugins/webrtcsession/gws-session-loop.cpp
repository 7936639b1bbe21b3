/* gst-webrtc-session: the session thread (see gws-session-loop.h). */
#include "gws-session-loop.h"

#include <gst/gst.h>

#include <condition_variable>
#include <exception>
#include <mutex>

namespace gws {

namespace {

struct Task {
  std::function<void()> fn;
};

gboolean
run_task(gpointer data) {
  auto *task = static_cast<Task *>(data);
  try {
    task->fn();
  } catch (const std::exception &e) {
    GST_ERROR("session task failed: %s", e.what());
  } catch (...) {
    GST_ERROR("session task failed");
  }
  return G_SOURCE_REMOVE;
}

void
free_task(gpointer data) {
  delete static_cast<Task *>(data);
}

} // namespace

SessionLoop::SessionLoop(std::string name) : name_(std::move(name)) {
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
}

SessionLoop::~SessionLoop() {
  stop();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void
SessionLoop::start() {
  if (thread_)
    return;
  thread_ = g_thread_new(
      name_.c_str(),
      [](gpointer data) -> gpointer {
        auto *self = static_cast<SessionLoop *>(data);
        g_main_context_push_thread_default(self->context_);
        g_main_loop_run(self->loop_);
        /* Run what was queued before stop(). */
        while (g_main_context_iteration(self->context_, FALSE)) {
        }
        g_main_context_pop_thread_default(self->context_);
        return nullptr;
      },
      this);
}

void
SessionLoop::stop() {
  if (!thread_)
    return;
  GMainLoop *loop = loop_;
  post([loop]() { g_main_loop_quit(loop); });
  g_thread_join(thread_);
  thread_ = nullptr;
}

bool
SessionLoop::is_current() const {
  return thread_ && g_main_context_is_owner(context_);
}

void
SessionLoop::post(std::function<void()> fn) {
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, run_task, new Task{std::move(fn)}, free_task);
  g_source_attach(source, context_);
  g_source_unref(source);
}

guint
SessionLoop::every(guint interval_ms, std::function<void()> fn) {
  GSource *source = g_timeout_source_new(interval_ms);
  g_source_set_callback(
      source,
      [](gpointer data) -> gboolean {
        static_cast<Task *>(data)->fn();
        return G_SOURCE_CONTINUE;
      },
      new Task{std::move(fn)}, free_task);
  guint id = g_source_attach(source, context_);
  g_source_unref(source);
  return id;
}

void
SessionLoop::cancel(guint id) {
  if (!id)
    return;
  GSource *source = g_main_context_find_source_by_id(context_, id);
  if (source)
    g_source_destroy(source);
}

void
SessionLoop::run_sync(const std::function<void()> &fn) {
  if (!thread_ || is_current()) {
    fn();
    return;
  }
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  post([&]() {
    fn();
    std::lock_guard<std::mutex> g(m);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, [&] { return done; });
}

} // namespace gws
