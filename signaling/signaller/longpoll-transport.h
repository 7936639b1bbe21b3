/* gst-webrtc-session: the relay protocol over HTTP long-poll, client side.
 *
 * A RelayTransport (relay-transport.h) for poll+http:// and poll+https://
 * URIs: POST /poll opens a connection, each message goes out as a POST, and
 * a GET held by the relay brings what it has for us, numbered, so a GET
 * lost on the way (a proxy cutting it) is simply asked again and nothing is
 * lost or received twice. Endpoints and format: docs/protocol.md
 * ("Long-poll").
 *
 * Threading: as any RelayTransport, on the signaller's thread only. The
 * object must be held by a std::shared_ptr: requests in flight hold a weak
 * reference and are cancelled by close(). */
#pragma once

#include "relay-transport.h"

#include <libsoup/soup.h>

#include <deque>
#include <memory>
#include <string>

namespace gws {

struct LongPollOptions {
  std::string base;  /* http(s)://host:port/path/poll, no query */
  std::string query; /* for POST /poll: peer-id=... (escaped), or empty */
  std::string token; /* sent as Authorization: Bearer */
  bool tls_validation = true;
  guint keepalive_s = 20;           /* dead after 3 of these with no answer */
  guint connect_timeout_ms = 10000; /* for opening */
  GObject *log_object = nullptr;    /* log lines carry it (not owned) */
};

class LongPollTransport
    : public RelayTransport,
      public std::enable_shared_from_this<LongPollTransport> {
 public:
  LongPollTransport(
      SoupSession *session, LongPollOptions options, Callbacks callbacks);
  ~LongPollTransport() override;

  void open() override;
  void send(const std::string &text) override;
  void close(bool graceful, std::function<void()> done) override;
  void abort() override;

 private:
  struct Request;

  SoupMessage *make(const char *method, const std::string &url);
  void start(SoupMessage *msg,
      void (LongPollTransport::*handler)(SoupMessage *, GBytes *, GError *),
      GCancellable *cancellable = nullptr);
  void stop_get();
  void on_opened(SoupMessage *msg, GBytes *body, GError *error);
  void poll();
  void on_polled(SoupMessage *msg, GBytes *body, GError *error);
  void flush();
  void on_posted(SoupMessage *msg, GBytes *body, GError *error);
  void lost(const std::string &why);
  void finish_close();

  SoupSession *session_; /* owned reference */
  LongPollOptions options_;
  Callbacks callbacks_;
  GCancellable *cancellable_ = nullptr;     /* every request in flight */
  GCancellable *get_cancellable_ = nullptr; /* the GET in flight */
  GSource *timer_ = nullptr;                /* open timeout or GET retry */
  GSource *get_timer_ = nullptr;            /* gives up on a GET not answered */
  guint hold_s_ = 25;         /* the relay's hold time, from open */
  std::string url_;           /* base/ID, once open */
  guint64 last_ = 0;          /* last message number received */
  gint64 last_answer_us_ = 0; /* monotonic time of the last GET answer */
  guint poll_failures_ = 0;   /* GETs failed in a row */
  std::deque<std::string> outgoing_;
  bool posting_ = false;
  bool is_open_ = false;
  bool closing_ = false; /* close(graceful) waits for the POSTs */
  bool closed_ = false;  /* no callbacks any more */
  std::function<void()> close_done_;
};

} // namespace gws
