/* gst-webrtc-session: the relay's network layer (see relay_server.h). */
#include "relay_server.h"

#include "common/gws-secret.h"
#include "soup_ws_link.h"
#include "ws_frame.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace gws::relay {

namespace {

/* A connection whose message exceeds this multiple of the router's message
 * limit is closed (1009); messages between the two limits reach the router,
 * which answers them with an error and keeps the connection. */
constexpr guint64 kHardCapFactor = 16;
/* A connection that sent nothing (no message, no pong) for this many ping
 * intervals is dead. */
constexpr double kReapAfterIntervals = 2.5;
/* How often a connection's socket is asked whether it can take more, at
 * most (a poll() per relayed message otherwise). */
constexpr gint64 kStallCheckUs = 250 * 1000;
/* How long shutdown waits for peers to answer our close frames. */
constexpr guint kShutdownGraceMs = 2000;
/* Largest static file served from --web-root. */
constexpr goffset kMaxStaticFile = 32 * 1024 * 1024;
/* Pending connections the kernel queues for us (capped by somaxconn). */
constexpr int kListenBacklog = 4096;
/* WebSocket connections per GMainContext (see context_pool.h): a message
 * wakes only its connection's group, whose cost grows with this size; each
 * group costs one eventfd. Only wss:// connections (SoupWsLink) live in
 * groups. */
constexpr size_t kConnectionsPerGroup = 32;
/* The plain links' recv() buffer (one per server). */
constexpr size_t kScratchSize = 64 * 1024;
/* Keepalive pings and close deadlines of plain links are run this often
 * (only those due: PlainWsLink keeps them ordered). */
constexpr guint kTickMs = 100;

bool
is_websocket_request(SoupServerMessage *msg) {
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  return soup_message_headers_header_contains(h, "Upgrade", "websocket");
}

std::string
remote_of(SoupServerMessage *msg) {
  GSocketAddress *addr = soup_server_message_get_remote_address(msg);
  if (!addr || !G_IS_INET_SOCKET_ADDRESS(addr)) {
    const char *host = soup_server_message_get_remote_host(msg);
    return host ? host : "unknown";
  }
  auto *inet = G_INET_SOCKET_ADDRESS(addr);
  g_autofree char *ip
      = g_inet_address_to_string(g_inet_socket_address_get_address(inet));
  guint16 port = g_inet_socket_address_get_port(inet);
  bool v6 = g_inet_address_get_family(g_inet_socket_address_get_address(inet))
            == G_SOCKET_FAMILY_IPV6;
  return (v6 ? "[" + std::string(ip) + "]" : std::string(ip)) + ":"
         + std::to_string(port);
}

/* The MIME types a browser client needs, independent of shared-mime-info
 * (module scripts are refused unless served as JavaScript). */
std::string
mime_type_for(const std::string &path, const char *data, gsize size) {
  static const std::pair<const char *, const char *> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto &t : kTypes) {
    if (g_str_has_suffix(path.c_str(), t.first))
      return t.second;
  }
  g_autofree char *ctype = g_content_type_guess(
      path.c_str(), reinterpret_cast<const guchar *>(data), size, nullptr);
  g_autofree char *mime = ctype ? g_content_type_get_mime_type(ctype) : nullptr;
  return mime ? mime : "application/octet-stream";
}

void
set_text_response(SoupServerMessage *msg, guint status, const char *text) {
  soup_server_message_set_status(
      msg, status, status == 426 ? "Upgrade Required" : nullptr);
  soup_server_message_set_response(
      msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text, strlen(text));
}

} // namespace

/* One upgraded WebSocket connection; its link reports to it. */
struct RelayServer::Connection final : WsLink::Events {
  RelayServer *server = nullptr;
  ConnectionId id = 0;
  std::unique_ptr<WsLink> link;
  std::string remote;
  gint64 last_seen = 0; /* g_get_monotonic_time() of the last frame or pong */
  double binary_tokens = 0;
  gint64 binary_refilled = 0;
  gint64 stalled_since = 0; /* first send that found the socket full */
  gint64 stall_checked = 0; /* when a send last asked the socket */
  ContextPool::Group *group = nullptr; /* wss://: where its sources live */
  bool closed = false;

  void on_message(bool text, std::string_view data) override {
    server->message(*this, text, data);
  }
  void on_alive() override { last_seen = g_get_monotonic_time(); }
  void on_error(const std::string &what) override {
    server->log(
        "connection " + std::to_string(id) + " from " + remote + ": " + what);
  }
  void on_closed(uint16_t code) override { server->closed(*this, code); }
};

void
RelayServer::SoupServerDeleter::operator()(SoupServer *s) const {
  soup_server_disconnect(s);
  g_object_unref(s);
}

RelayServer::RelayServer(ServerConfig config)
    : config_(std::move(config)), router_(*this, config_.router),
      pool_(kConnectionsPerGroup) {
  LongPoll::Host host;
  host.router = &router_;
  host.next_id = [this]() { return next_id_++; };
  host.authorized = [this](SoupServerMessage *msg, GHashTable *query) {
    return authorized(msg, query);
  };
  host.log = [this](const std::string &line) { log(line); };
  host.context = [this]() { return context_; };
  host.drained = [this]() {
    if (server_)
      soup_server_disconnect(server_.get());
    maybe_finish_shutdown();
  };
  LongPollConfig poll;
  poll.hold = config_.poll_hold;
  poll.ping_interval = config_.ping_interval;
  poll.max_message_size = config_.router.max_message_size;
  longpoll_ = std::make_unique<LongPoll>(std::move(host), poll);
}

RelayServer::~RelayServer() {
  for (guint id : request_timers_)
    remove_source(id);
  request_timers_.clear();
  for (guint *source : {&flush_source_, &reap_source_, &shutdown_source_,
           &closed_source_, &tick_source_}) {
    if (*source)
      remove_source(*source);
    *source = 0;
  }
  /* Drop the connections before the server; the router is destroyed after
   * this body and never hears of them again. */
  conns_.clear();
  longpoll_.reset();
  server_.reset();
  if (context_)
    g_main_context_unref(context_);
}

guint
RelayServer::add_timeout(
    guint ms, GSourceFunc fn, gpointer data, GDestroyNotify notify) {
  GSource *s = g_timeout_source_new(ms);
  g_source_set_callback(s, fn, data, notify);
  guint id = g_source_attach(s, context_);
  g_source_unref(s);
  return id;
}

guint
RelayServer::add_idle(gint priority, GSourceFunc fn, gpointer data) {
  GSource *s = g_idle_source_new();
  g_source_set_priority(s, priority);
  g_source_set_callback(s, fn, data, nullptr);
  guint id = g_source_attach(s, context_);
  g_source_unref(s);
  return id;
}

void
RelayServer::remove_source(guint id) {
  GSource *s
      = context_ ? g_main_context_find_source_by_id(context_, id) : nullptr;
  if (s)
    g_source_destroy(s);
}

void
RelayServer::log(const std::string &line) {
  if (config_.log_sink) {
    config_.log_sink(line);
    return;
  }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
  fprintf(stdout, "%s.%03dZ %s\n", stamp,
      g_date_time_get_microsecond(now) / 1000, line.c_str());
  fflush(stdout);
}

bool
RelayServer::start(std::string &error) {
  if (!context_) {
    GMainContext *own = g_main_context_get_thread_default();
    context_ = g_main_context_ref(own ? own : g_main_context_default());
  }
  g_autoptr(GTlsCertificate) cert = nullptr;
  bool tls = !config_.cert_file.empty() || !config_.key_file.empty();
  tls_ = tls;
  if (tls) {
    if (config_.cert_file.empty() || config_.key_file.empty()) {
      error = "TLS needs both --cert and --key";
      return false;
    }
    g_autoptr(GError) err = nullptr;
    cert = g_tls_certificate_new_from_files(
        config_.cert_file.c_str(), config_.key_file.c_str(), &err);
    if (!cert) {
      error = "cannot load TLS certificate " + config_.cert_file + " / key "
              + config_.key_file + ": " + err->message;
      return false;
    }
  }

  if (!config_.web_root.empty()) {
    g_autofree char *real = realpath(config_.web_root.c_str(), nullptr);
    if (!real || !g_file_test(real, G_FILE_TEST_IS_DIR)) {
      error = "--web-root " + config_.web_root + " is not a directory";
      return false;
    }
    web_root_real_ = real;
  }

  server_.reset(static_cast<SoupServer *>(g_object_new(SOUP_TYPE_SERVER,
      "tls-certificate", cert, "server-header", "gst-webrtc-relay ", nullptr)));
  if (config_.request_timeout > 0)
    g_signal_connect(
        server_.get(), "request-started", G_CALLBACK(on_request_started), this);
  soup_server_add_early_handler(
      server_.get(), nullptr, on_early_request, this, nullptr);
  soup_server_add_handler(server_.get(), nullptr, on_request, this, nullptr);
  /* The WebSocket upgrade is ours (on_request, on_upgraded), not
   * soup_server_add_websocket_handler()'s: the connection must be made
   * inside its group's context. */
  if (!pool_.start(context_, error)) {
    server_.reset();
    return false;
  }

  g_autoptr(GInetAddress) addr
      = g_inet_address_new_from_string(config_.host.c_str());
  if (!addr) {
    g_autoptr(GError) err = nullptr;
    GResolver *resolver = g_resolver_get_default();
    GList *found = g_resolver_lookup_by_name(
        resolver, config_.host.c_str(), nullptr, &err);
    g_object_unref(resolver);
    if (!found) {
      error = "cannot resolve --host " + config_.host + ": " + err->message;
      return false;
    }
    /* Prefer IPv4 ("localhost" usually lists ::1 first, but clients
     * mostly dial 127.0.0.1). */
    GList *pick = found;
    for (GList *l = found; l; l = l->next) {
      if (g_inet_address_get_family(G_INET_ADDRESS(l->data))
          == G_SOCKET_FAMILY_IPV4) {
        pick = l;
        break;
      }
    }
    addr = G_INET_ADDRESS(g_object_ref(pick->data));
    g_resolver_free_addresses(found);
  }
  g_autoptr(GSocketAddress) sockaddr
      = g_inet_socket_address_new(addr, config_.port);
  g_autoptr(GError) err = nullptr;
  auto options = static_cast<SoupServerListenOptions>(
      tls ? SOUP_SERVER_LISTEN_HTTPS : 0);
  /* Our own socket rather than soup_server_listen(): its listener keeps
   * GLib's default backlog of 10, so a burst of connections (a fleet of
   * cameras reconnecting after a relay restart) overflows it and each
   * dropped SYN costs that client a 1 s retransmit. */
  g_autoptr(GSocket) sock = g_socket_new(g_inet_address_get_family(addr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &err);
  if (sock) {
    g_socket_set_listen_backlog(sock, kListenBacklog);
    if (!g_socket_bind(sock, sockaddr, TRUE, &err)
        || !g_socket_listen(sock, &err))
      g_clear_object(&sock);
  }
  if (!sock || !soup_server_listen_socket(server_.get(), sock, options, &err)) {
    error = "cannot listen on " + config_.host + ":"
            + std::to_string(config_.port) + ": " + err->message;
    server_.reset();
    return false;
  }

  guint16 port = config_.port;
  GSList *uris = soup_server_get_uris(server_.get());
  if (uris)
    port
        = static_cast<guint16>(g_uri_get_port(static_cast<GUri *>(uris->data)));
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  g_autofree char *host = g_inet_address_to_string(addr);
  std::string host_text
      = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6
            ? "[" + std::string(host) + "]"
            : std::string(host);
  url_ = std::string(tls ? "wss" : "ws") + "://" + host_text + ":"
         + std::to_string(port);

  if (config_.ping_interval > 0)
    reap_source_
        = add_timeout(config_.ping_interval * 1000, on_reap_timer, this);
  tick_source_ = add_timeout(kTickMs, on_tick, this);

  start_time_unix_ = g_get_real_time() / G_USEC_PER_SEC;
  /* Tests and scripts parse this line: keep it ending with the URL. */
  log("listening on " + url_);
  log(std::string("long-poll at ") + (tls ? "https" : "http") + "://"
      + host_text + ":" + std::to_string(port) + "/poll");
  if (!web_root_real_.empty())
    log("serving files from " + web_root_real_ + " at "
        + (tls ? "https" : "http") + "://" + host_text + ":"
        + std::to_string(port) + "/");
  log(std::string("access token ")
      + (config_.token.empty() ? "not required" : "required")
      + ", message limit " + std::to_string(config_.router.max_message_size)
      + " bytes, ping interval "
      + (config_.ping_interval ? std::to_string(config_.ping_interval) + " s"
                               : std::string("off")));
  return true;
}

namespace {

constexpr char kRequestTimerKey[] = "gws-relay-request-timer";

/* A request that must be complete (or answered) when its timer fires. */
struct RequestTimer {
  RelayServer *server;
  GWeakRef msg;
  guint id = 0;
};

} // namespace

void
RelayServer::on_request_started(
    SoupServer *, SoupServerMessage *msg, gpointer user_data) {
  /* libsoup 3.2 never times out a client that connects and sends nothing
   * (or dribbles its headers): each would hold a descriptor forever. */
  auto *self = static_cast<RelayServer *>(user_data);
  auto *t = new RequestTimer{self, {}, 0};
  g_weak_ref_init(&t->msg, msg);
  t->id = self->add_timeout(self->config_.request_timeout * 1000,
      on_request_timeout, t, [](gpointer data) {
        auto *t = static_cast<RequestTimer *>(data);
        g_weak_ref_clear(&t->msg);
        delete t;
      });
  self->request_timers_.insert(t->id);
  /* An upgraded connection cancels it (on_upgraded): an idle WebSocket
   * should not hold a timer for the first seconds of its life. */
  g_object_set_data(G_OBJECT(msg), kRequestTimerKey, GUINT_TO_POINTER(t->id));
}

gboolean
RelayServer::on_request_timeout(gpointer user_data) {
  auto *t = static_cast<RequestTimer *>(user_data);
  RelayServer *self = t->server;
  self->request_timers_.erase(t->id);
  /* Gone (answered, upgraded) or answered by now: nothing to do. */
  g_autoptr(SoupServerMessage) msg
      = static_cast<SoupServerMessage *>(g_weak_ref_get(&t->msg));
  if (!msg || soup_server_message_get_status(msg) != 0)
    return G_SOURCE_REMOVE;
  GSocket *sock = soup_server_message_get_socket(msg);
  if (sock) {
    self->router_.metrics().count(Refusal::RequestTimeout);
    self->log("dropping connection from " + remote_of(msg)
              + ": no complete request within "
              + std::to_string(self->config_.request_timeout) + " s");
    g_socket_shutdown(sock, TRUE, TRUE, nullptr);
  }
  return G_SOURCE_REMOVE;
}

bool
RelayServer::authorized(SoupServerMessage *msg, GHashTable *query) const {
  if (config_.token.empty())
    return true;
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  const char *auth = soup_message_headers_get_one(h, "Authorization");
  if (auth) {
    while (g_ascii_isspace(*auth))
      auth++;
    if (g_ascii_strncasecmp(auth, "Bearer", 6) == 0
        && g_ascii_isspace(auth[6])) {
      g_autofree char *given = g_strstrip(g_strdup(auth + 7));
      if (equal_secret(config_.token, given))
        return true;
    }
  }
  const char *given
      = query ? static_cast<const char *>(g_hash_table_lookup(query, "token"))
              : nullptr;
  return given && equal_secret(config_.token, given);
}

void
RelayServer::on_early_request(SoupServer *, SoupServerMessage *msg,
    const char *path, GHashTable *query, gpointer user_data) {
  auto *self = static_cast<RelayServer *>(user_data);
  /* Signalling is small messages that must leave at once: without this,
   * Nagle holds the welcome behind the 101 until the peer's delayed ACK
   * (~40 ms a connection), and every relayed message can wait the same. */
  if (GSocket *sock = soup_server_message_get_socket(msg))
    g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
  if (!is_websocket_request(msg)) {
    if (LongPoll::handles(path))
      self->longpoll_->early(msg, path);
    return;
  }
  if (self->shutting_down_) {
    self->router_.metrics().count(Refusal::ShuttingDown);
    soup_message_headers_replace(
        soup_server_message_get_response_headers(msg), "Connection", "close");
    set_text_response(
        msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the relay is shutting down\n");
    return;
  }
  if (!self->authorized(msg, query)) {
    self->router_.metrics().count(Refusal::Unauthorized);
    self->log("refused connection from " + remote_of(msg)
              + ": missing or wrong access token (HTTP 401)");
    SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(
        h, "WWW-Authenticate", "Bearer realm=\"gst-webrtc-relay\"");
    /* A refused WebSocket client waits for the close; do not keep it. */
    soup_message_headers_replace(h, "Connection", "close");
    set_text_response(msg, SOUP_STATUS_UNAUTHORIZED,
        "missing or wrong access token: send \"Authorization: Bearer "
        "TOKEN\" or add ?token=TOKEN to the URL\n");
  }
}

void
RelayServer::on_request(SoupServer *, SoupServerMessage *msg, const char *path,
    GHashTable *query, gpointer user_data) {
  auto *self = static_cast<RelayServer *>(user_data);
  if (is_websocket_request(msg)) {
    /* No extensions: signalling messages are small, and compression only
     * adds CPU cost and decompression-bomb risk before the size limit. On
     * success the status is 101; otherwise libsoup set the error answer. */
    if (soup_websocket_server_process_handshake(
            msg, nullptr, nullptr, nullptr, nullptr))
      g_signal_connect(
          msg, "wrote-informational", G_CALLBACK(on_upgraded), self);
    else
      soup_message_headers_replace(
          soup_server_message_get_response_headers(msg), "Connection", "close");
    return;
  }
  /* Every other answer closes the connection: libsoup 3.2 keeps a
   * kept-alive connection open after its client closed it (one descriptor
   * per plain HTTP request, for good; found by the relay soak test). */
  soup_message_headers_replace(
      soup_server_message_get_response_headers(msg), "Connection", "close");
  if (self->serve_metrics(msg, path, query)) /* metrics_http.cpp */
    return;
  if (LongPoll::handles(path)) {
    if (self->shutting_down_)
      set_text_response(
          msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the relay is shutting down\n");
    else
      self->longpoll_->handle(msg, path, query);
    return;
  }
  const char *method = soup_server_message_get_method(msg);
  if (self->web_root_real_.empty()) {
    soup_message_headers_replace(
        soup_server_message_get_response_headers(msg), "Upgrade", "websocket");
    set_text_response(msg, 426,
        "gst-webrtc-relay: this is a WebSocket endpoint, connect with "
        "ws:// or wss://.\nTo serve the browser client at this address, "
        "start the relay with --web-root DIR (the source tree's "
        "signaling/web, as pipelines/demo does).\n");
    return;
  }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(
        soup_server_message_get_response_headers(msg), "Allow", "GET, HEAD");
    set_text_response(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "GET only\n");
    return;
  }
  self->serve_file(msg, path);
}

void
RelayServer::serve_file(SoupServerMessage *msg, const char *path) {
  /* libsoup has already percent-decoded the path and refused encoded "..";
   * refuse every dot segment and hidden name ourselves too, then check that
   * the resolved file (symlinks followed) is still inside the web root. */
  std::string rel;
  g_auto(GStrv) parts = g_strsplit(path ? path : "/", "/", -1);
  for (char **p = parts; *p; p++) {
    if (!**p)
      continue;
    if (**p == '.' || strchr(*p, '\\')) {
      set_text_response(msg, SOUP_STATUS_NOT_FOUND, "not found\n");
      return;
    }
    rel += "/";
    rel += *p;
  }
  std::string file = web_root_real_ + rel;
  if (g_file_test(file.c_str(), G_FILE_TEST_IS_DIR))
    file += "/index.html";
  g_autofree char *real = realpath(file.c_str(), nullptr);
  GStatBuf st;
  if (!real || !g_str_has_prefix(real, (web_root_real_ + "/").c_str())
      || g_stat(real, &st) != 0 || !S_ISREG(st.st_mode)
      || st.st_size > kMaxStaticFile) {
    set_text_response(msg, SOUP_STATUS_NOT_FOUND, "not found\n");
    return;
  }
  char *data = nullptr;
  gsize size = 0;
  if (!g_file_get_contents(real, &data, &size, nullptr)) {
    set_text_response(msg, SOUP_STATUS_NOT_FOUND, "not found\n");
    return;
  }
  std::string type = mime_type_for(real, data, size);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace(h, "Cache-Control", "no-cache");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(
      msg, type.c_str(), SOUP_MEMORY_TAKE, data, size);
}

void
RelayServer::on_upgraded(SoupServerMessage *msg, gpointer user_data) {
  auto *self = static_cast<RelayServer *>(user_data);
  g_signal_handlers_disconnect_by_func(
      msg, reinterpret_cast<gpointer>(on_upgraded), user_data);
  /* The 101 is out: the connection is ours from here on. */
  [[maybe_unused]] g_autoptr(SoupServerMessage) keep
      = static_cast<SoupServerMessage *>(g_object_ref(msg));
  if (GSocket *sock = soup_server_message_get_socket(msg))
    self->pool_.forget_fd(g_socket_get_fd(sock));
  if (guint timer = GPOINTER_TO_UINT(
          g_object_steal_data(G_OBJECT(msg), kRequestTimerKey))) {
    if (self->request_timers_.erase(timer))
      self->remove_source(timer);
  }
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection(msg);
  if (stream)
    self->accept(msg, stream);
}

namespace {

/* What libsoup read past the upgrade request (a client may send its first
 * frames right behind it): its input stream hands back its buffer first,
 * then whatever the socket has. */
std::string
take_buffered(GIOStream *stream) {
  std::string early;
  GInputStream *in = g_io_stream_get_input_stream(stream);
  if (!G_IS_POLLABLE_INPUT_STREAM(in))
    return early;
  char buf[4096];
  for (;;) {
    g_autoptr(GError) err = nullptr;
    gssize n = g_pollable_input_stream_read_nonblocking(
        G_POLLABLE_INPUT_STREAM(in), buf, sizeof buf, nullptr, &err);
    if (n <= 0)
      break; /* would block, end of stream or error: the descriptor says */
    early.append(buf, static_cast<size_t>(n));
  }
  return early;
}

} // namespace

void
RelayServer::accept(SoupServerMessage *msg, GIOStream *stream) {
  auto c = std::make_unique<Connection>();
  c->server = this;
  c->id = next_id_++;
  c->remote = remote_of(msg);
  c->last_seen = g_get_monotonic_time();
  c->binary_tokens = config_.router.flood_burst;
  c->binary_refilled = c->last_seen;

  std::string claimed;
  const char *query = g_uri_get_query(soup_server_message_get_uri(msg));
  if (query) {
    GHashTable *form = soup_form_decode(query);
    auto *id = static_cast<const char *>(g_hash_table_lookup(form, "peer-id"));
    if (id)
      claimed = id;
    g_hash_table_unref(form);
  }

  guint64 hard_cap = config_.router.max_message_size * kHardCapFactor;
  GSocket *sock = soup_server_message_get_socket(msg);
  PlainWsLink *plain = nullptr;
  if (tls_ || !sock) {
    c->group = pool_.take_slot();
    c->link = std::make_unique<SoupWsLink>(pool_, c->group, stream, sock,
        soup_message_headers_get_one(
            soup_server_message_get_request_headers(msg), "Origin"),
        hard_cap, config_.ping_interval, *c);
  } else {
    /* Plain: keep only a descriptor of our own (libsoup closes its one
     * when the stream goes, right after this). */
    int fd = fcntl(g_socket_get_fd(sock), F_DUPFD_CLOEXEC, 0);
    std::string early = take_buffered(stream);
    /* libsoup's descriptor goes now, whoever still holds its GSocket:
     * closing ours must end the TCP connection. */
    g_io_stream_close(stream, nullptr, nullptr);
    g_socket_close(sock, nullptr);
    if (fd < 0) {
      log("cannot take over connection from " + c->remote + ": "
          + strerror(errno));
      return;
    }
    if (plain_.scratch.empty()) {
      plain_.pool = &pool_;
      plain_.max_message = hard_cap;
      plain_.ping_interval = config_.ping_interval;
      plain_.scratch.resize(kScratchSize);
    }
    auto link = std::make_unique<PlainWsLink>(plain_, fd, std::move(early), *c);
    plain = link.get();
    c->link = std::move(link);
  }

  ConnectionId id = c->id;
  Connection &conn = *c;
  router_.metrics().connections_total++;
  log("connection " + std::to_string(id) + " from " + c->remote
      + (claimed.empty() ? "" : " claiming \"" + claimed + "\""));
  conns_[id] = std::move(c);
  router_.connect(id, claimed);
  /* Frames that came with the request are read only now that the router
   * knows the connection. */
  if (plain && !conn.closed)
    plain->start();
}

RelayServer::Connection *
RelayServer::find(ConnectionId conn) {
  auto it = conns_.find(conn);
  return it == conns_.end() || it->second->closed ? nullptr : it->second.get();
}

void
RelayServer::send(ConnectionId conn, const std::string &text) {
  if (longpoll_->owns(conn)) {
    longpoll_->send(conn, text);
    return;
  }
  Connection *c = find(conn);
  if (!c || !c->link->is_open())
    return;
  /* Nothing bounds what waits for a peer that sends but never reads
   * (libsoup's queue, or the plain link's): it would grow our memory
   * forever. A connection still unable to take more at every send for as
   * long as a silent peer is tolerated means the peer is not reading. It is
   * asked at most every kStallCheckUs (a poll() per message for wss://). */
  gint64 now = 0;
  if (config_.ping_interval > 0
      && (now = g_get_monotonic_time()) - c->stall_checked >= kStallCheckUs) {
    c->stall_checked = now;
    if (c->link->can_write()) {
      c->stalled_since = 0;
    } else if (!c->stalled_since) {
      c->stalled_since = now;
    } else if (now - c->stalled_since
               > static_cast<gint64>(kReapAfterIntervals * config_.ping_interval
                                     * G_USEC_PER_SEC)) {
      if (pending_closes_.count(conn) == 0) {
        router_.metrics().count(Refusal::NotReading);
        close(conn, "not reading its messages");
      }
      return;
    }
  }
  router_.metrics().sent_bytes_total += text.size();
  c->link->send_text(text);
}

void
RelayServer::close(ConnectionId conn, const std::string &reason) {
  if (longpoll_->owns(conn)) {
    longpoll_->close(conn, reason);
    return;
  }
  /* Never re-enter the router from inside it: close from an idle callback,
   * and report disconnect() when the link says the connection is closed. */
  pending_closes_.emplace(conn, reason);
  if (!flush_source_)
    flush_source_ = add_idle(G_PRIORITY_DEFAULT_IDLE, on_flush_closes, this);
}

gboolean
RelayServer::on_flush_closes(gpointer user_data) {
  auto *self = static_cast<RelayServer *>(user_data);
  self->flush_source_ = 0;
  auto pending = std::move(self->pending_closes_);
  self->pending_closes_.clear();
  for (const auto &entry : pending) {
    Connection *c = self->find(entry.first);
    if (!c || !c->link->is_open())
      continue;
    self->log("closing connection " + std::to_string(c->id) + " from "
              + c->remote + ": " + entry.second);
    c->link->close(ws::close_code::kPolicyViolation, entry.second);
  }
  return G_SOURCE_REMOVE;
}

bool
RelayServer::take_binary_token(Connection &c) {
  gint64 now = g_get_monotonic_time();
  double elapsed = (now - c.binary_refilled) / 1e6;
  c.binary_refilled = now;
  c.binary_tokens = std::min(config_.router.flood_burst,
      c.binary_tokens + elapsed * config_.router.flood_rate);
  if (c.binary_tokens < 1.0)
    return false;
  c.binary_tokens -= 1.0;
  return true;
}

void
RelayServer::message(Connection &c, bool text, std::string_view data) {
  if (c.closed)
    return;
  c.last_seen = g_get_monotonic_time();
  Metrics &metrics = router_.metrics();
  metrics.received_bytes_total += data.size();
  if (text) {
    router_.receive(c.id, data);
    return;
  }
  /* Binary frames never reach the router; they are refused here, with the
   * same flood limit the router applies to text. */
  if (!take_binary_token(c)) {
    metrics.count(Refusal::Flooding);
    log("connection " + std::to_string(c.id)
        + " floods binary messages: disconnecting");
    close(c.id, "flooding");
    return;
  }
  log("refused binary message from connection " + std::to_string(c.id));
  metrics.count(ErrorCause::Binary);
  metrics.count_sent(protocol::Type::Error);
  send(c.id, protocol::serialize(protocol::make_error(
                 "binary messages are not supported: send JSON text "
                 "messages")));
}

void
RelayServer::closed(Connection &c, uint16_t code) {
  /* Possibly inside a send() the router made, or inside libsoup's "closed"
   * emission: the router hears of it from an idle callback. */
  if (c.closed)
    return;
  c.closed = true;
  closed_.emplace_back(c.id, code);
  if (!closed_source_)
    closed_source_ = add_idle(G_PRIORITY_DEFAULT, on_flush_closed, this);
}

gboolean
RelayServer::on_flush_closed(gpointer user_data) {
  auto *self = static_cast<RelayServer *>(user_data);
  self->closed_source_ = 0;
  self->flush_closed();
  return G_SOURCE_REMOVE;
}

void
RelayServer::flush_closed() {
  /* router_.disconnect() may close more (never synchronously: closes are
   * queued), so take the list as it is now and loop. */
  while (!closed_.empty()) {
    auto done = std::move(closed_);
    closed_.clear();
    for (const auto &entry : done) {
      auto it = conns_.find(entry.first);
      if (it == conns_.end())
        continue;
      std::unique_ptr<Connection> c = std::move(it->second);
      conns_.erase(it);
      log("connection " + std::to_string(entry.first) + " from " + c->remote
          + " closed (code " + std::to_string(entry.second) + ")");
      ContextPool::Group *group = c->group;
      c.reset(); /* the link and its descriptor or GObjects */
      if (group)
        pool_.release_slot(group);
      pending_closes_.erase(entry.first);
      router_.disconnect(entry.first);
    }
  }
  maybe_finish_shutdown();
}

gboolean
RelayServer::on_tick(gpointer user_data) {
  auto *self = static_cast<RelayServer *>(user_data);
  PlainWsLink::run_timers(self->plain_, g_get_monotonic_time());
  return G_SOURCE_CONTINUE;
}

gboolean
RelayServer::on_reap_timer(gpointer user_data) {
  static_cast<RelayServer *>(user_data)->reap();
  return G_SOURCE_CONTINUE;
}

void
RelayServer::reap() {
  longpoll_->reap();
  /* Pongs that arrived while this thread did not run (a loaded machine)
   * must count before anyone is called silent. */
  pool_.dispatch_ready();
  gint64 now = g_get_monotonic_time();
  auto limit = static_cast<gint64>(
      kReapAfterIntervals * config_.ping_interval * G_USEC_PER_SEC);
  std::vector<Connection *> silent;
  for (auto &entry : conns_) {
    Connection &c = *entry.second;
    if (now - c.last_seen > limit && !c.closed && c.link->is_open())
      silent.push_back(&c);
  }
  for (Connection *c : silent) {
    if (c->closed || !c->link->is_open())
      continue;
    std::string who = router_.peer_id(c->id);
    log("reaping connection " + std::to_string(c->id) + " from " + c->remote
        + (who.empty() ? "" : " (peer " + who + ")") + ": silent for "
        + std::to_string((now - c->last_seen) / G_USEC_PER_SEC) + " s");
    router_.metrics().count(Refusal::Silent);
    c->link->close(ws::close_code::kGoingAway, "no answer to pings");
  }
}

void
RelayServer::shutdown(std::function<void()> done) {
  if (shutting_down_)
    return;
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  log("shutting down: closing " + std::to_string(conns_.size())
      + " connection(s)");
  /* Held long-poll GETs get their answer first; the server stops (which
   * cuts its HTTP connections) once those are written. */
  longpoll_->shutdown();
  if (server_ && !longpoll_->draining())
    soup_server_disconnect(server_.get());
  std::vector<Connection *> open;
  for (auto &entry : conns_) {
    if (!entry.second->closed && entry.second->link->is_open())
      open.push_back(entry.second.get());
  }
  /* A close may fail at once (its link reports closed, later): the
   * connections stay in conns_ until flush_closed(). */
  for (Connection *c : open)
    c->link->close(ws::close_code::kGoingAway, "relay shutting down");
  shutdown_source_ = add_timeout(kShutdownGraceMs, on_shutdown_timeout, this);
  maybe_finish_shutdown();
}

gboolean
RelayServer::on_shutdown_timeout(gpointer user_data) {
  auto *self = static_cast<RelayServer *>(user_data);
  self->shutdown_source_ = 0;
  self->log(std::to_string(self->conns_.size())
            + " connection(s) did not close in time");
  auto done = std::move(self->shutdown_done_);
  self->shutdown_done_ = nullptr;
  if (done)
    done();
  return G_SOURCE_REMOVE;
}

void
RelayServer::maybe_finish_shutdown() {
  if (!shutting_down_ || !conns_.empty() || longpoll_->draining()
      || !shutdown_done_)
    return;
  if (shutdown_source_) {
    remove_source(shutdown_source_);
    shutdown_source_ = 0;
  }
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

} // namespace gws::relay
