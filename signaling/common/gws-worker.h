/* gst-webrtc-session: a private thread running its own GMainContext.
 *
 * One class for every thread of ours that serialises work: the element
 * session loop (plugins/webrtcsession), the WebSocket signaller, the
 * WHIP/WHEP signallers and the offline signaller. Work posted to it runs on the
 * thread, in order; timers run there too.
 *
 * Life cycle: no thread exists until start(). stop() runs what is queued
 * and joins; shutdown() hands a last piece of work to the thread, which
 * ends when that work (or something it scheduled) calls quit(), and joins.
 * When stop() or shutdown() is called on the thread itself (the last
 * reference of its owner went away there), it cannot join itself: the
 * thread ends as soon as the current callback returns, without running
 * anything else.
 *
 * Locks: `lock_` guards `state_` and `thread_`; it is a leaf lock (only
 * g_source_attach runs under it, never posted work). */
#pragma once

#include <glib-object.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace gws {

class Worker {
 public:
  explicit Worker(std::string name);
  ~Worker(); /* stop() */

  Worker(const Worker &) = delete;
  Worker &operator=(const Worker &) = delete;

  /* Starts the thread; nothing when it runs already. Callable again after
   * stop() or shutdown(). */
  void start();
  /* Refuses new work, runs what is queued (and what that work posts from
   * the thread), then joins the thread. */
  void stop();
  /* Refuses new work from other threads and runs @finish on the thread
   * after what is queued; the thread ends when quit() is called there
   * (by @finish or later, e.g. after a last request). Joins. Nothing runs
   * when the thread is not running. */
  void shutdown(std::function<void()> finish);
  /* Ends the thread's loop; for shutdown(). */
  void quit();

  bool running() const;
  /* TRUE when called on the worker's thread. */
  bool is_current() const;
  GMainContext *context() const { return context_; }

  /* Queues @fn (callable from any thread, also the worker's own). Dropped
   * (FALSE) when the worker is not running or is stopping (then accepted
   * only from the thread itself). Exceptions are caught and logged. */
  bool post(std::function<void()> fn);
  /* The same, holding a strong reference to @owner until @fn has run or
   * been dropped, so the owner is never disposed while work for it is
   * queued. */
  bool post(GObject *owner, std::function<void()> fn);
  /* Runs @fn on the thread and waits for it; runs it right away when
   * called from the thread itself or when the worker is not running. */
  void run_sync(const std::function<void()> &fn);

  /* Runs @fn on the thread every @interval_ms until cancel(); returns its
   * id (callable from any thread). */
  guint every(guint interval_ms, std::function<void()> fn);
  void cancel(guint id);
  /* Runs @fn on the thread once after @ms milliseconds unless the returned
   * source (a reference for the caller) is destroyed first. */
  GSource *timeout(guint ms, std::function<void()> fn);

  /* Runs @fn on the thread after posted work or a timer has run, once for
   * a burst: it is queued behind what is queued at that moment (e.g. to
   * publish a snapshot of the state that work changed). Set it before the
   * first start(). */
  void set_after_work(std::function<void()> fn);

  /* What the thread shares with the Worker (gws-worker.cpp). */
  struct Shared;

 private:
  enum class State { Stopped, Running, Stopping };

  void attach_task(GObject *owner, std::function<void()> fn);
  void join(std::unique_lock<std::mutex> &held);

  std::string name_;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  std::shared_ptr<Shared> shared_; /* also held by the thread */

  mutable std::mutex lock_;
  State state_ = State::Stopped;
  GThread *thread_ = nullptr;
};

} // namespace gws
