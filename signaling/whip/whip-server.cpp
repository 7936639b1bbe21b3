/* gst-webrtc-session: the HTTP side of a WHIP or WHEP server (see
 * whip-server.h). */
#include "whip-server.h"

#include "common/gws-secret.h"

#include <gio/gio.h>

GST_DEBUG_CATEGORY_STATIC(whip_server_debug);
#define GST_CAT_DEFAULT whip_server_debug

namespace gws {
namespace whip {

namespace {

constexpr guint kDefaultPort = 8080;
constexpr const char *kRetryAfter = "5";
constexpr const char *kExposeHeaders
    = "Location, ETag, Link, Accept-Post, Accept-Patch, Retry-After";

void
ensure_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(whip_server_debug, "webrtc-signaller-whip-server",
        0, "WHIP and WHEP server signallers");
    g_once_init_leave(&done, 1);
  }
}

/* Direction of one m-line: sendrecv when absent. */
std::string
direction(const GstSDPMedia *media) {
  for (const char *d : {"sendonly", "recvonly", "sendrecv", "inactive"})
    if (gst_sdp_media_get_attribute_val(media, d) != nullptr)
      return d;
  return "sendrecv";
}

} // namespace

struct Server::Session {
  std::string id;
  std::string peer;
  std::string etag;
  SdpPtr offer;
  std::string remote_ufrag;
  /* Until the 201 goes out: */
  SoupServerMessage *pending = nullptr; /* paused, referenced */
  gulong finished_handler = 0;
  SdpPtr answer;
  std::vector<Candidate> candidates;
  bool gathered = false;
  GSource *timer = nullptr;

  void clear_timer() {
    if (timer) {
      g_source_destroy(timer);
      g_source_unref(timer);
      timer = nullptr;
    }
  }
  ~Session() { clear_timer(); }
};

Server::Server(GwsSignaller *owner, Protocol protocol)
    : owner_(owner), protocol_(protocol),
      worker_(
          protocol == Protocol::Whip ? "gws-whip-server" : "gws-whep-server") {
  ensure_debug();
  if (protocol == Protocol::Whep) {
    settings_.role = GWS_SIGNALLER_ROLE_PRODUCER;
    settings_.max_sessions = 0;
  }
}

Server::~Server() = default;

const char *
Server::name() const {
  return protocol_ == Protocol::Whip ? "WHIP" : "WHEP";
}

/* ---- Properties ---- */

void
Server::install_properties(GObjectClass *klass, Protocol protocol) {
  auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  bool whip = protocol == Protocol::Whip;

  g_object_class_override_property(klass, SERVER_PROP_ROLE, "role");
  g_object_class_override_property(klass, SERVER_PROP_URI, "uri");
  g_object_class_install_property(klass, SERVER_PROP_TOKEN,
      g_param_spec_string("token", "Token",
          "When set, every request except a CORS preflight must carry "
          "'Authorization: Bearer <token>' (else 401)",
          nullptr, rw));
  g_object_class_install_property(klass, SERVER_PROP_MAX_SESSIONS,
      g_param_spec_uint("max-sessions", "Maximum sessions",
          whip ? "Publishers the endpoint accepts at once; one more gets 503 "
                 "with Retry-After (0: no limit)"
               : "Viewers the endpoint serves at once; one more gets 503 "
                 "with Retry-After (0: no limit)",
          0, G_MAXINT, whip ? 1 : 0, rw));
  g_object_class_install_property(klass, SERVER_PROP_GATHER_TIMEOUT,
      g_param_spec_uint("gather-timeout", "Gathering timeout",
          "Milliseconds the 201 waits, once the pipeline answered, for ICE "
          "gathering to complete (the answer carries every candidate)",
          0, 60000, 2000, rw));
  g_object_class_install_property(klass, SERVER_PROP_ANSWER_TIMEOUT,
      g_param_spec_uint("answer-timeout", "Answer timeout",
          "Milliseconds to wait for the pipeline's answer to an offer before "
          "the POST fails with 500",
          100, 600000, 10000, rw));
  g_object_class_install_property(klass, SERVER_PROP_ICE_SERVERS,
      g_param_spec_boxed("ice-servers", "ICE servers",
          "STUN/TURN servers announced to clients as Link "
          "rel=\"ice-server\" headers, in the 201 and in the answer to an "
          "OPTIONS of the endpoint that carries the token (or when no token "
          "is set); in webrtcbin's form (stun://host:port, "
          "turn://user:password@host:port?transport=udp). Not used by this "
          "side's own peer connection (set the element's stun-server / "
          "turn-servers for that)",
          G_TYPE_STRV, rw));
  g_object_class_install_property(klass, SERVER_PROP_CORS_ORIGIN,
      g_param_spec_string("cors-origin", "CORS origin",
          "Access-Control-Allow-Origin sent with every answer, so browser "
          "pages of that origin may use the endpoint (\"*\": any)",
          "*", rw));
  g_object_class_install_property(klass, SERVER_PROP_ENDPOINT_URL,
      g_param_spec_string("endpoint-url", "Endpoint URL",
          "The http:// URL clients POST to, with the port actually bound "
          "(useful with port 0); empty until listening",
          nullptr, ro));
  g_object_class_install_property(klass, SERVER_PROP_ACCEPTS_SESSIONS,
      g_param_spec_boolean("accepts-sessions", "Accepts sessions",
          "Always TRUE: clients come and go over the element's life, so a "
          "failed or ended session is that client's, not the element's "
          "(the element warns, answers the client and stays up)",
          TRUE, ro));
  /* Capabilities (GwsSignaller): no restarts over WHIP/WHEP; a WHEP
   * server's clients offer (webrtcsink answers the offer that
   * session-requested carries). */
  g_object_class_override_property(
      klass, SERVER_PROP_SESSION_RESTARTS, "session-restarts");
  if (whip)
    g_object_class_override_property(
        klass, SERVER_PROP_CONSUMER_OFFERS, "consumer-offers");
  else
    g_object_class_install_property(klass, SERVER_PROP_CONSUMER_OFFERS,
        g_param_spec_boolean("consumer-offers", "Consumer offers",
            "Always TRUE: WHEP clients offer; webrtcsink answers the offer "
            "that session-requested carries",
            TRUE, ro));
}

void
Server::set_property(guint id, const GValue *value, GParamSpec *pspec) {
  std::lock_guard<std::mutex> guard(lock);
  auto str = [value]() {
    const char *v = g_value_get_string(value);
    return std::string(v ? v : "");
  };
  switch (id) {
    case SERVER_PROP_ROLE:
      settings_.role = static_cast<GwsSignallerRole>(g_value_get_enum(value));
      break;
    case SERVER_PROP_URI:
      settings_.uri = str();
      break;
    case SERVER_PROP_TOKEN:
      settings_.token = str();
      break;
    case SERVER_PROP_MAX_SESSIONS:
      settings_.max_sessions = g_value_get_uint(value);
      break;
    case SERVER_PROP_GATHER_TIMEOUT:
      settings_.gather_timeout_ms = g_value_get_uint(value);
      break;
    case SERVER_PROP_ANSWER_TIMEOUT:
      settings_.answer_timeout_ms = g_value_get_uint(value);
      break;
    case SERVER_PROP_ICE_SERVERS: {
      settings_.ice_servers.clear();
      auto **strv = static_cast<gchar **>(g_value_get_boxed(value));
      for (guint i = 0; strv && strv[i]; i++)
        settings_.ice_servers.push_back(strv[i]);
      break;
    }
    case SERVER_PROP_CORS_ORIGIN:
      settings_.cors_origin = str();
      break;
    default:
      break;
  }
}

void
Server::get_property(guint id, GValue *value, GParamSpec *pspec) {
  std::lock_guard<std::mutex> guard(lock);
  auto set_str = [value](const std::string &v) {
    g_value_set_string(value, v.empty() ? nullptr : v.c_str());
  };
  switch (id) {
    case SERVER_PROP_ROLE:
      g_value_set_enum(value, settings_.role);
      break;
    case SERVER_PROP_URI:
      set_str(settings_.uri);
      break;
    case SERVER_PROP_TOKEN:
      set_str(settings_.token);
      break;
    case SERVER_PROP_MAX_SESSIONS:
      g_value_set_uint(value, settings_.max_sessions);
      break;
    case SERVER_PROP_GATHER_TIMEOUT:
      g_value_set_uint(value, settings_.gather_timeout_ms);
      break;
    case SERVER_PROP_ANSWER_TIMEOUT:
      g_value_set_uint(value, settings_.answer_timeout_ms);
      break;
    case SERVER_PROP_ICE_SERVERS: {
      GStrvBuilder *b = g_strv_builder_new();
      for (const auto &s : settings_.ice_servers)
        g_strv_builder_add(b, s.c_str());
      g_value_take_boxed(value, g_strv_builder_end(b));
      g_strv_builder_unref(b);
      break;
    }
    case SERVER_PROP_CORS_ORIGIN:
      set_str(settings_.cors_origin);
      break;
    case SERVER_PROP_ENDPOINT_URL:
      set_str(endpoint_url_);
      break;
    case SERVER_PROP_ACCEPTS_SESSIONS:
      g_value_set_boolean(value, TRUE);
      break;
    case SERVER_PROP_SESSION_RESTARTS:
      g_value_set_boolean(value, FALSE);
      break;
    case SERVER_PROP_CONSUMER_OFFERS:
      g_value_set_boolean(value, protocol_ == Protocol::Whep);
      break;
    default:
      break;
  }
}

/* ---- The interface ---- */

void
Server::start() {
  worker_.start();
  worker_.post([self = shared_from_this()]() { self->do_start(); });
}

void
Server::stop() {
  worker_.post([self = shared_from_this()]() { self->do_stop(); });
}

void
Server::send_sdp(
    const gchar *session_id, const GstWebRTCSessionDescription *sdp) {
  std::string sid = session_id;
  if (sdp->type != GST_WEBRTC_SDP_TYPE_ANSWER) {
    GST_WARNING_OBJECT(log_object(),
        "%s server: session %s: ignoring a local %s; the server only "
        "answers",
        name(), session_id, gst_webrtc_sdp_type_to_string(sdp->type));
    return;
  }
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy(sdp->sdp, &copy);
  auto holder = std::make_shared<SdpPtr>(copy);
  worker_.post([self = shared_from_this(), sid, holder]() {
    self->do_answer(sid, std::move(*holder));
  });
}

void
Server::add_ice(const gchar *session_id, const gchar *candidate, guint mline,
    const gchar *mid) {
  Candidate c;
  c.mline = mline;
  c.mid = mid ? mid : "";
  if (candidate) {
    c.candidate = candidate;
    if (c.candidate.compare(0, 2, "a=") == 0)
      c.candidate.erase(0, 2);
  }
  bool end = candidate == nullptr;
  std::string sid = session_id;
  worker_.post([self = shared_from_this(), sid, c, end]() {
    self->do_add_ice(sid, c, end);
  });
}

void
Server::end_session(const gchar *session_id, const gchar *reason) {
  std::string sid = session_id;
  std::string why = reason ? reason : "";
  worker_.post(
      [self = shared_from_this(), sid, why]() { self->do_end(sid, why); });
}

void
Server::dispose() {
  auto self = shared_from_this();
  worker_.shutdown([self]() {
    self->owner_ = nullptr;
    self->do_stop();
    self->worker_.quit();
  });
}

/* ---- Start and stop, on the thread ---- */

void
Server::do_start() {
  {
    std::lock_guard<std::mutex> guard(lock);
    active_ = settings_;
  }
  if (server_)
    do_stop();

  const char *prefix = protocol_ == Protocol::Whip ? "whip" : "whep";
  auto bad_uri = [&](const std::string &why) {
    std::string message = std::string("invalid ") + name() + " server URI \""
                          + active_.uri + "\": " + why + " (expected e.g. "
                          + prefix + "-server://127.0.0.1:8080/" + prefix + ")";
    if (owner_)
      gws_signaller_emit_error(owner_, message.c_str());
  };
  g_autoptr(GError) error = nullptr;
  g_autoptr(GUri) uri
      = g_uri_parse(active_.uri.c_str(), G_URI_FLAGS_NONE, &error);
  if (!uri) {
    bad_uri(error->message);
    return;
  }
  std::string host = g_uri_get_host(uri) ? g_uri_get_host(uri) : "";
  if (host.empty())
    host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = g_uri_get_port(uri);
  if (port < 0)
    port = kDefaultPort;
  base_path_ = g_uri_get_path(uri);
  while (!base_path_.empty() && base_path_.back() == '/')
    base_path_.pop_back();

  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(host.c_str());
  if (!addr) {
    bad_uri("the host must be a numeric address (e.g. 0.0.0.0 or "
            "127.0.0.1), not \""
            + host + "\"");
    return;
  }
  g_autoptr(GSocketAddress) sockaddr
      = g_inet_socket_address_new(addr, static_cast<guint16>(port));
  server_.reset(static_cast<SoupServer *>(g_object_new(
      SOUP_TYPE_SERVER, "server-header", "gst-webrtc-session ", nullptr)));
  if (!soup_server_listen(server_.get(), sockaddr,
          static_cast<SoupServerListenOptions>(0), &error)) {
    std::string message = std::string("could not listen for ") + name()
                          + " clients on " + host + ":" + std::to_string(port)
                          + ": " + error->message;
    server_.reset();
    if (owner_)
      gws_signaller_emit_error(owner_, message.c_str());
    return;
  }
  soup_server_add_handler(server_.get(),
      base_path_.empty() ? nullptr : base_path_.c_str(), on_request, this,
      nullptr);

  guint bound = port;
  GSList *listeners = soup_server_get_listeners(server_.get());
  if (listeners) {
    g_autoptr(GSocketAddress) local
        = g_socket_get_local_address(G_SOCKET(listeners->data), nullptr);
    if (local && G_IS_INET_SOCKET_ADDRESS(local))
      bound = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
  }
  g_slist_free(listeners);
  std::string url_host = host == "0.0.0.0" ? "127.0.0.1" : host;
  if (url_host.find(':') != std::string::npos)
    url_host = "[" + url_host + "]";
  std::string url = "http://" + url_host + ":" + std::to_string(bound)
                    + (base_path_.empty() ? "/" : base_path_);
  {
    std::lock_guard<std::mutex> guard(lock);
    endpoint_url_ = url;
  }
  GST_INFO_OBJECT(
      log_object(), "%s server: listening on %s", name(), url.c_str());
  if (owner_) {
    g_object_notify(G_OBJECT(owner_), "endpoint-url");
    gws_signaller_emit_connection_changed(owner_, TRUE);
  }
}

void
Server::do_stop() {
  bool was_listening = server_ != nullptr;
  for (auto &entry : sessions_) {
    Session &s = *entry.second;
    if (s.pending) {
      respond(s.pending, SOUP_STATUS_SERVICE_UNAVAILABLE,
          "the server is shutting down");
      release_pending(s);
    }
  }
  sessions_.clear();
  if (server_) {
    soup_server_disconnect(server_.get());
    server_.reset();
  }
  {
    std::lock_guard<std::mutex> guard(lock);
    endpoint_url_.clear();
  }
  if (was_listening) {
    GST_INFO_OBJECT(log_object(), "%s server: stopped", name());
    if (owner_)
      gws_signaller_emit_connection_changed(owner_, FALSE);
  }
}

/* ---- HTTP ---- */

void
Server::on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
    GHashTable *query, gpointer data) {
  auto *self = static_cast<Server *>(data);
  /* Keep the core alive while a handler (emitting signals) runs. */
  auto keep = self->shared_from_this();
  /* Every answer closes its connection: libsoup 3.2 keeps a kept-alive
   * connection open after its client closed it (a descriptor per client,
   * for good; found by the soak suite). */
  soup_message_headers_replace(
      soup_server_message_get_response_headers(msg), "Connection", "close");
  try {
    self->handle(msg, path);
  } catch (const std::exception &e) {
    GST_ERROR("internal error: %s", e.what());
    self->respond(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error");
  }
}

void
Server::add_cors(SoupServerMessage *msg) {
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  if (!active_.cors_origin.empty()) {
    soup_message_headers_replace(
        h, "Access-Control-Allow-Origin", active_.cors_origin.c_str());
    soup_message_headers_replace(
        h, "Access-Control-Expose-Headers", kExposeHeaders);
  }
}

void
Server::respond(SoupServerMessage *msg, guint status, const std::string &text) {
  add_cors(msg);
  soup_server_message_set_status(
      msg, status, status == 428 ? "Precondition Required" : nullptr);
  if (!text.empty()) {
    std::string body = text + "\n";
    soup_server_message_set_response(msg, "text/plain; charset=utf-8",
        SOUP_MEMORY_COPY, body.data(), body.size());
  }
  if (status >= 400)
    GST_INFO_OBJECT(log_object(), "%s server: %s %s -> %u %s", name(),
        soup_server_message_get_method(msg),
        g_uri_get_path(soup_server_message_get_uri(msg)), status, text.c_str());
}

bool
Server::token_ok(SoupServerMessage *msg) const {
  if (active_.token.empty())
    return true;
  const char *auth = soup_message_headers_get_one(
      soup_server_message_get_request_headers(msg), "Authorization");
  return auth && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0
         && equal_secret(active_.token, auth + 7);
}

bool
Server::authorized(SoupServerMessage *msg) {
  if (token_ok(msg))
    return true;
  const char *auth = soup_message_headers_get_one(
      soup_server_message_get_request_headers(msg), "Authorization");
  soup_message_headers_replace(soup_server_message_get_response_headers(msg),
      "WWW-Authenticate", "Bearer");
  respond(msg, SOUP_STATUS_UNAUTHORIZED,
      auth ? "the bearer token is not valid for this endpoint"
           : "this endpoint needs 'Authorization: Bearer <token>'");
  return false;
}

void
Server::handle(SoupServerMessage *msg, const char *path) {
  std::string p = path ? path : "/";
  std::string method = soup_server_message_get_method(msg);
  bool endpoint = p == base_path_ || p == base_path_ + "/"
                  || (base_path_.empty() && p == "/");
  std::string sid;
  if (!endpoint) {
    std::string prefix = base_path_ + "/";
    if (p.compare(0, prefix.size(), prefix) == 0)
      sid = p.substr(prefix.size());
    if (sid.empty() || sid.find('/') != std::string::npos) {
      respond(msg, SOUP_STATUS_NOT_FOUND, "no such resource");
      return;
    }
  }
  GST_DEBUG_OBJECT(
      log_object(), "%s server: %s %s", name(), method.c_str(), p.c_str());

  if (method == "OPTIONS") {
    handle_options(msg, !endpoint);
    return;
  }
  SoupMessageHeaders *out = soup_server_message_get_response_headers(msg);
  if (endpoint) {
    if (method != "POST") {
      soup_message_headers_replace(out, "Allow", "OPTIONS, POST");
      respond(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
          std::string("POST an SDP offer to this ") + name() + " endpoint");
      return;
    }
    if (!authorized(msg))
      return;
    handle_post(msg);
    return;
  }
  if (method != "PATCH" && method != "DELETE") {
    soup_message_headers_replace(out, "Allow", "OPTIONS, PATCH, DELETE");
    respond(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "a session resource takes PATCH and DELETE");
    return;
  }
  if (!authorized(msg))
    return;
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    respond(msg, SOUP_STATUS_NOT_FOUND, "no such session");
    return;
  }
  if (method == "PATCH")
    handle_patch(msg, *it->second);
  else
    handle_delete(msg, sid);
}

void
Server::handle_options(SoupServerMessage *msg, bool resource) {
  SoupMessageHeaders *out = soup_server_message_get_response_headers(msg);
  const char *methods = resource ? "OPTIONS, PATCH, DELETE" : "OPTIONS, POST";
  soup_message_headers_replace(out, "Allow", methods);
  soup_message_headers_replace(out, "Access-Control-Allow-Methods", methods);
  soup_message_headers_replace(out, "Access-Control-Allow-Headers",
      "Authorization, Content-Type, If-Match");
  soup_message_headers_replace(out, "Access-Control-Max-Age", "86400");
  if (resource) {
    soup_message_headers_replace(out, "Accept-Patch", kSdpFragType);
  } else {
    soup_message_headers_replace(out, "Accept-Post", kSdpType);
    /* ICE servers for a client to configure before it offers. A browser's
     * CORS preflight carries no token: it gets the CORS answer only, so
     * TURN credentials go to token holders alone. */
    if (token_ok(msg))
      add_ice_server_links(msg);
  }
  respond(msg, SOUP_STATUS_NO_CONTENT, "");
}

void
Server::add_ice_server_links(SoupServerMessage *msg) {
  SoupMessageHeaders *out = soup_server_message_get_response_headers(msg);
  for (const auto &url : active_.ice_servers) {
    IceServer server;
    if (ice_server_from_gst_url(url, server))
      soup_message_headers_append(
          out, "Link", format_link_ice_server(server).c_str());
    else
      GST_WARNING_OBJECT(log_object(),
          "%s server: ice-servers entry \"%s\" is not a stun:// or "
          "turn:// URL",
          name(), url.c_str());
  }
}

void
Server::handle_post(SoupServerMessage *msg) {
  SoupMessageHeaders *in = soup_server_message_get_request_headers(msg);
  SoupMessageHeaders *out = soup_server_message_get_response_headers(msg);
  std::string type
      = media_type(soup_message_headers_get_one(in, "Content-Type"));
  if (type != kSdpType) {
    soup_message_headers_replace(out, "Accept-Post", kSdpType);
    respond(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "the offer must be sent as Content-Type: application/sdp, not \""
            + (type.empty() ? std::string("(none)") : type) + "\"");
    return;
  }
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  std::string text(body->data ? body->data : "", body->length);
  std::string error;
  SdpPtr offer(parse_sdp(text, error));
  if (!offer) {
    respond(msg, SOUP_STATUS_BAD_REQUEST, "unusable offer: " + error);
    return;
  }
  /* WHIP publishers send; WHEP viewers receive. */
  bool usable = false;
  for (guint i = 0; i < gst_sdp_message_medias_len(offer.get()); i++) {
    std::string dir = direction(gst_sdp_message_get_media(offer.get(), i));
    if (protocol_ == Protocol::Whip ? (dir == "sendonly" || dir == "sendrecv")
                                    : (dir == "recvonly" || dir == "sendrecv"))
      usable = true;
  }
  if (!usable) {
    respond(msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
        protocol_ == Protocol::Whip
            ? "a WHIP offer must send media: every m-line is recvonly or "
              "inactive"
            : "a WHEP offer must receive media: every m-line is sendonly "
              "or inactive");
    return;
  }
  if (active_.max_sessions > 0 && sessions_.size() >= active_.max_sessions) {
    soup_message_headers_replace(out, "Retry-After", kRetryAfter);
    respond(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        protocol_ == Protocol::Whip
            ? "this endpoint already has a publisher"
            : "this endpoint serves as many viewers as it may");
    return;
  }

  auto session = std::make_unique<Session>();
  g_autofree gchar *uuid = g_uuid_string_random();
  session->id = uuid;
  session->etag = std::string("\"") + uuid + "-1\"";
  const char *remote = soup_server_message_get_remote_host(msg);
  session->peer = std::string(protocol_ == Protocol::Whip ? "whip:" : "whep:")
                  + (remote ? remote : "unknown");
  session->remote_ufrag = sdp_ufrag(offer.get());
  session->pending = static_cast<SoupServerMessage *>(g_object_ref(msg));
  soup_server_message_pause(msg);

  std::string sid = session->id;
  std::weak_ptr<Server> weak = shared_from_this();
  /* The client went away before its 201. */
  struct Finished {
    std::weak_ptr<Server> server;
    std::string sid;
  };
  session->finished_handler = g_signal_connect_data(
      msg, "finished", G_CALLBACK(+[](SoupServerMessage *m, gpointer data) {
        auto *f = static_cast<Finished *>(data);
        auto self = f->server.lock();
        if (!self)
          return;
        auto it = self->sessions_.find(f->sid);
        if (it == self->sessions_.end() || it->second->pending != m)
          return;
        GST_INFO_OBJECT(self->log_object(),
            "%s server: session %s: the client left before its answer",
            self->name(), f->sid.c_str());
        self->fail_pending(f->sid, 0, "", true);
      }),
      new Finished{weak, sid},
      [](gpointer data, GClosure *) { delete static_cast<Finished *>(data); },
      static_cast<GConnectFlags>(0));
  session->timer = worker_.timeout(active_.answer_timeout_ms, [weak, sid]() {
    auto self = weak.lock();
    if (!self)
      return;
    auto it = self->sessions_.find(sid);
    if (it == self->sessions_.end())
      return;
    g_source_unref(it->second->timer);
    it->second->timer = nullptr;
    self->fail_pending(sid, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        "the pipeline did not answer the offer in time", true);
  });

  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy(offer.get(), &copy);
  session->offer = std::move(offer);
  std::string peer = session->peer;
  sessions_[sid] = std::move(session);
  GST_INFO_OBJECT(log_object(), "%s server: session %s from %s", name(),
      sid.c_str(), peer.c_str());

  GstWebRTCSessionDescription *desc
      = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, copy);
  if (owner_) {
    if (protocol_ == Protocol::Whip) {
      gws_signaller_emit_session_started(owner_, sid.c_str(), peer.c_str());
      if (sessions_.count(sid))
        gws_signaller_emit_session_description(owner_, sid.c_str(), desc);
    } else {
      gws_signaller_emit_session_requested(
          owner_, sid.c_str(), peer.c_str(), desc);
    }
  }
  gst_webrtc_session_description_free(desc);
}

void
Server::handle_patch(SoupServerMessage *msg, Session &s) {
  SoupMessageHeaders *in = soup_server_message_get_request_headers(msg);
  SoupMessageHeaders *out = soup_server_message_get_response_headers(msg);
  std::string type
      = media_type(soup_message_headers_get_one(in, "Content-Type"));
  if (type != kSdpFragType) {
    soup_message_headers_replace(out, "Accept-Patch", kSdpFragType);
    respond(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        std::string("PATCH takes Content-Type: ") + kSdpFragType + ", not \""
            + (type.empty() ? std::string("(none)") : type) + "\"");
    return;
  }
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  std::string text(body->data ? body->data : "", body->length);
  SdpFrag frag;
  std::string error;
  if (!parse_sdpfrag(text, frag, error)) {
    respond(msg, SOUP_STATUS_BAD_REQUEST, "bad trickle fragment: " + error);
    return;
  }
  const char *if_match = soup_message_headers_get_one(in, "If-Match");
  if (!frag.ufrag.empty() && frag.ufrag != s.remote_ufrag) {
    /* New ufrag/pwd: an ICE restart. */
    if (!if_match) {
      respond(msg, 428 /* Precondition Required */,
          "an ICE restart needs If-Match: \"*\"");
      return;
    }
    respond(msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
        "ICE restart is not supported (webrtcbin cannot restart ICE); "
        "DELETE this session and POST a new offer");
    return;
  }
  if (if_match && g_strcmp0(if_match, "*") != 0 && s.etag != if_match) {
    respond(msg, SOUP_STATUS_PRECONDITION_FAILED,
        "If-Match does not name this session's current ETag");
    return;
  }
  std::string sid = s.id;
  std::vector<Candidate> cands = frag.candidates;
  for (auto &c : cands) {
    if (!c.mid.empty()) {
      int m = sdp_mline_for_mid(s.offer.get(), c.mid);
      if (m >= 0)
        c.mline = static_cast<guint>(m);
    }
  }
  GST_DEBUG_OBJECT(log_object(),
      "%s server: session %s: %zu trickled candidate(s)%s", name(), sid.c_str(),
      cands.size(), frag.end_of_candidates ? ", end" : "");
  respond(msg, SOUP_STATUS_NO_CONTENT, "");
  for (const auto &c : cands) {
    if (!owner_ || !sessions_.count(sid))
      break;
    gws_signaller_emit_handle_ice(owner_, sid.c_str(), c.mline,
        c.mid.empty() ? nullptr : c.mid.c_str(), c.candidate.c_str());
  }
}

void
Server::handle_delete(SoupServerMessage *msg, const std::string &sid) {
  auto it = sessions_.find(sid);
  if (it->second->pending) {
    respond(it->second->pending, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "the session was deleted");
    release_pending(*it->second);
  }
  sessions_.erase(it);
  GST_INFO_OBJECT(log_object(), "%s server: session %s deleted by the client",
      name(), sid.c_str());
  respond(msg, SOUP_STATUS_OK, "");
  if (owner_)
    gws_signaller_emit_session_ended(
        owner_, sid.c_str(), "the client ended the session (DELETE)");
}

/* ---- The pipeline's side ---- */

void
Server::release_pending(Session &s) {
  if (!s.pending)
    return;
  if (s.finished_handler)
    g_signal_handler_disconnect(s.pending, s.finished_handler);
  s.finished_handler = 0;
  soup_server_message_unpause(s.pending);
  g_object_unref(s.pending);
  s.pending = nullptr;
  s.clear_timer();
}

void
Server::fail_pending(const std::string &sid, guint status,
    const std::string &text, bool tell_bin) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end())
    return;
  Session &s = *it->second;
  if (s.pending) {
    if (status) {
      respond(s.pending, status, text);
      release_pending(s);
    } else {
      /* The message is finished: nothing to answer. */
      g_signal_handler_disconnect(s.pending, s.finished_handler);
      s.finished_handler = 0;
      g_object_unref(s.pending);
      s.pending = nullptr;
    }
  }
  sessions_.erase(it);
  if (tell_bin && owner_)
    gws_signaller_emit_session_ended(owner_, sid.c_str(),
        text.empty() ? "the client went away" : text.c_str());
}

void
Server::do_answer(const std::string &sid, SdpPtr answer) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || !it->second->pending) {
    GST_DEBUG_OBJECT(log_object(),
        "%s server: no session %s waiting for an answer", name(), sid.c_str());
    return;
  }
  Session &s = *it->second;
  s.answer = std::move(answer);
  s.clear_timer();
  if (s.gathered) {
    finish(sid);
    return;
  }
  std::weak_ptr<Server> weak = shared_from_this();
  s.timer = worker_.timeout(active_.gather_timeout_ms, [weak, sid]() {
    auto self = weak.lock();
    if (!self)
      return;
    auto it = self->sessions_.find(sid);
    if (it == self->sessions_.end())
      return;
    g_source_unref(it->second->timer);
    it->second->timer = nullptr;
    GST_WARNING_OBJECT(self->log_object(),
        "%s server: session %s: gathering did not complete in %u ms; "
        "answering with %zu candidate(s)",
        self->name(), sid.c_str(), self->active_.gather_timeout_ms,
        it->second->candidates.size());
    self->finish(sid);
  });
}

void
Server::do_add_ice(const std::string &sid, const Candidate &cand, bool end) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end())
    return;
  Session &s = *it->second;
  if (!s.pending) {
    GST_DEBUG_OBJECT(log_object(),
        "%s server: session %s: a candidate after the 201 cannot reach "
        "the client (servers do not trickle)",
        name(), sid.c_str());
    return;
  }
  if (end)
    s.gathered = true;
  else
    s.candidates.push_back(cand);
  if (end && s.answer)
    finish(sid);
}

void
Server::finish(const std::string &sid) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || !it->second->pending || !it->second->answer)
    return;
  Session &s = *it->second;
  SdpPtr full(sdp_with_candidates(s.answer.get(), s.candidates, s.gathered));
  std::string text = sdp_to_text(full.get());
  SoupServerMessage *msg = s.pending;
  SoupMessageHeaders *out = soup_server_message_get_response_headers(msg);
  std::string location = base_path_ + "/" + sid;
  soup_message_headers_replace(out, "Location", location.c_str());
  soup_message_headers_replace(out, "ETag", s.etag.c_str());
  soup_message_headers_replace(out, "Accept-Patch", kSdpFragType);
  add_ice_server_links(msg);
  add_cors(msg);
  soup_server_message_set_status(msg, SOUP_STATUS_CREATED, nullptr);
  soup_server_message_set_response(
      msg, kSdpType, SOUP_MEMORY_COPY, text.data(), text.size());
  GST_INFO_OBJECT(log_object(),
      "%s server: session %s: 201 with %zu candidate(s), resource %s", name(),
      sid.c_str(), s.candidates.size(), location.c_str());
  GST_LOG_OBJECT(log_object(), "%s", text.c_str());
  release_pending(s);
  s.answer.reset();
  s.candidates.clear();
}

void
Server::do_end(const std::string &sid, const std::string &reason) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end())
    return;
  if (it->second->pending) {
    GST_INFO_OBJECT(log_object(),
        "%s server: session %s: the pipeline refused the offer: %s", name(),
        sid.c_str(), reason.empty() ? "(no reason)" : reason.c_str());
    fail_pending(sid, SOUP_STATUS_UNPROCESSABLE_ENTITY,
        reason.empty() ? "the pipeline refused the offer (no common codec or "
                         "stream layout; see its log)"
                       : "the pipeline refused the offer: " + reason,
        false);
    return;
  }
  GST_INFO_OBJECT(log_object(), "%s server: session %s ended by the pipeline",
      name(), sid.c_str());
  sessions_.erase(it);
}

} // namespace whip
} // namespace gws
