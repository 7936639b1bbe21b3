/* gst-webrtc-session: the HTTP side of a WHIP or WHEP client (see
 * whip-client.h). */
#include "whip-client.h"

GST_DEBUG_CATEGORY_STATIC(whip_client_debug);
#define GST_CAT_DEFAULT whip_client_debug

namespace gws {
namespace whip {

namespace {

constexpr int kMaxRedirects = 5;
constexpr guint kDeleteGraceMs = 2000;
/* Longest wait for the answer to the OPTIONS that asks for ICE servers. */
constexpr guint kOptionsTimeoutMs = 2000;

void
ensure_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(whip_client_debug, "webrtc-signaller-whip", 0,
        "WHIP and WHEP client signallers");
    g_once_init_leave(&done, 1);
  }
}

/* The ICE servers of every Link rel="ice-server" header in @headers, in
 * webrtcbin's form (entries that are not stun/turn URLs are dropped). */
std::vector<std::string>
link_ice_servers(SoupMessageHeaders *headers) {
  std::vector<std::string> out;
  const char *link
      = headers ? soup_message_headers_get_list(headers, "Link") : nullptr;
  if (!link)
    return out;
  for (const auto &server : parse_link_ice_servers(link)) {
    std::string url = server.gst_url();
    if (!url.empty())
      out.push_back(url);
    else
      GST_DEBUG("ignoring ice-server Link <%s>: not a STUN or TURN URL",
          server.url.c_str());
  }
  return out;
}

} // namespace

struct Client::Session {
  /* Probing: OPTIONS in flight, the bin not told yet. */
  enum class State { Probing, Requested, Gathering, Posting, Active };
  std::string id;
  State state = State::Requested;
  SdpPtr offer;
  std::vector<Candidate> pending;
  bool end_pending = false; /* gathering complete, not yet sent */
  bool end_sent = false;
  bool trickle = true; /* PATCH candidates after the 201 */
  bool patch_in_flight = false;
  std::string resource_url;
  std::string etag;
  GSource *gather_timer = nullptr;
  GCancellable *probe = nullptr; /* cancels the OPTIONS */
  GSource *probe_timer = nullptr;

  static void drop_timer(GSource *&timer) {
    if (timer) {
      g_source_destroy(timer);
      g_source_unref(timer);
      timer = nullptr;
    }
  }
  void end_probe() {
    drop_timer(probe_timer);
    if (probe) {
      g_cancellable_cancel(probe);
      g_object_unref(probe);
      probe = nullptr;
    }
  }
  ~Session() {
    drop_timer(gather_timer);
    end_probe();
  }
};

struct Client::Response {
  guint status = 0;
  std::string reason;
  std::string body;
  std::string url;   /* the URL that answered (after redirects) */
  std::string error; /* transport error, status 0 */
  SoupMessageHeaders *headers = nullptr;

  ~Response() {
    if (headers)
      soup_message_headers_unref(headers);
  }
  const char *header(const char *name) const {
    return headers ? soup_message_headers_get_one(headers, name) : nullptr;
  }
  std::string describe() const {
    if (status == 0)
      return error;
    std::string out = std::to_string(status) + " " + reason;
    std::string why = short_reason(body);
    if (!why.empty())
      out += ": " + why;
    return out;
  }
};

Client::Client(GwsSignaller *owner, Protocol protocol)
    : owner_(owner), protocol_(protocol),
      worker_(
          protocol == Protocol::Whip ? "gws-whip-client" : "gws-whep-client") {
  ensure_debug();
  settings_.role = protocol == Protocol::Whip ? GWS_SIGNALLER_ROLE_PRODUCER
                                              : GWS_SIGNALLER_ROLE_CONSUMER;
}

Client::~Client() = default;

const char *
Client::name() const {
  return protocol_ == Protocol::Whip ? "WHIP" : "WHEP";
}

/* whip+https://host/path -> https://host/path */
std::string
Client::endpoint_of(const std::string &uri) const {
  size_t colon = uri.find("://");
  if (colon == std::string::npos)
    return "";
  std::string scheme = uri.substr(0, colon);
  size_t plus = scheme.find('+');
  std::string inner = plus == std::string::npos ? "" : scheme.substr(plus + 1);
  g_autofree gchar *lower = g_ascii_strdown(inner.c_str(), -1);
  if (g_strcmp0(lower, "http") != 0 && g_strcmp0(lower, "https") != 0)
    return "";
  return std::string(lower) + uri.substr(colon);
}

/* ---- Properties ---- */

void
Client::install_properties(GObjectClass *klass, Protocol protocol) {
  auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  bool whip = protocol == Protocol::Whip;

  g_object_class_override_property(klass, CLIENT_PROP_ROLE, "role");
  g_object_class_override_property(klass, CLIENT_PROP_URI, "uri");
  g_object_class_install_property(klass, CLIENT_PROP_TOKEN,
      g_param_spec_string("token", "Token",
          "Bearer token sent as 'Authorization: Bearer <token>' on every "
          "request to the endpoint and the session resource",
          nullptr, rw));
  g_object_class_install_property(klass, CLIENT_PROP_TRICKLE,
      g_param_spec_boolean("trickle", "Trickle ICE",
          whip ? "POST the offer at once and send candidates by PATCH "
                 "(trickle ICE); off, or once the server refused a trickle "
                 "PATCH (405/422/501, which sets this to FALSE), wait for "
                 "gathering to complete and POST an offer that carries every "
                 "candidate"
               : "POST the offer at once and send candidates by PATCH "
                 "(trickle ICE); off, or once the server refused a trickle "
                 "PATCH (405/422/501, which sets this to FALSE), POST an "
                 "offer with every candidate",
          TRUE, rw));
  g_object_class_install_property(klass, CLIENT_PROP_GATHER_TIMEOUT,
      g_param_spec_uint("gather-timeout", "Gathering timeout",
          "Without trickle: milliseconds to wait for ICE gathering to "
          "complete before the offer is POSTed with the candidates found "
          "so far",
          0, 120000, 5000, rw));
  g_object_class_install_property(klass, CLIENT_PROP_TIMEOUT,
      g_param_spec_uint("timeout", "HTTP timeout",
          "Seconds to wait for an HTTP answer from the endpoint (0: none)", 0,
          3600, 15, rw));
  g_object_class_install_property(klass, CLIENT_PROP_TLS_VALIDATION,
      g_param_spec_boolean("tls-validation", "TLS validation",
          "Check the https:// server's certificate; turn off only for a "
          "self-signed test server",
          TRUE, rw));
  g_object_class_install_property(klass, CLIENT_PROP_RESOURCE_URL,
      g_param_spec_string("resource-url", "Session resource URL",
          "The session's resource URL (the 201's Location, resolved against "
          "the URL that answered after redirects); empty without a session",
          nullptr, ro));
  g_object_class_install_property(klass, CLIENT_PROP_ICE_SERVERS,
      g_param_spec_boxed("ice-servers", "ICE servers",
          "STUN/TURN servers the endpoint announced with Link "
          "rel=\"ice-server\" headers, in webrtcbin's form "
          "(stun://host:port, turn://user:password@host:port?transport=udp): "
          "asked for by OPTIONS before each session starts (the elements "
          "apply them to that session's peer connection), and updated from "
          "the 201 (they apply to the next session); notified when they "
          "change",
          G_TYPE_STRV, ro));
  /* Capabilities (GwsSignaller): no restarts over WHIP/WHEP; a client is
   * not a server; the WHEP client offers. */
  g_object_class_override_property(
      klass, CLIENT_PROP_SESSION_RESTARTS, "session-restarts");
  g_object_class_override_property(
      klass, CLIENT_PROP_ACCEPTS_SESSIONS, "accepts-sessions");
  if (whip)
    g_object_class_override_property(
        klass, CLIENT_PROP_CONSUMER_OFFERS, "consumer-offers");
  else
    g_object_class_install_property(klass, CLIENT_PROP_CONSUMER_OFFERS,
        g_param_spec_boolean("consumer-offers", "Consumer offers",
            "Always TRUE: a WHEP client offers, so webrtcsrc must create the "
            "recvonly offer at session-started and take the answer from "
            "session-description",
            TRUE, ro));
}

void
Client::set_property(guint id, const GValue *value, GParamSpec *pspec) {
  std::lock_guard<std::mutex> guard(lock);
  auto str = [value]() {
    const char *v = g_value_get_string(value);
    return std::string(v ? v : "");
  };
  switch (id) {
    case CLIENT_PROP_ROLE:
      settings_.role = static_cast<GwsSignallerRole>(g_value_get_enum(value));
      break;
    case CLIENT_PROP_URI:
      settings_.uri = str();
      break;
    case CLIENT_PROP_TOKEN:
      settings_.token = str();
      break;
    case CLIENT_PROP_TRICKLE:
      settings_.trickle = g_value_get_boolean(value);
      break;
    case CLIENT_PROP_GATHER_TIMEOUT:
      settings_.gather_timeout_ms = g_value_get_uint(value);
      break;
    case CLIENT_PROP_TIMEOUT:
      settings_.timeout_s = g_value_get_uint(value);
      break;
    case CLIENT_PROP_TLS_VALIDATION:
      settings_.tls_validation = g_value_get_boolean(value);
      break;
    default:
      break;
  }
}

void
Client::get_property(guint id, GValue *value, GParamSpec *pspec) {
  std::lock_guard<std::mutex> guard(lock);
  auto set_str = [value](const std::string &v) {
    g_value_set_string(value, v.empty() ? nullptr : v.c_str());
  };
  switch (id) {
    case CLIENT_PROP_ROLE:
      g_value_set_enum(value, settings_.role);
      break;
    case CLIENT_PROP_URI:
      set_str(settings_.uri);
      break;
    case CLIENT_PROP_TOKEN:
      set_str(settings_.token);
      break;
    case CLIENT_PROP_TRICKLE:
      g_value_set_boolean(value, settings_.trickle);
      break;
    case CLIENT_PROP_GATHER_TIMEOUT:
      g_value_set_uint(value, settings_.gather_timeout_ms);
      break;
    case CLIENT_PROP_TIMEOUT:
      g_value_set_uint(value, settings_.timeout_s);
      break;
    case CLIENT_PROP_TLS_VALIDATION:
      g_value_set_boolean(value, settings_.tls_validation);
      break;
    case CLIENT_PROP_RESOURCE_URL:
      set_str(resource_url_);
      break;
    case CLIENT_PROP_SESSION_RESTARTS:
    case CLIENT_PROP_ACCEPTS_SESSIONS:
      g_value_set_boolean(value, FALSE);
      break;
    case CLIENT_PROP_CONSUMER_OFFERS:
      g_value_set_boolean(value, protocol_ == Protocol::Whep);
      break;
    case CLIENT_PROP_ICE_SERVERS: {
      GStrvBuilder *b = g_strv_builder_new();
      for (const auto &s : ice_servers_)
        g_strv_builder_add(b, s.c_str());
      g_value_take_boxed(value, g_strv_builder_end(b));
      g_strv_builder_unref(b);
      break;
    }
    default:
      break;
  }
}

/* ---- The interface ---- */

void
Client::start() {
  worker_.start();
  worker_.post([self = shared_from_this()]() { self->do_start(); });
}

void
Client::stop() {
  worker_.post([self = shared_from_this()]() { self->do_stop(); });
}

void
Client::send_sdp(
    const gchar *session_id, const GstWebRTCSessionDescription *sdp) {
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy(sdp->sdp, &copy);
  auto holder = std::make_shared<SdpPtr>(copy);
  std::string sid = session_id;
  GstWebRTCSDPType type = sdp->type;
  worker_.post([self = shared_from_this(), sid, type, holder]() {
    if (type != GST_WEBRTC_SDP_TYPE_OFFER) {
      GST_WARNING_OBJECT(self->log_object(),
          "%s client: session %s: ignoring a local %s; the client "
          "always offers (server-offer mode is not supported)",
          self->name(), sid.c_str(), gst_webrtc_sdp_type_to_string(type));
      return;
    }
    self->do_send_offer(sid, std::move(*holder));
  });
}

void
Client::add_ice(const gchar *session_id, const gchar *candidate, guint mline,
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
Client::end_session(const gchar *session_id) {
  std::string sid = session_id;
  worker_.post([self = shared_from_this(), sid]() { self->do_end(sid); });
}

void
Client::dispose() {
  auto self = shared_from_this();
  worker_.shutdown([self]() {
    self->do_stop();
    self->owner_ = nullptr;
    self->quitting_ = true;
    if (self->in_flight_ == 0) {
      self->worker_.quit();
      return;
    }
    /* Let the DELETE go out; the last request to finish quits. */
    std::weak_ptr<Client> weak = self;
    GSource *grace = self->worker_.timeout(kDeleteGraceMs, [weak]() {
      if (auto s = weak.lock()) {
        GST_WARNING_OBJECT(s->log_object(),
            "%s client: a request did not finish in time at "
            "shutdown",
            s->name());
        s->worker_.quit();
      }
    });
    g_source_unref(grace);
  });
}

/* ---- On the thread ---- */

void
Client::do_start() {
  {
    std::lock_guard<std::mutex> guard(lock);
    active_ = settings_;
  }
  if (running_)
    do_stop();
  endpoint_ = endpoint_of(active_.uri);
  g_autoptr(GUri) parsed = endpoint_.empty() ? nullptr
                                             : g_uri_parse(endpoint_.c_str(),
                                                 G_URI_FLAGS_NONE, nullptr);
  if (!parsed || !g_uri_get_host(parsed)) {
    std::string prefix = protocol_ == Protocol::Whip ? "whip" : "whep";
    std::string message = std::string("invalid ") + name() + " URI \""
                          + active_.uri + "\" (expected e.g. " + prefix
                          + "+http://127.0.0.1:8080/" + prefix + ")";
    if (owner_)
      gws_signaller_emit_error(owner_, message.c_str());
    return;
  }
  if (!http_) {
    http_.reset(soup_session_new_with_options("timeout", active_.timeout_s,
        "user-agent", "gst-webrtc-session", nullptr));
  } else {
    g_object_set(http_.get(), "timeout", active_.timeout_s, nullptr);
  }
  cancellable_.reset(g_cancellable_new());
  running_ = true;

  /* Servers announced by another endpoint do not apply to this one. */
  if (ice_servers_endpoint_ != endpoint_) {
    ice_servers_endpoint_ = endpoint_;
    set_ice_servers({});
  }

  session_ = std::make_unique<Session>();
  g_autofree gchar *uuid = g_uuid_string_random();
  session_->id = uuid;
  session_->trickle = active_.trickle && !trickle_refused_;
  std::string sid = session_->id;
  GST_INFO_OBJECT(log_object(), "%s client: session %s for %s (%s)", name(),
      sid.c_str(), endpoint_.c_str(),
      session_->trickle ? "trickle" : "full gathering");

  /* Ask for ICE servers first, so the bin's peer connection can use them
   * (the 201's Link headers come too late for this session). Never fatal:
   * many servers answer 404/405, or only announce them in the 201. */
  session_->state = Session::State::Probing;
  session_->probe = g_cancellable_new();
  std::weak_ptr<Client> weak = shared_from_this();
  session_->probe_timer = worker_.timeout(kOptionsTimeoutMs, [weak, sid]() {
    auto self = weak.lock();
    if (!self || !self->session_ || self->session_->id != sid)
      return;
    g_source_unref(self->session_->probe_timer);
    self->session_->probe_timer = nullptr;
    GST_INFO_OBJECT(self->log_object(),
        "%s client: no answer to OPTIONS %s within %u ms; starting the "
        "session without it",
        self->name(), self->endpoint_.c_str(), kOptionsTimeoutMs);
    self->begin_session(sid);
  });
  GST_DEBUG_OBJECT(log_object(), "%s client: OPTIONS %s (ICE servers)", name(),
      endpoint_.c_str());
  request(
      "OPTIONS", endpoint_, nullptr, "", "",
      [this, sid](Response &r) { on_options_response(sid, r); },
      session_->probe);
}

void
Client::on_options_response(const std::string &sid, Response &r) {
  if (!session_ || session_->id != sid
      || session_->state != Session::State::Probing)
    return;
  if (r.status == 0) {
    GST_INFO_OBJECT(log_object(),
        "%s client: OPTIONS %s failed (%s); starting the session "
        "anyway",
        name(), endpoint_.c_str(), r.error.c_str());
  } else if (!SOUP_STATUS_IS_SUCCESSFUL(r.status)) {
    GST_INFO_OBJECT(log_object(),
        "%s client: OPTIONS %s -> %u %s: no ICE servers from it", name(),
        r.url.c_str(), r.status, r.reason.c_str());
  } else {
    std::vector<std::string> servers = link_ice_servers(r.headers);
    GST_INFO_OBJECT(log_object(),
        "%s client: OPTIONS %s -> %u, %zu ICE server(s)", name(), r.url.c_str(),
        r.status, servers.size());
    if (!servers.empty())
      set_ice_servers(std::move(servers));
  }
  begin_session(sid);
}

/* The OPTIONS answered, failed or timed out: tell the bin. */
void
Client::begin_session(const std::string &sid) {
  if (!session_ || session_->id != sid
      || session_->state != Session::State::Probing)
    return;
  session_->end_probe();
  session_->state = Session::State::Requested;
  if (!owner_)
    return;
  if (protocol_ == Protocol::Whip)
    gws_signaller_emit_session_requested(owner_, sid.c_str(), "whip", nullptr);
  else
    gws_signaller_emit_session_started(owner_, sid.c_str(), "whep");
}

void
Client::clear_session() {
  session_.reset();
  set_resource("");
}

void
Client::do_stop() {
  bool was_running = running_;
  running_ = false;
  if (session_ && !session_->resource_url.empty())
    send_delete(session_->resource_url);
  bool connected = session_ && session_->state == Session::State::Active;
  clear_session();
  if (cancellable_)
    g_cancellable_cancel(cancellable_.get());
  if (was_running)
    GST_INFO_OBJECT(log_object(), "%s client: stopped", name());
  if (connected && owner_)
    gws_signaller_emit_connection_changed(owner_, FALSE);
}

void
Client::do_end(const std::string &sid) {
  if (!session_ || session_->id != sid)
    return;
  GST_INFO_OBJECT(
      log_object(), "%s client: ending session %s", name(), sid.c_str());
  bool connected = session_->state == Session::State::Active;
  if (!session_->resource_url.empty())
    send_delete(session_->resource_url);
  clear_session();
  if (cancellable_)
    g_cancellable_cancel(cancellable_.get());
  cancellable_.reset(g_cancellable_new());
  if (connected && owner_)
    gws_signaller_emit_connection_changed(owner_, FALSE);
}

void
Client::do_send_offer(const std::string &sid, SdpPtr offer) {
  if (!session_ || session_->id != sid
      || session_->state != Session::State::Requested) {
    GST_DEBUG_OBJECT(log_object(),
        "%s client: no session %s waiting for an offer", name(), sid.c_str());
    return;
  }
  session_->offer = std::move(offer);
  if (session_->trickle || session_->end_pending) {
    post_offer();
    return;
  }
  session_->state = Session::State::Gathering;
  GST_DEBUG_OBJECT(log_object(),
      "%s client: session %s: waiting up to %u ms for gathering", name(),
      sid.c_str(), active_.gather_timeout_ms);
  std::weak_ptr<Client> weak = shared_from_this();
  session_->gather_timer
      = worker_.timeout(active_.gather_timeout_ms, [weak, sid]() {
          auto self = weak.lock();
          if (!self || !self->session_ || self->session_->id != sid)
            return;
          g_source_unref(self->session_->gather_timer);
          self->session_->gather_timer = nullptr;
          GST_WARNING_OBJECT(self->log_object(),
              "%s client: session %s: gathering did not complete in "
              "%u ms, offering the %zu candidates found",
              self->name(), sid.c_str(), self->active_.gather_timeout_ms,
              self->session_->pending.size());
          self->post_offer();
        });
}

void
Client::do_add_ice(const std::string &sid, const Candidate &cand, bool end) {
  if (!session_ || session_->id != sid)
    return;
  Session &s = *session_;
  if (end)
    s.end_pending = true;
  else
    s.pending.push_back(cand);
  if (s.state == Session::State::Gathering && end) {
    if (s.gather_timer) {
      g_source_destroy(s.gather_timer);
      g_source_unref(s.gather_timer);
      s.gather_timer = nullptr;
    }
    post_offer();
  } else if (s.state == Session::State::Active) {
    flush_candidates();
  }
}

void
Client::post_offer() {
  Session &s = *session_;
  std::string body;
  if (s.trickle) {
    body = sdp_to_text(s.offer.get());
  } else {
    SdpPtr full(sdp_with_candidates(s.offer.get(), s.pending, s.end_pending));
    body = sdp_to_text(full.get());
    GST_INFO_OBJECT(log_object(),
        "%s client: session %s: offering with %zu candidates", name(),
        s.id.c_str(), s.pending.size());
    s.pending.clear();
    s.end_sent = true;
  }
  s.state = Session::State::Posting;
  std::string sid = s.id;
  GST_LOG_OBJECT(log_object(), "%s client: POST %s\n%s", name(),
      endpoint_.c_str(), body.c_str());
  request("POST", endpoint_, kSdpType, body, "",
      [this, sid](Response &r) { on_post_response(sid, r); });
}

void
Client::on_post_response(const std::string &sid, Response &r) {
  if (!session_ || session_->id != sid)
    return;
  if (r.status == 0) {
    fail(std::string("could not reach the ") + name() + " endpoint " + endpoint_
             + ": " + r.error,
        true);
    return;
  }
  if (r.status != SOUP_STATUS_CREATED) {
    std::string message = std::string("the ") + name() + " endpoint " + r.url
                          + " refused the offer: " + r.describe();
    if (SOUP_STATUS_IS_REDIRECTION(r.status))
      message += std::string(" (") + name()
                 + " servers must redirect with 307; other redirects are "
                   "not followed)";
    if (const char *retry = r.header("Retry-After"))
      message += std::string(" (retry after ") + retry + " s)";
    /* Not there yet (a WHEP stream nobody publishes yet: 404) or busy
     * (503): the bin may try again (wait-timeout). */
    fail(message, r.status == SOUP_STATUS_NOT_FOUND
                      || r.status == SOUP_STATUS_SERVICE_UNAVAILABLE);
    return;
  }
  const char *location = r.header("Location");
  if (!location || !*location) {
    fail(std::string("the ") + name() + " endpoint " + r.url
         + " answered 201 without a Location header");
    return;
  }
  std::string resource = resolve_url(r.url, location);
  if (resource.empty()) {
    fail(std::string("the ") + name() + " endpoint " + r.url
         + " answered with an invalid Location \"" + location + "\"");
    return;
  }
  std::string error;
  SdpPtr answer(parse_sdp(r.body, error));
  if (!answer) {
    session_->resource_url = resource; /* so fail() DELETEs it */
    fail(std::string("the ") + name() + " endpoint " + r.url
         + " answered 201 without a usable SDP answer: " + error);
    return;
  }
  Session &s = *session_;
  s.resource_url = resource;
  if (const char *etag = r.header("ETag"))
    s.etag = etag;
  std::vector<std::string> servers = link_ice_servers(r.headers);
  s.state = Session::State::Active;
  GST_INFO_OBJECT(log_object(),
      "%s client: session %s: 201, resource %s, etag %s, %zu ICE "
      "server(s)",
      name(), sid.c_str(), resource.c_str(), s.etag.c_str(), servers.size());
  set_resource(resource);
  /* Too late for this session's peer connection; kept for the next. */
  if (!servers.empty())
    set_ice_servers(std::move(servers));

  if (owner_) {
    GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new(
        GST_WEBRTC_SDP_TYPE_ANSWER, answer.release());
    gws_signaller_emit_connection_changed(owner_, TRUE);
    gws_signaller_emit_session_description(owner_, sid.c_str(), desc);
    gst_webrtc_session_description_free(desc);
  }
  /* A handler may have ended the session. */
  if (session_ && session_->id == sid)
    flush_candidates();
}

void
Client::set_resource(const std::string &url) {
  bool changed;
  {
    std::lock_guard<std::mutex> guard(lock);
    changed = url != resource_url_;
    resource_url_ = url;
  }
  if (changed && owner_)
    g_object_notify(G_OBJECT(owner_), "resource-url");
}

void
Client::set_ice_servers(std::vector<std::string> servers) {
  bool changed;
  {
    std::lock_guard<std::mutex> guard(lock);
    changed = servers != ice_servers_;
    if (changed)
      ice_servers_ = std::move(servers);
  }
  if (changed && owner_)
    g_object_notify(G_OBJECT(owner_), "ice-servers");
}

void
Client::flush_candidates() {
  Session &s = *session_;
  if (s.state != Session::State::Active || !s.trickle || s.patch_in_flight)
    return;
  bool send_end = s.end_pending && !s.end_sent;
  if (s.pending.empty() && !send_end)
    return;
  std::string frag = build_sdpfrag(s.offer.get(), s.pending, send_end);
  GST_DEBUG_OBJECT(log_object(),
      "%s client: session %s: PATCH %zu candidate(s)%s", name(), s.id.c_str(),
      s.pending.size(), send_end ? " + end-of-candidates" : "");
  GST_LOG_OBJECT(log_object(), "%s", frag.c_str());
  s.pending.clear();
  if (send_end)
    s.end_sent = true;
  s.patch_in_flight = true;
  std::string sid = s.id;
  request("PATCH", s.resource_url, kSdpFragType, frag, s.etag,
      [this, sid](Response &r) { on_patch_response(sid, r); });
}

void
Client::on_patch_response(const std::string &sid, Response &r) {
  if (!session_ || session_->id != sid)
    return;
  Session &s = *session_;
  s.patch_in_flight = false;
  if (r.status == SOUP_STATUS_NO_CONTENT || r.status == SOUP_STATUS_OK) {
    flush_candidates();
    return;
  }
  if (r.status == SOUP_STATUS_METHOD_NOT_ALLOWED
      || r.status == SOUP_STATUS_UNPROCESSABLE_ENTITY
      || r.status == SOUP_STATUS_NOT_IMPLEMENTED) {
    GST_WARNING_OBJECT(log_object(),
        "%s client: the server does not take trickled candidates "
        "(%s); not trickling any more, the next session offers with "
        "every candidate",
        name(), r.describe().c_str());
    trickle_refused_ = true;
    s.trickle = false;
    s.pending.clear();
    {
      std::lock_guard<std::mutex> guard(lock);
      settings_.trickle = false;
    }
    if (owner_)
      g_object_notify(G_OBJECT(owner_), "trickle");
    return;
  }
  GST_WARNING_OBJECT(log_object(),
      "%s client: session %s: trickle PATCH to %s failed: %s", name(),
      sid.c_str(), s.resource_url.c_str(), r.describe().c_str());
  flush_candidates();
}

void
Client::send_delete(const std::string &url) {
  GST_INFO_OBJECT(log_object(), "%s client: DELETE %s", name(), url.c_str());
  request("DELETE", url, nullptr, "", "", [this, url](Response &r) {
    if (r.status == 0 || !SOUP_STATUS_IS_SUCCESSFUL(r.status))
      GST_WARNING_OBJECT(log_object(), "%s client: DELETE %s: %s", name(),
          url.c_str(), r.describe().c_str());
  });
}

void
Client::fail(const std::string &message, bool unavailable) {
  std::string sid = session_ ? session_->id : "";
  if (session_ && !session_->resource_url.empty())
    send_delete(session_->resource_url);
  clear_session();
  running_ = false;
  if (!owner_)
    return;
  if (!sid.empty())
    gws_signaller_emit_session_ended(owner_, sid.c_str(), message.c_str());
  if (unavailable)
    gws_signaller_emit_unavailable(owner_, message.c_str());
  else
    gws_signaller_emit_error(owner_, message.c_str());
}

/* ---- HTTP ---- */

void
Client::request(const char *method, const std::string &url,
    const char *content_type, const std::string &body,
    const std::string &if_match, ResponseFn done, GCancellable *cancel,
    int hops) {
  SoupMessage *msg = soup_message_new(method, url.c_str());
  if (!msg) {
    Response r;
    r.url = url;
    r.error = "invalid URL \"" + url + "\"";
    done(r);
    return;
  }
  SoupMessageHeaders *headers = soup_message_get_request_headers(msg);
  if (!active_.token.empty()) {
    /* The token is for the origin it was given for. */
    if (same_origin(url, endpoint_))
      soup_message_headers_replace(
          headers, "Authorization", ("Bearer " + active_.token).c_str());
    else
      GST_INFO_OBJECT(log_object(),
          "%s client: %s is not on the endpoint's origin: no token "
          "sent there",
          name(), url.c_str());
  }
  if (!if_match.empty())
    soup_message_headers_replace(headers, "If-Match", if_match.c_str());
  if (content_type) {
    GBytes *bytes = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(msg, content_type, bytes);
    g_bytes_unref(bytes);
  }
  soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
  if (!active_.tls_validation)
    g_signal_connect(msg, "accept-certificate",
        G_CALLBACK(+[](SoupMessage *, GTlsCertificate *, GTlsCertificateFlags,
                        gpointer) -> gboolean { return TRUE; }),
        nullptr);

  struct Ctx {
    std::shared_ptr<Client> self;
    SoupMessage *msg;
    std::string method, url, content_type, body, if_match;
    bool has_body;
    ResponseFn done;
    int hops;
    ObjPtr<GCancellable> cancel; /* the caller's, kept for redirects */
  };
  auto *ctx = new Ctx{shared_from_this(), msg, method, url,
      content_type ? content_type : "", body, if_match, content_type != nullptr,
      std::move(done), hops,
      ObjPtr<GCancellable>(
          cancel ? G_CANCELLABLE(g_object_ref(cancel)) : nullptr)};
  in_flight_++;
  /* A DELETE goes out even after stop() cancelled everything else. */
  if (!cancel)
    cancel = g_strcmp0(method, "DELETE") == 0 ? nullptr : cancellable_.get();
  soup_session_send_and_read_async(
      http_.get(), msg, G_PRIORITY_DEFAULT, cancel,
      [](GObject *source, GAsyncResult *result, gpointer data) {
        std::unique_ptr<Ctx> ctx(static_cast<Ctx *>(data));
        ObjPtr<SoupMessage> msg(ctx->msg);
        Client *self = ctx->self.get();
        g_autoptr(GError) error = nullptr;
        GBytes *bytes = soup_session_send_and_read_finish(
            SOUP_SESSION(source), result, &error);
        self->in_flight_--;
        if (self->quitting_) {
          if (bytes)
            g_bytes_unref(bytes);
          if (self->in_flight_ == 0)
            self->worker_.quit();
          return;
        }
        try {
          Response r;
          r.url = ctx->url;
          if (!bytes) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
              return;
            r.error = error ? error->message : "unknown error";
          } else {
            gsize size = 0;
            const char *data
                = static_cast<const char *>(g_bytes_get_data(bytes, &size));
            r.body.assign(data ? data : "", size);
            g_bytes_unref(bytes);
            r.status = soup_message_get_status(msg.get());
            const char *reason = soup_message_get_reason_phrase(msg.get());
            r.reason = reason ? reason : "";
            r.headers = soup_message_headers_ref(
                soup_message_get_response_headers(msg.get()));
          }
          GST_DEBUG("%s %s -> %s", ctx->method.c_str(), ctx->url.c_str(),
              r.status ? std::to_string(r.status).c_str() : r.error.c_str());
          const char *location = r.header("Location");
          if ((r.status == SOUP_STATUS_TEMPORARY_REDIRECT
                  || r.status == SOUP_STATUS_PERMANENT_REDIRECT)
              && location && ctx->hops < kMaxRedirects) {
            std::string next = resolve_url(ctx->url, location);
            if (!next.empty()) {
              GST_INFO("%s %s redirected (%u) to %s", ctx->method.c_str(),
                  ctx->url.c_str(), r.status, next.c_str());
              self->request(ctx->method.c_str(), next,
                  ctx->has_body ? ctx->content_type.c_str() : nullptr,
                  ctx->body, ctx->if_match, std::move(ctx->done),
                  ctx->cancel.get(), ctx->hops + 1);
              return;
            }
          }
          ctx->done(r);
        } catch (const std::exception &e) {
          GST_ERROR("internal error: %s", e.what());
        }
      },
      ctx);
}

} // namespace whip
} // namespace gws
