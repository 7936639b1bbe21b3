/* gst-webrtc-session: the private thread that serialises an element's
 * session work.
 *
 * Each element owns one: every change to its peer connections and to the
 * bin's children (adding a consumer, linking an encoder, tearing a session
 * down) runs here, in order, so signaller threads, webrtcbin threads and
 * streaming threads only post work and never block on each other. */
#pragma once

#include <glib.h>

#include <functional>
#include <string>

namespace gws {

class SessionLoop {
 public:
  explicit SessionLoop(std::string name);
  ~SessionLoop(); /* stops the thread; queued work is dropped */

  SessionLoop(const SessionLoop &) = delete;
  SessionLoop &operator=(const SessionLoop &) = delete;

  void start();
  /* Runs what is queued, then stops the thread. */
  void stop();
  bool running() const { return thread_ != nullptr; }

  /* Queues @fn (callable from any thread, also the loop's own). Dropped
   * when the loop is not running. */
  void post(std::function<void()> fn);
  /* Runs @fn on the loop and waits for it; runs it right away when called
   * from the loop itself or when the loop is not running. */
  void run_sync(const std::function<void()> &fn);
  bool is_current() const;
  /* Runs @fn on the loop every @interval_ms until cancel(); returns its id
   * (callable from any thread). */
  guint every(guint interval_ms, std::function<void()> fn);
  void cancel(guint id);

 private:
  std::string name_;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
};

} // namespace gws
