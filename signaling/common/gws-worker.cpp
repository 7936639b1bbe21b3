/* gst-webrtc-session: a private GMainContext thread (see gws-worker.h). */
#include "gws-worker.h"

#include <gst/gst.h>

#include <atomic>
#include <condition_variable>
#include <exception>

GST_DEBUG_CATEGORY_STATIC(gws_worker_debug);
#define GST_CAT_DEFAULT gws_worker_debug

namespace gws {

/* What the thread needs, kept alive by the thread too: after stop() or
 * shutdown() on the thread itself, the Worker may be gone before the
 * thread returns. */
struct Worker::Shared {
  GMainContext *context;
  GMainLoop *loop;
  /* Set before the loop is told to quit: run what is left (stop()). */
  std::atomic<bool> drain{false};
  /* set_after_work(); `after_pending` is touched on the thread only. */
  std::function<void()> after_work;
  bool after_pending = false;

  Shared()
      : context(g_main_context_new()), loop(g_main_loop_new(context, FALSE)) {}
  ~Shared() {
    g_main_loop_unref(loop);
    g_main_context_unref(context);
  }
};

namespace {

struct Task {
  Worker::Shared *shared;
  GObject *owner; /* strong reference, or null */
  std::function<void()> fn;
  bool repeat;
};

void
run_guarded(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const std::exception &e) {
    GST_ERROR("worker task failed: %s", e.what());
  } catch (...) {
    GST_ERROR("worker task failed");
  }
}

gboolean
run_after_work(gpointer data) {
  auto *shared = static_cast<Worker::Shared *>(data);
  shared->after_pending = false;
  run_guarded(shared->after_work);
  return G_SOURCE_REMOVE;
}

gboolean
run_task(gpointer data) {
  auto *task = static_cast<Task *>(data);
  run_guarded(task->fn);
  Worker::Shared *shared = task->shared;
  if (shared->after_work && !shared->after_pending) {
    shared->after_pending = true;
    /* The context lives as long as `shared`: no reference needed. */
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, run_after_work, shared, nullptr);
    g_source_attach(source, shared->context);
    g_source_unref(source);
  }
  return task->repeat ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void
free_task(gpointer data) {
  auto *task = static_cast<Task *>(data);
  /* Drop the closure first: it may hold objects that need the owner. */
  task->fn = nullptr;
  if (task->owner)
    g_object_unref(task->owner);
  delete task;
}

void
ensure_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(
        gws_worker_debug, "gws-worker", 0, "gst-webrtc-session worker threads");
    g_once_init_leave(&done, 1);
  }
}

} // namespace

Worker::Worker(std::string name)
    : name_(std::move(name)), shared_(std::make_shared<Shared>()) {
  ensure_debug();
  context_ = shared_->context;
  loop_ = shared_->loop;
}

Worker::~Worker() {
  stop();
  /* A thread left running by shutdown() on itself ends now. */
  g_main_loop_quit(loop_);
}

void
Worker::start() {
  std::lock_guard<std::mutex> guard(lock_);
  if (state_ != State::Stopped)
    return;
  shared_->drain = false;
  auto *arg = new std::shared_ptr<Shared>(shared_);
  thread_ = g_thread_new(
      name_.c_str(),
      [](gpointer data) -> gpointer {
        auto *held = static_cast<std::shared_ptr<Shared> *>(data);
        std::shared_ptr<Shared> shared = std::move(*held);
        delete held;
        g_main_context_push_thread_default(shared->context);
        g_main_loop_run(shared->loop);
        if (shared->drain) {
          while (g_main_context_iteration(shared->context, FALSE)) {
          }
        }
        g_main_context_pop_thread_default(shared->context);
        return nullptr;
      },
      arg);
  state_ = State::Running;
  GST_DEBUG("%s: thread started", name_.c_str());
}

void
Worker::join(std::unique_lock<std::mutex> &held) {
  GThread *thread = thread_;
  held.unlock();
  g_thread_join(thread);
  held.lock();
  thread_ = nullptr;
  state_ = State::Stopped;
  GST_DEBUG("%s: thread joined", name_.c_str());
}

void
Worker::stop() {
  std::unique_lock<std::mutex> held(lock_);
  if (state_ != State::Running)
    return;
  if (is_current()) {
    /* Cannot join ourselves: end when the current callback returns. */
    state_ = State::Stopped;
    g_thread_unref(thread_);
    thread_ = nullptr;
    g_main_loop_quit(loop_);
    return;
  }
  state_ = State::Stopping;
  shared_->drain = true;
  GMainLoop *loop = loop_;
  attach_task(nullptr, [loop]() { g_main_loop_quit(loop); });
  join(held);
}

void
Worker::shutdown(std::function<void()> finish) {
  std::unique_lock<std::mutex> held(lock_);
  if (state_ != State::Running)
    return;
  if (is_current()) {
    /* The thread goes on until @finish or what it scheduled calls quit()
     * (or the Worker is destroyed). */
    state_ = State::Stopped;
    g_thread_unref(thread_);
    thread_ = nullptr;
    held.unlock();
    run_guarded(finish);
    return;
  }
  state_ = State::Stopping;
  shared_->drain = false;
  attach_task(nullptr, std::move(finish));
  join(held);
}

void
Worker::quit() {
  g_main_loop_quit(loop_);
}

bool
Worker::running() const {
  std::lock_guard<std::mutex> guard(lock_);
  return state_ == State::Running;
}

bool
Worker::is_current() const {
  return g_main_context_is_owner(context_);
}

void
Worker::attach_task(GObject *owner, std::function<void()> fn) {
  auto *task = new Task{shared_.get(),
      owner ? static_cast<GObject *>(g_object_ref(owner)) : nullptr,
      std::move(fn), false};
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, run_task, task, free_task);
  g_source_attach(source, context_);
  g_source_unref(source);
}

bool
Worker::post(std::function<void()> fn) {
  return post(nullptr, std::move(fn));
}

bool
Worker::post(GObject *owner, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> guard(lock_);
    bool accept
        = state_ == State::Running
          || (state_ == State::Stopping && shared_->drain && is_current());
    if (accept) {
      attach_task(owner, std::move(fn));
      return true;
    }
  }
  GST_DEBUG("%s: not running, work dropped", name_.c_str());
  /* @fn (and what it holds) goes here, outside the lock. */
  return false;
}

void
Worker::run_sync(const std::function<void()> &fn) {
  if (!running() || is_current()) {
    fn();
    return;
  }
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool posted = post([&]() {
    run_guarded(fn);
    std::lock_guard<std::mutex> g(m);
    done = true;
    cv.notify_one();
  });
  if (!posted) {
    fn();
    return;
  }
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, [&] { return done; });
}

guint
Worker::every(guint interval_ms, std::function<void()> fn) {
  GSource *source = g_timeout_source_new(interval_ms);
  g_source_set_callback(source, run_task,
      new Task{shared_.get(), nullptr, std::move(fn), true}, free_task);
  guint id = g_source_attach(source, context_);
  g_source_unref(source);
  return id;
}

void
Worker::cancel(guint id) {
  if (!id)
    return;
  GSource *source = g_main_context_find_source_by_id(context_, id);
  if (source)
    g_source_destroy(source);
}

GSource *
Worker::timeout(guint ms, std::function<void()> fn) {
  GSource *source = g_timeout_source_new(ms);
  g_source_set_callback(source, run_task,
      new Task{shared_.get(), nullptr, std::move(fn), false}, free_task);
  g_source_attach(source, context_);
  return source;
}

void
Worker::set_after_work(std::function<void()> fn) {
  shared_->after_work = std::move(fn);
}

} // namespace gws
