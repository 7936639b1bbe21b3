/* gst-webrtc-session: the relay signaller (see gws-ws-signaller.h).
 *
 * One protocol client for every way of reaching the relay: the protocol
 * logic here (registration, sessions, errors, reconnects) sends through
 * send_message() and hears through receive_text(), connection_open(),
 * connection_lost() and connect_failed(), whatever carries the text:
 * a gws::RelayTransport (relay-transport.h): WebSocketTransport for ws://
 * and wss://, LongPollTransport for poll+http:// and poll+https://.
 *
 * Threading: every object has its own worker thread (gws::Worker, its own
 * GMainContext), started by the first start(); none exists before. All
 * WebSocket I/O and all protocol state live on that thread; the
 * GwsSignaller methods, callable from any thread, copy their arguments and
 * post the work there (dropped before the first start()). Signals are emitted
 * from that thread with no lock held.
 *
 * Locks: `Private::lock` guards `Private::settings` only (the properties). It
 * is a leaf lock: nothing is called and nothing is emitted while it is held.
 * The connection state needs no lock because only the signaller thread
 * touches it. start() takes a snapshot of the settings; changes take effect
 * at the next start().
 *
 * Lifetime: every closure posted to the thread and every asynchronous
 * connect holds a strong reference, so dispose only runs when none is
 * pending; timers and WebSocket handlers hold none and are removed with the
 * connection. Dispose from another thread tears the connection down on the
 * signaller thread, lets a graceful close finish (at most 1 s) and joins the
 * thread. When the last reference goes on the signaller thread itself (the
 * end of a connect callback), dispose closes the sockets at once and lets
 * the thread end on its own. */
#include "gws-ws-signaller.h"

#include "common/gws-worker.h"
#include "longpoll-transport.h"
#include "websocket-transport.h"
#include "protocol/message.h"

#include <libsoup/soup.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(gws_ws_signaller_debug);
#define GST_CAT_DEFAULT gws_ws_signaller_debug

namespace proto = gws::protocol;

namespace {

constexpr guint kDefaultMinBackoffMs = 500;
constexpr guint kDefaultMaxBackoffMs = 15000;
constexpr guint kDefaultKeepaliveSeconds = 20;
constexpr guint kConnectTimeoutMs = 10000;
/* After a reconnect, refusals of our own id are first taken for our old
 * connection not yet reaped; after this many in a row the user is told. */
constexpr guint kQuietClaimRefusals = 3;
constexpr guint64 kMaxIncomingPayload = 4 * 1024 * 1024;
constexpr guint kShutdownCloseTimeoutMs = 1000;

enum {
  PROP_0,
  PROP_ROLE,
  PROP_URI,
  PROP_PEER_ID,
  PROP_PRODUCER_PEER_ID,
  PROP_META,
  PROP_TOKEN,
  PROP_TLS_VALIDATION,
  PROP_RECONNECT_MIN_BACKOFF,
  PROP_RECONNECT_MAX_BACKOFF,
  PROP_KEEPALIVE_INTERVAL,
  PROP_SESSION_RESTARTS,
  PROP_CONSUMER_OFFERS,
  PROP_ACCEPTS_SESSIONS,
  PROP_ICE_SERVERS,
};

/* What the properties hold. */
struct Settings {
  GwsSignallerRole role = GWS_SIGNALLER_ROLE_PRODUCER;
  std::string uri;
  std::string peer_id;          /* explicit property */
  std::string producer_peer_id; /* explicit property */
  std::string uri_peer_id;      /* ?peer-id= of the uri */
  std::string meta;
  std::string token;
  bool tls_validation = true;
  guint min_backoff_ms = kDefaultMinBackoffMs;
  guint max_backoff_ms = kDefaultMaxBackoffMs;
  guint keepalive_s = kDefaultKeepaliveSeconds;

  /* The id we claim at the relay: peer-id, or ?peer-id= for a producer. */
  std::string claim() const {
    if (!peer_id.empty())
      return peer_id;
    return role == GWS_SIGNALLER_ROLE_PRODUCER ? uri_peer_id : std::string();
  }
  /* Consumer: the producer to ask; empty means the first that appears. */
  std::string target() const {
    if (!producer_peer_id.empty())
      return producer_peer_id;
    return role == GWS_SIGNALLER_ROLE_CONSUMER ? uri_peer_id : std::string();
  }
};

struct UriDeleter {
  void operator()(GUri *u) const { g_uri_unref(u); }
};
using UriPtr = std::unique_ptr<GUri, UriDeleter>;

/* ?peer-id= and ?token= of a URI (empty when absent or unparsable). */
void
query_values(const std::string &uri, std::string &peer_id, std::string &token) {
  peer_id.clear();
  token.clear();
  UriPtr parsed(g_uri_parse(uri.c_str(), G_URI_FLAGS_ENCODED_QUERY, nullptr));
  if (!parsed || !g_uri_get_query(parsed.get()))
    return;
  GUriParamsIter iter;
  g_uri_params_iter_init(
      &iter, g_uri_get_query(parsed.get()), -1, "&", G_URI_PARAMS_NONE);
  gchar *name = nullptr, *value = nullptr;
  while (g_uri_params_iter_next(&iter, &name, &value, nullptr)) {
    if (g_strcmp0(name, "peer-id") == 0)
      peer_id = value ? value : "";
    else if (g_strcmp0(name, "token") == 0)
      token = value ? value : "";
    g_free(name);
    g_free(value);
  }
}

/* meta: a JSON object, or a GstStructure ("meta,name=cam1,floor=(int)2");
 * nullptr when empty or unparsable. */
proto::Json
meta_to_json(const std::string &text) {
  std::string trimmed = text;
  trimmed.erase(0, trimmed.find_first_not_of(" \t\n"));
  if (trimmed.empty())
    return nullptr;
  if (trimmed[0] == '{')
    return proto::parse_json_object(trimmed);

  GstStructure *s = gst_structure_from_string(trimmed.c_str(), nullptr);
  if (!s)
    return nullptr;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  gst_structure_foreach(
      s,
      [](GQuark field, const GValue *v, gpointer data) -> gboolean {
        auto *b = static_cast<JsonBuilder *>(data);
        json_builder_set_member_name(b, g_quark_to_string(field));
        if (G_VALUE_HOLDS_STRING(v)) {
          json_builder_add_string_value(b, g_value_get_string(v));
        } else if (G_VALUE_HOLDS_BOOLEAN(v)) {
          json_builder_add_boolean_value(b, g_value_get_boolean(v));
        } else if (G_VALUE_HOLDS_INT(v)) {
          json_builder_add_int_value(b, g_value_get_int(v));
        } else if (G_VALUE_HOLDS_UINT(v)) {
          json_builder_add_int_value(b, g_value_get_uint(v));
        } else if (G_VALUE_HOLDS_INT64(v)) {
          json_builder_add_int_value(b, g_value_get_int64(v));
        } else if (G_VALUE_HOLDS_DOUBLE(v)) {
          json_builder_add_double_value(b, g_value_get_double(v));
        } else {
          g_autofree gchar *str = gst_value_serialize(v);
          json_builder_add_string_value(b, str ? str : "");
        }
        return TRUE;
      },
      b);
  json_builder_end_object(b);
  gst_structure_free(s);
  return proto::adopt_json(json_builder_get_root(b));
}

std::string
sdp_as_text(const GstWebRTCSessionDescription *desc) {
  g_autofree gchar *text = gst_sdp_message_as_text(desc->sdp);
  return text ? text : "";
}

} // namespace

struct GwsWsSignallerPrivate {
  /* Leaf lock, guards `settings` only. */
  std::mutex lock;
  Settings settings;

  /* The signaller thread: started by the first start(), joined in
   * dispose. */
  gws::Worker worker{"gws-ws-signaller"};

  /* Everything below is touched only on the signaller thread. */
  Settings active;         /* snapshot taken by start() */
  std::string connect_url; /* what we connect to (no token) */
  UriPtr connect_uri;
  bool running = false; /* between start() and stop() */
  guint generation = 0; /* bumped by start/stop: stale callbacks check */
  bool shutting_down = false;

  SoupSession *session = nullptr;
  /* What carries the protocol (relay-transport.h): a WebSocket for ws(s)://,
   * long-poll for poll+http(s)://, whose base (http(s)://.../poll) is
   * poll_base. */
  bool poll = false;
  std::string poll_base;
  std::shared_ptr<gws::RelayTransport> transport; /* connecting or open */
  bool transport_open = false;
  /* Closed gracefully, until their close is done. */
  std::vector<std::shared_ptr<gws::RelayTransport>> closing;
  GSource *retry_source = nullptr;
  guint backoff_ms = 0;

  bool welcomed = false;    /* welcome received on this connection */
  bool registering = false; /* waiting for the reply to our `list` */
  bool connected = false;   /* "connection-changed" TRUE was emitted */
  bool ever_connected = false;
  bool claimed_before = false; /* our id was accepted once */
  guint claim_refusals = 0;    /* in a row, after claimed_before */
  bool unreachable_reported = false;
  std::string my_id;

  /* Sessions known to the relay we are connected to now, by id: the peer.
   * Sessions of an earlier connection keep their media flowing in the bins
   * but are unknown to this relay connection, so nothing is sent for them. */
  std::map<std::string, std::string> sessions;

  /* Consumer. */
  bool want_session = false;    /* still to ask for a session */
  bool request_pending = false; /* startSession sent, no sessionStarted yet */
  std::string requested_producer;
};

struct _GwsWsSignaller {
  GObject parent;
  GwsWsSignallerPrivate *priv;
};

static void gws_ws_signaller_iface_init(GwsSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(
    GwsWsSignaller, gws_ws_signaller, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, gws_ws_signaller_iface_init);
    GST_DEBUG_CATEGORY_INIT(gws_ws_signaller_debug, "webrtc-signaller-ws", 0,
        "WebRTC WebSocket signaller (relay protocol client)"))

/* Forward declarations of the thread-side functions. */
static void connect_now(GwsWsSignaller *self);
static void schedule_retry(GwsWsSignaller *self);
static void drop_connection(GwsWsSignaller *self, bool graceful);

/* ---- Posting work to the signaller thread ---- */

/* Runs fn on the signaller thread, after what was posted before it, never
 * inline (so a signal handler that calls a method does not re-enter the
 * code that emitted the signal). The task holds a strong reference. Dropped
 * when the thread is not running. */
static void
post(GwsWsSignaller *self, std::function<void(GwsWsSignaller *)> fn) {
  self->priv->worker.post(
      G_OBJECT(self), [self, fn = std::move(fn)]() { fn(self); });
}

/* ---- Sending ---- */

static void
send_message(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  if (!priv->transport || !priv->transport_open) {
    GST_DEBUG_OBJECT(
        self, "not connected, dropping %s", proto::type_name(msg.type));
    return;
  }
  std::string text = proto::serialize(msg);
  GST_LOG_OBJECT(self, ">> %s", text.c_str());
  priv->transport->send(text);
}

static void
send_end_session(
    GwsWsSignaller *self, const std::string &session_id, const char *reason) {
  proto::Message m;
  m.type = proto::Type::EndSessionV1_1;
  m.session_id = session_id;
  if (reason)
    m.reason = reason;
  send_message(self, m);
}

static void
request_session(GwsWsSignaller *self, const std::string &producer) {
  auto *priv = self->priv;
  GST_INFO_OBJECT(self, "asking producer %s for a session", producer.c_str());
  priv->request_pending = true;
  priv->requested_producer = producer;
  proto::Message m;
  m.type = proto::Type::StartSession;
  m.peer_id = producer;
  m.has_peer_id = true;
  send_message(self, m);
}

static void
set_connected(GwsWsSignaller *self, bool connected) {
  auto *priv = self->priv;
  if (priv->connected == connected)
    return;
  priv->connected = connected;
  GST_INFO_OBJECT(self, "%s %s", connected ? "connected to" : "lost",
      priv->connect_url.c_str());
  gws_signaller_emit_connection_changed(GWS_SIGNALLER(self), connected);
}

/* Gives up: no more reconnects until the next start(). @unavailable: what
 * we need is missing (the producer), not wrong: "error::unavailable". */
static void
fail(GwsWsSignaller *self, const std::string &message,
    bool unavailable = false) {
  auto *priv = self->priv;
  priv->running = false;
  priv->generation++;
  if (priv->retry_source) {
    g_source_destroy(priv->retry_source);
    g_source_unref(priv->retry_source);
    priv->retry_source = nullptr;
  }
  drop_connection(self, true);
  set_connected(self, false);
  if (unavailable)
    gws_signaller_emit_unavailable(GWS_SIGNALLER(self), message.c_str());
  else
    gws_signaller_emit_error_full(GWS_SIGNALLER(self), message.c_str(), TRUE);
}

/* ---- Receiving ---- */

static void
on_welcome(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  const Settings &s = priv->active;
  priv->welcomed = true;
  priv->my_id = msg.peer_id;
  priv->backoff_ms = s.min_backoff_ms;
  priv->unreachable_reported = false;
  std::string claim = s.claim();
  if (!claim.empty() && claim == priv->my_id)
    priv->claimed_before = true; /* a relay refuses a claim before welcome */
  priv->claim_refusals = 0;
  if (!claim.empty() && claim != priv->my_id)
    GST_WARNING_OBJECT(self,
        "the server gave us the id %s instead of the claimed %s (it does not "
        "support ?peer-id=)",
        priv->my_id.c_str(), claim.c_str());
  GST_INFO_OBJECT(self, "welcome, our id is %s", priv->my_id.c_str());

  std::string target = s.target();
  if (s.role == GWS_SIGNALLER_ROLE_CONSUMER && !target.empty()) {
    priv->ever_connected = true;
    set_connected(self, true);
    if (priv->want_session && !priv->request_pending)
      request_session(self, target);
    return;
  }

  /* Producer: register. Consumer without a target: listen for producers.
   * Either way a `list` follows; its reply tells us the relay has processed
   * the registration. */
  proto::Message status;
  status.type = proto::Type::SetPeerStatus;
  if (s.role == GWS_SIGNALLER_ROLE_PRODUCER) {
    status.roles = proto::kProducer;
    proto::Json meta = meta_to_json(s.meta);
    if (!meta) {
      if (!s.meta.empty())
        GST_WARNING_OBJECT(self,
            "meta \"%s\" is neither a JSON object nor a GstStructure; using "
            "the default",
            s.meta.c_str());
      g_autoptr(JsonBuilder) b = json_builder_new();
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "name");
      json_builder_add_string_value(
          b, claim.empty() ? g_get_host_name() : claim.c_str());
      json_builder_end_object(b);
      meta = proto::adopt_json(json_builder_get_root(b));
    }
    status.meta = meta;
    if (!claim.empty() && claim == priv->my_id) {
      status.peer_id = claim;
      status.has_peer_id = true;
    }
  } else {
    status.roles = proto::kListener;
    status.meta = meta_to_json(s.meta);
  }
  send_message(self, status);
  proto::Message list;
  list.type = proto::Type::List;
  send_message(self, list);
  priv->registering = true;
}

static void
on_list(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  if (!msg.is_reply)
    return;
  if (priv->registering) {
    priv->registering = false;
    priv->ever_connected = true;
    GST_INFO_OBJECT(self, "registered as %s %s",
        priv->active.role == GWS_SIGNALLER_ROLE_PRODUCER ? "producer"
                                                         : "listener",
        priv->my_id.c_str());
    set_connected(self, true);
  }
  if (priv->active.role != GWS_SIGNALLER_ROLE_CONSUMER || !priv->want_session
      || priv->request_pending)
    return;
  for (const auto &p : msg.peers) {
    if (p.id != priv->my_id) {
      request_session(self, p.id);
      return;
    }
  }
  GST_INFO_OBJECT(self, "no producer yet, waiting for one to appear");
}

static void
on_peer_status_changed(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  if (priv->active.role != GWS_SIGNALLER_ROLE_CONSUMER || !priv->want_session
      || priv->request_pending || priv->registering)
    return;
  if ((msg.roles & proto::kProducer) && msg.peer_id != priv->my_id)
    request_session(self, msg.peer_id);
}

static void
on_start_session(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  if (priv->active.role != GWS_SIGNALLER_ROLE_PRODUCER) {
    GST_WARNING_OBJECT(self,
        "peer %s asked us (a consumer) for session %s: refusing",
        msg.peer_id.c_str(), msg.session_id.c_str());
    send_end_session(self, msg.session_id, "this peer does not produce");
    return;
  }
  GstWebRTCSessionDescription *offer = nullptr;
  if (msg.offer) {
    GstSDPMessage *sdp = nullptr;
    if (gst_sdp_message_new_from_text(msg.offer->c_str(), &sdp) != GST_SDP_OK) {
      GST_WARNING_OBJECT(
          self, "session %s: unreadable offer", msg.session_id.c_str());
      send_end_session(self, msg.session_id, "unreadable SDP offer");
      return;
    }
    offer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  }
  GST_INFO_OBJECT(self, "session %s requested by %s%s", msg.session_id.c_str(),
      msg.peer_id.c_str(), offer ? " with an offer" : "");
  priv->sessions[msg.session_id] = msg.peer_id;
  gws_signaller_emit_session_requested(
      GWS_SIGNALLER(self), msg.session_id.c_str(), msg.peer_id.c_str(), offer);
  if (offer)
    gst_webrtc_session_description_free(offer);
}

static void
on_session_started(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  priv->request_pending = false;
  priv->want_session = false;
  priv->sessions[msg.session_id] = msg.peer_id;
  GST_INFO_OBJECT(self, "session %s with producer %s started",
      msg.session_id.c_str(), msg.peer_id.c_str());
  gws_signaller_emit_session_started(
      GWS_SIGNALLER(self), msg.session_id.c_str(), msg.peer_id.c_str());
}

static void
on_peer(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  if (!priv->sessions.count(msg.session_id)) {
    GST_DEBUG_OBJECT(
        self, "peer message for unknown session %s", msg.session_id.c_str());
    return;
  }
  if (msg.sdp) {
    auto type = proto::sdp_type(msg);
    auto text = proto::sdp_text(msg);
    GstSDPMessage *sdp = nullptr;
    if (!type || !text
        || gst_sdp_message_new_from_text(text->c_str(), &sdp) != GST_SDP_OK) {
      GST_WARNING_OBJECT(self, "session %s: unreadable session description",
          msg.session_id.c_str());
      return;
    }
    GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new(
        *type == "offer" ? GST_WEBRTC_SDP_TYPE_OFFER
                         : GST_WEBRTC_SDP_TYPE_ANSWER,
        sdp);
    GST_DEBUG_OBJECT(
        self, "session %s: remote %s", msg.session_id.c_str(), type->c_str());
    gws_signaller_emit_session_description(
        GWS_SIGNALLER(self), msg.session_id.c_str(), desc);
    gst_webrtc_session_description_free(desc);
    return;
  }
  auto candidate = proto::ice_candidate(msg);
  if (!candidate)
    return;
  auto mline = proto::ice_mline_index(msg);
  auto mid = proto::ice_mid(msg);
  if (candidate->empty()) {
    GST_DEBUG_OBJECT(
        self, "session %s: remote end of candidates", msg.session_id.c_str());
    return;
  }
  gws_signaller_emit_handle_ice(GWS_SIGNALLER(self), msg.session_id.c_str(),
      mline.value_or(0), mid ? mid->c_str() : nullptr, candidate->c_str());
}

static void
on_end_session(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  if (!priv->sessions.erase(msg.session_id))
    return;
  GST_INFO_OBJECT(self, "session %s ended by the remote side%s%s",
      msg.session_id.c_str(), msg.reason ? ": " : "",
      msg.reason ? msg.reason->c_str() : "");
  gws_signaller_emit_session_ended(GWS_SIGNALLER(self), msg.session_id.c_str(),
      msg.reason ? msg.reason->c_str() : nullptr);
}

static void
on_error(GwsWsSignaller *self, const proto::Message &msg) {
  auto *priv = self->priv;
  const std::string &d = msg.details;
  GST_WARNING_OBJECT(self, "relay error: %s", d.c_str());

  if (d.find("ProtocolVersion") != std::string::npos) {
    /* A server that only speaks v1_0: endSession comes without reasons. */
    GST_INFO_OBJECT(self, "the relay does not take protocol v1_1");
    return;
  }

  if (!priv->welcomed) {
    /* Refused before the welcome: the relay turned our claim down. */
    std::string claim = priv->active.claim();
    if (!claim.empty() && d.find("in use") != std::string::npos) {
      if (priv->claimed_before) {
        /* Most likely our own previous connection, not yet reaped by the
         * relay: try again after the backoff. */
        GST_INFO_OBJECT(self, "id %s still held, will retry", claim.c_str());
        if (++priv->claim_refusals == kQuietClaimRefusals) {
          std::string message = "peer id \"" + claim
                                + "\" is held by another peer at "
                                + priv->connect_url + " (retrying)";
          gws_signaller_emit_error_full(
              GWS_SIGNALLER(self), message.c_str(), FALSE);
        }
        return;
      }
      fail(self, "peer id \"" + claim + "\" is already in use at "
                     + priv->connect_url + " (another peer claimed it)");
      return;
    }
    fail(self, "signalling server " + priv->connect_url
                   + " refused the connection: " + d);
    return;
  }
  if (priv->active.role == GWS_SIGNALLER_ROLE_CONSUMER
      && priv->request_pending) {
    priv->request_pending = false;
    priv->want_session = false;
    fail(self,
        "producer \"" + priv->requested_producer + "\" not found at "
            + priv->connect_url + ": " + d,
        true);
    return;
  }
  if (d.rfind("setPeerStatus", 0) == 0 || priv->registering) {
    fail(self, "could not register at " + priv->connect_url + ": " + d);
    return;
  }
  /* Anything else (a message for a session the relay already ended, ...)
   * is not for the user. */
}

static void
handle_message(GwsWsSignaller *self, const proto::Message &msg) {
  switch (msg.type) {
    case proto::Type::Welcome:
      on_welcome(self, msg);
      break;
    case proto::Type::List:
      on_list(self, msg);
      break;
    case proto::Type::PeerStatusChanged:
      on_peer_status_changed(self, msg);
      break;
    case proto::Type::StartSession:
      on_start_session(self, msg);
      break;
    case proto::Type::SessionStarted:
      on_session_started(self, msg);
      break;
    case proto::Type::Peer:
      on_peer(self, msg);
      break;
    case proto::Type::EndSession:
    case proto::Type::EndSessionV1_1:
      on_end_session(self, msg);
      break;
    case proto::Type::Error:
      on_error(self, msg);
      break;
    default:
      GST_DEBUG_OBJECT(
          self, "ignoring %s from the relay", proto::type_name(msg.type));
      break;
  }
}

/* One text message from the relay, whatever carried it. */
static void
receive_text(GwsWsSignaller *self, std::string_view text) {
  /* The handlers may emit a signal whose emission holds the last reference
   * (the application let go meanwhile): keep self alive to the end (a
   * use-after-free in on_list found by the ASan build). */
  [[maybe_unused]] g_autoptr(GObject) keep = G_OBJECT(g_object_ref(self));
  GST_LOG_OBJECT(self, "<< %.*s", static_cast<int>(text.size()), text.data());
  try {
    proto::ParseResult parsed = proto::parse(text);
    if (!parsed.message) {
      GST_WARNING_OBJECT(
          self, "unreadable message from the relay: %s", parsed.error.c_str());
      return;
    }
    handle_message(self, *parsed.message);
  } catch (const std::exception &e) {
    GST_ERROR_OBJECT(self, "internal error handling a message: %s", e.what());
  }
}

/* The open connection went away: reconnect. */
static void
connection_lost(GwsWsSignaller *self) {
  drop_connection(self, false);
  set_connected(self, false);
  if (self->priv->running)
    schedule_retry(self);
}

/* ---- Connection management ---- */

/* A graceful close is over: forget that transport. */
static void
closing_done(GwsWsSignaller *self, gws::RelayTransport *transport) {
  auto *priv = self->priv;
  auto it = std::find_if(priv->closing.begin(), priv->closing.end(),
      [transport](const auto &t) { return t.get() == transport; });
  if (it != priv->closing.end())
    priv->closing.erase(it); /* its callback holds it meanwhile */
  if (priv->shutting_down && priv->closing.empty())
    priv->worker.quit();
}

/* Forgets the current connection (sessions of it stay with the bins). */
static void
drop_connection(GwsWsSignaller *self, bool graceful) {
  auto *priv = self->priv;
  priv->welcomed = false;
  priv->registering = false;
  priv->my_id.clear();
  priv->sessions.clear();
  if (priv->request_pending) {
    /* Ask again once connected again. */
    priv->request_pending = false;
    priv->want_session = true;
  }
  if (!priv->transport)
    return;
  auto transport = std::move(priv->transport);
  bool open = priv->transport_open;
  priv->transport_open = false;
  if (graceful && open) {
    /* What we queued still goes out, then the relay sees us leave. */
    priv->closing.push_back(transport);
    gws::RelayTransport *raw = transport.get();
    transport->close(true, [self, raw]() { closing_done(self, raw); });
  } else {
    transport->close(false, nullptr);
  }
}

/* The transport is open: speak first. */
static void
connection_open(GwsWsSignaller *self) {
  /* v1_1 first, so endSession carries reasons. */
  proto::Message version;
  version.type = proto::Type::SetProtocolVersion;
  version.version = proto::Version::V1_1;
  send_message(self, version);
}

/* Could not connect: give up (what retrying cannot fix) or retry. */
static void
connect_failed(GwsWsSignaller *self, guint status, bool tls, bool timed_out,
    const char *error) {
  auto *priv = self->priv;
  if (tls) {
    fail(self, "the TLS certificate of signalling server " + priv->connect_url
                   + " is not trusted (" + (error ? error : "bad certificate")
                   + "); set tls-validation=false to accept a self-signed "
                     "certificate");
    return;
  }
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) {
    const char *why = priv->active.token.empty()
                          ? "it needs a token (set the token property or "
                            "?token=)"
                          : "the token was refused";
    fail(self, "signalling server " + priv->connect_url + " refused us: " + why
                   + " (HTTP " + std::to_string(status) + " "
                   + soup_status_get_phrase(status) + ")");
    return;
  }
  std::string reason
      = timed_out ? std::string("no answer within ")
                        + std::to_string(kConnectTimeoutMs / 1000) + " s"
        : error ? error
                : "unknown error";
  if (status >= 300)
    reason += " (HTTP " + std::to_string(status) + ")";
  GST_WARNING_OBJECT(self, "could not reach signalling server %s: %s",
      priv->connect_url.c_str(), reason.c_str());
  if (!priv->ever_connected && !priv->unreachable_reported) {
    priv->unreachable_reported = true;
    std::string message = "could not reach signalling server "
                          + priv->connect_url + ": " + reason + " (retrying)";
    gws_signaller_emit_error_full(GWS_SIGNALLER(self), message.c_str(), FALSE);
  }
  if (priv->running)
    schedule_retry(self);
}

/* The transport for our URI, reporting to us. It calls back only until we
 * close it, always on this thread; each callback holds a reference to us
 * for its duration. */
static std::shared_ptr<gws::RelayTransport>
make_transport(GwsWsSignaller *self) {
  auto *priv = self->priv;
  const Settings &s = priv->active;
  gws::RelayTransport::Callbacks cb;
  cb.opened = [self]() {
    [[maybe_unused]] g_autoptr(GObject) keep = G_OBJECT(g_object_ref(self));
    GST_INFO_OBJECT(self, "%s open to %s",
        self->priv->poll ? "long-poll connection" : "WebSocket",
        self->priv->connect_url.c_str());
    self->priv->transport_open = true;
    connection_open(self);
  };
  cb.message = [self](std::string_view text) { receive_text(self, text); };
  cb.closed = [self](const std::string &why) {
    [[maybe_unused]] g_autoptr(GObject) keep = G_OBJECT(g_object_ref(self));
    GST_INFO_OBJECT(self, "connection to %s lost: %s",
        self->priv->connect_url.c_str(), why.c_str());
    if (why.rfind("no answer", 0) == 0)
      GST_WARNING_OBJECT(self, "%s from %s, reconnecting", why.c_str(),
          self->priv->connect_url.c_str());
    connection_lost(self);
  };
  cb.failed = [self](const gws::RelayTransport::Failure &f) {
    [[maybe_unused]] g_autoptr(GObject) keep = G_OBJECT(g_object_ref(self));
    /* Gone after this call (the transport holds itself meanwhile). */
    auto transport = std::move(self->priv->transport);
    connect_failed(self, f.http_status, f.tls, f.timed_out, f.message.c_str());
  };
  if (priv->poll) {
    gws::LongPollOptions o;
    o.base = priv->poll_base;
    std::string claim = s.claim();
    if (!claim.empty()) {
      g_autofree gchar *v = g_uri_escape_string(claim.c_str(), nullptr, FALSE);
      o.query = std::string("peer-id=") + v;
    }
    o.token = s.token;
    o.tls_validation = s.tls_validation;
    o.keepalive_s = s.keepalive_s;
    o.connect_timeout_ms = kConnectTimeoutMs;
    o.log_object = G_OBJECT(self);
    return std::make_shared<gws::LongPollTransport>(
        priv->session, std::move(o), std::move(cb));
  }
  gws::WebSocketOptions o;
  o.url = priv->connect_url;
  o.token = s.token;
  o.tls_validation = s.tls_validation;
  o.keepalive_s = s.keepalive_s;
  o.connect_timeout_ms = kConnectTimeoutMs;
  o.max_incoming_payload = kMaxIncomingPayload;
  o.log_object = G_OBJECT(self);
  return std::make_shared<gws::WebSocketTransport>(
      priv->session, std::move(o), std::move(cb));
}

static void
connect_now(GwsWsSignaller *self) {
  auto *priv = self->priv;
  if (!priv->running || priv->transport)
    return;
  GST_DEBUG_OBJECT(self, "connecting to %s", priv->connect_url.c_str());
  auto transport = make_transport(self);
  priv->transport = transport;
  transport->open();
}

static gboolean
on_retry(gpointer data) {
  auto *self = GWS_WS_SIGNALLER(data);
  auto *priv = self->priv;
  g_source_unref(priv->retry_source);
  priv->retry_source = nullptr;
  connect_now(self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry(GwsWsSignaller *self) {
  auto *priv = self->priv;
  if (priv->retry_source || !priv->running)
    return;
  guint delay = priv->backoff_ms;
  /* Up to a quarter less, so peers that lost the relay together do not all
   * come back at the same instant. */
  if (delay >= 4)
    delay -= g_random_int_range(0, static_cast<gint32>(delay / 4));
  priv->backoff_ms
      = std::min(std::max(priv->backoff_ms * 2, priv->active.min_backoff_ms),
          std::max(priv->active.max_backoff_ms, priv->active.min_backoff_ms));
  GST_DEBUG_OBJECT(self, "reconnecting in %u ms", delay);
  /* The source holds no reference: stop() and dispose destroy it. */
  priv->retry_source = g_timeout_source_new(delay);
  g_source_set_callback(priv->retry_source, on_retry, self, nullptr);
  g_source_attach(priv->retry_source, priv->worker.context());
}

/* Builds the URL we connect to from the snapshot: ?peer-id= becomes our
 * claim (producer) or is dropped (consumer: it names the producer), ?token=
 * moves into the Authorization header. */
static bool
prepare_url(GwsWsSignaller *self, std::string &why) {
  auto *priv = self->priv;
  Settings &s = priv->active;
  g_autoptr(GError) err = nullptr;
  UriPtr parsed(g_uri_parse(s.uri.c_str(), G_URI_FLAGS_ENCODED_QUERY, &err));
  if (!parsed) {
    why = "invalid signalling server URI \"" + s.uri + "\": " + err->message;
    return false;
  }
  std::string scheme = g_uri_get_scheme(parsed.get());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
      [](unsigned char c) { return g_ascii_tolower(c); });
  priv->poll = scheme == "poll+http" || scheme == "poll+https";
  if (scheme != "ws" && scheme != "wss" && !priv->poll) {
    why = "signalling server URI \"" + s.uri
          + "\" must be ws://, wss://, poll+http:// or poll+https://";
    return false;
  }
  if (!g_uri_get_host(parsed.get()) || !*g_uri_get_host(parsed.get())) {
    why = "signalling server URI \"" + s.uri + "\" has no host";
    return false;
  }

  std::string query;
  auto add = [&query](const std::string &name, const std::string &value) {
    g_autofree gchar *n = g_uri_escape_string(name.c_str(), nullptr, FALSE);
    g_autofree gchar *v = g_uri_escape_string(value.c_str(), nullptr, FALSE);
    if (!query.empty())
      query += "&";
    query += std::string(n) + "=" + v;
  };
  if (g_uri_get_query(parsed.get())) {
    GUriParamsIter iter;
    g_uri_params_iter_init(
        &iter, g_uri_get_query(parsed.get()), -1, "&", G_URI_PARAMS_NONE);
    gchar *name = nullptr, *value = nullptr;
    while (g_uri_params_iter_next(&iter, &name, &value, nullptr)) {
      if (g_strcmp0(name, "peer-id") != 0 && g_strcmp0(name, "token") != 0)
        add(name, value ? value : "");
      g_free(name);
      g_free(value);
    }
  }
  std::string claim = s.claim();
  if (!claim.empty())
    add("peer-id", claim);

  const char *path = g_uri_get_path(parsed.get());
  UriPtr built(g_uri_build(G_URI_FLAGS_ENCODED_QUERY, scheme.c_str(), nullptr,
      g_uri_get_host(parsed.get()), g_uri_get_port(parsed.get()),
      (path && *path) ? path : "/", query.empty() ? nullptr : query.c_str(),
      nullptr));
  g_autofree gchar *text = g_uri_to_string(built.get());
  priv->connect_url = text;
  if (priv->poll) {
    /* poll+https://host:port/prefix/ -> https://host:port/prefix/poll */
    std::string p = (path && *path) ? path : "/";
    while (!p.empty() && p.back() == '/')
      p.pop_back();
    UriPtr base(g_uri_build(G_URI_FLAGS_ENCODED_QUERY,
        scheme == "poll+https" ? "https" : "http", nullptr,
        g_uri_get_host(parsed.get()), g_uri_get_port(parsed.get()),
        (p + "/poll").c_str(), nullptr, nullptr));
    g_autofree gchar *base_text = g_uri_to_string(base.get());
    priv->poll_base = base_text;
  }
  priv->connect_uri = std::move(built);
  return true;
}

/* ---- Methods, on the signaller thread ---- */

static void
do_start(GwsWsSignaller *self) {
  auto *priv = self->priv;
  if (priv->running || priv->shutting_down)
    return;
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    priv->active = priv->settings;
  }
  Settings &s = priv->active;
  std::string uri_peer, uri_token;
  query_values(s.uri, uri_peer, uri_token);
  if (s.token.empty())
    s.token = uri_token;

  std::string why;
  if (s.uri.empty())
    why = "no signalling server URI set (e.g. ws://127.0.0.1:8443/)";
  if (why.empty())
    prepare_url(self, why);
  if (!why.empty()) {
    gws_signaller_emit_error_full(GWS_SIGNALLER(self), why.c_str(), TRUE);
    return;
  }

  priv->running = true;
  priv->generation++;
  priv->backoff_ms = s.min_backoff_ms;
  priv->unreachable_reported = false;
  priv->want_session = s.role == GWS_SIGNALLER_ROLE_CONSUMER;
  priv->request_pending = false;
  if (!priv->session) {
    /* Made here so that it belongs to this thread's context. */
    priv->session = soup_session_new();
    soup_session_set_timeout(priv->session, 0);
    soup_session_set_idle_timeout(priv->session, 0);
  }
  GST_INFO_OBJECT(self, "starting as %s with %s",
      s.role == GWS_SIGNALLER_ROLE_PRODUCER ? "producer" : "consumer",
      priv->connect_url.c_str());
  connect_now(self);
}

static void
do_stop(GwsWsSignaller *self) {
  auto *priv = self->priv;
  bool was_running = priv->running;
  priv->running = false;
  priv->generation++;
  priv->want_session = false;
  if (priv->retry_source) {
    g_source_destroy(priv->retry_source);
    g_source_unref(priv->retry_source);
    priv->retry_source = nullptr;
  }
  for (const auto &entry : priv->sessions)
    send_end_session(self, entry.first, nullptr);
  drop_connection(self, true);
  if (was_running)
    GST_INFO_OBJECT(self, "stopped");
  set_connected(self, false);
}

/* Dispose, on the signaller thread: stop, then let graceful closes finish
 * (bounded) before the loop quits. */
static void
do_shutdown(GwsWsSignaller *self, bool wait_for_close) {
  auto *priv = self->priv;
  priv->shutting_down = true;
  priv->running = false;
  priv->generation++;
  if (priv->retry_source) {
    g_source_destroy(priv->retry_source);
    g_source_unref(priv->retry_source);
    priv->retry_source = nullptr;
  }
  for (const auto &entry : priv->sessions)
    send_end_session(self, entry.first, nullptr);
  drop_connection(self, true);
  if (wait_for_close && !priv->closing.empty()) {
    GSource *timeout = priv->worker.timeout(
        kShutdownCloseTimeoutMs, [priv]() { priv->worker.quit(); });
    g_source_unref(timeout);
  } else {
    priv->worker.quit();
  }
}

/* ---- The interface ---- */

static void
ws_start(GwsSignaller *signaller) {
  GWS_WS_SIGNALLER(signaller)->priv->worker.start();
  post(GWS_WS_SIGNALLER(signaller), do_start);
}

static void
ws_stop(GwsSignaller *signaller) {
  post(GWS_WS_SIGNALLER(signaller), do_stop);
}

static void
ws_send_sdp(GwsSignaller *signaller, const gchar *session_id,
    const GstWebRTCSessionDescription *sdp) {
  std::string sid = session_id;
  const char *type_name = sdp->type == GST_WEBRTC_SDP_TYPE_OFFER    ? "offer"
                          : sdp->type == GST_WEBRTC_SDP_TYPE_ANSWER ? "answer"
                                                                    : nullptr;
  if (!type_name) {
    GST_WARNING_OBJECT(signaller,
        "session %s: the relay protocol only carries offers and answers, "
        "not %s",
        session_id, gst_webrtc_sdp_type_to_string(sdp->type));
    return;
  }
  std::string type = type_name;
  std::string text = sdp_as_text(sdp);
  post(GWS_WS_SIGNALLER(signaller), [sid, type, text](GwsWsSignaller *self) {
    if (!self->priv->sessions.count(sid)) {
      GST_DEBUG_OBJECT(self,
          "session %s is not on this connection, "
          "dropping its %s",
          sid.c_str(), type.c_str());
      return;
    }
    proto::Message m;
    m.type = proto::Type::Peer;
    m.session_id = sid;
    m.sdp = proto::make_sdp(type, text);
    send_message(self, m);
  });
}

static void
ws_add_ice(GwsSignaller *signaller, const gchar *session_id,
    const gchar *candidate, guint mline_index, const gchar *mid) {
  if (!candidate) {
    /* The relay protocol has no end-of-candidates message. */
    GST_DEBUG_OBJECT(signaller, "session %s: end of candidates", session_id);
    return;
  }
  std::string sid = session_id;
  std::string cand = candidate;
  std::optional<std::string> media_id;
  if (mid)
    media_id = mid;
  post(GWS_WS_SIGNALLER(signaller),
      [sid, cand, mline_index, media_id](GwsWsSignaller *self) {
        if (!self->priv->sessions.count(sid)) {
          GST_DEBUG_OBJECT(self,
              "session %s is not on this connection, dropping a candidate",
              sid.c_str());
          return;
        }
        proto::Message m;
        m.type = proto::Type::Peer;
        m.session_id = sid;
        m.ice = proto::make_ice(
            cand, mline_index, media_id ? media_id->c_str() : nullptr);
        send_message(self, m);
      });
}

static void
ws_end_session_with_reason(
    GwsSignaller *signaller, const gchar *session_id, const gchar *reason) {
  std::string sid = session_id;
  std::optional<std::string> why;
  if (reason)
    why = reason;
  post(GWS_WS_SIGNALLER(signaller), [sid, why](GwsWsSignaller *self) {
    if (!self->priv->sessions.erase(sid))
      return;
    GST_INFO_OBJECT(self, "ending session %s%s%s", sid.c_str(), why ? ": " : "",
        why ? why->c_str() : "");
    /* The reason reaches a v1_1 peer (endSessionV1_1 `error`): a refused
     * call says why (docs/calls.md). */
    send_end_session(self, sid, why ? why->c_str() : nullptr);
  });
}

static void
ws_end_session(GwsSignaller *signaller, const gchar *session_id) {
  ws_end_session_with_reason(signaller, session_id, nullptr);
}

static void
gws_ws_signaller_iface_init(GwsSignallerInterface *iface) {
  iface->start = ws_start;
  iface->stop = ws_stop;
  iface->send_sdp = ws_send_sdp;
  iface->add_ice = ws_add_ice;
  iface->end_session = ws_end_session;
  iface->end_session_with_reason = ws_end_session_with_reason;
}

/* ---- GObject ---- */

static void
gws_ws_signaller_set_property(
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *self = GWS_WS_SIGNALLER(object);
  auto *priv = self->priv;
  std::lock_guard<std::mutex> lock(priv->lock);
  Settings &s = priv->settings;
  auto str = [value]() {
    const char *v = g_value_get_string(value);
    return std::string(v ? v : "");
  };
  switch (prop_id) {
    case PROP_ROLE:
      s.role = static_cast<GwsSignallerRole>(g_value_get_enum(value));
      break;
    case PROP_URI: {
      s.uri = str();
      std::string token;
      query_values(s.uri, s.uri_peer_id, token);
      break;
    }
    case PROP_PEER_ID:
      s.peer_id = str();
      break;
    case PROP_PRODUCER_PEER_ID:
      s.producer_peer_id = str();
      break;
    case PROP_META:
      s.meta = str();
      break;
    case PROP_TOKEN:
      s.token = str();
      break;
    case PROP_TLS_VALIDATION:
      s.tls_validation = g_value_get_boolean(value);
      break;
    case PROP_RECONNECT_MIN_BACKOFF:
      s.min_backoff_ms = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_MAX_BACKOFF:
      s.max_backoff_ms = g_value_get_uint(value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      s.keepalive_s = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void
gws_ws_signaller_get_property(
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *self = GWS_WS_SIGNALLER(object);
  auto *priv = self->priv;
  std::lock_guard<std::mutex> lock(priv->lock);
  const Settings &s = priv->settings;
  auto set_str = [value](const std::string &v) {
    g_value_set_string(value, v.empty() ? nullptr : v.c_str());
  };
  switch (prop_id) {
    case PROP_ROLE:
      g_value_set_enum(value, s.role);
      break;
    case PROP_URI:
      set_str(s.uri);
      break;
    case PROP_PEER_ID:
      set_str(s.claim());
      break;
    case PROP_PRODUCER_PEER_ID:
      set_str(s.target());
      break;
    case PROP_META:
      set_str(s.meta);
      break;
    case PROP_TOKEN:
      set_str(s.token);
      break;
    case PROP_TLS_VALIDATION:
      g_value_set_boolean(value, s.tls_validation);
      break;
    case PROP_RECONNECT_MIN_BACKOFF:
      g_value_set_uint(value, s.min_backoff_ms);
      break;
    case PROP_RECONNECT_MAX_BACKOFF:
      g_value_set_uint(value, s.max_backoff_ms);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint(value, s.keepalive_s);
      break;
    case PROP_SESSION_RESTARTS:
      g_value_set_boolean(value, TRUE);
      break;
    case PROP_CONSUMER_OFFERS:
    case PROP_ACCEPTS_SESSIONS:
      g_value_set_boolean(value, FALSE);
      break;
    case PROP_ICE_SERVERS:
      g_value_set_boxed(value, nullptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void
gws_ws_signaller_init(GwsWsSignaller *self) {
  auto *priv = new GwsWsSignallerPrivate;
  self->priv = priv;
}

static void
gws_ws_signaller_dispose(GObject *object) {
  auto *self = GWS_WS_SIGNALLER(object);
  auto *priv = self->priv;
  if (priv->worker.is_current()) {
    /* The last reference went away on our own thread: we cannot wait for
     * ourselves, so close abruptly and let the thread end on return. */
    do_shutdown(self, false);
    /* No loop will run the close handshakes: close the sockets now. */
    for (auto &transport : priv->closing)
      transport->abort();
    priv->closing.clear();
    g_clear_object(&priv->session);
    priv->worker.stop();
  } else {
    /* No strong reference is left for a posted task: shutdown() takes
     * none. Nothing runs when the thread was never started. */
    priv->worker.shutdown([self]() { do_shutdown(self, true); });
    /* The loop is gone: release what belongs to the thread's context
     * without it (nothing more will be dispatched there). */
    for (auto &transport : priv->closing)
      transport->abort();
    priv->closing.clear();
    g_clear_object(&priv->session);
  }
  G_OBJECT_CLASS(gws_ws_signaller_parent_class)->dispose(object);
}

static void
gws_ws_signaller_finalize(GObject *object) {
  auto *self = GWS_WS_SIGNALLER(object);
  auto *priv = self->priv;
  delete priv;
  G_OBJECT_CLASS(gws_ws_signaller_parent_class)->finalize(object);
}

static void
gws_ws_signaller_class_init(GwsWsSignallerClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = gws_ws_signaller_set_property;
  gobject_class->get_property = gws_ws_signaller_get_property;
  gobject_class->dispose = gws_ws_signaller_dispose;
  gobject_class->finalize = gws_ws_signaller_finalize;

  auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_override_property(gobject_class, PROP_ROLE, "role");
  g_object_class_override_property(gobject_class, PROP_URI, "uri");

  g_object_class_install_property(gobject_class, PROP_PEER_ID,
      g_param_spec_string("peer-id", "Peer id",
          "The id to claim at the relay instead of a random one (a producer "
          "takes it from ?peer-id= in the URI too); refused if another peer "
          "holds it",
          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_PRODUCER_PEER_ID,
      g_param_spec_string("producer-peer-id", "Producer peer id",
          "Consumer: the producer to receive from (?peer-id= in the URI "
          "does the same); empty takes the first producer that appears",
          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_META,
      g_param_spec_string("meta", "Meta",
          "Free-form description other peers see in peer lists, as a JSON "
          "object ({\"name\": \"cam1\"}) or a GstStructure "
          "(\"meta,name=cam1\"); a producer defaults to {\"name\": <its id "
          "or the host name>}",
          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_TOKEN,
      g_param_spec_string("token", "Token",
          "Access token for a relay started with --token, sent as "
          "'Authorization: Bearer'; ?token= in the URI does the same",
          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_TLS_VALIDATION,
      g_param_spec_boolean("tls-validation", "TLS validation",
          "Check the wss:// (or poll+https://) server's certificate; turn "
          "off only for a self-signed test server",
          TRUE, rw));
  g_object_class_install_property(gobject_class, PROP_RECONNECT_MIN_BACKOFF,
      g_param_spec_uint("reconnect-min-backoff", "Minimum reconnect backoff",
          "Milliseconds before the first attempt to reach the relay again; "
          "doubled after each failure",
          0, G_MAXINT, kDefaultMinBackoffMs, rw));
  g_object_class_install_property(gobject_class, PROP_RECONNECT_MAX_BACKOFF,
      g_param_spec_uint("reconnect-max-backoff", "Maximum reconnect backoff",
          "Milliseconds between attempts to reach the relay, at most", 0,
          G_MAXINT, kDefaultMaxBackoffMs, rw));
  g_object_class_install_property(gobject_class, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint("keepalive-interval", "Keepalive interval",
          "Seconds between pings to the relay; after three intervals without "
          "an answer the relay counts as gone and the signaller reconnects "
          "(0: no pings, rely on TCP). Over long-poll: three intervals "
          "without an answer to any GET, at least two hold times",
          0, 3600, kDefaultKeepaliveSeconds, rw));
  g_object_class_install_property(gobject_class, PROP_SESSION_RESTARTS,
      g_param_spec_boolean("session-restarts", "Session restarts",
          "TRUE: this protocol carries session restarts (a new offer in a "
          "running session, docs/protocol.md); the elements restart only "
          "through signallers that say so",
          TRUE,
          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /* The relay protocol: the producer offers, peers are clients of the
   * relay (not of us), and the relay announces no ICE servers. */
  g_object_class_override_property(
      gobject_class, PROP_CONSUMER_OFFERS, "consumer-offers");
  g_object_class_override_property(
      gobject_class, PROP_ACCEPTS_SESSIONS, "accepts-sessions");
  g_object_class_override_property(
      gobject_class, PROP_ICE_SERVERS, "ice-servers");
}

GwsSignaller *
gws_ws_signaller_new(GwsSignallerRole role, const gchar *uri) {
  return GWS_SIGNALLER(
      g_object_new(GWS_TYPE_WS_SIGNALLER, "role", role, "uri", uri, nullptr));
}
