/* gst-webrtc-session: the relay and its web page inside webrtcsink's
 * process (`run-relay=true`).
 *
 * The same RelayServer as the gst-webrtc-relay program (signaling/relay,
 * a static library both link), run on a gws::Worker thread of its own with
 * its own GMainContext: the server adds every source to the context
 * start() runs in, so it never touches the application's default context.
 * Serves the browser page (signaling/web) on the same port, so
 *
 *   gst-launch-1.0 videotestsrc ! webrtcsink run-relay=true
 *
 * is one line from a pipeline to a browser.
 *
 * Threads: start() and stop() are called from the element's state changes
 * and wait for the relay thread; everything of the server runs on that
 * thread. Not thread-safe itself: the element calls it from its state
 * changes only. */
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>

namespace gws {

struct EmbeddedRelayConfig {
  std::string address = "127.0.0.1";
  guint16 port = 8443;  /* 0: any free port */
  std::string web_root; /* empty: no page */
};

class EmbeddedRelay {
 public:
  EmbeddedRelay();
  ~EmbeddedRelay(); /* stop() */
  EmbeddedRelay(const EmbeddedRelay &) = delete;
  EmbeddedRelay &operator=(const EmbeddedRelay &) = delete;

  /* Starts the thread and the server; on failure returns false with a
   * message for the user in @error (port in use, bad address, no such web
   * root). @log gets the server's log lines (on the relay thread). */
  bool start(const EmbeddedRelayConfig &config, GstObject *log_object,
      std::string &error);
  /* Closes every connection (a short grace period) and joins the thread. */
  void stop();
  bool running() const { return server_ != nullptr; }

  /* "ws://127.0.0.1:8443" and "http://127.0.0.1:8443/" (the real port),
   * valid while running. */
  const std::string &url() const { return url_; }
  std::string page_url() const;

  /* The web page of this source tree or installation, or "" when neither
   * is there. */
  static std::string default_web_root();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  void *server_ = nullptr; /* non-null while running (Impl owns it) */
  std::string url_;
};

} // namespace gws
