/* gst-webrtc-session: the relay's network layer.
 *
 * A RelayServer owns a SoupServer and adapts it to the transport-free Router
 * (router.h): every accepted WebSocket becomes a ConnectionId, text frames go
 * to Router::receive(), and the router's output goes back out as text frames.
 * On top of the router it does what only a transport can do: the access
 * token check before the WebSocket upgrade, TLS, the hard frame-size cap,
 * keepalive pings and reaping of dead connections, refusing binary frames,
 * and (optionally) serving static files over plain HTTP GET.
 *
 * libsoup serves HTTP (the upgrade's request and 101 answer, long-poll,
 * metrics, files, TLS). After the 101, a plain ws:// connection is taken
 * over whole: its descriptor goes to a PlainWsLink (plain_ws_link.h, our own
 * framing, watched in the ContextPool's epoll set, no GObject left); a
 * wss:// one goes to a SoupWsLink (libsoup's SoupWebsocketConnection in a
 * pool group). The server holds a WsLink either way.
 *
 * Single-threaded: everything runs on the thread-default GMainContext of the
 * thread that calls start() (the default context in gst-webrtc-relay; a
 * gws::Worker's context when webrtcsink runs the relay in its process with
 * run-relay): every source it adds is attached to that context, never to
 * the global default one. Call every method on that thread.
 * Upgraded WebSocket connections live in small groups, each with its own
 * GMainContext driven from that one through a ContextPool (context_pool.h),
 * so that idle connections do not make every wake-up dearer. */
#pragma once

#include "context_pool.h"
#include "longpoll.h"
#include "plain_ws_link.h"
#include "router.h"
#include "ws_link.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gws::relay {

struct ServerConfig {
  std::string host = "0.0.0.0";
  guint16 port = 8443; /* 0: any free port; see RelayServer::url() */
  std::string token;   /* empty: no access control */
  std::string cert_file, key_file; /* both set: serve wss:// and https:// */
  std::string web_root;            /* empty: no static files */
  unsigned ping_interval = 30;     /* seconds; 0 disables pings and reaping */
  unsigned request_timeout = 10;   /* seconds to send a whole HTTP request
                                      (headers of the upgrade included) */
  unsigned poll_hold = 25;         /* seconds a long-poll GET is held */
  RouterConfig router;
  /* Where log lines go; unset: stdout with a UTC time stamp. */
  std::function<void(const std::string &line)> log_sink;
};

class RelayServer : public Output {
 public:
  explicit RelayServer(ServerConfig config);
  ~RelayServer() override;

  RelayServer(const RelayServer &) = delete;
  RelayServer &operator=(const RelayServer &) = delete;

  /* Loads the certificate (if any) and starts listening. On failure returns
   * false with a message a user can act on in `error`. */
  bool start(std::string &error);

  /* The bound URL, e.g. "ws://127.0.0.1:8443" (the real port when the
   * configured one was 0). Valid after start(). */
  const std::string &url() const { return url_; }

  /* Stops listening and closes every connection (going away). Calls
   * `done` once all of them are closed, or after a short grace period. */
  void shutdown(std::function<void()> done);

  size_t connection_count() const {
    return conns_.size() + longpoll_->peer_count();
  }

  /* Output: what the router asks of us. */
  void send(ConnectionId conn, const std::string &text) override;
  void close(ConnectionId conn, const std::string &reason) override;
  void log(const std::string &line) override;

 private:
  struct Connection;
  struct SoupServerDeleter {
    void operator()(SoupServer *s) const;
  };

  static void on_early_request(SoupServer *server, SoupServerMessage *msg,
      const char *path, GHashTable *query, gpointer user_data);
  static void on_request(SoupServer *server, SoupServerMessage *msg,
      const char *path, GHashTable *query, gpointer user_data);
  static void on_upgraded(SoupServerMessage *msg, gpointer user_data);
  static gboolean on_reap_timer(gpointer user_data);
  static gboolean on_tick(gpointer user_data);
  static gboolean on_flush_closed(gpointer user_data);
  static gboolean on_flush_closes(gpointer user_data);
  static gboolean on_shutdown_timeout(gpointer user_data);
  static void on_request_started(
      SoupServer *server, SoupServerMessage *msg, gpointer user_data);
  static gboolean on_request_timeout(gpointer user_data);

  bool authorized(SoupServerMessage *msg, GHashTable *query) const;
  void serve_file(SoupServerMessage *msg, const char *path);
  /* GET /metrics and /status (metrics_http.cpp); false: not ours. */
  bool serve_metrics(
      SoupServerMessage *msg, const char *path, GHashTable *query);
  /* A connection whose 101 is out; `stream` is the stolen connection. */
  void accept(SoupServerMessage *msg, GIOStream *stream);
  void message(Connection &c, bool text, std::string_view data);
  void closed(Connection &c, uint16_t code);
  void flush_closed();
  void reap();
  bool take_binary_token(Connection &c);
  Connection *find(ConnectionId conn);
  void maybe_finish_shutdown();
  /* Sources on context_ (the thread-default context of start()). */
  guint add_timeout(
      guint ms, GSourceFunc fn, gpointer data, GDestroyNotify notify = nullptr);
  guint add_idle(gint priority, GSourceFunc fn, gpointer data);
  void remove_source(guint id);

  ServerConfig config_;
  GMainContext *context_ = nullptr; /* a reference, from start() */
  Router router_;
  /* Before conns_: a connection's sources live in one of its contexts. */
  ContextPool pool_;
  std::unique_ptr<SoupServer, SoupServerDeleter> server_;
  std::unique_ptr<LongPoll> longpoll_; /* peers on HTTP long-poll */
  std::string url_;
  std::string web_root_real_; /* canonical web root, or empty */
  ConnectionId next_id_ = 1;
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> conns_;
  std::unordered_map<ConnectionId, std::string> pending_closes_;
  /* Closed links, reported to the router from an idle callback (a link may
   * close from inside a send() the router made). */
  std::vector<std::pair<ConnectionId, uint16_t>> closed_;
  guint flush_source_ = 0;
  guint closed_source_ = 0;
  guint tick_source_ = 0;
  bool tls_ = false;
  PlainWsLink::Shared plain_; /* what every PlainWsLink shares */
  guint reap_source_ = 0;
  guint shutdown_source_ = 0;
  std::unordered_set<guint> request_timers_; /* sources to remove at exit */
  bool shutting_down_ = false;
  gint64 start_time_unix_ = 0;
  std::function<void()> shutdown_done_;
};

} // namespace gws::relay
