/* gst-webrtc-session: the relay protocol over HTTP long-poll (see
 * longpoll.h; the wire format is in docs/protocol.md). */
#include "longpoll.h"

#include <json-glib/json-glib.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gws::relay {

namespace {

/* A POST body may carry a batch; it is refused unread above this many times
 * the message limit (the WebSocket frame cap's factor). */
constexpr guint64 kBodyCapFactor = 16;
/* A peer whose unacknowledged messages exceed this many times the message
 * limit, or this count, is not reading: it is closed, as a WebSocket peer
 * whose socket stays full is. */
constexpr size_t kQueueCapFactor = 16;
constexpr size_t kQueueCapCount = 4096;
/* Messages in one POST, at most (flood control stops a peer long before). */
constexpr guint kMaxBatch = 1024;
/* One GET answer carries at most this many bytes of messages (at least
 * one message); the rest goes to the next GET. */
constexpr size_t kMaxAnswerBytes = 1024 * 1024;
/* A closed peer's last messages (an error, the close reason) stay
 * fetchable for this long before its secret is forgotten. */
constexpr guint kLingerSeconds = 10;
constexpr double kReapAfterIntervals = 2.5;
constexpr const char *kPrefix = "/poll";

std::string
random_secret() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      g_error("getrandom failed: %s", g_strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

void
respond(SoupServerMessage *msg, guint status, const std::string &body,
    const char *type = "text/plain; charset=utf-8") {
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Cache-Control", "no-store");
  soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(
      msg, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

void
refuse(SoupServerMessage *msg, guint status, const std::string &reason) {
  respond(msg, status, reason + "\n");
}

std::string
json_string(const std::string &s) {
  g_autoptr(JsonNode) node = json_node_new(JSON_NODE_VALUE);
  json_node_set_string(node, s.c_str());
  g_autofree char *text = json_to_string(node, FALSE);
  return text;
}

std::string
remote_of(SoupServerMessage *msg) {
  const char *host = soup_server_message_get_remote_host(msg);
  return host ? host : "unknown";
}

} // namespace

struct LongPoll::Peer {
  LongPoll *owner = nullptr;
  std::string secret;
  ConnectionId conn = 0;
  std::string remote;
  /* Messages not yet acknowledged, oldest first, numbered from 1. */
  std::deque<std::pair<guint64, std::string>> queue;
  size_t queued_bytes = 0;
  guint64 last_seq = 0; /* number of the newest message queued */
  guint64 acked = 0;    /* every message up to this one was acknowledged */
  gint64 last_seen = 0; /* g_get_monotonic_time() of its last request */
  /* The held GET (owned reference), what it acknowledged, its timer. */
  SoupServerMessage *held = nullptr;
  guint hold_timer = 0;
  bool answer_due = false; /* a message arrived for the held GET */
  bool closed = false;     /* the router no longer knows it */
  std::string close_reason;
  guint linger_timer = 0;

  ~Peer() {
    if (hold_timer)
      owner->remove_source(hold_timer);
    if (linger_timer)
      owner->remove_source(linger_timer);
    if (held) {
      g_signal_handlers_disconnect_by_data(held, this);
      g_object_unref(held);
    }
  }
};

LongPoll::LongPoll(Host host, LongPollConfig config)
    : host_(std::move(host)), config_(config) {}

guint
LongPoll::add_timeout(guint ms, GSourceFunc fn, gpointer data) {
  GSource *s = g_timeout_source_new(ms);
  g_source_set_callback(s, fn, data, nullptr);
  guint id = g_source_attach(s, host_.context ? host_.context() : nullptr);
  g_source_unref(s);
  return id;
}

guint
LongPoll::add_idle(GSourceFunc fn, gpointer data) {
  GSource *s = g_idle_source_new();
  g_source_set_callback(s, fn, data, nullptr);
  guint id = g_source_attach(s, host_.context ? host_.context() : nullptr);
  g_source_unref(s);
  return id;
}

void
LongPoll::remove_source(guint id) {
  GSource *s = g_main_context_find_source_by_id(
      host_.context ? host_.context() : nullptr, id);
  if (s)
    g_source_destroy(s);
}

LongPoll::~LongPoll() {
  if (flush_source_)
    remove_source(flush_source_);
  if (drain_timeout_)
    remove_source(drain_timeout_);
  /* Held GETs are answered by nobody now: the server goes with us. */
  peers_.clear();
}

bool
LongPoll::handles(const char *path) {
  if (!path || !g_str_has_prefix(path, kPrefix))
    return false;
  char next = path[strlen(kPrefix)];
  return next == '\0' || next == '/';
}

LongPoll::Peer *
LongPoll::find(const char *path) {
  const char *rest = path + strlen(kPrefix);
  if (*rest == '/')
    rest++;
  auto it = peers_.find(rest);
  return it == peers_.end() ? nullptr : it->second.get();
}

bool
LongPoll::owns(ConnectionId conn) const {
  return by_conn_.count(conn) != 0;
}

void
LongPoll::early(SoupServerMessage *msg, const char *) {
  if (soup_server_message_get_method(msg) != SOUP_METHOD_POST)
    return;
  /* libsoup reads a body even when it is refused here; it must not keep
   * one that is too big (or of unknown size): such a body is read and
   * dropped as it comes, and handle() refuses the request. The request
   * timeout bounds how long that reading may take. */
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  guint64 cap = config_.max_message_size * kBodyCapFactor;
  const char *why = nullptr;
  if (soup_message_headers_get_encoding(h) == SOUP_ENCODING_CHUNKED)
    why = "chunked";
  else if (soup_message_headers_get_content_length(h) > 0
           && static_cast<guint64>(soup_message_headers_get_content_length(h))
                  > cap)
    why = "too-large";
  if (!why)
    return;
  soup_message_body_set_accumulate(
      soup_server_message_get_request_body(msg), FALSE);
  g_object_set_data(G_OBJECT(msg), "gws-poll-refused", (gpointer)why);
}

void
LongPoll::handle(SoupServerMessage *msg, const char *path, GHashTable *query) {
  if (auto *why = static_cast<const char *>(
          g_object_get_data(G_OBJECT(msg), "gws-poll-refused"))) {
    guint64 cap = config_.max_message_size * kBodyCapFactor;
    if (g_str_equal(why, "chunked"))
      refuse(msg, SOUP_STATUS_LENGTH_REQUIRED,
          "a long-poll POST needs a Content-Length (no chunked bodies)");
    else
      refuse(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
          "the body is over the limit of " + std::to_string(cap) + " bytes");
    return;
  }
  if (!host_.authorized(msg, query)) {
    host_.router->metrics().count(Refusal::Unauthorized);
    host_.log("refused long-poll request from " + remote_of(msg)
              + ": missing or wrong access token (HTTP 401)");
    soup_message_headers_replace(soup_server_message_get_response_headers(msg),
        "WWW-Authenticate", "Bearer realm=\"gst-webrtc-relay\"");
    refuse(msg, SOUP_STATUS_UNAUTHORIZED,
        "missing or wrong access token: send \"Authorization: Bearer "
        "TOKEN\" or add ?token=TOKEN to the URL");
    return;
  }
  const char *method = soup_server_message_get_method(msg);
  std::string rest = path + strlen(kPrefix);
  if (rest.empty() || rest == "/") {
    if (method != SOUP_METHOD_POST) {
      soup_message_headers_replace(
          soup_server_message_get_response_headers(msg), "Allow", "POST");
      refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
          "POST /poll opens a long-poll connection");
      return;
    }
    open(msg, query);
    return;
  }
  Peer *peer = find(path);
  if (!peer) {
    refuse(msg, SOUP_STATUS_NOT_FOUND,
        "no such long-poll connection (closed, reaped, or never opened): "
        "open a new one with POST /poll");
    return;
  }
  peer->last_seen = g_get_monotonic_time();
  if (method == SOUP_METHOD_GET)
    get(*peer, msg, query);
  else if (method == SOUP_METHOD_POST)
    post(*peer, msg);
  else if (method == SOUP_METHOD_DELETE)
    leave(*peer, msg);
  else {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg),
        "Allow", "GET, POST, DELETE");
    refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "use GET to receive, POST to send, DELETE to leave");
  }
}

void
LongPoll::open(SoupServerMessage *msg, GHashTable *query) {
  auto peer = std::make_unique<Peer>();
  peer->owner = this;
  peer->secret = random_secret();
  peer->conn = host_.next_id();
  peer->remote = remote_of(msg);
  peer->last_seen = g_get_monotonic_time();
  std::string claimed;
  if (query) {
    if (auto *id
        = static_cast<const char *>(g_hash_table_lookup(query, "peer-id")))
      claimed = id;
  }
  Peer &p = *peer;
  by_conn_[p.conn] = &p;
  peers_[p.secret] = std::move(peer);
  host_.log("connection " + std::to_string(p.conn) + " from " + p.remote
            + " (long-poll)"
            + (claimed.empty() ? "" : " claiming \"" + claimed + "\""));
  host_.router->metrics().longpoll_connections_total++;
  /* The welcome (or the refusal) waits in the queue for the first GET. */
  host_.router->connect(p.conn, claimed);
  respond(msg, SOUP_STATUS_OK,
      "{\"id\":\"" + p.secret + "\",\"hold\":" + std::to_string(config_.hold)
          + "}",
      "application/json");
}

void
LongPoll::post(Peer &peer, SoupServerMessage *msg) {
  if (peer.closed) {
    refuse(msg, SOUP_STATUS_GONE,
        "this long-poll connection was closed: " + peer.close_reason);
    return;
  }
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
  gsize size = 0;
  auto *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
  std::string_view text(data ? data : "", size);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    refuse(msg, SOUP_STATUS_BAD_REQUEST,
        "empty body: send one JSON message or a JSON array of messages");
    return;
  }
  std::vector<std::string> batch;
  if (text[first] == '[') {
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = nullptr;
    if (!json_parser_load_from_data(
            parser, text.data(), static_cast<gssize>(text.size()), &err)) {
      refuse(msg, SOUP_STATUS_BAD_REQUEST,
          std::string("the batch is not valid JSON: ") + err->message);
      return;
    }
    JsonArray *array = json_node_get_array(json_parser_get_root(parser));
    guint n = json_array_get_length(array);
    if (n > kMaxBatch) {
      refuse(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
          std::to_string(n) + " messages in one batch; at most "
              + std::to_string(kMaxBatch));
      return;
    }
    for (guint i = 0; i < n; i++) {
      g_autofree char *one
          = json_to_string(json_array_get_element(array, i), FALSE);
      batch.emplace_back(one);
    }
  } else {
    /* One message, passed on byte for byte as a WebSocket frame would be:
     * the router answers bad JSON with an error, as for WebSocket peers. */
    batch.emplace_back(text);
  }
  ConnectionId conn = peer.conn;
  for (const auto &one : batch) {
    /* The router may close the peer (flooding); it does so from our idle
     * flush, so `peer` stays valid, but stop feeding it. */
    if (!owns(conn)
        || std::any_of(pending_closes_.begin(), pending_closes_.end(),
            [conn](const auto &c) { return c.first == conn; }))
      break;
    host_.router->metrics().received_bytes_total += one.size();
    host_.router->receive(conn, one);
  }
  respond(msg, SOUP_STATUS_NO_CONTENT, "");
}

void
LongPoll::get(Peer &peer, SoupServerMessage *msg, GHashTable *query) {
  const char *after_text
      = query ? static_cast<const char *>(g_hash_table_lookup(query, "after"))
              : nullptr;
  guint64 after = 0;
  if (!after_text
      || !g_ascii_string_to_unsigned(
          after_text, 10, 0, G_MAXUINT64, &after, nullptr)) {
    refuse(msg, SOUP_STATUS_BAD_REQUEST,
        "GET needs ?after=N: the number of the last message received (0 "
        "before the first)");
    return;
  }
  if (after > peer.last_seq) {
    refuse(msg, SOUP_STATUS_BAD_REQUEST,
        "after=" + std::to_string(after) + " is beyond the last message sent ("
            + std::to_string(peer.last_seq) + ")");
    return;
  }
  if (after < peer.acked) {
    refuse(msg, SOUP_STATUS_CONFLICT,
        "after=" + std::to_string(after)
            + " is older than what was already acknowledged ("
            + std::to_string(peer.acked) + ")");
    return;
  }
  /* Acknowledge: what the client has seen is never sent again. */
  peer.acked = after;
  while (!peer.queue.empty() && peer.queue.front().first <= after) {
    peer.queued_bytes -= peer.queue.front().second.size();
    peer.queue.pop_front();
  }
  if (peer.held) {
    /* A newer GET replaces the held one (its client gave up on it). */
    SoupServerMessage *old = peer.held;
    release_held(peer);
    refuse(old, SOUP_STATUS_CONFLICT, "replaced by a newer GET");
    soup_server_message_unpause(old);
    g_object_unref(old);
  }
  peer.held = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  g_signal_connect(msg, "finished", G_CALLBACK(on_held_finished), &peer);
  if (!peer.queue.empty() || peer.closed) {
    answer(peer);
    return;
  }
  /* A status now, so that the request timeout (which drops requests still
   * without one) leaves the held GET alone; the body comes later. */
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_pause(msg);
  peer.hold_timer = add_timeout(config_.hold * 1000, on_hold_timeout, &peer);
}

void
LongPoll::release_held(Peer &peer) {
  g_signal_handlers_disconnect_by_data(peer.held, &peer);
  peer.held = nullptr; /* the caller owns the reference now */
  if (peer.hold_timer)
    remove_source(peer.hold_timer);
  peer.hold_timer = 0;
  peer.answer_due = false;
}

void
LongPoll::answer(Peer &peer) {
  SoupServerMessage *msg = peer.held;
  if (!msg)
    return;
  release_held(peer);
  std::string body = "{\"messages\":[";
  guint64 last = peer.acked;
  size_t bytes = 0;
  for (const auto &entry : peer.queue) {
    if (last != peer.acked && bytes + entry.second.size() > kMaxAnswerBytes)
      break;
    if (last != peer.acked)
      body += ',';
    body += entry.second;
    bytes += entry.second.size();
    last = entry.first;
  }
  body += "],\"last\":" + std::to_string(last);
  if (peer.closed && last == peer.last_seq)
    body += ",\"closed\":" + json_string(peer.close_reason);
  body += "}";
  bool paused = soup_server_message_get_status(msg) != 0;
  respond(msg, SOUP_STATUS_OK, body, "application/json");
  if (shutting_down_ && paused) {
    draining_++;
    g_signal_connect(msg, "finished", G_CALLBACK(on_drained_one), this);
  }
  if (paused)
    soup_server_message_unpause(msg);
  peer.last_seen = g_get_monotonic_time();
  g_object_unref(msg);
}

void
LongPoll::on_held_finished(SoupServerMessage *msg, gpointer user_data) {
  /* The client went away (or libsoup finished the exchange) while the GET
   * was held: nothing to answer; the messages stay queued. */
  auto *peer = static_cast<Peer *>(user_data);
  if (peer->held != msg)
    return;
  peer->owner->release_held(*peer);
  g_object_unref(msg);
}

gboolean
LongPoll::on_hold_timeout(gpointer user_data) {
  auto *peer = static_cast<Peer *>(user_data);
  peer->hold_timer = 0;
  peer->owner->answer(*peer); /* nothing new: an empty answer */
  return G_SOURCE_REMOVE;
}

void
LongPoll::leave(Peer &peer, SoupServerMessage *msg) {
  host_.log("connection " + std::to_string(peer.conn) + " from " + peer.remote
            + " left (long-poll DELETE)");
  finish(peer, "left");
  respond(msg, SOUP_STATUS_NO_CONTENT, "");
  forget(peer.secret);
}

void
LongPoll::send(ConnectionId conn, const std::string &text) {
  auto it = by_conn_.find(conn);
  if (it == by_conn_.end())
    return;
  Peer &peer = *it->second;
  if (peer.queue.size() >= kQueueCapCount
      || peer.queued_bytes + text.size()
             > kQueueCapFactor * config_.max_message_size) {
    host_.router->metrics().count(Refusal::NotReading);
    close(conn, "not reading its messages");
    return;
  }
  host_.router->metrics().sent_bytes_total += text.size();
  peer.queue.emplace_back(++peer.last_seq, text);
  peer.queued_bytes += text.size();
  if (peer.held && !peer.answer_due) {
    /* Answer from an idle callback, so that the router's burst (a
     * sessionStarted and what follows it) leaves in one answer. */
    peer.answer_due = true;
    if (!flush_source_)
      flush_source_ = add_idle(on_flush, this);
  }
}

void
LongPoll::close(ConnectionId conn, const std::string &reason) {
  /* Never re-enter the router from inside it (see router.h). */
  pending_closes_.emplace_back(conn, reason);
  if (!flush_source_)
    flush_source_ = add_idle(on_flush, this);
}

gboolean
LongPoll::on_flush(gpointer user_data) {
  auto *self = static_cast<LongPoll *>(user_data);
  self->flush_source_ = 0;
  auto closes = std::move(self->pending_closes_);
  self->pending_closes_.clear();
  for (const auto &entry : closes) {
    auto it = self->by_conn_.find(entry.first);
    if (it == self->by_conn_.end())
      continue;
    Peer &peer = *it->second;
    self->host_.log("closing connection " + std::to_string(peer.conn) + " from "
                    + peer.remote + " (long-poll): " + entry.second);
    self->finish(peer, entry.second);
  }
  for (auto &entry : self->peers_) {
    if (entry.second->answer_due)
      self->answer(*entry.second);
  }
  return G_SOURCE_REMOVE;
}

void
LongPoll::finish(Peer &peer, const std::string &reason) {
  if (peer.closed)
    return;
  peer.closed = true;
  peer.close_reason = reason;
  ConnectionId conn = peer.conn;
  by_conn_.erase(conn);
  host_.log("connection " + std::to_string(conn) + " from " + peer.remote
            + " closed (long-poll: " + reason + ")");
  host_.router->disconnect(conn);
  answer(peer);
  /* Keep its last messages fetchable for a while, then forget it. */
  std::string secret = peer.secret;
  peer.linger_timer = add_timeout(
      kLingerSeconds * 1000,
      [](gpointer data) -> gboolean {
        auto *p = static_cast<Peer *>(data);
        p->linger_timer = 0;
        p->owner->forget(p->secret);
        return G_SOURCE_REMOVE;
      },
      &peer);
}

void
LongPoll::forget(const std::string &secret) {
  /* Copy: `secret` may live in the peer being erased. */
  std::string key = secret;
  peers_.erase(key);
}

void
LongPoll::reap() {
  if (config_.ping_interval == 0)
    return;
  gint64 now = g_get_monotonic_time();
  auto limit = static_cast<gint64>(
      kReapAfterIntervals * config_.ping_interval * G_USEC_PER_SEC);
  std::vector<Peer *> gone;
  for (auto &entry : peers_) {
    Peer &p = *entry.second;
    if (!p.closed && !p.held && now - p.last_seen > limit)
      gone.push_back(&p);
  }
  for (Peer *p : gone) {
    std::string who = host_.router->peer_id(p->conn);
    host_.log("reaping connection " + std::to_string(p->conn) + " from "
              + p->remote + (who.empty() ? "" : " (peer " + who + ")")
              + ": stopped polling for "
              + std::to_string((now - p->last_seen) / G_USEC_PER_SEC) + " s");
    host_.router->metrics().count(Refusal::Silent);
    finish(*p, "stopped polling");
  }
}

void
LongPoll::on_drained_one(SoupServerMessage *msg, gpointer user_data) {
  g_signal_handlers_disconnect_by_func(
      msg, reinterpret_cast<gpointer>(on_drained_one), user_data);
  static_cast<LongPoll *>(user_data)->drained_one();
}

void
LongPoll::drained_one() {
  if (draining_ == 0 || --draining_ > 0)
    return;
  if (drain_timeout_)
    remove_source(drain_timeout_);
  drain_timeout_ = 0;
  if (host_.drained)
    host_.drained();
}

void
LongPoll::shutdown() {
  shutting_down_ = true;
  std::vector<Peer *> open;
  for (auto &entry : peers_) {
    if (!entry.second->closed)
      open.push_back(entry.second.get());
  }
  /* First out of the router's reach: the endSession each disconnect
   * causes for the others is not for peers that are leaving too (as for
   * WebSocket peers, whose sockets are closing). */
  for (Peer *p : open)
    by_conn_.erase(p->conn);
  for (Peer *p : open)
    finish(*p, "relay shutting down");
  if (draining_ > 0)
    drain_timeout_ = add_timeout(
        500,
        [](gpointer data) -> gboolean {
          auto *self = static_cast<LongPoll *>(data);
          self->drain_timeout_ = 0;
          self->draining_ = 0;
          if (self->host_.drained)
            self->host_.drained();
          return G_SOURCE_REMOVE;
        },
        this);
}

} // namespace gws::relay
