/* gst-webrtc-session: the relay protocol over WebSocket, client side.
 *
 * A RelayTransport (relay-transport.h) for ws:// and wss:// URIs: one
 * libsoup WebSocket; libsoup pings every keepalive interval and the
 * connection counts as lost when nothing (no message, no pong) arrived for
 * three of them (relay host down, link cut: TCP may not say so).
 *
 * Threading: as any RelayTransport, on the signaller's thread only. Held by
 * a std::shared_ptr: the connect in flight holds a weak reference. */
#pragma once

#include "relay-transport.h"

#include <libsoup/soup.h>

#include <memory>
#include <string>

namespace gws {

struct WebSocketOptions {
  std::string url;   /* ws(s)://..., token not in it */
  std::string token; /* sent as Authorization: Bearer */
  bool tls_validation = true;
  guint keepalive_s = 20; /* 0: no pings, rely on TCP */
  guint connect_timeout_ms = 10000;
  guint64 max_incoming_payload = 4 * 1024 * 1024;
  GObject *log_object = nullptr; /* log lines carry it (not owned) */
};

class WebSocketTransport
    : public RelayTransport,
      public std::enable_shared_from_this<WebSocketTransport> {
 public:
  WebSocketTransport(
      SoupSession *session, WebSocketOptions options, Callbacks callbacks);
  ~WebSocketTransport() override;

  void open() override;
  void send(const std::string &text) override;
  void close(bool graceful, std::function<void()> done) override;
  void abort() override;

 private:
  struct ConnectOp;
  static void on_connected(GObject *source, GAsyncResult *res, gpointer data);
  void connected(SoupMessage *msg, SoupWebsocketConnection *ws, GError *err);
  static void on_message(
      SoupWebsocketConnection *ws, gint type, GBytes *data, gpointer user_data);
  static void on_closed(SoupWebsocketConnection *ws, gpointer user_data);
  static void on_closing_done(SoupWebsocketConnection *ws, gpointer user_data);
  static gboolean on_liveness(gpointer user_data);
  void lost(const std::string &why);
  void clear_sources();
  void release_ws();

  SoupSession *session_; /* owned reference */
  WebSocketOptions options_;
  Callbacks callbacks_;
  GCancellable *cancellable_ = nullptr; /* the connect in flight */
  GSource *connect_timer_ = nullptr;
  GSource *liveness_ = nullptr;
  bool timed_out_ = false;
  SoupWebsocketConnection *ws_ = nullptr; /* owned reference, once open */
  gint64 last_heard_us_ = 0;              /* monotonic: message or pong */
  bool closed_ = false;                   /* no callbacks any more */
  std::function<void()> close_done_;      /* a graceful close under way */
};

} // namespace gws
